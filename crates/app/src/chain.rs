//! The Ethereum-shaped record of each committed block (header, transactions, receipts), written
//! atomically with the block's state and read back by RPC.

use alloy_consensus::{Eip658Value, Header, Receipt, ReceiptWithBloom, TxEnvelope};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bloom, Bytes, Log, U256};
use alloy_rlp::{BufMut, Decodable, Encodable, RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};
use sheaf_state::{AuxWrite, Storage, StorageError};

/// A transaction as executed in a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTx {
    pub hash: B256,
    pub sender: Address,
    #[serde(with = "as_2718")]
    pub envelope: TxEnvelope,
}

/// A transaction is stored as its signed EIP-2718 bytes: a block of thousands encodes and decodes
/// several times faster than with every field spelled out, and the bytes are canonical.
mod as_2718 {
    use alloy_consensus::TxEnvelope;
    use alloy_eips::eip2718::{Decodable2718, Encodable2718};
    use alloy_primitives::Bytes;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(
        envelope: &TxEnvelope,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        Bytes::from(envelope.encoded_2718()).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TxEnvelope, D::Error> {
        let bytes = Bytes::deserialize(deserializer)?;
        TxEnvelope::decode_2718(&mut bytes.as_ref()).map_err(D::Error::custom)
    }
}

impl From<sheaf_tx::SignedTx> for StoredTx {
    fn from(tx: sheaf_tx::SignedTx) -> Self {
        StoredTx {
            hash: tx.hash,
            sender: tx.sender,
            envelope: tx.envelope,
        }
    }
}

/// In a block record a transaction is the list `[hash, sender, EIP-2718 bytes]`.
impl Encodable for StoredTx {
    fn encode(&self, out: &mut dyn BufMut) {
        alloy_rlp::Header {
            list: true,
            payload_length: self.payload_length(),
        }
        .encode(out);
        self.hash.encode(out);
        self.sender.encode(out);
        self.raw_header().encode(out);
        self.envelope.encode_2718(out);
    }

    fn length(&self) -> usize {
        let payload_length = self.payload_length();
        alloy_rlp::length_of_length(payload_length) + payload_length
    }
}

impl StoredTx {
    fn raw_header(&self) -> alloy_rlp::Header {
        alloy_rlp::Header {
            list: false,
            payload_length: self.envelope.encode_2718_len(),
        }
    }

    fn payload_length(&self) -> usize {
        let raw = self.raw_header();
        self.hash.length() + self.sender.length() + raw.length() + raw.payload_length
    }
}

impl Decodable for StoredTx {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let mut payload = alloy_rlp::Header::decode_bytes(buf, true)?;
        let hash = B256::decode(&mut payload)?;
        let sender = Address::decode(&mut payload)?;
        let mut raw = alloy_rlp::Header::decode_bytes(&mut payload, false)?;
        let envelope = TxEnvelope::decode_2718(&mut raw)
            .map_err(|_| alloy_rlp::Error::Custom("invalid EIP-2718 transaction"))?;
        if !payload.is_empty() || !raw.is_empty() {
            return Err(alloy_rlp::Error::UnexpectedLength);
        }
        Ok(StoredTx {
            hash,
            sender,
            envelope,
        })
    }
}

/// Its receipt. Log indexes are block-wide, assigned when the block is sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, RlpEncodable, RlpDecodable)]
#[rlp(trailing)]
pub struct StoredReceipt {
    pub success: bool,
    pub gas_used: u64,
    pub cumulative_gas_used: u64,
    pub effective_gas_price: u128,
    pub logs: Vec<Log>,
    /// A reverted call's revert data; empty for a call that succeeded.
    #[serde(default)]
    pub output: Bytes,
    /// Why it reverted, for people (`sheaf query tx`); the status is what clients read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revert_reason: Option<String>,
}

impl StoredReceipt {
    pub fn bloom(&self) -> Bloom {
        alloy_primitives::logs_bloom(self.logs.iter())
    }

    /// The consensus receipt's EIP-2718 encoding; `bloom` is its logs' bloom, which the block
    /// has already computed for the header. It borrows the logs: copying them into an alloy
    /// `ReceiptEnvelope` was most of what a swap's receipt cost on its way into the trie.
    fn encoded_2718(&self, tx_type: u8, bloom: Bloom) -> Vec<u8> {
        let receipt = ReceiptWithBloom {
            receipt: Receipt {
                status: Eip658Value::Eip658(self.success),
                cumulative_gas_used: self.cumulative_gas_used,
                logs: self.logs.iter().collect::<Vec<&Log>>(),
            },
            logs_bloom: bloom,
        };
        let mut out = Vec::with_capacity(1 + receipt.length());
        // A legacy receipt is bare RLP; the only typed transactions Sheaf takes are EIP-1559.
        if tx_type != 0 {
            out.push(alloy_consensus::TxType::Eip1559 as u8);
        }
        receipt.encode(&mut out);
        out
    }
}

/// The keccak of every address and topic a block's logs put in blooms, computed once each. A
/// bloom costs one keccak per address and topic, and a block's logs repeat the same few: a swap's
/// four logs name the same pair, tokens, event signatures and sender again and again.
#[derive(Default)]
struct BloomHashes {
    addresses: alloy_primitives::map::HashMap<Address, B256>,
    topics: alloy_primitives::map::HashMap<B256, B256>,
}

impl BloomHashes {
    fn bloom(&mut self, logs: &[Log]) -> Bloom {
        use alloy_primitives::{BloomInput, keccak256};
        let mut bloom = Bloom::ZERO;
        for log in logs {
            let address = *self
                .addresses
                .entry(log.address)
                .or_insert_with(|| keccak256(log.address));
            bloom.accrue(BloomInput::Hash(address));
            for topic in log.topics() {
                let topic = *self
                    .topics
                    .entry(*topic)
                    .or_insert_with(|| keccak256(topic));
                bloom.accrue(BloomInput::Hash(topic));
            }
        }
        bloom
    }
}

