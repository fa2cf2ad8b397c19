use std::{path::Path, sync::Arc};

use borsh::BorshDeserialize;
use jmt::{
    KeyHash, OwnedValue, RootHash, Sha256Jmt, Version,
    storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader},
};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::{
    Changes, StateRead,
    filter::KeyFilter,
    tree::{self, EncodedNodes},
};

/// JMT nodes, keyed by `version (8 bytes BE) ‖ borsh(NodeKey)`: a block's new nodes all carry its
/// version, so they append at the end of the table instead of landing at random pages.
const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
/// Every version of every value: `sha256(key) ‖ version (8 bytes BE)` → `[1] ‖ value` or `[0]`
/// for a deletion. A read at height `h` is the last entry at or below `h`.
const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");
/// Recent writes to `VALUES`, in the same layout, moved into it in one sorted pass when they
/// reach [`MERGE_AT`] entries.
///
/// Values are keyed by key hash, so a block's writes land on random pages of a table that grows
/// with every version written: the pages a block dirties (and the commit writes and syncs) grew
/// with the chain's length, from 6 ms to 60 ms of commit for a 5,000-transfer block over 40
/// blocks. Here they land in a table that stays small, and the big table takes them a batch at
/// a time, each of its pages copied once per batch instead of once per block. Every version
/// here is newer than any in `VALUES`, so a read looks here first.
const VALUES_NEW: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values_new");
/// The committed height and app hash, written in the same transaction as the state they describe.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Tables that belong to callers (blocks, receipts, indexes), committed together with the state.
const AUX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("aux");
/// Recent scattered caller-owned records (indexes keyed by hash), staged as `VALUES_NEW` stages
/// values. A key here is newer than the same key in `AUX`.
const AUX_NEW: TableDefinition<&[u8], &[u8]> = TableDefinition::new("aux_new");

/// Staged entries (values and scattered records together) that trigger a merge: about six
/// 5,000-transfer blocks (6,000 values and 5,000 transaction-index entries each). Tests merge
/// every 40, so their histories cross many merges.
const MERGE_AT: u64 = if cfg!(test) { 40 } else { 1 << 16 };

const META_HEIGHT: &str = "height";
const META_APP_HASH: &str = "app_hash";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Db(String),
    #[error("merkle tree: {0}")]
    Tree(String),
    #[error("commit out of order: expected version {expected}, got {found}")]
    OutOfOrder { expected: u64, found: u64 },
}

fn db_err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Db(e.to_string())
}

/// A write to a caller-owned table, committed atomically with a block's state.
pub struct AuxWrite {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    /// Keyed by something random (a hash), so that each write would land on a page of its own:
    /// staged and merged in batches like values. Records keyed in order (by height) are not.
    /// A key must always be written with the same choice: a staged write is read before an
    /// unstaged one.
    pub scattered: bool,
}

/// A block's state changes with their Merkle root computed but nothing yet written: the root is
/// the app hash `finalize_block` answers, the writes happen at `commit`.
pub struct PreparedCommit {
    pub version: Version,
    pub root: [u8; 32],
    /// New tree nodes as `(store key, encoded node)`.
    nodes: EncodedNodes,
    /// Written values by key hash; `None` deletes.
    values: Vec<([u8; 32], Option<Vec<u8>>)>,
}

impl PreparedCommit {
    /// A batch as jmt produced it, in the form the store writes.
    fn from_jmt(version: Version, root: [u8; 32], batch: &NodeBatch) -> Result<Self, StorageError> {
        let nodes = batch
            .nodes()
            .iter()
            .map(|(key, node)| Ok((node_key_bytes(key), borsh::to_vec(node).map_err(db_err)?)))
            .collect::<Result<_, StorageError>>()?;
        let values = batch
            .values()
            .iter()
            .map(|((_, key_hash), value)| (key_hash.0, value.clone()))
            .collect();
        Ok(Self {
            version,
            root,
            nodes,
            values,
        })
    }
}

/// The durable store. Cloning shares the same database.
#[derive(Clone)]
pub struct Storage {
    db: Arc<Database>,
    /// Every key hash ever written, so reads of keys that never existed skip the B-tree.
    written: Arc<KeyFilter>,
    /// Entries in `VALUES_NEW` and `AUX_NEW`. Only `commit` changes it, and commits are serial.
    staged: Arc<std::sync::atomic::AtomicU64>,
}

