//! The mempool: transactions admitted by `check_tx` wait here until a block takes them.
//!
//! Per sender, transactions are kept by nonce; a block takes each sender's run of consecutive
//! nonces starting at its account nonce, and across senders always the highest tip first (ties
//! go to whoever arrived first). A sender may queue a bounded number of future nonces; a
//! transaction at a nonce already pending replaces it only with fees at least 10% higher, as in
//! geth.

use std::{
    collections::{BTreeMap, BinaryHeap, HashMap},
    sync::Arc,
};

use alloy_primitives::{Address, B256};
use sheaf_tx::SignedTx;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("already known")]
    AlreadyKnown,
    #[error("nonce too low: next nonce {expected}, tx nonce {found}")]
    NonceTooLow { expected: u64, found: u64 },
    #[error(
        "nonce too high: tx nonce {found} is more than {limit} ahead of the next nonce {expected}"
    )]
    NonceTooHigh {
        expected: u64,
        found: u64,
        limit: u64,
    },
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    #[error("txpool is full")]
    Full,
    /// The consensus engine's mempool refused it (a CometBFT node), with its reason.
    #[error("{0}")]
    Rejected(String),
}

/// Why a transaction was not accepted for inclusion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Check(#[from] sheaf_app::CheckTxError),
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// Where RPC sends transactions and asks about pending ones: the dev driver's own mempool, or
/// (for a CometBFT node) CometBFT's.
pub trait TxPool: Send + Sync {
    /// Admits raw transaction bytes; returns the transaction hash.
    fn submit(&self, raw: &[u8]) -> Result<B256, SubmitError>;
    /// Whether `submit` may wait on something outside the process (CometBFT's RPC). When it
    /// cannot, RPC runs it on its async workers: handing each call to a blocking thread costs
    /// more in thread wake-ups than the ~50 µs of signature recovery it would move.
    fn submit_waits(&self) -> bool {
        true
    }
    /// The nonce a sender's next transaction should carry, counting pending ones.
    fn pending_nonce(&self, sender: &Address, account_nonce: u64) -> u64;
    fn pending_tx(&self, hash: &B256) -> Option<SignedTx>;
}

#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// How far past its account nonce a sender may queue.
    pub max_nonce_gap: u64,
    pub max_per_sender: usize,
    pub max_total: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_nonce_gap: 64,
            max_per_sender: 256,
            max_total: 50_000,
        }
    }
}

struct Entry {
    /// Shared, so that copying a block's candidates out under the lock is a count per
    /// transaction rather than a copy of it.
    tx: Arc<SignedTx>,
    arrival: u64,
}

#[derive(Default)]
pub struct Mempool {
    config: PoolConfig,
    by_sender: BTreeMap<Address, BTreeMap<u64, Entry>>,
    by_hash: HashMap<B256, (Address, u64)>,
    arrivals: u64,
}

