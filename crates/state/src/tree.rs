//! A block's writes applied to the Jellyfish Merkle tree in one pass, producing the very nodes
//! jmt 0.12's `batch_put_value_sets` would, already in the bytes the store keeps.
//!
//! jmt builds the same nodes through a general cache: every node goes through SipHash maps and
//! a `BTreeMap`, is cloned into and out of them, and is serialized again at commit. For a block
//! of thousands of transfers that bookkeeping costs more than the hashing. Here each touched
//! node is read once, hashed once and encoded once.
//!
//! Only writes take this path. A block that deletes keys goes through jmt (deletions can
//! collapse subtrees, which jmt handles), so this module never has to remove a node.
//!
//! The formats are jmt 0.12's, so jmt keeps reading what this writes (roots, proofs):
//! - hashes (`src/types/proof.rs`, `src/node_type.rs`): a leaf is
//!   `sha256("JMT::LeafNode" ‖ key hash ‖ value hash)`; an internal node is a four-level binary
//!   Merkle tree over its sixteen slots, `sha256("JMT::IntrnalNode" ‖ left ‖ right)` at each
//!   level, where an empty range is the placeholder `"SPARSE_MERKLE_PLACEHOLDER_HASH__"` and a
//!   range holding a single leaf is that leaf's hash;
//! - nodes are borsh-encoded `jmt::storage::Node` values, checked against jmt's own encoding by
//!   the tests below.

use sha2::{Digest, Sha256};

use crate::storage::{Snapshot, StorageError};

const LEAF_DOMAIN: &[u8] = b"JMT::LeafNode";
const INTERNAL_DOMAIN: &[u8] = b"JMT::IntrnalNode";
const PLACEHOLDER: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// borsh variant indexes of `jmt::storage::Node` and of jmt's `NodeType`.
const NODE_NULL: u8 = 0;
const NODE_INTERNAL: u8 = 1;
const NODE_LEAF: u8 = 2;
const CHILD_LEAF: u8 = 0;
const CHILD_INTERNAL: u8 = 1;

/// A slot of an internal node: the child's hash, the version it was written at (which with the
/// slot's path names it in the store), and how many leaves it holds (`None` for a leaf).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Child {
    hash: [u8; 32],
    version: u64,
    leaf_count: Option<u64>,
}

