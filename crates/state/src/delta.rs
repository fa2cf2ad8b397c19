use std::collections::BTreeMap;

use crate::{StateRead, StateWrite};

/// Pending writes in key order: `None` is a deletion.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A copy-on-write overlay over any readable state.
///
/// A block runs in one `Delta` over the last committed snapshot, and each transaction in a `Delta`
/// over the block's. A transaction that fails is simply dropped; one that succeeds hands its
/// [`Changes`] to the parent with [`Delta::apply`]. Nothing below the overlay is touched until the
/// block commits.
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
}

impl<P: StateRead> StateWrite for Delta<P> {
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
}
