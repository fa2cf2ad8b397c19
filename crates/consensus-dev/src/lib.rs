//! The dev driver: a single validator that produces blocks in-process, calling the same
//! [`Application`] methods CometBFT would. Blocks come every `block_time`, or, with a block time
//! of zero, as soon as a transaction arrives.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, B256};
use parking_lot::Mutex;
use sheaf_app::{
    Admitted, AppError, Application, CommitInfo, FinalizeBlock, Shared, SheafApp, TxOutcome,
};
use sheaf_bank::BankRead;
use sheaf_mempool::{Mempool, SubmitError, TxPool};
use sheaf_tx::SignedTx;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Copy)]
pub struct DevConfig {
    /// Zero means: mine as soon as a transaction arrives.
    pub block_time: Duration,
    /// A backstop only: the block gas limit is what bounds a block. It is set above what the gas
    /// limit admits at any sensible setting (50,000 transfers need 1.05 G gas) so that raising the
    /// gas limit is enough to raise a block's capacity.
    pub max_txs_per_block: usize,
}

impl Default for DevConfig {
    fn default() -> Self {
        Self {
            block_time: Duration::from_secs(1),
            max_txs_per_block: 50_000,
        }
    }
}

/// What the driver shares with RPC: the mempool, a way to wake it, and new-head notifications.
pub struct DevPool {
    shared: Arc<Shared>,
    mempool: Mutex<Mempool>,
    wake: Mutex<mpsc::Sender<()>>,
    /// With `--block-time 0` a transaction wakes the driver; with a block clock it waits for the
    /// clock, and waking the driver thread per transaction would only cost a context switch each.
    mines_on_arrival: bool,
    /// Set by the first transaction since the driver last woke, so a burst wakes it once.
    wake_sent: AtomicBool,
    heads: broadcast::Sender<u64>,
}

impl TxPool for DevPool {
    fn submit(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        let Admitted { tx, account_nonce } = self.shared.admit(raw)?;
        let hash = tx.hash;
        self.mempool.lock().insert(tx, account_nonce)?;
        if self.mines_on_arrival && !self.wake_sent.swap(true, Ordering::AcqRel) {
            // The driver may have stopped; a transaction then simply waits.
            let _ = self.wake.lock().send(());
        }
        Ok(hash)
    }

    fn submit_waits(&self) -> bool {
        false
    }

    fn pending_nonce(&self, sender: &Address, account_nonce: u64) -> u64 {
        self.mempool.lock().pending_nonce(sender, account_nonce)
    }

    fn pending_tx(&self, hash: &B256) -> Option<SignedTx> {
        self.mempool.lock().get(hash).map(|tx| SignedTx::clone(tx))
    }
}

impl DevPool {
    /// A receiver of each newly committed height.
    pub fn subscribe_heads(&self) -> broadcast::Receiver<u64> {
        self.heads.subscribe()
    }

    /// The sender side of new-head notifications (for `eth_subscribe`).
    pub fn heads_sender(&self) -> broadcast::Sender<u64> {
        self.heads.clone()
    }

    pub fn pending_count(&self) -> usize {
        self.mempool.lock().len()
    }
}

/// The running driver. Dropping it does not stop it; call [`DevDriver::stop`].
pub struct DevDriver {
    pub pool: Arc<DevPool>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<Result<(), AppError>>>,
}

impl DevDriver {
    /// Starts producing blocks on a thread of its own.
    pub fn start(mut app: SheafApp, config: DevConfig) -> Result<Self, AppError> {
        let shared = app.shared();
        let validators = app.validators()?;
        let proposer = validators
            .first()
            .map(|v| v.consensus_address())
            .unwrap_or_default();
        let (wake_tx, wake_rx) = mpsc::channel();
        let (heads, _) = broadcast::channel(256);
        let pool = Arc::new(DevPool {
            shared,
            mempool: Mutex::new(Mempool::default()),
            wake: Mutex::new(wake_tx),
            mines_on_arrival: config.block_time.is_zero(),
            wake_sent: AtomicBool::new(false),
            heads,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (pool, stop) = (pool.clone(), stop.clone());
            thread::Builder::new()
                .name("dev-driver".into())
                .spawn(move || run(&mut app, &pool, &stop, wake_rx, config, proposer))
                .map_err(|e| AppError::Encoding(format!("spawn driver: {e}")))?
        };
        Ok(Self {
            pool,
            stop,
            thread: Some(thread),
        })
    }

    /// Stops after the block in progress (if any) is committed.
    pub fn stop(mut self) -> Result<(), AppError> {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.pool.wake.lock().send(());
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(AppError::Encoding("dev driver panicked".into())),
            None => Ok(()),
        }
    }
}

