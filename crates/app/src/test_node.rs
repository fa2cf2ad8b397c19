//! An in-process node for tests: it produces blocks through the [`Application`] trait exactly as
//! a consensus driver would, and lets a test choose who signed the last commit and what
//! misbehaviour to report.
//!
//! Like CometBFT, it applies the validator updates returned at height H from height H+2, and the
//! commit a block carries is signed by the set of the height before it.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, Bytes, U256};
use sheaf_bank::BankRead;
use sheaf_primitives::GWEI;
use sheaf_state::Snapshot;
use sheaf_tx::sign::{Signer, eip1559};

use crate::{
    AppError, Application, CommitInfo, FinalizeBlock, FinalizeResponse, Genesis, Misbehavior,
    SheafApp, TxOutcome, VoteInfo, genesis::consensus_address,
};

pub struct TestNode {
    pub app: SheafApp,
    /// The validator set (key → power) in force at each height, known up to two ahead.
    sets: BTreeMap<u64, BTreeMap<B256, u64>>,
    /// Validators that do not sign.
    offline: BTreeSet<B256>,
    time: u64,
    _dir: Option<tempfile::TempDir>,
}

impl TestNode {
    /// A fresh chain from `genesis` in a temporary directory.
    pub fn new(genesis: &Genesis) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut node = Self::open(&dir.path().join("state.redb"), genesis).expect("open test node");
        node._dir = Some(dir);
        node
    }

    /// Opens the chain at `path`, initialising it from `genesis` if it is new.
    pub fn open(path: &std::path::Path, genesis: &Genesis) -> Result<Self, AppError> {
        let mut app = SheafApp::open(path)?;
        if app.shared().storage().latest()?.is_none() {
            app.init_chain(genesis)?;
        }
        let height = app.info()?.last_block_height;
        let time = app
            .shared()
            .chain()
            .block(height)?
            .map(|b| b.header.timestamp)
            .unwrap_or(genesis.genesis_time);
        let current: BTreeMap<B256, u64> = app
            .validators()?
            .into_iter()
            .map(|v| (v.pub_key, v.power))
            .collect();
        let sets = (height..=height + 2)
            .map(|h| (h, current.clone()))
            .collect();
        Ok(Self {
            app,
            sets,
            offline: BTreeSet::new(),
            time,
            _dir: None,
        })
    }

    /// Stops (or resumes) signing for a validator.
    pub fn set_offline(&mut self, pubkey: B256, offline: bool) {
        if offline {
            self.offline.insert(pubkey);
        } else {
            self.offline.remove(&pubkey);
        }
    }

    /// The set in force at `height`.
    pub fn set_at(&self, height: u64) -> BTreeMap<B256, u64> {
        self.sets
            .range(..=height)
            .next_back()
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }

    pub fn height(&self) -> u64 {
        self.app.info().expect("info").last_block_height
    }

    pub fn snapshot(&self) -> Snapshot {
        self.app.shared().latest_snapshot().expect("snapshot")
    }

    /// The commit the next block carries: the previous height's set, online ones signing.
    pub fn full_commit(&self) -> CommitInfo {
        let previous = self.height();
        let votes = self
            .set_at(previous)
            .into_iter()
            .map(|(key, power)| VoteInfo {
                validator: consensus_address(&key),
                power,
                signed: !self.offline.contains(&key),
            })
            .collect();
        CommitInfo { round: 0, votes }
    }

    /// Finalizes and commits a block with `txs`, every validator signing, no misbehaviour.
    pub fn produce_block(&mut self, txs: Vec<Bytes>) -> FinalizeResponse {
        let commit = self.full_commit();
        self.produce_block_with(txs, commit, vec![]).expect("block")
    }

    /// Finalizes and commits a block with the given commit info and evidence.
    pub fn produce_block_with(
        &mut self,
        txs: Vec<Bytes>,
        decided_last_commit: CommitInfo,
        misbehavior: Vec<Misbehavior>,
    ) -> Result<FinalizeResponse, AppError> {
        self.time += 1;
        let height = self.height() + 1;
        let proposer = self
            .set_at(height)
            .keys()
            .find(|k| !self.offline.contains(*k))
            .map(consensus_address)
            .unwrap_or_default();
        let request = FinalizeBlock {
            height,
            time: self.time,
            proposer,
            decided_last_commit,
            misbehavior,
            txs,
        };
        let response = self.app.finalize_block(request)?;
        self.app.commit()?;
        let mut next = self.set_at(height + 1);
        for u in &response.validator_updates {
            if u.power == 0 {
                next.remove(&u.pub_key);
            } else {
                next.insert(u.pub_key, u.power);
            }
        }
        self.sets.insert(height + 2, next);
        Ok(response)
    }

    /// Signs `data` to `to` from `signer` at its current nonce (fee caps of 10 gwei, tip 1 gwei),
    /// runs it alone in a new block, and returns whether it succeeded and, if not, why.
    pub fn execute_one(
        &mut self,
        signer: &Signer,
        to: Address,
        value: U256,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> (bool, String) {
        let nonce = self.snapshot().nonce(&signer.address);
        let raw = signer.sign_1559(eip1559(
            self.chain_id(),
            nonce,
            to,
            value,
            data.into(),
            gas_limit,
            10 * GWEI as u128,
            GWEI as u128,
        ));
        let response = self.produce_block(vec![raw]);
        let TxOutcome::Executed { success, .. } = response.tx_results[0] else {
            panic!("not executed: {:?}", response.tx_results[0]);
        };
        let block = self
            .app
            .shared()
            .chain()
            .block(self.height())
            .expect("read the block")
            .expect("the block just committed");
        let reason = block.receipts[0].revert_reason.clone().unwrap_or_default();
        (success, reason)
    }

    fn chain_id(&self) -> u64 {
        self.app.shared().chain_id().expect("chain id")
    }

    /// Moves the clock the next block is made at forward by `seconds` (besides the usual one).
    pub fn advance_clock(&mut self, seconds: u64) {
        self.time += seconds;
    }

    /// Produces `blocks` empty blocks.
    pub fn fast_forward(&mut self, blocks: u64) {
        for _ in 0..blocks {
            self.produce_block(vec![]);
        }
    }
}
