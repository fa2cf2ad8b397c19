//! The Sheaf state machine. [`SheafApp`] implements [`Application`], a trait shaped like ABCI++
//! (CometBFT v0.38), so the in-process dev driver, the tests and (later) the CometBFT server all
//! drive the very same code.
//!
//! A block's life, in order (see [`SheafApp::finalize_block`]):
//! 1. open an overlay over the last committed state;
//! 2. record the height and the last commit's signatures and misbehaviour (nothing acts on them
//!    until the staking module exists);
//! 3. decode the block's transactions and recover senders on every core (senders already
//!    recovered by `check_tx` are reused);
//! 4. execute each transaction in its own nested overlay;
//! 5. set the next block's base fee;
//! 6. compute the Merkle root (the app hash) without writing anything;
//! 7. `commit` writes state, block, receipts and the new height in one durable transaction.

pub mod chain;
pub mod execute;
pub mod genesis;
pub mod state_key;
pub mod test_node;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header};
use alloy_primitives::{Address, B256, Bytes, keccak256};
use parking_lot::Mutex;
use sheaf_bank::{BankRead, BankWrite, TokenMeta};
use sheaf_module_api::BlockContext;
use sheaf_state::{
    Delta, EmptyState, PreparedCommit, StateRead, StateReadExt, StateWrite, StateWriteExt, Storage,
    StorageError,
};
use sheaf_tx::{SignedTx, TxError};

use chain::BlockBody;
pub use chain::{ChainReader, StoredBlock, StoredHeader, StoredReceipt, StoredTx};
pub use execute::InvalidTx;
pub use genesis::{ChainParams, Genesis, GenesisValidator};
/// CometBFT's chain id for a Sheaf chain: what validators sign votes for.
pub use sheaf_staking::double_sign::consensus_chain_id;

/// The layout of state this code reads and writes. A chain created by a version with another
/// layout (or none recorded) cannot be resumed: its keys mean something else.
pub const STATE_VERSION: u64 = 3;

/// What `info` reports: where the app's durable state stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    pub last_block_height: u64,
    pub last_block_app_hash: [u8; 32],
}

/// A validator's vote on the previous block, as CometBFT reports it in `decided_last_commit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteInfo {
    /// CometBFT validator address (first 20 bytes of sha256 of the ed25519 key).
    pub validator: [u8; 20],
    pub power: u64,
    pub signed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitInfo {
    pub round: u32,
    pub votes: Vec<VoteInfo>,
}

impl CommitInfo {
    /// A commit in which every one of `validators` signed.
    pub fn all_signed(validators: &[GenesisValidator]) -> Self {
        let votes = validators
            .iter()
            .map(|v| VoteInfo {
                validator: v.consensus_address(),
                power: v.power,
                signed: true,
            })
            .collect();
        CommitInfo { round: 0, votes }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MisbehaviorKind {
    DuplicateVote,
    LightClientAttack,
}

/// Evidence of a validator's misbehaviour that consensus verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Misbehavior {
    pub kind: MisbehaviorKind,
    pub validator: [u8; 20],
    pub height: u64,
    pub time: u64,
    pub total_voting_power: u64,
}

/// `FinalizeBlock` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalizeBlock {
    pub height: u64,
    /// Block time in Unix seconds, decided by consensus.
    pub time: u64,
    pub proposer: [u8; 20],
    pub decided_last_commit: CommitInfo,
    pub misbehavior: Vec<Misbehavior>,
    pub txs: Vec<Bytes>,
}

/// The outcome of one transaction of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOutcome {
    /// Executed: in the block's receipts (it may still have reverted).
    Executed {
        hash: B256,
        success: bool,
        gas_used: u64,
    },
    /// Not executable (bad bytes, wrong nonce, cannot pay): skipped, charged nothing.
    Invalid { reason: String },
    /// Not executable in this block but possibly in a later one: its gas limit did not fit in
    /// what the block had left, or an earlier nonce of its sender was skipped. Charged nothing;
    /// a block builder keeps it.
    Deferred { reason: String },
}