impl Storage {
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let db = Database::create(path).map_err(db_err)?;
        let txn = db.begin_write().map_err(db_err)?;
        {
            txn.open_table(NODES).map_err(db_err)?;
            txn.open_table(VALUES).map_err(db_err)?;
            txn.open_table(META).map_err(db_err)?;
            txn.open_table(AUX).map_err(db_err)?;
            txn.open_table(VALUES_NEW).map_err(db_err)?;
            txn.open_table(AUX_NEW).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        let written = KeyFilter::with(stored_key_hashes(&db)?.into_iter());
        let staged = {
            let txn = db.begin_read().map_err(db_err)?;
            let values = txn.open_table(VALUES_NEW).map_err(db_err)?.len();
            let aux = txn.open_table(AUX_NEW).map_err(db_err)?.len();
            values.map_err(db_err)? + aux.map_err(db_err)?
        };
        Ok(Self {
            db: Arc::new(db),
            written: Arc::new(written),
            staged: Arc::new(staged.into()),
        })
    }

    /// The last committed height and its app hash, or `None` before genesis.
    pub fn latest(&self) -> Result<Option<(u64, [u8; 32])>, StorageError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let meta = txn.open_table(META).map_err(db_err)?;
        let height = meta.get(META_HEIGHT).map_err(db_err)?;
        let hash = meta.get(META_APP_HASH).map_err(db_err)?;
        Ok(match (height, hash) {
            (Some(h), Some(a)) => {
                let height = u64::from_be_bytes(h.value().try_into().map_err(db_err)?);
                let hash: [u8; 32] = a.value().try_into().map_err(db_err)?;
                Some((height, hash))
            }
            _ => None,
        })
    }

    /// A consistent read view of state as of `version`. Every committed version stays readable
    /// (nothing is pruned yet), which covers wallets that pin reads to a recent block number.
    pub fn snapshot(&self, version: u64) -> Result<Snapshot, StorageError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let values = txn.open_table(VALUES).map_err(db_err)?;
        let values_new = txn.open_table(VALUES_NEW).map_err(db_err)?;
        let nodes = txn.open_table(NODES).map_err(db_err)?;
        Ok(Snapshot {
            version,
            values,
            values_new,
            nodes,
            written: self.written.clone(),
        })
    }

    /// Computes the Merkle root of the state that results from applying `changes` on top of
    /// `version - 1`. Reads only committed data, so it can run while RPC readers are active.
    pub fn prepare(&self, version: u64, changes: &Changes) -> Result<PreparedCommit, StorageError> {
        let expected = match self.latest()? {
            Some((h, _)) => h + 1,
            None => 0,
        };
        if version != expected {
            return Err(StorageError::OutOfOrder {
                expected,
                found: version,
            });
        }
        let reader = MemoizedReader {
            snapshot: self.snapshot(version.saturating_sub(1))?,
            nodes: Default::default(),
        };
        update_tree(&reader, version, changes)
    }

    /// Writes a prepared block, its caller-owned records and the new height/app hash in one
    /// durable transaction: after a crash either all of it is there or none of it.
    pub fn commit(&self, prepared: PreparedCommit, aux: Vec<AuxWrite>) -> Result<(), StorageError> {
        use std::sync::atomic::Ordering;
        let txn = self.db.begin_write().map_err(db_err)?;
        let staged_here = prepared.values.len() + aux.iter().filter(|w| w.scattered).count();
        let staged = self.staged.load(Ordering::Relaxed) + staged_here as u64;
        let merge = staged >= MERGE_AT;
        // The staged entries go over first: this block's writes are newer and land on top.
        if merge {
            merge_into(&txn, VALUES_NEW, VALUES)?;
            merge_into(&txn, AUX_NEW, AUX)?;
        }
        {
            let mut nodes = txn.open_table(NODES).map_err(db_err)?;
            for (key, node) in &prepared.nodes {
                nodes
                    .insert(key.as_slice(), node.as_slice())
                    .map_err(db_err)?;
            }
            // A block that triggers a merge writes where the merge would move its entries.
            let mut values = txn
                .open_table(if merge { VALUES } else { VALUES_NEW })
                .map_err(db_err)?;
            for (key_hash, value) in &prepared.values {
                let encoded = encode_value(value.as_deref());
                values
                    .insert(
                        value_key(*key_hash, prepared.version).as_slice(),
                        encoded.as_slice(),
                    )
                    .map_err(db_err)?;
            }
            let mut aux_table = txn.open_table(AUX).map_err(db_err)?;
            let mut aux_new = txn.open_table(AUX_NEW).map_err(db_err)?;
            for write in &aux {
                let table = if write.scattered && !merge {
                    &mut aux_new
                } else {
                    &mut aux_table
                };
                table
                    .insert(write.key.as_slice(), write.value.as_slice())
                    .map_err(db_err)?;
            }
            let mut meta = txn.open_table(META).map_err(db_err)?;
            meta.insert(META_HEIGHT, prepared.version.to_be_bytes().as_slice())
                .map_err(db_err)?;
            meta.insert(META_APP_HASH, prepared.root.as_slice())
                .map_err(db_err)?;
        }
        // Before the commit is visible: no reader of the new version may find a new key absent.
        self.written
            .add(prepared.values.iter().map(|(key_hash, _)| *key_hash));
        txn.commit().map_err(db_err)?;
        self.staged
            .store(if merge { 0 } else { staged }, Ordering::Relaxed);
        if self.written.is_full() {
            self.written
                .rebuild(stored_key_hashes(&self.db)?.into_iter());
        }
        Ok(())
    }

    /// Reads a caller-owned record.
    pub fn aux_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.aux_get_all([key])?.pop().flatten())
    }

    /// Several caller-owned records, read in one transaction (the pieces of a large block).
    pub fn aux_get_all<K: AsRef<[u8]>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<Option<Vec<u8>>>, StorageError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let staged = txn.open_table(AUX_NEW).map_err(db_err)?;
        let table = txn.open_table(AUX).map_err(db_err)?;
        keys.into_iter()
            .map(|key| {
                let key = key.as_ref();
                let found = match staged.get(key).map_err(db_err)? {
                    Some(value) => Some(value),
                    None => table.get(key).map_err(db_err)?,
                };
                Ok(found.map(|v| v.value().to_vec()))
            })
            .collect()
    }

    /// The caller-owned record with the greatest key in `low..=high`: for indexes keyed by
    /// height, the last record at or below a height.
    pub fn aux_floor(&self, low: &[u8], high: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let staged = txn.open_table(AUX_NEW).map_err(db_err)?;
        let table = txn.open_table(AUX).map_err(db_err)?;
        Ok(staged_floor(&staged, &table, low, high)?.map(|(_, value)| value))
    }

    /// The JMT root at a committed version (equal to the app hash committed with it).
    pub fn root_at(&self, version: u64) -> Result<[u8; 32], StorageError> {
        let snapshot = self.snapshot(version)?;
        let tree = Sha256Jmt::new(&snapshot);
        tree.get_root_hash(version)
            .map(|RootHash(root)| root)
            .map_err(|e| StorageError::Tree(e.to_string()))
    }
}

