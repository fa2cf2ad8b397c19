use std::collections::BTreeMap;

use alloy_primitives::map::HashMap;

use crate::{StateRead, StateWrite};

/// Pending writes in key order: `None` is a deletion.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A copy-on-write overlay over any readable state, its changes kept in key order.
///
/// A call that must leave no trace (`eth_call`, a governance action tried before it runs) works
/// in a `Delta` that is dropped or handed to its parent with [`Delta::apply`]. Blocks run in a
/// [`BlockDelta`] instead. Nothing below an overlay is touched until the block commits.
pub struct Delta<P> {
    parent: P,
    changes: Changes,
}

impl<P: StateRead> Delta<P> {
    pub fn new(parent: P) -> Self {
        Self {
            parent,
            changes: Changes::new(),
        }
    }

    pub fn into_changes(self) -> Changes {
        self.changes
    }

    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// Takes over a child overlay's writes, in order, as if they had been made here.
    pub fn apply(&mut self, child: Changes) {
        self.changes.extend(child);
    }

    pub fn parent(&self) -> &P {
        &self.parent
    }
}

impl<P: StateRead> StateRead for Delta<P> {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.changes.get(key) {
            Some(pending) => pending.clone(),
            None => self.parent.get_raw(key),
        }
    }
    fn read_raw<R>(&self, key: &[u8], read: impl FnOnce(Option<&[u8]>) -> R) -> R {
        match self.changes.get(key) {
            Some(pending) => read(pending.as_deref()),
            None => self.parent.read_raw(key, read),
        }
    }
}

impl<P: StateRead> StateWrite for Delta<P> {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }

    fn delete(&mut self, key: Vec<u8>) {
        self.changes.insert(key, None);
    }
}

/// A block's overlay: a [`Delta`] kept in a hash map.
///
/// A block's overlay ends up holding every key the block wrote, thousands of them, and every
/// transaction looks keys up in it several times (its sender, the fee's recipient, the supply
/// counters). A hash lookup costs a fraction of a walk down a B-tree that size. The map is only
/// iterated by [`BlockDelta::into_changes`], which hands the writes over in key order, so its
/// order never reaches the state.
pub struct BlockDelta<P> {
    parent: P,
    changes: HashMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<P: StateRead> BlockDelta<P> {
    pub fn new(parent: P) -> Self {
        Self {
            parent,
            changes: HashMap::default(),
        }
    }

    /// The block's writes, in key order.
    pub fn into_changes(self) -> Changes {
        self.changes.into_iter().collect()
    }

    /// Runs one transaction's writes straight into the block, keeping them if `run` returns `Ok`
    /// and undoing them if it returns `Err`: what a [`Delta`] over the block whose changes are
    /// then taken over would do, without a second map to look through on every read and to merge
    /// at the end (a tenth of a native swap's time went to that map).
    pub fn transaction<T, E>(
        &mut self,
        run: impl FnOnce(&mut TxOverlay<'_, P>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut tx = TxOverlay {
            block: self,
            // Room for a swap's writes without regrowing.
            undo: Vec::with_capacity(16),
        };
        let result = run(&mut tx);
        if result.is_err() {
            tx.roll_back();
        }
        result
    }
}

/// A transaction's view of its block while [`BlockDelta::transaction`] runs: writes land in the
/// block's map, and each one records what it replaced so that a failed transaction can put it
/// back.
pub struct TxOverlay<'b, P> {
    block: &'b mut BlockDelta<P>,
    undo: Vec<Undo>,
}

/// `(key, what the block held under it before)`: `None` when the block held nothing, so undoing
/// removes the key rather than writing a deletion.
type Undo = (Vec<u8>, Option<Option<Vec<u8>>>);

impl<P> TxOverlay<'_, P> {
    fn write(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        let before = self.block.changes.insert(key.clone(), value);
        self.undo.push((key, before));
    }

    /// Undoes the writes newest first, so a key written twice ends as it was before the first.
    fn roll_back(&mut self) {
        while let Some((key, before)) = self.undo.pop() {
            match before {
                Some(value) => {
                    self.block.changes.insert(key, value);
                }
                None => {
                    self.block.changes.remove(&key);
                }
            }
        }
    }
}

impl<P: StateRead> StateRead for TxOverlay<'_, P> {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.block.get_raw(key)
    }
    fn read_raw<R>(&self, key: &[u8], read: impl FnOnce(Option<&[u8]>) -> R) -> R {
        self.block.read_raw(key, read)
    }
}

impl<P: StateRead> StateWrite for TxOverlay<'_, P> {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.write(key, Some(value));
    }

    fn delete(&mut self, key: Vec<u8>) {
        self.write(key, None);
    }
}

impl<P: StateRead> StateRead for BlockDelta<P> {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.changes.get(key) {
            Some(pending) => pending.clone(),
            None => self.parent.get_raw(key),
        }
    }
    fn read_raw<R>(&self, key: &[u8], read: impl FnOnce(Option<&[u8]>) -> R) -> R {
        match self.changes.get(key) {
            Some(pending) => read(pending.as_deref()),
            None => self.parent.read_raw(key, read),
        }
    }
}