/// A validator power change for consensus (power 0 removes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidatorUpdate {
    pub pub_key: B256,
    pub power: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalizeResponse {
    pub tx_results: Vec<TxOutcome>,
    pub validator_updates: Vec<ValidatorUpdate>,
    pub app_hash: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitChainResponse {
    pub validators: Vec<ValidatorUpdate>,
    pub app_hash: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryResponse {
    pub height: u64,
    pub value: Option<Vec<u8>>,
}

/// Why `check_tx` refuses a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckTxError {
    #[error(transparent)]
    Decode(#[from] TxError),
    #[error(transparent)]
    Invalid(#[from] InvalidTx),
}

/// Failures the node cannot recover from by itself: the consensus driver must stop.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Chain(#[from] chain::ChainError),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("chain already initialised at height {0}")]
    AlreadyInitialised(u64),
    #[error("chain not initialised: run init_chain first")]
    NotInitialised,
    #[error("finalize_block for height {found}, expected {expected}")]
    WrongHeight { expected: u64, found: u64 },
    #[error("commit without a finalized block")]
    NothingToCommit,
    #[error("encoding: {0}")]
    Encoding(String),
    #[error(
        "this chain's state has layout version {found}, but this Sheaf reads version {expected}; \
         start a new chain (for the dev node: --reset)"
    )]
    StateVersion { found: u64, expected: u64 },
    #[error("staking: {0}")]
    Staking(String),
}

/// The ABCI++ surface (CometBFT v0.38), in Rust types.
pub trait Application {
    fn info(&self) -> Result<Info, AppError>;
    fn init_chain(&mut self, genesis: &Genesis) -> Result<InitChainResponse, AppError>;
    fn check_tx(&self, raw: &[u8]) -> Result<SignedTx, CheckTxError>;
    fn prepare_proposal(&self, txs: Vec<Bytes>, max_bytes: usize) -> Vec<Bytes>;
    fn process_proposal(&self, txs: &[Bytes]) -> bool;
    fn finalize_block(&mut self, request: FinalizeBlock) -> Result<FinalizeResponse, AppError>;
    fn commit(&mut self) -> Result<(), AppError>;
    fn query(
        &self,
        path: &str,
        data: &[u8],
        height: Option<u64>,
    ) -> Result<QueryResponse, AppError>;
}

/// Admitted transactions by hash, with the chain id each was checked against.
type RecoveredCache = alloy_primitives::map::HashMap<B256, (u64, Arc<SignedTx>)>;

/// The parts of the app that stay valid between blocks and that readers (RPC, mempool admission)
/// share with the block executor.
pub struct Shared {
    storage: Storage,
    chain: ChainReader,
    /// Transactions decoded and sender-recovered at admission, keyed by tx hash with the chain id
    /// they were checked against, so a block neither recovers nor decodes them again.
    /// (foldhash: seeded per process like SipHash, so hashes chosen by senders cannot pile
    /// into one bucket, and several times cheaper.)
    /// (Its own `Arc`: a committed block's entries are removed on the thread pool, which must
    /// not keep the store open.)
    recovered: Arc<Mutex<RecoveredCache>>,
    /// What admission checks against, which changes only when a block commits: the latest
    /// snapshot and the chain parameters read from it, opened once per height rather than once
    /// per transaction. Dropped at every commit; `commits` tells a reader that opened its view
    /// before a commit not to install it after.
    admission: Mutex<Option<Arc<AdmissionView>>>,
    commits: AtomicU64,
}

/// A transaction that passed admission, with the sender's nonce in the state it was checked
/// against.
pub struct Admitted {
    /// Shared with the recovered-transaction cache: a mempool keeps it without a copy.
    pub tx: Arc<SignedTx>,
    pub account_nonce: u64,
}

struct AdmissionView {
    /// A sender usually has many transactions waiting, each checked against its account.
    snapshot: sheaf_state::SharedReadCache<sheaf_state::Snapshot>,
    chain_id: u64,
    params: ChainParams,
    base_fee: u64,
}

/// Above this many cached senders the cache is cleared: a cap on memory, not a correctness rule.
const RECOVERED_CACHE_LIMIT: usize = 200_000;

impl Shared {
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub fn chain(&self) -> &ChainReader {
        &self.chain
    }