/// Committed state as of one version.
pub struct Snapshot {
    version: u64,
    values: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    values_new: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    nodes: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    written: Arc<KeyFilter>,
}

impl Snapshot {
    pub fn version(&self) -> u64 {
        self.version
    }

    pub(crate) fn nodes_table(&self) -> &redb::ReadOnlyTable<&'static [u8], &'static [u8]> {
        &self.nodes
    }

    fn value_at(&self, key_hash: [u8; 32], version: u64) -> Result<Option<Vec<u8>>, StorageError> {
        if !self.written.may_contain(&key_hash) {
            return Ok(None);
        }
        let low = value_key(key_hash, 0);
        let high = value_key(key_hash, version);
        // Every version staged is newer than every version merged, so a staged hit is the
        // answer and the merged table is only read on a miss.
        for table in [&self.values_new, &self.values] {
            let mut range = table
                .range(low.as_slice()..=high.as_slice())
                .map_err(db_err)?;
            if let Some(entry) = range.next_back() {
                let (_, value) = entry.map_err(db_err)?;
                return Ok(decode_value(value.value()));
            }
        }
        Ok(None)
    }
}

type ReadTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;
/// A key and its value, copied out of a table.
type Entry = (Vec<u8>, Vec<u8>);

/// The entry with the greatest key in `low..=high` across a staging table and the table it
/// merges into, the staged one winning a tie (it is the newer write).
fn staged_floor(
    staged: &ReadTable,
    merged: &ReadTable,
    low: &[u8],
    high: &[u8],
) -> Result<Option<Entry>, StorageError> {
    let last = |table: &ReadTable| -> Result<Option<Entry>, StorageError> {
        match table.range(low..=high).map_err(db_err)?.next_back() {
            Some(entry) => {
                let (key, value) = entry.map_err(db_err)?;
                Ok(Some((key.value().to_vec(), value.value().to_vec())))
            }
            None => Ok(None),
        }
    };
    Ok(match (last(staged)?, last(merged)?) {
        (Some(new), Some(old)) => Some(if new.0 >= old.0 { new } else { old }),
        (new, old) => new.or(old),
    })
}

