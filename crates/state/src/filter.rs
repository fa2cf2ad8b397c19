use std::sync::{
    RwLock,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

/// Which key hashes the store has ever held, as a Bloom filter: a read of a key that was never
/// written answers "absent" without a B-tree lookup.
///
/// Most reads that miss are of keys that never existed: every ETH transfer asks whether its
/// recipient is a token, and a new recipient has no account. Each such miss was a range lookup
/// in the values table, about a third of a transfer block's execution. The filter only ever
/// skips lookups whose answer is known to be "absent at every version"; any "maybe" goes to the
/// store, so no answer, and nothing in the state, depends on it. Bits are never cleared, so a
/// deleted key stays "maybe", which historical reads need.
pub(crate) struct KeyFilter {
    bits: RwLock<Bits>,
    /// Key hashes added since the filter was sized; an upper bound on distinct keys, since a key
    /// written again is counted again.
    added: AtomicUsize,
}

struct Bits {
    words: Vec<AtomicU64>,
    /// Bit count minus one; the count is a power of two.
    mask: u64,
}

/// Bits per key at the filter's planned capacity. Three probes at 16 bits per key give about
/// 0.5% false "maybe"s, each costing only the lookup the filter would have saved.
const BITS_PER_KEY: usize = 16;
const SMALLEST: usize = 1 << 20;

impl Bits {
    fn for_keys(keys: usize) -> Self {
        // Room for four times the keys there are, so resizing (a scan of the store) is rare.
        let bits = (keys.saturating_mul(4 * BITS_PER_KEY))
            .max(SMALLEST)
            .next_power_of_two();
        Self {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits as u64 - 1,
        }
    }

    fn capacity(&self) -> usize {
        (self.mask as usize + 1) / BITS_PER_KEY
    }

    /// Three bit positions from the key hash, which is already uniformly distributed.
    fn probes(&self, key_hash: &[u8; 32]) -> [u64; 3] {
        let word = |at: usize| {
            u64::from_le_bytes(key_hash[at..at + 8].try_into().unwrap_or_default()) & self.mask
        };
        [word(0), word(8), word(16)]
    }

    fn insert(&self, key_hash: &[u8; 32]) {
        for bit in self.probes(key_hash) {
            // Release: a reader that later sees the committed value must see these bits.
            self.words[(bit / 64) as usize].fetch_or(1 << (bit % 64), Ordering::Release);
        }
    }

    fn may_contain(&self, key_hash: &[u8; 32]) -> bool {
        self.probes(key_hash).iter().all(|bit| {
            self.words[(*bit / 64) as usize].load(Ordering::Acquire) & (1 << (bit % 64)) != 0
        })
    }
}

impl KeyFilter {
    /// A filter holding `key_hashes`.
    pub fn with(key_hashes: impl ExactSizeIterator<Item = [u8; 32]>) -> Self {
        let bits = Bits::for_keys(key_hashes.len());
        let added = key_hashes.len();
        for key_hash in key_hashes {
            bits.insert(&key_hash);
        }
        Self {
            bits: RwLock::new(bits),
            added: AtomicUsize::new(added),
        }
    }

    /// Adds key hashes about to be committed. Call before the commit becomes visible to readers.
    pub fn add(&self, key_hashes: impl ExactSizeIterator<Item = [u8; 32]>) {
        self.added.fetch_add(key_hashes.len(), Ordering::Relaxed);
        let bits = self.read();
        for key_hash in key_hashes {
            bits.insert(&key_hash);
        }
    }

    /// Whether the filter has taken in more keys than it was sized for.
    pub fn is_full(&self) -> bool {
        self.added.load(Ordering::Relaxed) > self.read().capacity()
    }

    /// Replaces the bits with a filter built from every key hash the store holds.
    pub fn rebuild(&self, key_hashes: impl ExactSizeIterator<Item = [u8; 32]>) {
        let fresh = Self::with(key_hashes);
        let added = fresh.added.load(Ordering::Relaxed);
        let bits = fresh.bits.into_inner().unwrap_or_else(|e| e.into_inner());
        *self.bits.write().unwrap_or_else(|e| e.into_inner()) = bits;
        self.added.store(added, Ordering::Relaxed);
    }

    /// `false` only for a key hash that was never added.
    pub fn may_contain(&self, key_hash: &[u8; 32]) -> bool {
        self.read().may_contain(key_hash)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Bits> {
        // A poisoned lock means a panic while swapping in a rebuilt filter, after it was built
        // complete; the bits behind it are whole either way.
        self.bits.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(i: u64) -> [u8; 32] {
        <sha2::Sha256 as sha2::Digest>::digest(i.to_be_bytes()).into()
    }

    #[test]
    fn added_keys_are_always_maybe_and_most_others_are_absent() {
        let filter = KeyFilter::with((0..1_000).map(hash).collect::<Vec<_>>().into_iter());
        filter.add((1_000..2_000).map(hash).collect::<Vec<_>>().into_iter());
        assert!((0..2_000).all(|i| filter.may_contain(&hash(i))));
        let false_maybes = (2_000..102_000)
            .filter(|i| filter.may_contain(&hash(*i)))
            .count();
        assert!(
            false_maybes < 1_000,
            "{false_maybes} of 100,000 unknown keys read as maybe"
        );
    }

    #[test]
    fn a_rebuilt_filter_is_larger_and_keeps_every_key() {
        let filter = KeyFilter::with(std::iter::empty());
        let many = SMALLEST / BITS_PER_KEY + 1;
        filter.add((0..many as u64).map(hash).collect::<Vec<_>>().into_iter());
        assert!(filter.is_full());
        filter.rebuild((0..many as u64).map(hash).collect::<Vec<_>>().into_iter());
        assert!(!filter.is_full());
        assert!((0..many as u64).all(|i| filter.may_contain(&hash(i))));
    }
}
