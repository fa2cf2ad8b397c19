//! Serves Sheaf's [`Application`] to CometBFT over ABCI++ (v0.38), with tower-abci.
//!
//! The same `SheafApp` the dev driver runs: CometBFT's requests are converted to the app's own
//! types and back, nothing more. `InitChain` carries the Sheaf genesis JSON as `app_state`, and
//! its chain id must be the one the genesis implies (`sheaf-<chain id>`), which is also what
//! validators sign votes for. Failures of `finalize_block` or `commit` are returned as errors,
//! which stops CometBFT: a node must never carry on with state it could not write.

pub mod pool;

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use parking_lot::Mutex;
use sheaf_app::{
    Application, CommitInfo, FinalizeBlock, Genesis, Misbehavior, MisbehaviorKind, SheafApp,
    TxOutcome, ValidatorUpdate, VoteInfo,
};
use tendermint::{
    abci::{
        Code,
        response::{self, ProcessProposal, VerifyVoteExtension},
        types::{BlockSignatureInfo, ExecTxResult},
    },
    block::BlockIdFlag,
    v0_38::abci::{Request, Response},
};
use tower::Service;
use tower_abci::BoxError;

pub use sheaf_app::consensus_chain_id;

/// The ABCI service: one app behind a lock (CometBFT sends consensus calls in order on one
/// connection; mempool, info and query calls come on others).
#[derive(Clone)]
pub struct AbciApp {
    app: Arc<Mutex<SheafApp>>,
}

impl AbciApp {
    pub fn new(app: SheafApp) -> Self {
        Self {
            app: Arc::new(Mutex::new(app)),
        }
    }

    /// Answers one request.
    pub fn handle(&self, request: Request) -> Result<Response, BoxError> {
        Ok(match request {
            Request::Echo(echo) => Response::Echo(response::Echo {
                message: echo.message,
            }),
            Request::Flush => Response::Flush,
            Request::Info(info) => {
                check_abci_version(&info.abci_version)?;
                Response::Info(self.info()?)
            }
            Request::InitChain(init) => Response::InitChain(self.init_chain(init)?),
            Request::Query(query) => Response::Query(self.query(query)),
            Request::CheckTx(check) => Response::CheckTx(self.check_tx(&check.tx)),
            Request::PrepareProposal(prepare) => {
                let max = usize::try_from(prepare.max_tx_bytes).unwrap_or(0);
                let txs = self
                    .app
                    .lock()
                    .prepare_proposal(prepare.txs.into_iter().map(to_alloy).collect(), max);
                Response::PrepareProposal(response::PrepareProposal {
                    txs: txs.into_iter().map(|tx| Bytes::from(tx.to_vec())).collect(),
                })
            }
            Request::ProcessProposal(process) => {
                let txs: Vec<alloy_primitives::Bytes> =
                    process.txs.into_iter().map(to_alloy).collect();
                Response::ProcessProposal(if self.app.lock().process_proposal(&txs) {
                    ProcessProposal::Accept
                } else {
                    ProcessProposal::Reject
                })
            }
            Request::ExtendVote(_) => Response::ExtendVote(response::ExtendVote {
                vote_extension: Bytes::new(),
            }),
            Request::VerifyVoteExtension(_) => {
                Response::VerifyVoteExtension(VerifyVoteExtension::Accept)
            }
            Request::FinalizeBlock(block) => Response::FinalizeBlock(self.finalize_block(block)?),
            Request::Commit => {
                self.app.lock().commit()?;
                Response::Commit(response::Commit {
                    data: Bytes::new(),
                    retain_height: 0u32.into(),
                })
            }
            Request::ListSnapshots => Response::ListSnapshots(Default::default()),
            Request::OfferSnapshot(_) => Response::OfferSnapshot(Default::default()),
            Request::LoadSnapshotChunk(_) => Response::LoadSnapshotChunk(Default::default()),
            Request::ApplySnapshotChunk(_) => Response::ApplySnapshotChunk(Default::default()),
        })
    }