/// Moves every staged entry into the table it belongs to, in key order, and empties the
/// staging table, inside the commit's transaction.
fn merge_into(
    txn: &redb::WriteTransaction,
    staged: TableDefinition<&[u8], &[u8]>,
    merged: TableDefinition<&[u8], &[u8]>,
) -> Result<(), StorageError> {
    {
        let from = txn.open_table(staged).map_err(db_err)?;
        let mut to = txn.open_table(merged).map_err(db_err)?;
        for entry in from.iter().map_err(db_err)? {
            let (key, value) = entry.map_err(db_err)?;
            to.insert(key.value(), value.value()).map_err(db_err)?;
        }
    }
    txn.delete_table(staged).map_err(db_err)?;
    txn.open_table(staged).map_err(db_err)?;
    Ok(())
}

impl StateRead for Snapshot {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        let key_hash = KeyHash::with::<sha2::Sha256>(key).0;
        match self.value_at(key_hash, self.version) {
            Ok(value) => value,
            Err(e) => panic!("state read failed at version {}: {e}", self.version),
        }
    }
}

impl TreeReader for Snapshot {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = node_key_bytes(node_key);
        match self.nodes.get(key.as_slice())? {
            Some(bytes) => Ok(Some(Node::try_from_slice(bytes.value())?)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self.value_at(key_hash.0, max_version)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only tree restoration (state sync) needs this, and Sheaf does not restore trees.
        Err(anyhow::anyhow!(
            "get_rightmost_leaf is only used by state sync, which is not supported"
        ))
    }
}

/// A snapshot that remembers the tree nodes it has decoded. Updating thousands of keys walks the
/// same upper nodes thousands of times; this turns all but the first walk into map lookups.
struct MemoizedReader {
    snapshot: Snapshot,
    nodes: std::cell::RefCell<alloy_primitives::map::HashMap<NodeKey, Option<Node>>>,
}

impl MemoizedReader {
    /// Makes an uncommitted update at `version` read as the tree at `version - 1`, so that a
    /// second pass at `version` starts from the tree the first one left.
    fn lay_over(&self, pending: &NodeBatch, version: Version) {
        let mut memo = self.nodes.borrow_mut();
        for (key, node) in pending.nodes() {
            if key.nibble_path().is_empty() {
                let previous_root = NodeKey::new(version - 1, key.nibble_path().clone());
                memo.insert(previous_root, Some(node.clone()));
            }
            memo.insert(key.clone(), Some(node.clone()));
        }
    }
}

impl TreeReader for MemoizedReader {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        if let Some(node) = self.nodes.borrow().get(node_key) {
            return Ok(node.clone());
        }
        let node = self.snapshot.get_node_option(node_key)?;
        self.nodes
            .borrow_mut()
            .insert(node_key.clone(), node.clone());
        Ok(node)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.snapshot.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.snapshot.get_rightmost_leaf()
    }
}