    /// The chain id recorded at genesis.
    pub fn chain_id(&self) -> Result<u64, AppError> {
        let snapshot = self.latest_snapshot()?;
        Ok(snapshot.get_u64(&state_key::chain_id()))
    }

    pub fn latest_snapshot(&self) -> Result<sheaf_state::Snapshot, AppError> {
        let (height, _) = self.storage.latest()?.ok_or(AppError::NotInitialised)?;
        Ok(self.storage.snapshot(height)?)
    }

    /// Decodes and checks a transaction against the latest committed state, the way the mempool
    /// admits it. The sender is remembered for block execution.
    pub fn check_tx(&self, raw: &[u8]) -> Result<SignedTx, CheckTxError> {
        self.admit(raw)
            .map(|admitted| Arc::unwrap_or_clone(admitted.tx))
    }

    /// [`Shared::check_tx`], also returning the sender's committed nonce that the check read, so
    /// a mempool can place the transaction without opening the state again.
    pub fn admit(&self, raw: &[u8]) -> Result<Admitted, CheckTxError> {
        let view = self
            .admission_view()
            .map_err(|_| TxError::Rlp("chain not started".into()))?;
        let AdmissionView {
            ref snapshot,
            chain_id,
            params,
            base_fee,
        } = *view;
        let tx = Arc::new(self.decode(raw, chain_id)?);
        let sender = snapshot.account(&tx.sender);
        if tx.nonce() < sender.nonce {
            return Err(InvalidTx::NonceTooLow {
                expected: sender.nonce,
                found: tx.nonce(),
            }
            .into());
        }
        execute::check_payable(sender.balance, &tx, base_fee, params.block_gas_limit)?;
        let mut cache = self.recovered.lock();
        if cache.len() >= RECOVERED_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(tx.hash, (chain_id, tx.clone()));
        Ok(Admitted {
            tx,
            account_nonce: sender.nonce,
        })
    }

    fn admission_view(&self) -> Result<Arc<AdmissionView>, AppError> {
        if let Some(view) = self.admission.lock().clone() {
            return Ok(view);
        }
        let commits = self.commits.load(Ordering::Acquire);
        let snapshot = self.latest_snapshot()?;
        let view = Arc::new(AdmissionView {
            chain_id: snapshot.get_u64(&state_key::chain_id()),
            params: read_params(&snapshot),
            base_fee: snapshot.get_u64(&state_key::base_fee()),
            snapshot: sheaf_state::SharedReadCache::new(snapshot),
        });
        let mut installed = self.admission.lock();
        if self.commits.load(Ordering::Acquire) == commits {
            *installed = Some(view.clone());
        }
        Ok(view)
    }

    /// Called after every durable commit: admission must not keep checking against the state
    /// before it.
    fn committed(&self) {
        let mut installed = self.admission.lock();
        self.commits.fetch_add(1, Ordering::AcqRel);
        *installed = None;
    }

    /// The transaction as admission decoded it under `chain_id`, or decoded now if it was not.
    fn decode(&self, raw: &[u8], chain_id: u64) -> Result<SignedTx, TxError> {
        let hash = keccak256(raw);
        match self.admitted(&hash, chain_id) {
            Some(tx) => Ok(tx),
            None => sheaf_tx::decode_hashed(raw, hash, chain_id),
        }
    }

    /// The transaction with this hash as admission decoded it under `chain_id`, if it did.
    fn admitted(&self, hash: &B256, chain_id: u64) -> Option<SignedTx> {
        self.recovered
            .lock()
            .get(hash)
            .filter(|(checked_under, _)| *checked_under == chain_id)
            .map(|(_, tx)| SignedTx::clone(tx))
    }
}

/// A finalized block waiting for `commit`.
struct Pending {
    prepared: PreparedCommit,
    block: StoredBlock,
}

pub struct SheafApp {
    shared: Arc<Shared>,
    pending: Option<Pending>,
}