/// A committed block's header and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, RlpEncodable, RlpDecodable)]
pub struct StoredHeader {
    pub hash: B256,
    pub header: Header,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, RlpEncodable, RlpDecodable)]
pub struct StoredBlock {
    pub hash: B256,
    pub header: Header,
    pub txs: Vec<StoredTx>,
    pub receipts: Vec<StoredReceipt>,
    /// Validator withdrawals paid at the end of the block (EIP-4895).
    #[serde(default)]
    pub withdrawals: Vec<alloy_eips::eip4895::Withdrawal>,
    /// Events the chain itself emitted outside any transaction (validator jailed, slashed,
    /// withdrawn), served by `sheaf_systemEvents`. Ethereum has no receipt for these.
    #[serde(default)]
    pub system_logs: Vec<alloy_primitives::Log>,
}

/// An Ethereum ordered trie (each item's key is the RLP of its index) fed one item at a time.
///
/// The hash builder takes leaves in key order, and that is index order except for index 0: its
/// key, 0x80, sorts after those of 1..=127 (0x01..=0x7f) and before 128's (0x81 0x80). So item 0
/// waits until item 128 arrives or the trie ends, and every other item goes in as it comes.
#[derive(Default)]
struct OrderedTrie {
    builder: alloy_trie::HashBuilder,
    first: Option<Vec<u8>>,
    len: usize,
}

impl OrderedTrie {
    fn push(&mut self, value: &[u8]) {
        if self.len == 0 {
            self.first = Some(value.to_vec());
        } else {
            if self.len == 0x80 {
                self.add_first();
            }
            self.add(self.len, value);
        }
        self.len += 1;
    }

    fn add(&mut self, index: usize, value: &[u8]) {
        let key = alloy_rlp::encode_fixed_size(&index);
        self.builder
            .add_leaf(alloy_trie::Nibbles::unpack(&key), value);
    }

    fn add_first(&mut self) {
        if let Some(first) = self.first.take() {
            self.add(0, &first);
        }
    }

    fn root(mut self) -> B256 {
        if self.len == 0 {
            return alloy_trie::EMPTY_ROOT_HASH;
        }
        self.add_first();
        self.builder.root()
    }
}

/// A block's transactions and receipts with their two tries and the block's bloom, built as
/// each transaction is added.
#[derive(Default)]
struct Body {
    txs: Vec<StoredTx>,
    receipts: Vec<StoredReceipt>,
    transactions_trie: OrderedTrie,
    receipts_trie: OrderedTrie,
    blooms: BloomHashes,
    logs_bloom: Bloom,
}

impl Body {
    fn push(&mut self, tx: StoredTx, encoded: &[u8], receipt: StoredReceipt) {
        self.transactions_trie.push(encoded);
        // Each receipt's bloom is used twice (its receipt, the header), so it is made once.
        let bloom = self.blooms.bloom(&receipt.logs);
        self.logs_bloom.accrue_bloom(&bloom);
        self.receipts_trie
            .push(&receipt.encoded_2718(tx.envelope.tx_type() as u8, bloom));
        self.txs.push(tx);
        self.receipts.push(receipt);
    }
}

/// Below this many transactions a block's tries are built where it executes: a thread of their
/// own costs more than it saves.
const TRIES_THREAD_FROM: usize = 256;

/// Collects a block's transactions and receipts as it executes and builds its transactions and
/// receipts tries meanwhile, on a thread of their own when the block is large.
///
/// Built after execution, the two tries of a block of 30,000 swaps took a fifth of the block's
/// time (about 140 ms, mostly keccak), on one core after the block's single-threaded execution.
/// Built alongside it, on the core that execution leaves idle, they are done about when the
/// execution is.
pub(crate) struct BlockBody {
    builder: BodyBuilder,
}

type BodyItem = (StoredTx, Bytes, StoredReceipt);

/// Items go to the tries thread in batches of this many. Sent one by one, each send woke the
/// thread, which had caught up and gone to sleep: a futex call per transaction, about a tenth of
/// a 5,000-transfer block's time.
const TRIES_BATCH: usize = 64;

enum BodyBuilder {
    Here(Box<Body>),
    Thread {
        batch: Vec<BodyItem>,
        items: std::sync::mpsc::Sender<Vec<BodyItem>>,
        worker: std::thread::JoinHandle<Body>,
    },
}

impl BlockBody {
    /// For a block that will hold up to `expected_txs` transactions.
    pub fn new(expected_txs: usize) -> Self {
        if expected_txs < TRIES_THREAD_FROM {
            return Self {
                builder: BodyBuilder::Here(Box::default()),
            };
        }
        let (items, received) = std::sync::mpsc::channel::<Vec<BodyItem>>();
        let spawned = std::thread::Builder::new()
            .name("block-tries".into())
            .spawn(move || {
                let mut body = Body::default();
                for batch in received {
                    for (tx, encoded, receipt) in batch {
                        body.push(tx, &encoded, receipt);
                    }
                }
                body
            });
        let builder = match spawned {
            Ok(worker) => BodyBuilder::Thread {
                batch: Vec::with_capacity(TRIES_BATCH),
                items,
                worker,
            },
            // Without a thread the same tries are built here, only later.
            Err(_) => BodyBuilder::Here(Box::default()),
        };
        Self { builder }
    }

    /// Adds a transaction with its receipt. `encoded` is the transaction's EIP-2718 encoding,
    /// the transactions trie's leaf: for an admitted transaction, the bytes it arrived as (the
    /// decoder takes only canonical encodings), which saves encoding it again.
    pub fn push(&mut self, tx: StoredTx, encoded: Bytes, receipt: StoredReceipt) {
        match &mut self.builder {
            BodyBuilder::Here(body) => body.push(tx, &encoded, receipt),
            // The worker only stops receiving if it panicked, and `seal` raises that panic.
            BodyBuilder::Thread { batch, items, .. } => {
                batch.push((tx, encoded, receipt));
                if batch.len() == TRIES_BATCH {
                    let full = std::mem::replace(batch, Vec::with_capacity(TRIES_BATCH));
                    let _ = items.send(full);
                }
            }
        }
    }

