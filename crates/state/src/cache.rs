use std::{cell::RefCell, sync::Mutex};

// foldhash rather than SipHash: several times cheaper on short keys, still seeded per process, and
// a map lives for one block.
use alloy_primitives::map::HashMap;

use crate::StateRead;

/// Remembers what it has read from the state below, found or not.
///
/// A block's transactions read the same unchanged keys over and over: whether a recipient is a
/// token (no, for every plain transfer), a pool's record, the chain's parameters. Below this
/// sits a committed snapshot, where every read is a B-tree range lookup. Writes never reach
/// this layer (they stay in the overlay above), so a remembered answer cannot go stale while it
/// lives, which is one block. The map is only looked up, never iterated, so its order cannot
/// leak into state.
pub struct ReadCache<S> {
    inner: S,
    seen: RefCell<HashMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl<S: StateRead> ReadCache<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            seen: RefCell::default(),
        }
    }
}

impl<S: StateRead> StateRead for ReadCache<S> {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.read_raw(key, |value| value.map(<[u8]>::to_vec))
    }
    fn read_raw<R>(&self, key: &[u8], read: impl FnOnce(Option<&[u8]>) -> R) -> R {
        // `read` runs while the map is borrowed; it does not read the state, so it cannot need
        // the map mutably.
        if let Some(value) = self.seen.borrow().get(key) {
            return read(value.as_deref());
        }
        let value = self.inner.get_raw(key);
        let answer = read(value.as_deref());
        self.seen.borrow_mut().insert(key.to_vec(), value);
        answer
    }
}

/// [`ReadCache`] for readers on many threads at once: mempool admission, which checks every
/// incoming transaction against the same committed height and reads the same senders again and
/// again until the next block commits.
pub struct SharedReadCache<S> {
    inner: S,
    seen: Mutex<HashMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl<S: StateRead> SharedReadCache<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            seen: Mutex::default(),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: StateRead> StateRead for SharedReadCache<S> {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        if let Some(value) = self.seen().get(key) {
            return value.clone();
        }
        // Read outside the lock: two threads may both miss and read the same key, which costs a
        // read, not a wrong answer.
        let value = self.inner.get_raw(key);
        self.seen().insert(key.to_vec(), value.clone());
        value
    }
}

impl<S> SharedReadCache<S> {
    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Option<Vec<u8>>>> {
        // A poisoned lock only means a reader panicked while inserting a value it had read from
        // immutable state; what the map holds is still right.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Counts the reads that reach it.
    struct Counting(Cell<usize>);
    impl StateRead for Counting {
        fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
            self.0.set(self.0.get() + 1);
            (key == b"present").then(|| b"value".to_vec())
        }
    }

    #[test]
    fn shared_cache_reads_each_key_from_below_once_found_or_not() {
        let cache = SharedReadCache::new(Counting(Cell::new(0)));
        for _ in 0..3 {
            assert_eq!(cache.get_raw(b"present"), Some(b"value".to_vec()));
            assert_eq!(cache.get_raw(b"absent"), None);
        }
        assert_eq!(cache.inner().0.get(), 2);
    }

    #[test]
    fn each_key_is_read_from_below_once_found_or_not() {
        let below = Counting(Cell::new(0));
        let cache = ReadCache::new(&below);
        for _ in 0..3 {
            assert_eq!(cache.get_raw(b"present"), Some(b"value".to_vec()));
            assert_eq!(cache.get_raw(b"absent"), None);
            // Reading in place answers the same, from the same remembered reads.
            assert_eq!(cache.read_raw(b"present", |v| v.map(<[u8]>::len)), Some(5));
            assert!(cache.read_raw(b"absent", |v| v.is_none()));
        }
        assert_eq!(below.0.get(), 2);
        let fresh = ReadCache::new(&below);
        assert!(fresh.read_raw(b"present", |v| v == Some(b"value".as_slice())));
        assert_eq!(fresh.get_raw(b"present"), Some(b"value".to_vec()));
        assert_eq!(below.0.get(), 3, "a miss read in place is remembered too");
    }
}