impl<P: StateRead> StateWrite for BlockDelta<P> {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }

    fn delete(&mut self, key: Vec<u8>) {
        self.changes.insert(key, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Base(BTreeMap<Vec<u8>, Vec<u8>>);
    impl StateRead for Base {
        fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
            self.0.get(key).cloned()
        }
    }

    #[test]
    fn nested_overlays_shadow_and_drop() {
        let base = Base(BTreeMap::from([(b"a".to_vec(), b"1".to_vec())]));
        let mut block = Delta::new(&base);
        block.put_raw(b"b".to_vec(), b"2".to_vec());

        let mut failed_tx = Delta::new(&block);
        failed_tx.put_raw(b"a".to_vec(), b"x".to_vec());
        failed_tx.delete(b"b".to_vec());
        assert_eq!(failed_tx.get_raw(b"a"), Some(b"x".to_vec()));
        assert_eq!(failed_tx.get_raw(b"b"), None);
        drop(failed_tx);

        let mut ok_tx = Delta::new(&block);
        ok_tx.delete(b"a".to_vec());
        let changes = ok_tx.into_changes();
        block.apply(changes);

        assert_eq!(block.get_raw(b"a"), None);
        assert_eq!(block.get_raw(b"b"), Some(b"2".to_vec()));
        assert_eq!(
            base.get_raw(b"a"),
            Some(b"1".to_vec()),
            "the base is never written"
        );
    }

    proptest::proptest! {
        /// The block overlay reads and hands over exactly what the ordered overlay does, whatever
        /// the order its map keeps.
        #[test]
        fn block_delta_behaves_as_delta(
            ops in proptest::collection::vec((0u8..4, 0u8..24, 0u8..4), 0..200)
        ) {
            let base = Base((0u8..24).step_by(3).map(|k| (vec![k], vec![k])).collect());
            let mut ordered = Delta::new(&base);
            let mut hashed = BlockDelta::new(&base);
            for (op, key, value) in ops {
                match op {
                    0 => {
                        ordered.put_raw(vec![key], vec![value]);
                        hashed.put_raw(vec![key], vec![value]);
                    }
                    1 => {
                        ordered.delete(vec![key]);
                        hashed.delete(vec![key]);
                    }
                    // A nested overlay read through the block, its writes then taken over.
                    2 => {
                        let mut tx = Delta::new(&hashed);
                        tx.put_raw(vec![key], vec![value, value]);
                        tx.delete(vec![key.wrapping_add(1)]);
                        let changes = tx.into_changes();
                        ordered.apply(changes.clone());
                        let taken: Result<(), ()> = hashed.transaction(|journal| {
                            for (k, v) in changes {
                                match v {
                                    Some(v) => journal.put_raw(k, v),
                                    None => journal.delete(k),
                                }
                            }
                            Ok(())
                        });
                        proptest::prop_assert!(taken.is_ok());
                    }
                    // A transaction written straight into the block: kept when it succeeds
                    // (odd `value`), undone when it fails, and reading its own writes meanwhile.
                    _ => {
                        let keep = value % 2 == 1;
                        let mut tx = Delta::new(&ordered);
                        let outcome = hashed.transaction(|journal| {
                            for (k, v) in [(key, Some(value)), (key.wrapping_add(2), None), (key, Some(value + 1))] {
                                let k = vec![k];
                                match v {
                                    Some(v) => {
                                        tx.put_raw(k.clone(), vec![v]);
                                        journal.put_raw(k, vec![v]);
                                    }
                                    None => {
                                        tx.delete(k.clone());
                                        journal.delete(k);
                                    }
                                }
                            }
                            for k in 0u8..26 {
                                if tx.get_raw(&[k]) != journal.get_raw(&[k]) {
                                    return Err("the journal reads differently from a delta");
                                }
                            }
                            if keep { Ok(()) } else { Err("failed") }
                        });
                        match outcome {
                            Ok(()) => {
                                let changes = tx.into_changes();
                                ordered.apply(changes);
                            }
                            Err(why) => proptest::prop_assert_eq!(why, "failed"),
                        }
                    }
                }
                for key in 0u8..26 {
                    let expected = ordered.get_raw(&[key]);
                    proptest::prop_assert_eq!(&expected, &hashed.get_raw(&[key]));
                    // In-place reads see what copying reads see, through both overlays.
                    let in_place = |v: Option<&[u8]>| v.map(<[u8]>::to_vec);
                    proptest::prop_assert_eq!(&expected, &ordered.read_raw(&[key], in_place));
                    proptest::prop_assert_eq!(&expected, &hashed.read_raw(&[key], in_place));
                    let tx = Delta::new(&hashed);
                    proptest::prop_assert_eq!(&expected, &tx.read_raw(&[key], in_place));
                }
            }
            proptest::prop_assert_eq!(ordered.into_changes(), hashed.into_changes());
        }
    }
}