impl Child {
    fn leaves(&self) -> u64 {
        self.leaf_count.unwrap_or(1)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Node {
    Null,
    Leaf {
        key_hash: [u8; 32],
        value_hash: [u8; 32],
    },
    Internal(Box<[Option<Child>; 16]>),
}

/// A position in the tree: up to 64 nibbles, two per byte, high half first, as jmt's
/// `NibblePath` stores them.
#[derive(Clone, Copy)]
struct Path {
    bytes: [u8; 32],
    len: usize,
}

impl Path {
    const ROOT: Path = Path {
        bytes: [0; 32],
        len: 0,
    };

    fn child(&self, nibble: u8) -> Path {
        let mut next = *self;
        let byte = &mut next.bytes[self.len / 2];
        *byte |= if self.len.is_multiple_of(2) {
            nibble << 4
        } else {
            nibble
        };
        next.len += 1;
        next
    }

    /// The store's key for the node at this path written at `version`:
    /// `version (BE) ‖ borsh(NodeKey)`, where borsh writes the version (LE), the nibble count
    /// (u64 LE) and the path bytes (u32 LE length, then the bytes).
    pub(crate) fn node_key(&self, version: u64) -> Vec<u8> {
        let path_bytes = &self.bytes[..self.len.div_ceil(2)];
        let mut key = Vec::with_capacity(28 + path_bytes.len());
        key.extend_from_slice(&version.to_be_bytes());
        key.extend_from_slice(&version.to_le_bytes());
        key.extend_from_slice(&(self.len as u64).to_le_bytes());
        key.extend_from_slice(&(path_bytes.len() as u32).to_le_bytes());
        key.extend_from_slice(path_bytes);
        key
    }
}

fn nibble(key_hash: &[u8; 32], depth: usize) -> u8 {
    let byte = key_hash[depth / 2];
    if depth.is_multiple_of(2) {
        byte >> 4
    } else {
        byte & 0x0f
    }
}

fn leaf_hash(key_hash: &[u8; 32], value_hash: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(LEAF_DOMAIN);
    hasher.update(key_hash);
    hasher.update(value_hash);
    hasher.finalize().into()
}

fn internal_hash(children: &[Option<Child>; 16]) -> [u8; 32] {
    let (mut exists, mut leaves) = (0u16, 0u16);
    for (slot, child) in children.iter().enumerate() {
        if let Some(child) = child {
            exists |= 1 << slot;
            if child.leaf_count.is_none() {
                leaves |= 1 << slot;
            }
        }
    }
    range_hash(children, 0, 16, exists, leaves)
}

/// The hash of slots `start..start + width` as jmt's `InternalNode::merkle_hash` defines it.
fn range_hash(
    children: &[Option<Child>; 16],
    start: u32,
    width: u32,
    exists: u16,
    leaves: u16,
) -> [u8; 32] {
    let mask = (((1u32 << width) - 1) << start) as u16;
    let (in_range, leaves_in_range) = (exists & mask, leaves & mask);
    if in_range == 0 {
        return PLACEHOLDER;
    }
    if width == 1 || (in_range.count_ones() == 1 && leaves_in_range != 0) {
        let slot = in_range.trailing_zeros() as usize;
        return children[slot].map(|c| c.hash).unwrap_or(PLACEHOLDER);
    }
    let half = width / 2;
    let mut hasher = Sha256::new();
    hasher.update(INTERNAL_DOMAIN);
    hasher.update(range_hash(children, start, half, exists, leaves));
    hasher.update(range_hash(children, start + half, half, exists, leaves));
    hasher.finalize().into()
}

fn encode_leaf(key_hash: &[u8; 32], value_hash: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(65);
    out.push(NODE_LEAF);
    out.extend_from_slice(key_hash);
    out.extend_from_slice(value_hash);
    out
}

fn encode_internal(children: &[Option<Child>; 16], leaf_count: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 16 * 50 + 16);
    out.push(NODE_INTERNAL);
    let mut count = 0u64;
    for child in children {
        match child {
            None => out.push(0),
            Some(child) => {
                count += 1;
                out.push(1);
                out.extend_from_slice(&child.hash);
                out.extend_from_slice(&child.version.to_le_bytes());
                match child.leaf_count {
                    None => out.push(CHILD_LEAF),
                    Some(leaves) => {
                        out.push(CHILD_INTERNAL);
                        out.extend_from_slice(&leaves.to_le_bytes());
                    }
                }
            }
        }
    }
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&leaf_count.to_le_bytes());
    out
}