    /// Fills in the roots, bloom and gas of `header`, then hashes it the way Ethereum does
    /// (keccak of the RLP header).
    pub fn seal(
        self,
        mut header: Header,
        withdrawals: Vec<alloy_eips::eip4895::Withdrawal>,
    ) -> StoredBlock {
        let body = match self.builder {
            BodyBuilder::Here(body) => *body,
            BodyBuilder::Thread {
                batch,
                items,
                worker,
            } => {
                if !batch.is_empty() {
                    let _ = items.send(batch);
                }
                drop(items);
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }
        };
        header.transactions_root = body.transactions_trie.root();
        header.receipts_root = body.receipts_trie.root();
        header.logs_bloom = body.logs_bloom;
        header.gas_used = body
            .receipts
            .last()
            .map(|r| r.cumulative_gas_used)
            .unwrap_or(0);
        header.withdrawals_root = Some(alloy_consensus::proofs::calculate_withdrawals_root(
            &withdrawals,
        ));
        let hash = header.hash_slow();
        StoredBlock {
            hash,
            header,
            txs: body.txs,
            receipts: body.receipts,
            withdrawals,
            system_logs: vec![],
        }
    }
}

impl StoredBlock {
    /// Seals a block whose transactions and receipts are all at hand (see [`BlockBody`]).
    pub fn seal(
        header: Header,
        txs: Vec<StoredTx>,
        receipts: Vec<StoredReceipt>,
        withdrawals: Vec<alloy_eips::eip4895::Withdrawal>,
    ) -> Self {
        assert_eq!(txs.len(), receipts.len(), "one receipt per transaction");
        let mut body = BlockBody::new(txs.len());
        for (tx, receipt) in txs.into_iter().zip(receipts) {
            let encoded = tx.envelope.encoded_2718().into();
            body.push(tx, encoded, receipt);
        }
        body.seal(header, withdrawals)
    }

    /// Sets the header's state root, which seal does not need, and hashes the header again.
    pub fn with_state_root(mut self, state_root: B256) -> Self {
        self.header.state_root = state_root;
        self.hash = self.header.hash_slow();
        self
    }

    pub fn number(&self) -> u64 {
        self.header.number
    }

    /// The index within this block of receipt `index`'s first log, without building the list
    /// for every receipt (a receipt lookup in a 30,000-transaction block would otherwise build
    /// a 30,000-entry list each time).
    pub fn first_log_index(&self, index: usize) -> u64 {
        self.receipts[..index]
            .iter()
            .map(|r| r.logs.len() as u64)
            .sum()
    }

    /// The index of this block's first log in each receipt, in order.
    pub fn first_log_indexes(&self) -> Vec<u64> {
        let mut next = 0u64;
        self.receipts
            .iter()
            .map(|r| {
                let first = next;
                next += r.logs.len() as u64;
                first
            })
            .collect()
    }

    /// This block's record (what [`encode_record`] makes of it) as consecutive segments. The
    /// transactions and receipts are encoded in runs on every core (one thread took 25 ms to
    /// encode the 38 MB of a block of 30,000 swaps), each run cut to at most a stored piece unless
    /// one item alone is larger, so that the runs can be stored as they are.
    fn record_segments(&self) -> Vec<Vec<u8>> {
        use alloy_rlp::Header as RlpHeader;
        use rayon::prelude::*;
        fn encode_runs<T: Encodable + Sync>(items: &[T]) -> (usize, Vec<Vec<u8>>) {
            let lengths: Vec<usize> = items.par_iter().map(Encodable::length).collect();
            let mut runs = vec![];
            let (mut start, mut bytes) = (0, 0);
            for (index, length) in lengths.iter().enumerate() {
                if bytes > 0 && bytes + length > RECORD_PIECE {
                    runs.push((start..index, bytes));
                    (start, bytes) = (index, 0);
                }
                bytes += length;
            }
            if start < items.len() {
                runs.push((start..items.len(), bytes));
            }
            let encoded: Vec<Vec<u8>> = runs
                .into_par_iter()
                .map(|(run, bytes)| {
                    let mut out = Vec::with_capacity(bytes);
                    items[run].iter().for_each(|item| item.encode(&mut out));
                    out
                })
                .collect();
            (lengths.iter().sum(), encoded)
        }
        let ((txs_length, txs), (receipts_length, receipts)) =
            rayon::join(|| encode_runs(&self.txs), || encode_runs(&self.receipts));
        let txs_header = RlpHeader {
            list: true,
            payload_length: txs_length,
        };
        let receipts_header = RlpHeader {
            list: true,
            payload_length: receipts_length,
        };
        let payload_length = self.hash.length()
            + self.header.length()
            + txs_header.length_with_payload()
            + receipts_header.length_with_payload()
            + self.withdrawals.length()
            + self.system_logs.length();
        let mut head = vec![RLP_RECORD];
        RlpHeader {
            list: true,
            payload_length,
        }
        .encode(&mut head);
        self.hash.encode(&mut head);
        self.header.encode(&mut head);
        txs_header.encode(&mut head);
        let mut between = vec![];
        receipts_header.encode(&mut between);
        let mut tail = vec![];
        self.withdrawals.encode(&mut tail);
        self.system_logs.encode(&mut tail);
        let mut segments = vec![head];
        segments.extend(txs);
        segments.push(between);
        segments.extend(receipts);
        segments.push(tail);
        segments
    }

