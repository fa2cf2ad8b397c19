//! An in-process node for tests: it produces blocks through the [`Application`] trait exactly as
//! a consensus driver would, and lets a test choose who signed the last commit and what
//! misbehaviour to report.

use alloy_primitives::Bytes;
use sheaf_state::Snapshot;

use crate::{
    AppError, Application, CommitInfo, FinalizeBlock, FinalizeResponse, Genesis, GenesisValidator,
    Misbehavior, SheafApp,
};

pub struct TestNode {
    pub app: SheafApp,
    validators: Vec<GenesisValidator>,
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
        let time = app
            .shared()
            .chain()
            .block(app.info()?.last_block_height)?
            .map(|b| b.header.timestamp)
            .unwrap_or(genesis.genesis_time);
        Ok(Self {
            app,
            validators: genesis.validators.clone(),
            time,
            _dir: None,
        })
    }

    pub fn height(&self) -> u64 {
        self.app.info().expect("info").last_block_height
    }

    pub fn snapshot(&self) -> Snapshot {
        self.app.shared().latest_snapshot().expect("snapshot")
    }

    /// A commit in which every validator signed.
    pub fn full_commit(&self) -> CommitInfo {
        CommitInfo::all_signed(&self.validators)
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
        let request = FinalizeBlock {
            height: self.height() + 1,
            time: self.time,
            proposer: self.validators[0].consensus_address(),
            decided_last_commit,
            misbehavior,
            txs,
        };
        let response = self.app.finalize_block(request)?;
        self.app.commit()?;
        Ok(response)
    }

    /// Produces `blocks` empty blocks.
    pub fn fast_forward(&mut self, blocks: u64) {
        for _ in 0..blocks {
            self.produce_block(vec![]);
        }
    }
}
