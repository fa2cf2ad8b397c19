//! Sheaf's state: a versioned key-value store whose every committed version is readable, overlays
//! for a block in progress and for each transaction inside it, and a Jellyfish Merkle Tree root over
//! all keys as the app hash.
//!
//! Everything that touches consensus state goes through [`StateRead`] / [`StateWrite`], so the
//! same module code runs against a committed [`Snapshot`] (RPC reads), a [`Delta`] (`eth_call`)
//! or a block's [`BlockDelta`] (block execution, each transaction through
//! [`BlockDelta::transaction`]). Overlays hand their changes over in key order, so what reaches
//! the tree never depends on a hash map's order.

mod cache;
mod delta;
mod filter;
mod storage;
mod tree;
mod typed;

pub use cache::{ReadCache, SharedReadCache};
pub use delta::{BlockDelta, Changes, Delta, TxOverlay};
pub use storage::{AuxWrite, PreparedCommit, Snapshot, Storage, StorageError};
pub use typed::{StateReadExt, StateWriteExt};

/// Read access to consensus state.
///
/// Reads are infallible at this level: a storage read that fails means the database is corrupt or
/// gone, and a node in that condition must halt loudly rather than execute on guessed data.
pub trait StateRead {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>>;

    /// Hands the value under `key` to `read` without copying it out, where this layer holds it
    /// in memory. Typed reads (a balance, an account, a pool) only decode the bytes, and a copy
    /// for each was a malloc and a free on every one of a swap's dozen reads. `read` must not
    /// read the state itself.
    fn read_raw<R>(&self, key: &[u8], read: impl FnOnce(Option<&[u8]>) -> R) -> R {
        read(self.get_raw(key).as_deref())
    }
}

/// Write access to consensus state. Writes only ever land in an overlay; [`Storage::commit`] is the
/// single place where anything becomes durable.
pub trait StateWrite: StateRead {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>);
    fn delete(&mut self, key: Vec<u8>);
}

impl<T: StateRead + ?Sized> StateRead for &T {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        (**self).get_raw(key)
    }
    fn read_raw<R>(&self, key: &[u8], read: impl FnOnce(Option<&[u8]>) -> R) -> R {
        (**self).read_raw(key, read)
    }
}

impl<T: StateRead + ?Sized> StateRead for &mut T {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        (**self).get_raw(key)
    }
    fn read_raw<R>(&self, key: &[u8], read: impl FnOnce(Option<&[u8]>) -> R) -> R {
        (**self).read_raw(key, read)
    }
}

impl<T: StateWrite + ?Sized> StateWrite for &mut T {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        (**self).put_raw(key, value)
    }
    fn delete(&mut self, key: Vec<u8>) {
        (**self).delete(key)
    }
}

/// State with nothing in it: the base of in-memory overlays in tests and genesis dry runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyState;

impl StateRead for EmptyState {
    fn get_raw(&self, _key: &[u8]) -> Option<Vec<u8>> {
        None
    }
}