fn run(
    app: &mut SheafApp,
    pool: &DevPool,
    stop: &AtomicBool,
    wake: mpsc::Receiver<()>,
    config: DevConfig,
    proposer: [u8; 20],
) -> Result<(), AppError> {
    let mut next_block = Instant::now() + config.block_time;
    loop {
        if config.block_time.is_zero() {
            if pool.pending_count() == 0 {
                // Sleep until a transaction (or stop) arrives.
                let _ = wake.recv();
            }
            // Acquire: a submitter that saw the flag set inserted before setting it, so this
            // block's selection sees its transaction.
            pool.wake_sent.swap(false, Ordering::AcqRel);
            while wake.try_recv().is_ok() {}
        } else {
            let now = Instant::now();
            if now < next_block {
                match wake.recv_timeout(next_block - now) {
                    Ok(()) if !stop.load(Ordering::SeqCst) => continue,
                    _ => {}
                }
            }
            next_block = Instant::now().max(next_block) + config.block_time;
            if next_block < Instant::now() {
                next_block = Instant::now() + config.block_time;
            }
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if let Err(e) = produce_block(app, pool, &config, proposer) {
            tracing::error!(error = %e, "block production failed; the dev node stops");
            return Err(e);
        }
    }
}

fn produce_block(
    app: &mut SheafApp,
    pool: &DevPool,
    config: &DevConfig,
    proposer: [u8; 20],
) -> Result<(), AppError> {
    let shared = app.shared();
    // The dev chain simulates a healthy network: every validator in the current set signs.
    let commit = CommitInfo::all_signed(&app.validators()?);
    let height = app.info()?.last_block_height + 1;
    // Where a block's time goes, for the log: the driver's own wall time, never state.
    let started = Instant::now();
    let selected = {
        let snapshot = shared.latest_snapshot()?;
        let base_fee = sheaf_app::pending_base_fee(&snapshot);
        let gas_limit = sheaf_app::chain_params(&snapshot).block_gas_limit;
        // Sends wait on the pool's lock, so the state reads (each sender's nonce, each
        // transaction's gas) happen outside it: held through them, a 30,000-transaction block
        // stalled every send for 44 ms. A sender that arrives between the two looks is read
        // under the lock; one that arrives after waits for the next block, as before.
        let senders: Vec<Address> = pool.mempool.lock().senders().copied().collect();
        let nonces: BTreeMap<Address, u64> = senders
            .into_iter()
            .map(|a| (a, snapshot.nonce(&a)))
            .collect();
        let candidates = pool.mempool.lock().candidates(
            |a| nonces.get(a).copied().unwrap_or_else(|| snapshot.nonce(a)),
            base_fee,
        );
        candidates.select(
            |tx| sheaf_app::execute::gas_needed(&snapshot, tx),
            gas_limit,
            config.max_txs_per_block,
        )
    };
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let request = FinalizeBlock {
        height,
        time,
        proposer,
        decided_last_commit: commit,
        misbehavior: vec![],
        txs: selected.iter().map(|tx| tx.raw.clone()).collect(),
    };
    let chosen = started.elapsed();
    let response = app.finalize_block(request)?;
    let finalized = started.elapsed();
    app.commit()?;
    let committed = started.elapsed();

    // Each sender's new nonce is read once and outside the pool's lock, which every send waits
    // on: read per transaction under it, a block of 30,000 swaps stalled sends for 25 ms.
    let snapshot = shared.latest_snapshot()?;
    let mut nonces: BTreeMap<Address, u64> = BTreeMap::new();
    for tx in &selected {
        nonces
            .entry(tx.sender)
            .or_insert_with(|| snapshot.nonce(&tx.sender));
    }
    let mut mempool = pool.mempool.lock();
    for (tx, outcome) in selected.iter().zip(&response.tx_results) {
        if let TxOutcome::Invalid { reason } = outcome {
            tracing::debug!(hash = %tx.hash, %reason, "dropping transaction that could not execute");
            mempool.remove(&tx.hash);
        }
    }
    for (sender, nonce) in &nonces {
        mempool.prune_sender(sender, *nonce);
    }
    drop(mempool);
    let executed = response
        .tx_results
        .iter()
        .filter(|r| matches!(r, TxOutcome::Executed { .. }))
        .count();
    tracing::info!(
        height,
        txs = executed,
        app_hash = %B256::from(response.app_hash),
        choose_ms = chosen.as_millis() as u64,
        finalize_ms = (finalized - chosen).as_millis() as u64,
        commit_ms = (committed - finalized).as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "committed block"
    );
    let _ = pool.heads.send(height);
    Ok(())
}