    /// The writes that make this block findable by number, by hash, and its txs by hash.
    pub fn aux_writes(&self) -> Vec<AuxWrite> {
        let number = self.number();
        let header = StoredHeader {
            hash: self.hash,
            header: self.header.clone(),
        };
        let mut writes = block_record_writes(number, self.record_segments());
        writes.extend([
            AuxWrite {
                key: key_header(number),
                value: encode_record(&header),
                scattered: false,
            },
            AuxWrite {
                key: key_block_hash(&self.hash),
                value: number.to_be_bytes().to_vec(),
                scattered: true,
            },
        ]);
        for (index, tx) in self.txs.iter().enumerate() {
            let mut location = number.to_be_bytes().to_vec();
            location.extend((index as u32).to_be_bytes());
            writes.push(AuxWrite {
                key: key_tx(&tx.hash),
                value: location,
                scattered: true,
            });
        }
        writes
    }
}

/// The first byte of a record in the RLP layout. Records written before it are JSON objects and
/// start with `{`, so both stay readable.
const RLP_RECORD: u8 = 0x01;

/// Blocks and headers are stored as RLP: a block of 20,000 swaps, each with four logs, encodes
/// several times faster and takes half the bytes it did as JSON, where every hash and topic was
/// hex text.
fn encode_record<T: Encodable>(record: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + record.length());
    out.push(RLP_RECORD);
    record.encode(&mut out);
    out
}

fn decode_record<T: Decodable + serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match bytes.split_first() {
        Some((&RLP_RECORD, mut rlp)) => {
            let record = T::decode(&mut rlp).map_err(|e| e.to_string())?;
            if rlp.is_empty() {
                Ok(record)
            } else {
                Err(format!("{} bytes after the record", rlp.len()))
            }
        }
        Some((b'{', _)) => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        _ => Err("unknown record layout".into()),
    }
}

/// The first byte of a block record that is stored in pieces: after it, the number of pieces
/// (u32, big-endian); the pieces, concatenated, are the record.
const PIECES_RECORD: u8 = 0x02;

/// The most bytes of a block record stored under one key. redb keeps a value larger than a page
/// in a run of pages whose count is a power of two, zero-filled in memory before it is written:
/// the 33 MB record of a block of 30,000 swaps took a 64 MB run, and writing it was half of that
/// block's commit. In pieces of a little under 256 KiB, each piece fills its run.
const RECORD_PIECE: usize = 256 * 1024 - 4096;

/// The writes that store a block's record, given as consecutive segments, at `number`: as one
/// value when it fits in a piece, else as a list of pieces under the block's key and each piece
/// under its own. A segment of a piece's size is stored as it is, without a copy; small ones
/// (the record's head, the list headers) join the piece before them.
fn block_record_writes(number: u64, segments: Vec<Vec<u8>>) -> Vec<AuxWrite> {
    /// Below this a segment is copied into the previous piece rather than stored on its own.
    const SMALL: usize = 4096;
    let length: usize = segments.iter().map(Vec::len).sum();
    if length <= RECORD_PIECE {
        return vec![AuxWrite {
            key: key_block(number),
            value: segments.concat(),
            scattered: false,
        }];
    }
    let mut pieces: Vec<Vec<u8>> = vec![];
    for segment in segments.into_iter().filter(|s| !s.is_empty()) {
        match pieces.last_mut() {
            Some(piece) if segment.len() < SMALL && piece.len() + segment.len() <= RECORD_PIECE => {
                piece.extend_from_slice(&segment)
            }
            _ => pieces.push(segment),
        }
    }
    let mut list = vec![PIECES_RECORD];
    list.extend((pieces.len() as u32).to_be_bytes());
    let mut writes = vec![AuxWrite {
        key: key_block(number),
        value: list,
        scattered: false,
    }];
    writes.extend(
        pieces
            .into_iter()
            .enumerate()
            .map(|(index, piece)| AuxWrite {
                key: key_block_piece(number, index as u32),
                value: piece,
                scattered: false,
            }),
    );
    writes
}

fn key_block_piece(number: u64, index: u32) -> Vec<u8> {
    [
        b"blkp/".as_slice(),
        &number.to_be_bytes(),
        &index.to_be_bytes(),
    ]
    .concat()
}

fn key_block(number: u64) -> Vec<u8> {
    [b"blk/".as_slice(), &number.to_be_bytes()].concat()
}

/// The header alone, so that what needs only the parent's hash and time (every block) or a new
/// head (every `newHeads` subscriber) does not decode thousands of transactions and receipts.
fn key_header(number: u64) -> Vec<u8> {
    [b"hdr/".as_slice(), &number.to_be_bytes()].concat()
}

fn key_block_hash(hash: &B256) -> Vec<u8> {
    [b"bhash/".as_slice(), hash.as_slice()].concat()
}

fn key_tx(hash: &B256) -> Vec<u8> {
    [b"tx/".as_slice(), hash.as_slice()].concat()
}

/// The running total of a pool's swap inputs as of a height: `swapvol/ ‖ pair ‖ height (BE)`.
/// Written only at heights where the pool traded, so "as of height h" is the last record at or
/// below h, and a window's volume is the difference of two such reads.
fn key_swap_volume(pair: &Address, height: u64) -> Vec<u8> {
    [
        b"swapvol/".as_slice(),
        pair.as_slice(),
        &height.to_be_bytes(),
    ]
    .concat()
}

/// The first height the swap-volume index covers. A chain that ran before the index existed
/// starts it at its first block after the upgrade, and `sheaf_pools` says how much of the day it
/// covers rather than reporting a partial day as a whole one.
const KEY_SWAP_VOLUME_FROM: &[u8] = b"swapvol-from";

/// topic0 of Uniswap V2's `Swap(address indexed sender, uint amount0In, uint amount1In,
/// uint amount0Out, uint amount1Out, address indexed to)`.
fn swap_topic() -> B256 {
    alloy_primitives::keccak256("Swap(address,uint256,uint256,uint256,uint256,address)")
}