impl Mempool {
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    pub fn get(&self, hash: &B256) -> Option<&Arc<SignedTx>> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.by_sender.get(sender)?.get(nonce).map(|e| &e.tx)
    }

    /// Admits `tx`, whose sender's committed nonce is `account_nonce`.
    pub fn insert(&mut self, tx: Arc<SignedTx>, account_nonce: u64) -> Result<(), PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let nonce = tx.nonce();
        if nonce < account_nonce {
            return Err(PoolError::NonceTooLow {
                expected: account_nonce,
                found: nonce,
            });
        }
        if nonce > account_nonce + self.config.max_nonce_gap {
            return Err(PoolError::NonceTooHigh {
                expected: account_nonce,
                found: nonce,
                limit: self.config.max_nonce_gap,
            });
        }
        let queue = self.by_sender.entry(tx.sender).or_default();
        if let Some(existing) = queue.get(&nonce) {
            let bump = |fee: u128| fee + fee / 10;
            if tx.max_fee_per_gas() < bump(existing.tx.max_fee_per_gas())
                || tx.max_priority_fee_per_gas() < bump(existing.tx.max_priority_fee_per_gas())
            {
                return Err(PoolError::ReplacementUnderpriced);
            }
            self.by_hash.remove(&existing.tx.hash);
        } else if queue.len() >= self.config.max_per_sender
            || self.by_hash.len() >= self.config.max_total
        {
            return Err(PoolError::Full);
        }
        self.arrivals += 1;
        self.by_hash.insert(tx.hash, (tx.sender, nonce));
        queue.insert(
            nonce,
            Entry {
                tx,
                arrival: self.arrivals,
            },
        );
        Ok(())
    }

    /// The nonce a sender's next transaction should carry: past every consecutive pending one.
    pub fn pending_nonce(&self, sender: &Address, account_nonce: u64) -> u64 {
        let mut next = account_nonce;
        if let Some(queue) = self.by_sender.get(sender) {
            while queue.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// Each sender's executable transactions (consecutive nonces from its account nonce, fee cap
    /// at least `base_fee`), copied out, so that choosing a block's transactions among them
    /// ([`Candidates::select`]), which reads the state for each transaction's gas, can happen
    /// without holding the pool.
    pub fn candidates(&self, account_nonce: impl Fn(&Address) -> u64, base_fee: u64) -> Candidates {
        let mut runs = Vec::new();
        for (sender, queue) in &self.by_sender {
            let first = account_nonce(sender);
            let run: Vec<Candidate> = queue
                .range(first..)
                .zip(first..)
                .take_while(|((nonce, entry), expected)| {
                    **nonce == *expected && entry.tx.max_fee_per_gas() >= base_fee as u128
                })
                .map(|((_, entry), _)| Candidate {
                    tip: entry.tx.effective_gas_price(base_fee) - base_fee as u128,
                    arrival: entry.arrival,
                    tx: Some(entry.tx.clone()),
                })
                .collect();
            if !run.is_empty() {
                runs.push(run);
            }
        }
        Candidates { runs }
    }

    /// Drops every transaction of `sender` below its new account nonce (included or replaced).
    pub fn prune_sender(&mut self, sender: &Address, account_nonce: u64) {
        let Some(queue) = self.by_sender.get_mut(sender) else {
            return;
        };
        let keep = queue.split_off(&account_nonce);
        for entry in queue.values() {
            self.by_hash.remove(&entry.tx.hash);
        }
        if keep.is_empty() {
            self.by_sender.remove(sender);
        } else {
            *queue = keep;
        }
    }

    /// Removes one transaction (found invalid at execution).
    pub fn remove(&mut self, hash: &B256) {
        if let Some((sender, nonce)) = self.by_hash.remove(hash)
            && let Some(queue) = self.by_sender.get_mut(&sender)
        {
            queue.remove(&nonce);
            if queue.is_empty() {
                self.by_sender.remove(&sender);
            }
        }
    }

    pub fn senders(&self) -> impl Iterator<Item = &Address> {
        self.by_sender.keys()
    }
}

/// Executable transactions copied out of the pool by [`Mempool::candidates`]: per sender, in
/// nonce order.
pub struct Candidates {
    runs: Vec<Vec<Candidate>>,
}

struct Candidate {
    tip: u128,
    arrival: u64,
    /// Taken when chosen, so the chosen transaction moves out instead of being copied again.
    tx: Option<Arc<SignedTx>>,
}

impl Candidates {
    /// Highest tip first (earlier arrival on ties), each sender's transactions in nonce order,
    /// until `gas_limit` or `max_txs` is reached.
    ///
    /// Gas is counted as geth's block builder counts it: a transaction goes in if its gas limit
    /// fits in the gas left, and then uses up only `gas_used(tx)` (at most its limit). Wallets
    /// pad their limits, so counting limits would leave blocks part empty.
    pub fn select(
        mut self,
        gas_used: impl Fn(&SignedTx) -> u64,
        gas_limit: u64,
        max_txs: usize,
    ) -> Vec<Arc<SignedTx>> {
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        struct Head {
            tip: u128,
            earlier: std::cmp::Reverse<u64>,
            run: usize,
            position: usize,
        }
        let head = |run: usize, position: usize, candidate: &Candidate| Head {
            tip: candidate.tip,
            earlier: std::cmp::Reverse(candidate.arrival),
            run,
            position,
        };
        let mut heap: BinaryHeap<Head> = self
            .runs
            .iter()
            .enumerate()
            .map(|(run, candidates)| head(run, 0, &candidates[0]))
            .collect();
        let mut chosen = vec![];
        let mut gas_left = gas_limit;
        while let Some(Head { run, position, .. }) = heap.pop() {
            if chosen.len() >= max_txs {
                break;
            }
            // Each position enters the heap once, so its transaction is still there.
            let Some(tx) = self.runs[run][position].tx.take() else {
                continue;
            };
            if tx.gas_limit() > gas_left {
                // This sender's later nonces cannot go before this one: skip the sender.
                continue;
            }
            gas_left -= gas_used(&tx).min(tx.gas_limit());
            chosen.push(tx);
            if let Some(next) = self.runs[run].get(position + 1) {
                heap.push(head(run, position + 1, next));
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use sheaf_app::genesis::DEV_KEYS;
    use sheaf_tx::sign::{Signer, eip1559};

    fn tx(key: usize, nonce: u64, tip: u128) -> Arc<SignedTx> {
        let signer = Signer::new(DEV_KEYS[key].1).expect("key");
        let raw = signer.sign_1559(eip1559(
            1,
            nonce,
            Address::ZERO,
            U256::ZERO,
            Default::default(),
            21_000,
            100 + tip,
            tip,
        ));
        Arc::new(sheaf_tx::decode(&raw, 1).expect("valid"))
    }

    #[test]
    fn orders_by_nonce_per_sender_and_tip_across() {
        let mut pool = Mempool::default();
        pool.insert(tx(0, 1, 50), 0).expect("queued");
        pool.insert(tx(0, 0, 1), 0).expect("pending");
        pool.insert(tx(1, 0, 10), 0).expect("pending");
        pool.insert(tx(2, 2, 99), 0).expect("gapped");
        let chosen: Vec<(Address, u64)> = pool
            .candidates(|_| 0, 100)
            .select(SignedTx::gas_limit, 1_000_000, 100)
            .iter()
            .map(|t| (t.sender, t.nonce()))
            .collect();
        let (a, b) = (DEV_KEYS[0].0, DEV_KEYS[1].0);
        // Sender 1 tips 10 > sender 0's head tip 1; sender 0's nonce 1 follows its nonce 0;
        // sender 2 has a gap and waits.
        assert_eq!(chosen, vec![(b, 0), (a, 0), (a, 1)]);
        assert_eq!(pool.pending_nonce(&a, 0), 2);
        assert_eq!(pool.pending_nonce(&DEV_KEYS[2].0, 0), 0);
    }

    #[test]
    fn a_senders_run_stops_at_an_underpriced_nonce_and_starts_at_its_account_nonce() {
        let mut pool = Mempool::default();
        // Sender 0: nonce 1's fee cap (110) is under a base fee of 120, so nonce 2 waits too.
        for (nonce, tip) in [(0, 50), (1, 10), (2, 50)] {
            pool.insert(tx(0, nonce, tip), 0).expect("queued");
        }
        // Sender 1: nonce 0 is already mined (its account nonce is 1) but not yet pruned.
        for nonce in [0, 1] {
            pool.insert(tx(1, nonce, 30), 0).expect("queued");
        }
        let (a, b) = (DEV_KEYS[0].0, DEV_KEYS[1].0);
        let account_nonce = |sender: &Address| u64::from(*sender == b);
        let chosen: Vec<(Address, u64)> = pool
            .candidates(account_nonce, 120)
            .select(SignedTx::gas_limit, 1_000_000, 100)
            .iter()
            .map(|t| (t.sender, t.nonce()))
            .collect();
        // Tips over the base fee: sender 0's nonce 0 pays 30, sender 1's nonce 1 pays 10.
        assert_eq!(chosen, vec![(a, 0), (b, 1)]);
    }

    #[test]
    fn admission_rules() {
        let mut pool = Mempool::default();
        let first = tx(0, 0, 10);
        pool.insert(first.clone(), 0).expect("ok");
        assert_eq!(pool.insert(first, 0), Err(PoolError::AlreadyKnown));
        assert_eq!(
            pool.insert(tx(0, 0, 10 + 1), 0),
            Err(PoolError::ReplacementUnderpriced)
        );
        pool.insert(tx(0, 0, 30), 0)
            .expect("replacement with +10% fees");
        assert_eq!(pool.len(), 1);
        assert!(matches!(
            pool.insert(tx(1, 0, 1), 3),
            Err(PoolError::NonceTooLow { .. })
        ));
        assert!(matches!(
            pool.insert(tx(1, 65, 1), 0),
            Err(PoolError::NonceTooHigh { .. })
        ));
        pool.insert(tx(1, 0, 1), 0).expect("ok");
        pool.insert(tx(1, 1, 1), 0).expect("ok");
        pool.prune_sender(&DEV_KEYS[1].0, 1);
        assert_eq!(pool.len(), 2);
        assert_eq!(pool.pending_nonce(&DEV_KEYS[1].0, 1), 2);
    }

    #[test]
    fn block_gas_limit_is_respected() {
        let mut pool = Mempool::default();
        for n in 0..10 {
            pool.insert(tx(3, n, 5), 0).expect("ok");
        }
        let by_limit = SignedTx::gas_limit;
        assert_eq!(
            pool.candidates(|_| 0, 100)
                .select(by_limit, 21_000 * 4 + 1, 100)
                .len(),
            4
        );
        assert_eq!(
            pool.candidates(|_| 0, 100)
                .select(by_limit, 10_000_000, 3)
                .len(),
            3
        );
        assert!(
            pool.candidates(|_| 0, 10_000)
                .select(by_limit, 10_000_000, 100)
                .is_empty(),
            "fee cap below base fee waits"
        );
    }

    #[test]
    fn blocks_fill_by_gas_used_while_each_limit_must_fit() {
        let mut pool = Mempool::default();
        for n in 0..10 {
            pool.insert(tx(3, n, 5), 0).expect("ok");
        }
        // Limits of 21,000 each, 7,000 used each, 42,000 in the block: the fourth still finds
        // its full limit left (42,000 - 3 × 7,000), the fifth does not (14,000).
        assert_eq!(
            pool.candidates(|_| 0, 100)
                .select(SignedTx::gas_limit, 42_000, 100)
                .len(),
            2
        );
        assert_eq!(
            pool.candidates(|_| 0, 100)
                .select(|_| 7_000, 42_000, 100)
                .len(),
            4
        );
        // A transaction never counts for more than its limit.
        assert_eq!(
            pool.candidates(|_| 0, 100)
                .select(|_| u64::MAX, 42_000, 100)
                .len(),
            2
        );
    }
}