fn decode_node(bytes: &[u8]) -> Result<Node, StorageError> {
    let corrupt = || StorageError::Tree("corrupt tree node".into());
    let mut reader = Reader(bytes);
    let node = match reader.byte().ok_or_else(corrupt)? {
        NODE_NULL => Node::Null,
        NODE_LEAF => Node::Leaf {
            key_hash: reader.hash().ok_or_else(corrupt)?,
            value_hash: reader.hash().ok_or_else(corrupt)?,
        },
        NODE_INTERNAL => {
            let mut children = Box::new([None; 16]);
            for slot in children.iter_mut() {
                if reader.byte().ok_or_else(corrupt)? == 1 {
                    let hash = reader.hash().ok_or_else(corrupt)?;
                    let version = reader.u64().ok_or_else(corrupt)?;
                    let leaf_count = match reader.byte().ok_or_else(corrupt)? {
                        CHILD_LEAF => None,
                        CHILD_INTERNAL => Some(reader.u64().ok_or_else(corrupt)?),
                        _ => return Err(corrupt()),
                    };
                    *slot = Some(Child {
                        hash,
                        version,
                        leaf_count,
                    });
                }
            }
            // The child and leaf counts follow; they are implied by the children.
            reader.u64().ok_or_else(corrupt)?;
            reader.u64().ok_or_else(corrupt)?;
            Node::Internal(children)
        }
        _ => return Err(corrupt()),
    };
    if reader.0.is_empty() {
        Ok(node)
    } else {
        Err(corrupt())
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn byte(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }
    fn hash(&mut self) -> Option<[u8; 32]> {
        self.take::<32>()
    }
    fn u64(&mut self) -> Option<u64> {
        self.take::<8>().map(u64::from_le_bytes)
    }
}

/// The nodes a batch writes, as `(store key, encoded node)`.
pub(crate) type EncodedNodes = Vec<(Vec<u8>, Vec<u8>)>;

/// Applies `writes` (key hash and value hash, sorted by key hash, no repeats, at least one) to
/// the tree committed at `version - 1` and returns the new root hash and the nodes of `version`,
/// in store-key order.
pub(crate) fn write_batch(
    snapshot: &Snapshot,
    version: u64,
    writes: &[([u8; 32], [u8; 32])],
) -> Result<([u8; 32], EncodedNodes), StorageError> {
    debug_assert!(writes.windows(2).all(|w| w[0].0 < w[1].0));
    let previous = version
        .checked_sub(1)
        .ok_or_else(|| StorageError::Tree("the batch path starts after genesis".into()))?;
    let mut builder = Builder {
        snapshot,
        version,
        by_depth: Vec::new(),
    };
    let root = builder.insert_at(previous, Path::ROOT, writes, 0)?;
    Ok((root.hash, builder.by_depth.into_iter().flatten().collect()))
}

struct Builder<'a> {
    snapshot: &'a Snapshot,
    version: u64,
    /// The nodes written, by depth. A node's store key orders by depth and then by path, and
    /// the walk visits each depth's paths in increasing order, so the depths laid end to end
    /// come out in key order: redb then appends to the table's last pages instead of splitting
    /// pages all over this version's range (a third fewer pages written).
    by_depth: Vec<EncodedNodes>,
}