    fn info(&self) -> Result<response::Info, BoxError> {
        let info = self.app.lock().info()?;
        Ok(response::Info {
            data: "sheaf".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: 1,
            last_block_height: info.last_block_height.try_into()?,
            last_block_app_hash: info.last_block_app_hash.to_vec().try_into()?,
        })
    }

    fn init_chain(
        &self,
        init: tendermint::v0_38::abci::request::InitChain,
    ) -> Result<response::InitChain, BoxError> {
        let genesis: Genesis = serde_json::from_slice(&init.app_state_bytes)
            .map_err(|e| format!("app_state is not a Sheaf genesis: {e}"))?;
        let expected = consensus_chain_id(genesis.chain_id);
        if init.chain_id != expected {
            return Err(format!(
                "CometBFT chain id {:?} does not match the Sheaf genesis ({expected:?})",
                init.chain_id
            )
            .into());
        }
        let out = self.app.lock().init_chain(&genesis)?;
        Ok(response::InitChain {
            consensus_params: None,
            validators: out
                .validators
                .iter()
                .map(to_update)
                .collect::<Result<_, _>>()?,
            app_hash: out.app_hash.to_vec().try_into()?,
        })
    }

    fn query(&self, query: tendermint::v0_38::abci::request::Query) -> response::Query {
        let height = u64::from(query.height);
        let answer =
            self.app
                .lock()
                .query(&query.path, &query.data, (height > 0).then_some(height));
        match answer {
            Ok(answer) => response::Query {
                value: answer.value.map(Bytes::from).unwrap_or_default(),
                height: answer.height.try_into().unwrap_or_default(),
                ..Default::default()
            },
            Err(e) => response::Query {
                code: Code::from(1),
                log: e.to_string(),
                ..Default::default()
            },
        }
    }

    fn check_tx(&self, tx: &[u8]) -> response::CheckTx {
        let shared = self.app.lock().shared();
        match shared.check_tx(tx) {
            Ok(tx) => response::CheckTx {
                gas_wanted: i64::try_from(tx.gas_limit()).unwrap_or(i64::MAX),
                sender: tx.sender.to_string(),
                ..Default::default()
            },
            Err(e) => response::CheckTx {
                code: Code::from(1),
                log: e.to_string(),
                ..Default::default()
            },
        }
    }

    fn finalize_block(
        &self,
        block: tendermint::v0_38::abci::request::FinalizeBlock,
    ) -> Result<response::FinalizeBlock, BoxError> {
        let votes = block
            .decided_last_commit
            .votes
            .iter()
            .map(|v| VoteInfo {
                validator: v.validator.address,
                power: u64::from(v.validator.power),
                signed: matches!(v.sig_info, BlockSignatureInfo::Flag(BlockIdFlag::Commit)),
            })
            .collect();
        let misbehavior = block
            .misbehavior
            .iter()
            .filter_map(|m| {
                let kind = match m.kind {
                    tendermint::abci::types::MisbehaviorKind::DuplicateVote => {
                        MisbehaviorKind::DuplicateVote
                    }
                    tendermint::abci::types::MisbehaviorKind::LightClientAttack => {
                        MisbehaviorKind::LightClientAttack
                    }
                    tendermint::abci::types::MisbehaviorKind::Unknown => return None,
                };
                Some(Misbehavior {
                    kind,
                    validator: m.validator.address,
                    height: m.height.value(),
                    time: u64::try_from(m.time.unix_timestamp()).unwrap_or(0),
                    total_voting_power: u64::from(m.total_voting_power),
                })
            })
            .collect();
        let mut proposer = [0u8; 20];
        proposer.copy_from_slice(block.proposer_address.as_bytes());
        let request = FinalizeBlock {
            height: block.height.value(),
            time: u64::try_from(block.time.unix_timestamp()).unwrap_or(0),
            proposer,
            decided_last_commit: CommitInfo {
                round: block.decided_last_commit.round.value(),
                votes,
            },
            misbehavior,
            txs: block.txs.into_iter().map(to_alloy).collect(),
        };
        let out = self.app.lock().finalize_block(request)?;
        Ok(response::FinalizeBlock {
            events: vec![],
            tx_results: out.tx_results.iter().map(to_result).collect(),
            validator_updates: out
                .validator_updates
                .iter()
                .map(to_update)
                .collect::<Result<_, _>>()?,
            consensus_param_updates: None,
            app_hash: out.app_hash.to_vec().try_into()?,
        })
    }
}