impl SheafApp {
    /// Opens (or creates) the store at `path`. A chain already there resumes from its last
    /// committed block; anything finalized but not committed before a crash is gone, as ABCI
    /// expects (CometBFT replays it).
    pub fn open(path: &std::path::Path) -> Result<Self, AppError> {
        let storage = Storage::open(path)?;
        let chain = ChainReader::new(storage.clone());
        if let Some((height, _)) = storage.latest()? {
            let found = storage
                .snapshot(height)?
                .get_u64(&state_key::state_version());
            if found != STATE_VERSION {
                return Err(AppError::StateVersion {
                    found,
                    expected: STATE_VERSION,
                });
            }
        }
        let shared = Arc::new(Shared {
            storage,
            chain,
            // Sized once: growing it rehashes every entry while each send waits on the lock.
            recovered: Arc::new(Mutex::new(
                alloy_primitives::map::HashMap::with_capacity_and_hasher(
                    RECOVERED_CACHE_LIMIT,
                    Default::default(),
                ),
            )),
            admission: Mutex::new(None),
            commits: AtomicU64::new(0),
        });
        Ok(Self {
            shared,
            pending: None,
        })
    }

    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// The consensus set as staking last reported it, with each validator's fee recipient.
    pub fn validators(&self) -> Result<Vec<GenesisValidator>, AppError> {
        let snapshot = self.shared.latest_snapshot()?;
        Ok(consensus_set(&snapshot))
    }
}