/// Applies one block's changes to the tree at `version - 1` and returns the new root with the
/// nodes and values to write.
///
/// A block that only writes (nearly every block: balances, nonces, reserves) goes through
/// [`tree::write_batch`], which builds the nodes jmt's batch update would, without jmt's caches.
///
/// jmt's `put_value_set` inserts keys one by one and rehashes every internal node on a key's path
/// for each key, which for thousands of keys is most of a block's time. `batch_put_value_sets`
/// builds each touched node once, but it takes no deletions. So deletions of keys that exist go
/// first through `put_value_set` (a block has few), and the writes are then batched on top of
/// that result. A JMT's shape depends only on its key set, so the root is the one a single
/// `put_value_set` of all the changes would give (checked by `batched_roots_match_one_by_one`).
fn update_tree(
    reader: &MemoizedReader,
    version: Version,
    changes: &Changes,
) -> Result<PreparedCommit, StorageError> {
    let tree_err = |e: anyhow::Error| StorageError::Tree(e.to_string());
    let mut writes = Vec::with_capacity(changes.len());
    let mut deletions = Vec::new();
    for (key, value) in changes {
        let key_hash = KeyHash::with::<sha2::Sha256>(key);
        match value {
            Some(value) => writes.push((key_hash, value.clone())),
            // Deleting a key the tree does not hold changes nothing, so such deletions (a key
            // written and removed within the block, a zero balance that was already zero) are
            // dropped before they can force the slow path.
            None => {
                let held = version > 0
                    && reader
                        .get_value_option(version - 1, key_hash)
                        .map_err(tree_err)?
                        .is_some();
                if held {
                    deletions.push((key_hash, None));
                }
            }
        }
    }

    if deletions.is_empty() && !writes.is_empty() && version > 0 {
        // Sorted once by key hash: the order the batch walks the tree in and the order the
        // values table is keyed in.
        writes.sort_unstable_by_key(|(key_hash, _)| key_hash.0);
        let hashed: Vec<([u8; 32], [u8; 32])> = writes
            .iter()
            .map(|(key_hash, value)| {
                (
                    key_hash.0,
                    <sha2::Sha256 as sha2::Digest>::digest(value).into(),
                )
            })
            .collect();
        let (root, nodes) = tree::write_batch(&reader.snapshot, version, &hashed)?;
        let values = writes
            .into_iter()
            .map(|(key_hash, value)| (key_hash.0, Some(value)))
            .collect();
        return Ok(PreparedCommit {
            version,
            root,
            nodes,
            values,
        });
    }

    if writes.is_empty() || version == 0 {
        // Nothing to batch (an empty block still needs its root at this version, which
        // `put_value_set` provides), or genesis, where there is nothing to delete.
        let all = deletions
            .into_iter()
            .chain(writes.into_iter().map(|(k, v)| (k, Some(v))));
        let (root, batch) = Sha256Jmt::new(reader)
            .put_value_set(all, version)
            .map_err(tree_err)?;
        return PreparedCommit::from_jmt(version, root.0, &batch.node_batch);
    }

    let after_deletions = if deletions.is_empty() {
        None
    } else {
        let (_, batch) = Sha256Jmt::new(reader)
            .put_value_set(deletions, version)
            .map_err(tree_err)?;
        reader.lay_over(&batch.node_batch, version);
        Some(batch.node_batch)
    };
    let (roots, batch) = Sha256Jmt::new(reader)
        .batch_put_value_sets(vec![writes], None, version)
        .map_err(tree_err)?;
    let root = roots
        .first()
        .ok_or_else(|| StorageError::Tree("batch update returned no root".into()))?
        .0;
    match after_deletions {
        Some(mut nodes) => {
            // Nodes the batch rebuilt replace the deletion pass's nodes at the same keys.
            nodes.merge(batch.node_batch);
            PreparedCommit::from_jmt(version, root, &nodes)
        }
        None => PreparedCommit::from_jmt(version, root, &batch.node_batch),
    }
}

/// Every distinct key hash in the values tables, in order.
fn stored_key_hashes(db: &Database) -> Result<Vec<[u8; 32]>, StorageError> {
    let txn = db.begin_read().map_err(db_err)?;
    let mut hashes: Vec<[u8; 32]> = Vec::new();
    for table in [VALUES, VALUES_NEW] {
        let values = txn.open_table(table).map_err(db_err)?;
        for entry in values.iter().map_err(db_err)? {
            let (key, _) = entry.map_err(db_err)?;
            let key_hash: [u8; 32] = key.value()[..32].try_into().map_err(db_err)?;
            // Versions of one key are adjacent.
            if hashes.last() != Some(&key_hash) {
                hashes.push(key_hash);
            }
        }
    }
    hashes.sort_unstable();
    hashes.dedup();
    Ok(hashes)
}

pub(crate) fn node_key_bytes(node_key: &NodeKey) -> Vec<u8> {
    let mut key = node_key.version().to_be_bytes().to_vec();
    // borsh of a NodeKey cannot fail: it is plain bytes and integers.
    key.extend(borsh::to_vec(node_key).unwrap_or_default());
    key
}

fn value_key(key_hash: [u8; 32], version: u64) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(&key_hash);
    key[32..].copy_from_slice(&version.to_be_bytes());
    key
}

fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(1);
            out.extend_from_slice(v);
            out
        }
        None => vec![0],
    }
}