impl Builder<'_> {
    fn load(&self, version: u64, path: &Path) -> Result<Node, StorageError> {
        let key = path.node_key(version);
        let stored = self
            .snapshot
            .nodes_table()
            .get(key.as_slice())
            .map_err(|e| StorageError::Db(e.to_string()))?;
        match stored {
            // Decoded where redb holds it, without copying the bytes out first.
            Some(bytes) => decode_node(bytes.value()),
            None => Err(StorageError::Tree(format!(
                "missing tree node at version {version}, depth {}",
                path.len
            ))),
        }
    }

    /// The subtree at `path`, stored at `version`, with `writes` applied.
    fn insert_at(
        &mut self,
        version: u64,
        path: Path,
        writes: &[([u8; 32], [u8; 32])],
        depth: usize,
    ) -> Result<Child, StorageError> {
        match self.load(version, &path)? {
            Node::Internal(existing) => {
                let mut children = *existing;
                for group in by_nibble(writes, depth) {
                    let slot = nibble(&group[0].0, depth);
                    let child_path = path.child(slot);
                    let updated = match existing[slot as usize] {
                        Some(child) => {
                            self.insert_at(child.version, child_path, group, depth + 1)?
                        }
                        None => self.create_subtree(child_path, group, depth + 1),
                    };
                    children[slot as usize] = Some(updated);
                }
                Ok(self.put_internal(&path, &children))
            }
            Node::Leaf {
                key_hash,
                value_hash,
            } => Ok(self.merge_with_leaf(path, (key_hash, value_hash), writes, depth)),
            Node::Null if path.len == 0 => Ok(self.create_subtree(path, writes, depth)),
            Node::Null => Err(StorageError::Tree("null node below the root".into())),
        }
    }

    /// The subtree at `path` holding only `existing` (a leaf that sat here) and `writes`.
    fn merge_with_leaf(
        &mut self,
        path: Path,
        existing: ([u8; 32], [u8; 32]),
        writes: &[([u8; 32], [u8; 32])],
        depth: usize,
    ) -> Child {
        if let [(key_hash, value_hash)] = writes
            && *key_hash == existing.0
        {
            return self.put_leaf(&path, key_hash, value_hash);
        }
        let existing_slot = nibble(&existing.0, depth);
        let mut children = [None; 16];
        // Unless a write shares its slot, the leaf moves one level down; its position is part
        // of its key, so it is written again, in slot order with the new subtrees. Groups come
        // in slot order, so once one lies past the leaf's slot, an empty slot means no write
        // shares it.
        for group in by_nibble(writes, depth) {
            let slot = nibble(&group[0].0, depth);
            if slot > existing_slot && children[existing_slot as usize].is_none() {
                children[existing_slot as usize] =
                    Some(self.put_leaf(&path.child(existing_slot), &existing.0, &existing.1));
            }
            let child_path = path.child(slot);
            children[slot as usize] = Some(if slot == existing_slot {
                self.merge_with_leaf(child_path, existing, group, depth + 1)
            } else {
                self.create_subtree(child_path, group, depth + 1)
            });
        }
        if children[existing_slot as usize].is_none() {
            children[existing_slot as usize] =
                Some(self.put_leaf(&path.child(existing_slot), &existing.0, &existing.1));
        }
        self.put_internal(&path, &children)
    }

    /// A subtree at an empty position holding only `writes`.
    fn create_subtree(
        &mut self,
        path: Path,
        writes: &[([u8; 32], [u8; 32])],
        depth: usize,
    ) -> Child {
        if let [(key_hash, value_hash)] = writes {
            return self.put_leaf(&path, key_hash, value_hash);
        }
        let mut children = [None; 16];
        for group in by_nibble(writes, depth) {
            let slot = nibble(&group[0].0, depth);
            children[slot as usize] = Some(self.create_subtree(path.child(slot), group, depth + 1));
        }
        self.put_internal(&path, &children)
    }

    fn push(&mut self, path: &Path, encoded: Vec<u8>) {
        if self.by_depth.len() <= path.len {
            self.by_depth.resize_with(path.len + 1, Vec::new);
        }
        self.by_depth[path.len].push((path.node_key(self.version), encoded));
    }

    fn put_leaf(&mut self, path: &Path, key_hash: &[u8; 32], value_hash: &[u8; 32]) -> Child {
        self.push(path, encode_leaf(key_hash, value_hash));
        Child {
            hash: leaf_hash(key_hash, value_hash),
            version: self.version,
            leaf_count: None,
        }
    }

    fn put_internal(&mut self, path: &Path, children: &[Option<Child>; 16]) -> Child {
        let leaf_count = children.iter().flatten().map(Child::leaves).sum();
        self.push(path, encode_internal(children, leaf_count));
        Child {
            hash: internal_hash(children),
            version: self.version,
            leaf_count: Some(leaf_count),
        }
    }
}

/// Splits writes sorted by key hash into the runs that share the nibble at `depth`.
fn by_nibble(
    writes: &[([u8; 32], [u8; 32])],
    depth: usize,
) -> impl Iterator<Item = &[([u8; 32], [u8; 32])]> {
    writes.chunk_by(move |a, b| nibble(&a.0, depth) == nibble(&b.0, depth))
}

#[cfg(test)]
mod tests {
    use jmt::storage::{Node as JmtNode, NodeKey};

    use super::*;