/// Reads committed blocks. Cheap to clone.
#[derive(Clone)]
pub struct ChainReader {
    storage: Storage,
}

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("corrupt block record: {0}")]
    Corrupt(String),
}

impl ChainReader {
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The last committed height, or `None` before genesis.
    pub fn latest_height(&self) -> Result<Option<u64>, ChainError> {
        Ok(self.storage.latest()?.map(|(h, _)| h))
    }

    pub fn block(&self, number: u64) -> Result<Option<StoredBlock>, ChainError> {
        let corrupt = |e: String| ChainError::Corrupt(format!("block {number}: {e}"));
        let Some(mut bytes) = self.storage.aux_get(&key_block(number))? else {
            return Ok(None);
        };
        if bytes.first() == Some(&PIECES_RECORD) {
            let count = bytes
                .get(1..5)
                .and_then(|count| <[u8; 4]>::try_from(count).ok())
                .filter(|_| bytes.len() == 5)
                .map(u32::from_be_bytes)
                .ok_or_else(|| corrupt("malformed list of pieces".into()))?;
            bytes = self
                .storage
                .aux_get_all((0..count).map(|index| key_block_piece(number, index)))?
                .into_iter()
                .enumerate()
                .map(|(index, piece)| {
                    piece.ok_or_else(|| corrupt(format!("piece {index} of {count} is missing")))
                })
                .collect::<Result<Vec<_>, _>>()?
                .concat();
        }
        decode_record(&bytes).map(Some).map_err(corrupt)
    }

    /// A block's header and hash without its body.
    pub fn header(&self, number: u64) -> Result<Option<StoredHeader>, ChainError> {
        match self.storage.aux_get(&key_header(number))? {
            Some(bytes) => decode_record(&bytes)
                .map(Some)
                .map_err(|e| ChainError::Corrupt(format!("header {number}: {e}"))),
            // Data directories written before headers were stored apart.
            None => Ok(self.block(number)?.map(|b| StoredHeader {
                hash: b.hash,
                header: b.header,
            })),
        }
    }

    /// A pool's total swap inputs `(amount0In, amount1In)` from the first indexed block up to
    /// and including `height`.
    pub fn swap_volume(&self, pair: &Address, height: u64) -> Result<(U256, U256), ChainError> {
        let found = self
            .storage
            .aux_floor(&key_swap_volume(pair, 0), &key_swap_volume(pair, height))?;
        match found {
            None => Ok((U256::ZERO, U256::ZERO)),
            Some(value) if value.len() == 64 => Ok((
                U256::from_be_slice(&value[..32]),
                U256::from_be_slice(&value[32..]),
            )),
            Some(_) => Err(ChainError::Corrupt(format!("swap volume record of {pair}"))),
        }
    }

    /// A pool's totals from before `height`: what a window starting at `height` subtracts.
    pub fn swap_volume_before(
        &self,
        pair: &Address,
        height: u64,
    ) -> Result<(U256, U256), ChainError> {
        match height.checked_sub(1) {
            Some(previous) => self.swap_volume(pair, previous),
            None => Ok((U256::ZERO, U256::ZERO)),
        }
    }

    /// The index records a block adds: each pool that traded in it gets its running total of
    /// swap inputs as of this block. Only the amm module emits `Swap`, and only from pool
    /// addresses (no user code runs on Sheaf), so the event's address names the pool.
    pub fn swap_volume_writes(&self, block: &StoredBlock) -> Result<Vec<AuxWrite>, ChainError> {
        let topic = swap_topic();
        let mut traded: std::collections::BTreeMap<Address, (U256, U256)> = Default::default();
        for log in block.receipts.iter().flat_map(|r| &r.logs) {
            if log.topics().first() != Some(&topic) || log.data.data.len() < 64 {
                continue;
            }
            let inputs = traded.entry(log.address).or_default();
            // Amounts are bounded by uint112 reserves, so the totals cannot overflow U256.
            inputs.0 += U256::from_be_slice(&log.data.data[..32]);
            inputs.1 += U256::from_be_slice(&log.data.data[32..64]);
        }
        let number = block.number();
        let mut writes = traded
            .into_iter()
            .map(|(pair, (in0, in1))| {
                let (before0, before1) = self.swap_volume_before(&pair, number)?;
                let mut value = (before0 + in0).to_be_bytes::<32>().to_vec();
                value.extend((before1 + in1).to_be_bytes::<32>());
                Ok(AuxWrite {
                    key: key_swap_volume(&pair, number),
                    value,
                    scattered: false,
                })
            })
            .collect::<Result<Vec<_>, ChainError>>()?;
        if self.swap_volume_from()?.is_none() {
            writes.push(AuxWrite {
                key: KEY_SWAP_VOLUME_FROM.to_vec(),
                value: number.to_be_bytes().to_vec(),
                scattered: false,
            });
        }
        Ok(writes)
    }

    /// The first height whose swaps the index holds, once a block has been indexed.
    pub fn swap_volume_from(&self) -> Result<Option<u64>, ChainError> {
        match self.storage.aux_get(KEY_SWAP_VOLUME_FROM)? {
            None => Ok(None),
            Some(bytes) => bytes
                .try_into()
                .map(|b| Some(u64::from_be_bytes(b)))
                .map_err(|_| ChainError::Corrupt("swap volume index start".into())),
        }
    }