fn to_alloy(tx: Bytes) -> alloy_primitives::Bytes {
    alloy_primitives::Bytes::from(tx.to_vec())
}

/// Executed transactions are code 0 even when they reverted: like Ethereum, they are in the
/// block and paid their fee (the receipt says whether the call succeeded). Code 1 means the
/// transaction could not be executed at all and changed nothing.
fn to_result(outcome: &TxOutcome) -> ExecTxResult {
    match outcome {
        TxOutcome::Executed {
            gas_used, success, ..
        } => ExecTxResult {
            gas_used: i64::try_from(*gas_used).unwrap_or(i64::MAX),
            log: if *success {
                String::new()
            } else {
                "reverted".into()
            },
            ..Default::default()
        },
        TxOutcome::Invalid { reason } | TxOutcome::Deferred { reason } => ExecTxResult {
            code: Code::from(1),
            log: reason.clone(),
            ..Default::default()
        },
    }
}

fn to_update(u: &ValidatorUpdate) -> Result<tendermint::validator::Update, BoxError> {
    Ok(tendermint::validator::Update {
        pub_key: tendermint::PublicKey::from_raw_ed25519(u.pub_key.as_slice())
            .ok_or("not an ed25519 key")?,
        power: u.power.try_into()?,
    })
}

impl Service<Request> for AbciApp {
    type Response = Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, BoxError>> + Send + 'static>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let this = self.clone();
        // The app does blocking storage work; keep it off the async reactor.
        Box::pin(async move { tokio::task::spawn_blocking(move || this.handle(request)).await? })
    }
}

/// The ABCI version this server speaks: CometBFT v0.38's (tower-abci 0.19's `v038`).
pub const ABCI_VERSION: &str = "2.0.0";

/// Refuses a CometBFT that speaks another ABCI: v1.0 (ABCI 2.x, x > 0) moved `ValidatorUpdate`'s
/// key to `pub_key_bytes`/`pub_key_type`, which tendermint-rs 0.40 cannot decode, so going on
/// would fail later with a decoding panic instead of this message.
fn check_abci_version(theirs: &str) -> Result<(), BoxError> {
    let major_minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    if major_minor(theirs) == major_minor(ABCI_VERSION) {
        return Ok(());
    }
    let why = format!(
        "CometBFT speaks ABCI {theirs}, Sheaf speaks ABCI {ABCI_VERSION}: run CometBFT v0.38.x \
         (scripts/test.sh installs v0.38.25)"
    );
    tracing::error!("{why}");
    Err(why.into())
}

/// Serves `app` on `addr` (CometBFT's `proxy_app`, e.g. 127.0.0.1:26658) until the process ends.
pub async fn serve(app: SheafApp, addr: std::net::SocketAddr) -> Result<(), BoxError> {
    let service = AbciApp::new(app);
    let (consensus, mempool, snapshot, info) = tower_abci::v038::split::service(service, 1);
    let server = tower_abci::v038::Server::builder()
        .consensus(consensus)
        .mempool(mempool)
        .snapshot(snapshot)
        .info(info)
        .finish()
        .ok_or("incomplete ABCI server")?;
    server.listen_tcp(addr).await
}