    #[test]
    fn node_keys_are_the_stores_encoding_of_jmts_node_keys() {
        use borsh::BorshDeserialize;
        let mut path = Path::ROOT;
        for (depth, nibble) in [0xa, 0x3, 0xf, 0x0, 0x7, 0x1].into_iter().enumerate() {
            for version in [0, 1, 258, u64::MAX] {
                let key = path.node_key(version);
                let node_key = NodeKey::try_from_slice(&key[8..]).expect("jmt reads the key");
                assert_eq!(node_key.version(), version);
                assert_eq!(node_key.nibble_path().num_nibbles(), depth);
                let nibbles: Vec<u8> = node_key.nibble_path().nibbles().map(u8::from).collect();
                assert_eq!(nibbles, [0xa, 0x3, 0xf, 0x0, 0x7, 0x1][..depth]);
                assert_eq!(crate::storage::node_key_bytes(&node_key), key);
            }
            path = path.child(nibble);
        }
    }

    #[test]
    fn encoded_nodes_read_back_through_jmt_and_hash_as_jmt_hashes_them() {
        use borsh::BorshDeserialize;
        let leaf = encode_leaf(&[7; 32], &[9; 32]);
        let jmt_leaf = JmtNode::try_from_slice(&leaf).expect("jmt reads the leaf");
        assert_eq!(borsh::to_vec(&jmt_leaf).expect("encode"), leaf);
        let JmtNode::Leaf(jmt_leaf) = jmt_leaf else {
            panic!("not a leaf")
        };
        assert_eq!(jmt_leaf.hash::<Sha256>(), leaf_hash(&[7; 32], &[9; 32]));

        // Slots chosen so that the binary levels hit every rule: a lone leaf pushed up, an
        // internal child that is not, empty ranges, and full pairs.
        let mut children = [None; 16];
        for (slot, leaf_count) in [(0, None), (3, None), (8, None), (12, Some(5)), (13, None)] {
            children[slot] = Some(Child {
                hash: [slot as u8 + 1; 32],
                version: 40 + slot as u64,
                leaf_count,
            });
        }
        let leaves = children.iter().flatten().map(Child::leaves).sum();
        let internal = encode_internal(&children, leaves);
        let jmt_internal = JmtNode::try_from_slice(&internal).expect("jmt reads the node");
        assert_eq!(borsh::to_vec(&jmt_internal).expect("encode"), internal);
        let JmtNode::Internal(jmt_internal) = &jmt_internal else {
            panic!("not an internal node")
        };
        assert_eq!(jmt_internal.leaf_count(), 9);
        assert_eq!(jmt_internal.hash::<Sha256>(), internal_hash(&children));
        assert_eq!(
            decode_node(&internal).expect("decode"),
            Node::Internal(Box::new(children))
        );

        // A single internal child is not pushed up; a full node pairs every slot.
        let mut lone = [None; 16];
        lone[5] = children[12];
        let jmt_lone = JmtNode::try_from_slice(&encode_internal(&lone, 5)).expect("read");
        let JmtNode::Internal(jmt_lone) = jmt_lone else {
            panic!("not an internal node")
        };
        assert_eq!(jmt_lone.hash::<Sha256>(), internal_hash(&lone));
        let full: [Option<Child>; 16] = std::array::from_fn(|slot| {
            Some(Child {
                hash: [slot as u8; 32],
                version: 1,
                leaf_count: None,
            })
        });
        let JmtNode::Internal(jmt_full) =
            JmtNode::try_from_slice(&encode_internal(&full, 16)).expect("read")
        else {
            panic!("not an internal node")
        };
        assert_eq!(jmt_full.hash::<Sha256>(), internal_hash(&full));
    }

    #[test]
    fn corrupt_nodes_are_errors() {
        let leaf = encode_leaf(&[1; 32], &[2; 32]);
        assert!(decode_node(&leaf[..40]).is_err());
        let mut trailing = leaf.clone();
        trailing.push(0);
        assert!(decode_node(&trailing).is_err());
        assert!(decode_node(&[9]).is_err());
        assert!(decode_node(&[]).is_err());
        assert_eq!(decode_node(&[NODE_NULL]).expect("null"), Node::Null);
    }
}