    /// The first block at or after `timestamp`, among blocks `0..=latest` (block times never go
    /// backwards), or `None` if every block is older.
    pub fn first_block_since(
        &self,
        timestamp: u64,
        latest: u64,
    ) -> Result<Option<u64>, ChainError> {
        let time_of = |number: u64| -> Result<u64, ChainError> {
            self.header(number)?
                .map(|h| h.header.timestamp)
                .ok_or_else(|| ChainError::Corrupt(format!("no header at {number}")))
        };
        if time_of(latest)? < timestamp {
            return Ok(None);
        }
        let (mut low, mut high) = (0, latest);
        while low < high {
            let middle = low + (high - low) / 2;
            if time_of(middle)? < timestamp {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        Ok(Some(low))
    }

    pub fn block_number_by_hash(&self, hash: &B256) -> Result<Option<u64>, ChainError> {
        Ok(self
            .storage
            .aux_get(&key_block_hash(hash))?
            .and_then(|bytes| bytes.as_slice().try_into().ok().map(u64::from_be_bytes)))
    }

    /// Where a transaction landed: (block number, index in block).
    pub fn tx_location(&self, hash: &B256) -> Result<Option<(u64, usize)>, ChainError> {
        Ok(self.storage.aux_get(&key_tx(hash))?.and_then(|bytes| {
            let number = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
            let index = u32::from_be_bytes(bytes.get(8..12)?.try_into().ok()?);
            Some((number, index as usize))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::ReceiptEnvelope;
    use sheaf_state::Changes;

    fn commit_block(storage: &Storage, block: &StoredBlock, keep_header: bool) {
        let version = block.number();
        let changes = Changes::from([(b"h".to_vec(), Some(version.to_be_bytes().to_vec()))]);
        let prepared = storage.prepare(version, &changes).expect("prepare");
        let mut aux = block.aux_writes();
        if !keep_header {
            aux.retain(|w| !w.key.starts_with(b"hdr/"));
        }
        storage.commit(prepared, aux).expect("commit");
    }

    /// The header's bloom and receipts root, which seal builds from blooms it computes once,
    /// match what alloy computes on its own from the same receipts.
    #[test]
    fn seal_gives_the_bloom_and_receipts_root_alloy_computes() {
        use sheaf_tx::sign::{Signer, eip1559};
        let signer = Signer::new(B256::with_last_byte(7)).expect("key");
        let log = |address: u8, topic: u8, data: &[u8]| {
            Log::new_unchecked(
                Address::with_last_byte(address),
                vec![B256::with_last_byte(topic), B256::with_last_byte(topic + 1)],
                Bytes::copy_from_slice(data),
            )
        };
        let receipts = vec![
            StoredReceipt {
                success: true,
                gas_used: 60_000,
                cumulative_gas_used: 60_000,
                effective_gas_price: 2,
                logs: vec![log(1, 10, b"a"), log(2, 20, b"bc")],
                revert_reason: None,
                output: Bytes::new(),
            },
            StoredReceipt {
                success: false,
                gas_used: 21_000,
                cumulative_gas_used: 81_000,
                effective_gas_price: 2,
                logs: vec![],
                revert_reason: Some("no".into()),
                output: Bytes::new(),
            },
            StoredReceipt {
                success: true,
                gas_used: 30_000,
                cumulative_gas_used: 111_000,
                effective_gas_price: 2,
                // An address and topics already seen: the memoised hashes must give the same bits.
                logs: vec![log(1, 20, b"")],
                revert_reason: None,
                output: Bytes::new(),
            },
        ];
        let txs: Vec<StoredTx> = (0..receipts.len() as u64)
            .map(|nonce| {
                let raw = signer.sign_1559(eip1559(
                    1,
                    nonce,
                    Address::with_last_byte(9),
                    Default::default(),
                    Bytes::new(),
                    100_000,
                    2,
                    1,
                ));
                sheaf_tx::decode(&raw, 1).expect("decode").into()
            })
            .collect();
        let block = StoredBlock::seal(Header::default(), txs, receipts.clone(), vec![]);

        let expected_bloom =
            alloy_primitives::logs_bloom(receipts.iter().flat_map(|r| r.logs.iter()));
        assert_eq!(block.header.logs_bloom, expected_bloom);
        assert_ne!(expected_bloom, Bloom::ZERO);
        let by_alloy: Vec<ReceiptEnvelope> = receipts
            .iter()
            .map(|r| {
                ReceiptEnvelope::Eip1559(
                    Receipt {
                        status: Eip658Value::Eip658(r.success),
                        cumulative_gas_used: r.cumulative_gas_used,
                        logs: r.logs.clone(),
                    }
                    .with_bloom(),
                )
            })
            .collect();
        assert_eq!(
            block.header.receipts_root,
            alloy_consensus::proofs::calculate_receipt_root(&by_alloy)
        );
        assert_eq!(block.header.gas_used, 111_000);
    }

    /// The tries built one transaction at a time (on the block's thread below 256 transactions,
    /// on their own above) give alloy's roots at every size where the order of keys changes:
    /// item 0's key sorts after items 1..=127 and before item 128's.
    #[test]
    fn streamed_tries_give_alloys_roots_at_every_size() {
        use alloy_consensus::{
            TxLegacy,
            proofs::{calculate_receipt_root, calculate_transaction_root},
        };
        use sheaf_tx::sign::{Signer, eip1559};
        let signer = Signer::new(B256::with_last_byte(5)).expect("key");
        let to = Address::with_last_byte(9);
        let all: Vec<(StoredTx, StoredReceipt)> = (0..300u64)
            .map(|nonce| {
                let raw = if nonce % 3 == 0 {
                    signer.sign_legacy(TxLegacy {
                        chain_id: Some(1),
                        nonce,
                        gas_price: 2,
                        gas_limit: 21_000,
                        to: alloy_primitives::TxKind::Call(to),
                        value: U256::from(nonce),
                        input: Bytes::new(),
                    })
                } else {
                    signer.sign_1559(eip1559(
                        1,
                        nonce,
                        to,
                        U256::ZERO,
                        Bytes::new(),
                        50_000,
                        2,
                        1,
                    ))
                };
                let logs = (0..nonce % 4)
                    .map(|i| {
                        Log::new_unchecked(
                            Address::with_last_byte(i as u8),
                            vec![B256::with_last_byte(nonce as u8)],
                            Bytes::from(vec![i as u8; i as usize * 40]),
                        )
                    })
                    .collect();
                let receipt = StoredReceipt {
                    success: nonce % 5 != 0,
                    gas_used: 21_000,
                    cumulative_gas_used: 21_000 * (nonce + 1),
                    effective_gas_price: 2,
                    logs,
                    revert_reason: None,
                    output: Bytes::new(),
                };
                (sheaf_tx::decode(&raw, 1).expect("decode").into(), receipt)
            })
            .collect();
        for len in [0, 1, 2, 3, 127, 128, 129, 130, 255, 256, 257, 300] {
            let (txs, receipts): (Vec<StoredTx>, Vec<StoredReceipt>) =
                all[..len].iter().cloned().unzip();
            let block = StoredBlock::seal(Header::default(), txs.clone(), receipts.clone(), vec![]);
            let envelopes: Vec<&TxEnvelope> = txs.iter().map(|tx| &tx.envelope).collect();
            let by_alloy: Vec<ReceiptEnvelope> = txs
                .iter()
                .zip(&receipts)
                .map(|(tx, r)| {
                    let receipt = Receipt {
                        status: Eip658Value::Eip658(r.success),
                        cumulative_gas_used: r.cumulative_gas_used,
                        logs: r.logs.clone(),
                    }
                    .with_bloom();
                    match tx.envelope.tx_type() as u8 {
                        0 => ReceiptEnvelope::Legacy(receipt),
                        _ => ReceiptEnvelope::Eip1559(receipt),
                    }
                })
                .collect();
            assert_eq!(
                block.header.transactions_root,
                calculate_transaction_root(&envelopes),
                "transactions root of {len}"
            );
            assert_eq!(
                block.header.receipts_root,
                calculate_receipt_root(&by_alloy),
                "receipts root of {len}"
            );
            assert_eq!(
                block.header.logs_bloom,
                alloy_primitives::logs_bloom(receipts.iter().flat_map(|r| r.logs.iter())),
                "bloom of {len}"
            );
            assert_eq!((block.txs, block.receipts), (txs, receipts));
        }
    }

    #[test]
    fn header_is_read_alone_and_from_blocks_stored_before_headers_were() {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(&dir.path().join("db")).expect("open");
        let chain = ChainReader::new(storage.clone());
        let block = |number: u64| {
            // Every Sheaf header has a base fee; RLP, the stored layout, cannot carry a
            // withdrawals root (which seal sets) without one.
            let header = Header {
                number,
                timestamp: 1_700_000_000 + number,
                base_fee_per_gas: Some(1),
                ..Default::default()
            };
            StoredBlock::seal(header, vec![], vec![], vec![])
        };
        let (with_header, without_header) = (block(0), block(1));
        commit_block(&storage, &with_header, true);
        commit_block(&storage, &without_header, false);

        for stored in [&with_header, &without_header] {
            let header = chain
                .header(stored.number())
                .expect("read")
                .expect("present");
            assert_eq!(header.hash, stored.hash);
            assert_eq!(header.header, stored.header);
        }
        assert_eq!(chain.header(2).expect("read"), None);
    }

    /// Encoded in runs on many cores, the record is byte for byte the derived RLP encoding,
    /// for a block of one run, of several, and with a partial last run.
    #[test]
    fn record_segments_are_the_derived_encoding() {
        use sheaf_tx::sign::{Signer, eip1559};
        let signer = Signer::new(B256::with_last_byte(6)).expect("key");
        let raw = signer.sign_1559(eip1559(
            1,
            0,
            Address::with_last_byte(9),
            U256::ZERO,
            Bytes::from_static(b"call"),
            50_000,
            2,
            1,
        ));
        let tx: StoredTx = sheaf_tx::decode(&raw, 1).expect("decode").into();
        let receipt = StoredReceipt {
            success: true,
            gas_used: 21_000,
            cumulative_gas_used: 21_000,
            effective_gas_price: 2,
            logs: vec![Log::new_unchecked(
                Address::with_last_byte(1),
                vec![B256::with_last_byte(2)],
                Bytes::from_static(b"data"),
            )],
            revert_reason: Some("why".into()),
            output: Bytes::from_static(b"out"),
        };
        for count in [0, 1, 2_048, 5_000] {
            let header = Header {
                number: 3,
                base_fee_per_gas: Some(1),
                ..Default::default()
            };
            let block = StoredBlock::seal(
                header,
                vec![tx.clone(); count],
                vec![receipt.clone(); count],
                vec![],
            );
            let segments = block.record_segments();
            assert_eq!(
                segments.concat(),
                encode_record(&block),
                "{count} transactions"
            );
            assert!(segments.iter().all(|s| s.len() <= RECORD_PIECE));
        }
    }

    /// A block whose record is larger than a piece is stored in pieces and reads back equal,
    /// also when one receipt alone is larger than a piece; a missing piece is a typed error, not
    /// a short block.
    #[test]
    fn large_block_records_are_stored_in_pieces() {
        use sheaf_tx::sign::{Signer, eip1559};
        let signer = Signer::new(B256::with_last_byte(4)).expect("key");
        let block_with_logs = |number: u64, log_sizes: &[usize]| {
            let (txs, receipts): (Vec<StoredTx>, Vec<StoredReceipt>) = log_sizes
                .iter()
                .enumerate()
                .map(|(nonce, &size)| {
                    let raw = signer.sign_1559(eip1559(
                        1,
                        nonce as u64,
                        Address::with_last_byte(9),
                        U256::ZERO,
                        Bytes::new(),
                        50_000,
                        2,
                        1,
                    ));
                    let receipt = StoredReceipt {
                        success: true,
                        gas_used: 21_000,
                        cumulative_gas_used: 21_000 * (nonce as u64 + 1),
                        effective_gas_price: 2,
                        logs: vec![Log::new_unchecked(
                            Address::with_last_byte(1),
                            vec![],
                            Bytes::from(vec![nonce as u8 + 1; size]),
                        )],
                        revert_reason: None,
                        output: Bytes::new(),
                    };
                    (sheaf_tx::decode(&raw, 1).expect("decode").into(), receipt)
                })
                .unzip();
            let header = Header {
                number,
                base_fee_per_gas: Some(1),
                ..Default::default()
            };
            StoredBlock::seal(header, txs, receipts, vec![])
        };
        let pieces_of = |block: &StoredBlock| -> Vec<Vec<u8>> {
            block
                .aux_writes()
                .into_iter()
                .filter(|w| w.key.starts_with(b"blkp/"))
                .map(|w| w.value)
                .collect()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(&dir.path().join("db")).expect("open");
        let chain = ChainReader::new(storage.clone());

        // Three receipts of 200 kB: the head, the transactions and the receipts list's header in
        // one piece, then one piece per receipt, the last with the record's tail.
        let block = block_with_logs(0, &[200_000; 3]);
        let pieces = pieces_of(&block);
        assert_eq!(pieces.len(), 4);
        assert!(pieces.iter().all(|p| p.len() <= RECORD_PIECE));
        assert_eq!(pieces.concat(), encode_record(&block));
        commit_block(&storage, &block, true);
        assert_eq!(chain.block(0).expect("read"), Some(block.clone()));

        // A receipt larger than a piece is a piece of its own.
        let block = block_with_logs(1, &[100, 300_000, 100]);
        let pieces = pieces_of(&block);
        assert!(pieces.iter().any(|p| p.len() > 300_000));
        assert_eq!(pieces.concat(), encode_record(&block));
        commit_block(&storage, &block, true);
        assert_eq!(chain.block(1).expect("read"), Some(block.clone()));

        let broken = block_with_logs(2, &[200_000; 3]);
        let changes = Changes::from([(b"h".to_vec(), Some(vec![1]))]);
        let prepared = storage.prepare(2, &changes).expect("prepare");
        let mut aux = broken.aux_writes();
        aux.retain(|w| w.key != key_block_piece(2, 1));
        storage.commit(prepared, aux).expect("commit");
        assert!(
            matches!(chain.block(2), Err(ChainError::Corrupt(e)) if e.contains("piece 1 of 4"))
        );
    }

    /// A block goes to disk as RLP and comes back equal, whatever it holds; blocks written as
    /// JSON by earlier versions still read.
    #[test]
    fn block_records_round_trip_and_json_records_still_read() {
        use alloy_consensus::TxLegacy;
        use sheaf_tx::sign::{Signer, eip1559};
        let signer = Signer::new(B256::with_last_byte(3)).expect("key");
        let to = Address::with_last_byte(9);
        let raws = [
            signer.sign_1559(eip1559(
                1,
                0,
                to,
                alloy_primitives::U256::from(5),
                Bytes::from_static(b"call"),
                100_000,
                2,
                1,
            )),
            signer.sign_legacy(TxLegacy {
                chain_id: Some(1),
                nonce: 1,
                gas_price: 2,
                gas_limit: 21_000,
                to: alloy_primitives::TxKind::Call(to),
                value: alloy_primitives::U256::from(7),
                input: Bytes::new(),
            }),
        ];
        let txs: Vec<StoredTx> = raws
            .iter()
            .map(|raw| sheaf_tx::decode(raw, 1).expect("decode").into())
            .collect();
        let receipts = vec![
            StoredReceipt {
                success: true,
                gas_used: 60_000,
                cumulative_gas_used: 60_000,
                effective_gas_price: 2,
                logs: vec![Log::new_unchecked(
                    to,
                    vec![B256::with_last_byte(1), B256::with_last_byte(2)],
                    Bytes::from_static(b"data"),
                )],
                output: Bytes::from_static(&[0, 1]),
                revert_reason: None,
            },
            StoredReceipt {
                success: false,
                gas_used: 21_000,
                cumulative_gas_used: 81_000,
                effective_gas_price: 2,
                logs: vec![],
                output: Bytes::from_static(&[8, 0xc3, 0x79, 0xa0]),
                revert_reason: Some("slippage".into()),
            },
        ];
        let withdrawals = vec![alloy_eips::eip4895::Withdrawal {
            index: 4,
            validator_index: 5,
            address: to,
            amount: 32_000_000_000,
        }];
        let header = Header {
            number: 7,
            base_fee_per_gas: Some(7),
            ..Default::default()
        };
        let mut block = StoredBlock::seal(header, txs, receipts, withdrawals);
        block.system_logs = vec![Log::new_unchecked(to, vec![], Bytes::from_static(b"jail"))];

        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(&dir.path().join("db")).expect("open");
        let chain = ChainReader::new(storage.clone());
        let changes = Changes::from([(b"h".to_vec(), Some(vec![7]))]);
        let prepare = |version| storage.prepare(version, &changes).expect("prepare");
        storage.commit(prepare(0), vec![]).expect("commit");
        let writes = block.aux_writes();
        assert_eq!(writes[0].value[0], RLP_RECORD);
        storage.commit(prepare(1), writes).expect("commit");
        assert_eq!(chain.block(7).expect("read"), Some(block.clone()));
        let header = chain.header(7).expect("read").expect("present");
        assert_eq!((header.hash, &header.header), (block.hash, &block.header));

        // The layout before RLP records: the same block as a JSON object.
        let mut old = block.clone();
        old.header.number = 8;
        let json = AuxWrite {
            key: key_block(8),
            value: serde_json::to_vec(&old).expect("json"),
            scattered: false,
        };
        storage.commit(prepare(2), vec![json]).expect("commit");
        assert_eq!(chain.block(8).expect("read"), Some(old));

        let garbage = AuxWrite {
            key: key_block(9),
            value: vec![RLP_RECORD, 0xc1],
            scattered: false,
        };
        storage.commit(prepare(3), vec![garbage]).expect("commit");
        assert!(matches!(chain.block(9), Err(ChainError::Corrupt(_))));
    }
}