fn read_params<S: StateRead>(state: &S) -> ChainParams {
    state
        .get_raw(&state_key::params())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The validators consensus currently runs with (power > 0), as staking last reported them.
pub fn consensus_set<S: StateRead>(state: &S) -> Vec<GenesisValidator> {
    sheaf_staking::consensus_set(state)
        .into_iter()
        .map(|(v, power)| GenesisValidator {
            name: format!("validator {}", v.index),
            pub_key: v.pubkey,
            power,
            fee_recipient: v.fee_recipient,
            withdrawal_address: Some(v.withdrawal_address),
        })
        .collect()
}

/// Reads the next block's base fee from committed state (what `eth_gasPrice` builds on).
pub fn pending_base_fee<S: StateRead>(state: &S) -> u64 {
    state.get_u64(&state_key::base_fee())
}

/// Creates a genesis pool and mints its first liquidity to the provider.
fn seed_pool<S: StateWrite>(
    state: &mut S,
    pool: &genesis::GenesisPool,
    by_symbol: &std::collections::BTreeMap<String, Address>,
    block: &BlockContext,
) -> Result<(), sheaf_module_api::Revert> {
    let resolve = |symbol: &str| -> Result<Address, sheaf_module_api::Revert> {
        if symbol == "ETH" {
            return Ok(sheaf_abi::system::WETH);
        }
        by_symbol
            .get(symbol)
            .copied()
            .ok_or_else(|| sheaf_module_api::Revert::reason(format!("no genesis token {symbol}")))
    };
    let (a, b) = (resolve(&pool.token_a)?, resolve(&pool.token_b)?);
    let mut logs = vec![];
    let pair = sheaf_amm::create_pair(state, a, b, &mut logs)?;
    for (token, amount) in [(a, pool.amount_a), (b, pool.amount_b)] {
        if token == sheaf_abi::system::WETH {
            sheaf_amm::weth::wrap(state, &pool.provider, &pair, amount, &mut logs)?;
        } else {
            state.transfer_token(&token, &pool.provider, &pair, amount, &mut logs)?;
        }
    }
    sheaf_amm::mint(
        state,
        block,
        &pool.provider,
        &pair,
        &pool.provider,
        &mut logs,
    )?;
    Ok(())
}

/// Sets up farms, governance staking and the governor from genesis. GOV's genesis holders start
/// self-delegated, so their votes count from block 1.
fn init_governance<S: StateWrite>(
    state: &mut S,
    genesis: &Genesis,
    by_symbol: &std::collections::BTreeMap<String, Address>,
) -> Result<(), AppError> {
    let symbol = |s: &str| -> Result<Address, AppError> {
        by_symbol
            .get(s)
            .copied()
            .ok_or_else(|| AppError::Genesis(format!("no genesis token {s}")))
    };
    if let Some(farm) = &genesis.farm {
        sheaf_farm::init(state, symbol(&farm.reward_token)?, farm.reward_per_block);
        for entry in &farm.farms {
            let staked = match entry.staked.split_once('/') {
                Some((a, b)) => {
                    let resolve = |s: &str| {
                        if s == "ETH" {
                            Ok(sheaf_abi::system::WETH)
                        } else {
                            symbol(s)
                        }
                    };
                    sheaf_amm::AmmRead::get_pair(&*state, &resolve(a)?, &resolve(b)?)
                        .ok_or_else(|| AppError::Genesis(format!("no pool {}", entry.staked)))?
                }
                None => symbol(&entry.staked)?,
            };
            sheaf_farm::add_farm(state, staked, entry.alloc_point, 0, &mut vec![])
                .map_err(|e| AppError::Genesis(format!("farm {}: {e}", entry.staked)))?;
        }
    }
    if let Some(gov) = &genesis.gov {
        let gov_token = symbol(&gov.gov_token)?;
        sheaf_gov::staking::init(
            state,
            symbol(&gov.staking_token)?,
            gov_token,
            gov.gov_per_block,
        );
        for (name, value) in gov.params() {
            sheaf_gov::params::set(state, name, value).map_err(AppError::Genesis)?;
        }
        sheaf_bank::votes::enable(state, &gov_token);
        let holders = genesis
            .tokens
            .iter()
            .filter(|t| t.symbol == gov.gov_token)
            .flat_map(|t| &t.balances);
        for holder in holders {
            sheaf_bank::votes::delegate(
                state,
                &gov_token,
                &holder.address,
                &holder.address,
                &mut vec![],
            );
        }
    }
    Ok(())
}

/// The tokens genesis created, in order.
pub fn genesis_tokens<S: StateRead>(state: &S) -> Vec<Address> {
    let count = state.get_u64(&state_key::genesis_token_count());
    state.tokens().into_iter().take(count as usize).collect()
}

/// The chain parameters recorded at genesis.
pub fn chain_params<S: StateRead>(state: &S) -> ChainParams {
    read_params(state)
}

impl Application for SheafApp {
    fn info(&self) -> Result<Info, AppError> {
        let (height, hash) = self.shared.storage.latest()?.unwrap_or((0, [0; 32]));
        Ok(Info {
            last_block_height: height,
            last_block_app_hash: hash,
        })
    }

    fn init_chain(&mut self, genesis: &Genesis) -> Result<InitChainResponse, AppError> {
        if let Some((height, _)) = self.shared.storage.latest()? {
            return Err(AppError::AlreadyInitialised(height));
        }
        genesis.validate().map_err(AppError::Genesis)?;
        let mut state = Delta::new(EmptyState);
        state.put_u64(state_key::state_version(), STATE_VERSION);
        state.put_u64(state_key::chain_id(), genesis.chain_id);
        let params =
            serde_json::to_vec(&genesis.params).map_err(|e| AppError::Encoding(e.to_string()))?;
        state.put_raw(state_key::params(), params);
        state.put_u64(state_key::base_fee(), genesis.params.initial_base_fee);
        for account in &genesis.accounts {
            state
                .genesis_mint_eth(&account.address, account.balance)
                .map_err(|e| AppError::Genesis(e.to_string()))?;
        }
        let mut logs = vec![];
        let mut by_symbol = std::collections::BTreeMap::new();
        for token in &genesis.tokens {
            let creator = token
                .balances
                .first()
                .map(|b| b.address)
                .unwrap_or(Address::ZERO);
            let module_token = |role: Option<&String>, module: Address| {
                role.is_some_and(|symbol| *symbol == token.symbol)
                    .then_some(module)
            };
            let minter = module_token(
                genesis.farm.as_ref().map(|f| &f.reward_token),
                sheaf_abi::system::MASTER_CHEF,
            )
            .or(module_token(
                genesis.gov.as_ref().map(|g| &g.gov_token),
                sheaf_abi::system::GOV_STAKING,
            ))
            .unwrap_or(Address::ZERO);
            let meta = TokenMeta {
                name: token.name.clone(),
                symbol: token.symbol.clone(),
                decimals: token.decimals,
                minter,
            };
            let address = sheaf_bank::create_user_token(
                &mut state,
                &creator,
                meta,
                alloy_primitives::U256::ZERO,
                &mut logs,
            )
            .map_err(|e| AppError::Genesis(format!("token {}: {e}", token.symbol)))?;
            for holder in &token.balances {
                state
                    .genesis_mint_token(&address, &holder.address, holder.balance)
                    .map_err(|e| AppError::Genesis(format!("token {}: {e}", token.symbol)))?;
            }
            by_symbol.insert(token.symbol.clone(), address);
        }
        sheaf_amm::weth::init_genesis(&mut state);
        let staking_params = genesis
            .staking
            .unwrap_or_else(sheaf_staking::StakingParams::mainnet);
        let genesis_validators: Vec<sheaf_staking::GenesisValidator> = genesis
            .validators
            .iter()
            .map(|v| sheaf_staking::GenesisValidator {
                pubkey: v.pub_key,
                withdrawal_address: v.withdrawal_address.unwrap_or(v.fee_recipient),
                fee_recipient: v.fee_recipient,
                balance_gwei: v.power * staking_params.effective_balance_increment,
            })
            .collect();
        let powers = sheaf_staking::init_genesis(
            &mut state,
            &staking_params,
            genesis.chain_id,
            &genesis_validators,
        )
        .map_err(AppError::Genesis)?;
        let genesis_block = BlockContext {
            height: 0,
            timestamp: genesis.genesis_time,
            proposer: Address::ZERO,
            base_fee: 0,
        };
        for pool in &genesis.pools {
            seed_pool(&mut state, pool, &by_symbol, &genesis_block).map_err(|e| {
                AppError::Genesis(format!("pool {}/{}: {e}", pool.token_a, pool.token_b))
            })?;
        }

        init_governance(&mut state, genesis, &by_symbol)?;

        state.put_u64(
            state_key::genesis_token_count(),
            genesis.tokens.len() as u64,
        );

        let prepared = self.shared.storage.prepare(0, state.changes())?;
        let header = Header {
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            state_root: B256::from(prepared.root),
            number: 0,
            gas_limit: genesis.params.block_gas_limit,
            timestamp: genesis.genesis_time,
            base_fee_per_gas: Some(genesis.params.initial_base_fee),
            ..Default::default()
        };
        let block = StoredBlock::seal(header, vec![], vec![], vec![]);
        let app_hash = prepared.root;
        let aux = block.aux_writes();
        self.shared.storage.commit(prepared, aux)?;
        self.shared.committed();
        let validators = powers
            .into_iter()
            .map(|u| ValidatorUpdate {
                pub_key: u.pubkey,
                power: u.power,
            })
            .collect();
        Ok(InitChainResponse {
            validators,
            app_hash,
        })
    }

    fn check_tx(&self, raw: &[u8]) -> Result<SignedTx, CheckTxError> {
        self.shared.check_tx(raw)
    }

    /// Builds a block from the mempool's transactions (CometBFT's arrival order, which gossip
    /// can scramble): each sender's transactions in nonce order from its account nonce, stopping
    /// at a gap, within the byte and gas limits. Whatever is left out stays in CometBFT's
    /// mempool for a later block, instead of being included only to fail.
    fn prepare_proposal(&self, txs: Vec<Bytes>, max_bytes: usize) -> Vec<Bytes> {
        let Ok(snapshot) = self.shared.latest_snapshot() else {
            return vec![];
        };
        let chain_id = snapshot.get_u64(&state_key::chain_id());
        let gas_limit = read_params(&snapshot).block_gas_limit;
        let decoded = self.decode_block(&txs, chain_id);
        // Senders in order of first arrival, each with its transactions by nonce.
        let mut senders: Vec<Address> = vec![];
        let mut by_sender: HashMap<Address, Vec<(u64, u64, usize)>> = HashMap::new();
        for (i, tx) in decoded.iter().enumerate() {
            let Ok(tx) = tx else { continue };
            let entry = by_sender.entry(tx.sender).or_insert_with(|| {
                senders.push(tx.sender);
                vec![]
            });
            entry.push((tx.nonce(), tx.gas_limit(), i));
        }
        let (mut bytes, mut gas) = (0usize, 0u64);
        let mut chosen = vec![];
        for sender in senders {
            let mut list = by_sender.remove(&sender).unwrap_or_default();
            list.sort_by_key(|(nonce, _, i)| (*nonce, *i));
            let mut next = snapshot.nonce(&sender);
            for (nonce, tx_gas, i) in list {
                if nonce != next {
                    // A duplicate of a nonce already taken, or a gap: later, if ever.
                    continue;
                }
                if bytes + txs[i].len() > max_bytes || gas.saturating_add(tx_gas) > gas_limit {
                    break;
                }
                bytes += txs[i].len();
                gas += tx_gas;
                chosen.push(i);
                next += 1;
            }
        }
        chosen.into_iter().map(|i| txs[i].clone()).collect()
    }

    fn process_proposal(&self, txs: &[Bytes]) -> bool {
        // A proposal may carry transactions that turn out invalid at execution; those are
        // skipped deterministically by every validator, so only undecodable junk is refused.
        let Ok(chain_id) = self.shared.chain_id() else {
            return false;
        };
        sheaf_tx::decode_all(txs, chain_id)
            .iter()
            .all(|r| r.is_ok())
    }

    fn finalize_block(&mut self, request: FinalizeBlock) -> Result<FinalizeResponse, AppError> {
        let (last_height, _) = self
            .shared
            .storage
            .latest()?
            .ok_or(AppError::NotInitialised)?;
        if request.height != last_height + 1 {
            return Err(AppError::WrongHeight {
                expected: last_height + 1,
                found: request.height,
            });
        }
        let parent = self
            .shared
            .chain
            .header(last_height)?
            .ok_or(AppError::NotInitialised)?;
        let snapshot = self.shared.storage.snapshot(last_height)?;
        let below = sheaf_state::ReadCache::new(&snapshot);
        let mut block = sheaf_state::BlockDelta::new(&below);
        sheaf_module_api::clock::set_height(&mut block, request.height);

        let chain_id = snapshot.get_u64(&state_key::chain_id());
        let params = read_params(&snapshot);
        let base_fee = snapshot.get_u64(&state_key::base_fee());
        // Priority fees go to the proposer's fee recipient.
        let proposer =
            sheaf_staking::RegistryRead::validator_by_address(&snapshot, &request.proposer)
                .map(|v| v.fee_recipient)
                .unwrap_or(Address::ZERO);
        let ctx = BlockContext {
            height: request.height,
            // Block time never runs backwards, whatever a proposer's clock says.
            timestamp: request.time.max(parent.header.timestamp),
            proposer,
            base_fee,
        };

        let votes: Vec<sheaf_staking::Vote> = request
            .decided_last_commit
            .votes
            .iter()
            .map(|v| sheaf_staking::Vote {
                validator: v.validator,
                signed: v.signed,
            })
            .collect();
        let evidence: Vec<sheaf_staking::Evidence> = request
            .misbehavior
            .iter()
            .map(|m| sheaf_staking::Evidence {
                validator: m.validator,
                height: m.height,
            })
            .collect();
        let mut staking_logs = vec![];
        let (mut power_updates, rejected) = sheaf_staking::begin_block(
            &mut block,
            request.height,
            &request.proposer,
            &votes,
            &evidence,
            &mut staking_logs,
        )
        .map_err(|e| AppError::Staking(e.to_string()))?;
        for why in rejected {
            tracing::warn!(height = request.height, "evidence ignored: {why}");
        }

        let decoded = self.decode_block(&request.txs, chain_id);
        let mut tx_results = Vec::with_capacity(decoded.len());
        let mut body = BlockBody::new(decoded.len());
        let mut gas_used = 0u64;
        for tx in decoded {
            let tx = match tx {
                Ok(tx) => tx,
                Err(e) => {
                    tx_results.push(TxOutcome::Invalid {
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            match execute::execute_tx(&mut block, &tx, &ctx, params.block_gas_limit - gas_used) {
                Ok(mut receipt) => {
                    gas_used += receipt.gas_used;
                    receipt.cumulative_gas_used = gas_used;
                    tx_results.push(TxOutcome::Executed {
                        hash: tx.hash,
                        success: receipt.success,
                        gas_used: receipt.gas_used,
                    });
                    let encoded = tx.raw.clone();
                    body.push(tx.into(), encoded, receipt);
                }
                Err(
                    deferred
                    @ (InvalidTx::BlockGasExceeded { .. } | InvalidTx::NonceTooHigh { .. }),
                ) => tx_results.push(TxOutcome::Deferred {
                    reason: deferred.to_string(),
                }),
                Err(invalid) => tx_results.push(TxOutcome::Invalid {
                    reason: invalid.to_string(),
                }),
            }
        }

        let ended = sheaf_staking::end_block(&mut block, request.height, &mut staking_logs)
            .map_err(|e| AppError::Staking(e.to_string()))?;
        power_updates.extend(ended.power_updates);
        let withdrawals: Vec<alloy_eips::eip4895::Withdrawal> = ended
            .withdrawals
            .iter()
            .map(|w| alloy_eips::eip4895::Withdrawal {
                index: w.index,
                validator_index: w.validator_index,
                address: w.address,
                amount: w.amount_gwei,
            })
            .collect();
        // The last change of each key wins; CometBFT refuses duplicate keys in one response.
        let mut validator_updates: Vec<ValidatorUpdate> = vec![];
        for u in power_updates {
            validator_updates.retain(|v| v.pub_key != u.pubkey);
            validator_updates.push(ValidatorUpdate {
                pub_key: u.pubkey,
                power: u.power,
            });
        }

        let next_fee = execute::next_base_fee(
            base_fee,
            gas_used,
            params.block_gas_limit,
            params.min_base_fee,
        );
        block.put_u64(state_key::base_fee(), next_fee);

        let changes = block.into_changes();
        drop(snapshot);
        let header = Header {
            parent_hash: parent.hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: proposer,
            number: request.height,
            gas_limit: params.block_gas_limit,
            timestamp: ctx.timestamp,
            base_fee_per_gas: Some(base_fee),
            ..Default::default()
        };
        // The Merkle update and the rest of the block's tries need nothing from each other
        // (only the header hash needs the state root), so they run side by side.
        let storage = &self.shared.storage;
        let (prepared, sealed) = rayon::join(
            || storage.prepare(request.height, &changes),
            || body.seal(header, withdrawals),
        );
        let prepared = prepared?;
        let mut block = sealed.with_state_root(B256::from(prepared.root));
        block.system_logs = staking_logs;
        let app_hash = prepared.root;
        self.pending = Some(Pending { prepared, block });
        Ok(FinalizeResponse {
            tx_results,
            validator_updates,
            app_hash,
        })
    }

    fn commit(&mut self) -> Result<(), AppError> {
        let Pending { prepared, block } = self.pending.take().ok_or(AppError::NothingToCommit)?;
        let mut aux = block.aux_writes();
        aux.extend(self.shared.chain.swap_volume_writes(&block)?);
        if std::env::var_os("SHEAF_FAILPOINT").is_some_and(|v| v == "before-commit") {
            // For crash tests: die after finalize, before anything of the block is durable.
            std::process::abort();
        }
        self.shared.storage.commit(prepared, aux)?;
        self.shared.committed();
        // Forgetting the block's transactions (30,000 removals, under the lock every send takes)
        // and freeing the block took 20 ms of a large block's commit, and no one waits on either:
        // they run on the thread pool.
        let recovered = Arc::clone(&self.shared.recovered);
        rayon::spawn(move || {
            let mut cache = recovered.lock();
            for tx in &block.txs {
                cache.remove(&tx.hash);
            }
            drop(cache);
            drop(block);
        });
        Ok(())
    }

    fn query(
        &self,
        path: &str,
        data: &[u8],
        height: Option<u64>,
    ) -> Result<QueryResponse, AppError> {
        let latest = self.info()?.last_block_height;
        let height = height.unwrap_or(latest).min(latest);
        let snapshot = self.shared.storage.snapshot(height)?;
        let value = match path {
            "/store" => snapshot.get_raw(data),
            _ => None,
        };
        Ok(QueryResponse { height, value })
    }
}

impl SheafApp {
    /// Decodes a block's transactions on every core, reusing what `check_tx` already decoded and
    /// recovered.
    fn decode_block(&self, txs: &[Bytes], chain_id: u64) -> Vec<Result<SignedTx, TxError>> {
        use rayon::prelude::*;
        txs.par_iter()
            .with_max_len(sheaf_tx::RECOVERY_PIECE)
            .map(|raw| self.shared.decode(raw, chain_id))
            .collect()
    }
}