fn decode_value(stored: &[u8]) -> Option<Vec<u8>> {
    match stored.split_first() {
        Some((1, value)) => Some(value.to_vec()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Delta, StateWrite};

    fn commit(storage: &Storage, version: u64, changes: &Changes) -> [u8; 32] {
        let prepared = storage.prepare(version, changes).expect("prepare");
        let root = prepared.root;
        storage.commit(prepared, vec![]).expect("commit");
        root
    }

    #[test]
    fn versions_stay_readable_and_roots_match() {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(&dir.path().join("db")).expect("open");
        let mut v0 = Changes::new();
        v0.insert(b"alice".to_vec(), Some(b"10".to_vec()));
        v0.insert(b"bob".to_vec(), Some(b"5".to_vec()));
        let root0 = commit(&storage, 0, &v0);

        let snapshot = storage.snapshot(0).expect("snapshot");
        let mut block = Delta::new(&snapshot);
        block.put_raw(b"alice".to_vec(), b"7".to_vec());
        block.delete(b"bob".to_vec());
        let root1 = commit(&storage, 1, block.changes());
        assert_ne!(root0, root1);

        let old = storage.snapshot(0).expect("snapshot");
        let new = storage.snapshot(1).expect("snapshot");
        assert_eq!(old.get_raw(b"alice"), Some(b"10".to_vec()));
        assert_eq!(old.get_raw(b"bob"), Some(b"5".to_vec()));
        assert_eq!(new.get_raw(b"alice"), Some(b"7".to_vec()));
        assert_eq!(new.get_raw(b"bob"), None);
        assert_eq!(storage.latest().expect("latest"), Some((1, root1)));
        assert_eq!(storage.root_at(0).expect("root"), root0);
        assert_eq!(storage.root_at(1).expect("root"), root1);
    }

    /// The filter of written keys is rebuilt from the store when it reopens and when it fills
    /// up; through both, a key written at any version reads as stored, at every version.
    #[test]
    fn keys_read_right_through_reopening_and_a_growing_filter() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let key = |i: u32| format!("key-{i}").into_bytes();
        {
            let storage = Storage::open(&path).expect("open");
            let mut v0 = Changes::new();
            v0.insert(key(0), Some(b"first".to_vec()));
            commit(&storage, 0, &v0);
            let mut v1 = Changes::new();
            v1.insert(key(0), None);
            commit(&storage, 1, &v1);
        }
        let storage = Storage::open(&path).expect("reopen");
        assert_eq!(
            storage.snapshot(0).expect("v0").get_raw(&key(0)),
            Some(b"first".to_vec())
        );
        assert_eq!(storage.snapshot(1).expect("v1").get_raw(&key(0)), None);

        // More keys than the smallest filter plans for, so it is rebuilt larger on commit.
        let many = 70_000;
        let mut v2 = Changes::new();
        for i in 1..=many {
            v2.insert(key(i), Some(i.to_be_bytes().to_vec()));
        }
        commit(&storage, 2, &v2);
        let mut v3 = Changes::new();
        v3.insert(key(many + 1), Some(b"after".to_vec()));
        commit(&storage, 3, &v3);
        let latest = storage.snapshot(3).expect("v3");
        for i in (1..=many).step_by(97) {
            assert_eq!(
                latest.get_raw(&key(i)),
                Some(i.to_be_bytes().to_vec()),
                "key {i}"
            );
        }
        assert_eq!(latest.get_raw(&key(many + 1)), Some(b"after".to_vec()));
        assert_eq!(latest.get_raw(&key(many + 2)), None);
        assert_eq!(
            storage.snapshot(0).expect("v0").get_raw(&key(0)),
            Some(b"first".to_vec())
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Across merges of the staged values and records into the big tables (every 40
        /// entries in tests), and across reopening, every version reads what was written up
        /// to it, and every record reads its latest write.
        #[test]
        fn staged_writes_read_the_same_before_and_after_merging(
            blocks in proptest::collection::vec(
                proptest::collection::vec((0u8..30, proptest::option::of(0u8..5)), 1..25),
                1..12,
            )
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("db");
            let mut storage = Storage::open(&path).expect("open");
            let mut model: Vec<std::collections::BTreeMap<Vec<u8>, Vec<u8>>> = vec![];
            let mut records = std::collections::BTreeMap::new();
            for (version, block) in blocks.iter().enumerate() {
                let mut state = model.last().cloned().unwrap_or_default();
                let mut changes = Changes::new();
                let mut aux = vec![];
                for (key, value) in block {
                    let key = vec![*key];
                    match value {
                        Some(v) => {
                            state.insert(key.clone(), vec![*v]);
                            changes.insert(key.clone(), Some(vec![*v]));
                        }
                        None => {
                            state.remove(&key);
                            changes.insert(key.clone(), None);
                        }
                    }
                    let record = (key[0] % 7, version as u8);
                    records.insert(vec![record.0], vec![record.1]);
                    aux.push(AuxWrite {
                        key: vec![record.0],
                        value: vec![record.1],
                        // A key is always written the same way, staged or not.
                        scattered: record.0 % 2 == 0,
                    });
                }
                model.push(state);
                let prepared = storage.prepare(version as u64, &changes).expect("prepare");
                storage.commit(prepared, aux).expect("commit");
                if version % 4 == 3 {
                    drop(storage);
                    storage = Storage::open(&path).expect("reopen");
                }
            }
            for (version, expected) in model.iter().enumerate() {
                let snapshot = storage.snapshot(version as u64).expect("snapshot");
                for key in 0u8..32 {
                    proptest::prop_assert_eq!(
                        snapshot.get_raw(&[key]),
                        expected.get(&vec![key]).cloned(),
                        "key {} at version {}", key, version
                    );
                }
            }
            for key in 0u8..8 {
                proptest::prop_assert_eq!(storage.aux_get(&[key]).expect("aux"), records.get(&vec![key]).cloned());
            }
            let last = records.iter().next_back().map(|(_, v)| v.clone());
            proptest::prop_assert_eq!(storage.aux_floor(&[0], &[7]).expect("floor"), last);
        }
    }

    #[test]
    fn same_state_same_root_whatever_the_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Storage::open(&dir.path().join("a")).expect("open");
        let b = Storage::open(&dir.path().join("b")).expect("open");
        let mut direct = Changes::new();
        direct.insert(b"k".to_vec(), Some(b"v".to_vec()));
        let root_a = commit(&a, 0, &direct);

        let mut detour = Changes::new();
        detour.insert(b"k".to_vec(), Some(b"v".to_vec()));
        detour.insert(b"tmp".to_vec(), Some(b"x".to_vec()));
        commit(&b, 0, &detour);
        let mut cleanup = Changes::new();
        cleanup.insert(b"tmp".to_vec(), None);
        let root_b = commit(&b, 1, &cleanup);
        assert_eq!(root_a, root_b);
    }

    /// jmt's one-key-at-a-time update, which the batched path must agree with.
    fn commit_one_by_one(storage: &Storage, version: u64, changes: &Changes) -> [u8; 32] {
        let snapshot = storage
            .snapshot(version.saturating_sub(1))
            .expect("snapshot");
        let updates = changes
            .iter()
            .map(|(key, value)| (KeyHash::with::<sha2::Sha256>(key), value.clone()));
        let (root, batch) = Sha256Jmt::new(&snapshot)
            .put_value_set(updates, version)
            .expect("put_value_set");
        let prepared =
            PreparedCommit::from_jmt(version, root.0, &batch.node_batch).expect("encode");
        storage.commit(prepared, vec![]).expect("commit");
        root.0
    }

    fn block_strategy() -> impl proptest::strategy::Strategy<Value = Changes> {
        use proptest::prelude::*;
        // A small key space so that blocks overwrite and delete each other's keys; values of
        // one byte so that a write sometimes stores what was already there.
        proptest::collection::btree_map(
            (0u8..48).prop_map(|k| vec![b'k', k]),
            proptest::option::weighted(0.7, (0u8..4).prop_map(|v| vec![v])),
            0..24,
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn batched_roots_match_one_by_one(
            blocks in proptest::collection::vec(block_strategy(), 1..8)
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let batched = Storage::open(&dir.path().join("batched")).expect("open");
            let reference = Storage::open(&dir.path().join("reference")).expect("open");
            for (version, changes) in blocks.iter().enumerate() {
                let version = version as u64;
                proptest::prop_assert_eq!(
                    commit(&batched, version, changes),
                    commit_one_by_one(&reference, version, changes),
                    "roots differ at version {}", version
                );
                let (a, b) = (
                    batched.snapshot(version).expect("snapshot"),
                    reference.snapshot(version).expect("snapshot"),
                );
                for key in 0u8..48 {
                    let key = [b'k', key];
                    proptest::prop_assert_eq!(a.get_raw(&key), b.get_raw(&key));
                }
                proptest::prop_assert_eq!(batched.root_at(version).expect("root"), reference.root_at(version).expect("root"));
            }
        }
    }

    /// jmt's own batch update of a block that only writes, in the form the store writes.
    fn jmt_batch(storage: &Storage, version: u64, changes: &Changes) -> PreparedCommit {
        let reader = MemoizedReader {
            snapshot: storage.snapshot(version - 1).expect("snapshot"),
            nodes: Default::default(),
        };
        let writes = changes
            .iter()
            .map(|(key, value)| {
                let value = value.clone().expect("writes only");
                (KeyHash::with::<sha2::Sha256>(key), value)
            })
            .collect();
        let (roots, batch) = Sha256Jmt::new(&reader)
            .batch_put_value_sets(vec![writes], None, version)
            .expect("jmt batch");
        PreparedCommit::from_jmt(version, roots[0].0, &batch.node_batch).expect("encode")
    }

    fn writes_strategy() -> impl proptest::strategy::Strategy<Value = Changes> {
        use proptest::prelude::*;
        // Enough keys for trees four or five nibbles deep, where new keys split existing leaves
        // and land beside them; values of one byte so that a write can store what was there.
        proptest::collection::btree_map(
            (0u32..20_000).prop_map(|k| k.to_be_bytes().to_vec()),
            (0u8..3).prop_map(|v| Some(vec![v])),
            1..400,
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// The batch path writes node for node, byte for byte, what jmt's batch update writes,
        /// and jmt proves values against the tree it built.
        #[test]
        fn write_batches_are_jmts_nodes_and_prove_through_jmt(
            blocks in proptest::collection::vec(writes_strategy(), 2..6)
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let storage = Storage::open(&dir.path().join("db")).expect("open");
            commit(&storage, 0, &blocks[0]);
            for (version, changes) in blocks.iter().enumerate().skip(1) {
                let version = version as u64;
                let mut ours = storage.prepare(version, changes).expect("prepare");
                let mut theirs = jmt_batch(&storage, version, changes);
                proptest::prop_assert_eq!(ours.root, theirs.root);
                // The commit appends them in this order; out of order costs pages, not results.
                proptest::prop_assert!(
                    ours.nodes.is_sorted_by(|a, b| a.0 < b.0),
                    "the batch path's nodes are not in store-key order"
                );
                for batch in [&mut ours, &mut theirs] {
                    batch.nodes.sort();
                    batch.values.sort();
                }
                proptest::prop_assert_eq!(&ours.nodes, &theirs.nodes);
                proptest::prop_assert_eq!(&ours.values, &theirs.values);
                let root = ours.root;
                storage.commit(ours, vec![]).expect("commit");

                let snapshot = storage.snapshot(version).expect("snapshot");
                let tree = Sha256Jmt::new(&snapshot);
                for key in changes.keys().take(20).chain([b"absent".to_vec()].iter()) {
                    let key_hash = KeyHash::with::<sha2::Sha256>(key);
                    let (value, proof) = tree.get_with_proof(key_hash, version).expect("proof");
                    proptest::prop_assert_eq!(&value, &snapshot.get_raw(key));
                    proptest::prop_assert!(proof.verify(RootHash(root), key_hash, value).is_ok());
                }
            }
        }
    }

    /// The batch path starting from the smallest trees: a single leaf at the root, and an empty
    /// tree after every key was deleted.
    #[test]
    fn write_batches_grow_a_lone_leaf_and_an_emptied_tree_as_jmt_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = Storage::open(&dir.path().join("ours")).expect("open");
        let reference = Storage::open(&dir.path().join("reference")).expect("open");
        let write = |keys: &[&[u8]]| -> Changes {
            keys.iter()
                .map(|k| (k.to_vec(), Some(b"v".to_vec())))
                .collect()
        };
        let blocks = [
            write(&[b"alone"]),
            // Splits the root leaf: the old leaf moves under a new internal root.
            write(&[b"second", b"third"]),
            Changes::from([
                (b"alone".to_vec(), None),
                (b"second".to_vec(), None),
                (b"third".to_vec(), None),
            ]),
            // On top of the empty (null) root left by deleting everything.
            write(&[b"again", b"more"]),
            // A lone leaf updated in place.
            write(&[b"again"]),
        ];
        for (version, changes) in blocks.iter().enumerate() {
            let version = version as u64;
            assert_eq!(
                commit(&ours, version, changes),
                commit_one_by_one(&reference, version, changes),
                "roots differ at version {version}"
            );
        }
        let snapshot = ours.snapshot(4).expect("snapshot");
        assert_eq!(snapshot.get_raw(b"again"), Some(b"v".to_vec()));
        assert_eq!(snapshot.get_raw(b"alone"), None);
    }

    #[test]
    fn out_of_order_commit_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(&dir.path().join("db")).expect("open");
        let changes = Changes::from([(b"k".to_vec(), Some(b"v".to_vec()))]);
        assert!(matches!(
            storage.prepare(3, &changes),
            Err(StorageError::OutOfOrder {
                expected: 0,
                found: 3
            })
        ));
    }
}
