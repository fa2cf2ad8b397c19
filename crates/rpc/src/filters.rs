//! Polling filters, as geth serves them: `eth_newFilter`, `eth_newBlockFilter`,
//! `eth_newPendingTransactionFilter`, `eth_getFilterChanges`, `eth_getFilterLogs`,
//! `eth_uninstallFilter`. ethers' `contract.on` and viem's `createEventFilter` and
//! `watchPendingTransactions` poll these rather than `eth_getLogs`.
//!
//! A pending-transaction filter reports the transactions this node's RPC accepted since the last
//! poll (under CometBFT, not those that reached the chain through other nodes).
//!
//! Filters live in the node's memory only: a restart forgets them, and one that nobody polled for
//! five minutes is dropped (geth's timeout), so a client that went away costs nothing for long.
//! A client that polls a forgotten filter gets "filter not found" and installs a new one, as
//! with geth.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{B256, U64};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, FilterBlockOption, FilterChanges, Log};

use crate::{
    EthApi,
    error::{RpcError, RpcResult},
};

/// geth's `--rpc.filter-timeout` default.
const TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Installed filters at most, so that clients which never uninstall cannot grow the node's
/// memory without bound within the timeout.
const MAX_FILTERS: usize = 10_000;
/// Accepted transaction hashes kept for pending-transaction filters; a filter polled less often
/// than this many sends misses the oldest.
const MAX_PENDING_HASHES: usize = 100_000;

#[derive(Clone)]
enum Kind {
    Logs(Box<Filter>),
    Blocks,
    PendingTxs,
}

struct Installed {
    kind: Kind,
    /// The first block (for a pending-transaction filter: the first accepted transaction, by
    /// arrival number) the next `eth_getFilterChanges` reports.
    next_block: u64,
    last_polled: Instant,
}

#[derive(Default)]
pub struct Filters {
    table: Mutex<Table>,
    accepted: Mutex<Accepted>,
    /// Whether any pending-transaction filter is installed: until one is, sending a transaction
    /// records nothing.
    watching_pending: AtomicBool,
}

/// Hashes of accepted transactions, numbered by arrival: `hashes[0]` arrived `first`.
#[derive(Default)]
struct Accepted {
    first: u64,
    hashes: VecDeque<B256>,
}

impl Accepted {
    fn end(&self) -> u64 {
        self.first + self.hashes.len() as u64
    }
}

impl Filters {
    /// Called for each transaction the RPC accepted.
    pub fn accepted(&self, hash: B256) {
        if !self.watching_pending.load(Ordering::Acquire) {
            return;
        }
        let mut accepted = self.accepted.lock().expect("accepted hashes");
        if accepted.hashes.len() == MAX_PENDING_HASHES {
            accepted.hashes.pop_front();
            accepted.first += 1;
        }
        accepted.hashes.push_back(hash);
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().expect("filter table")
    }

    /// After the table changed: whether sends must still be recorded.
    fn update_watching(&self, table: &Table) {
        let any = table
            .installed
            .values()
            .any(|f| matches!(f.kind, Kind::PendingTxs));
        self.watching_pending.store(any, Ordering::Release);
        if !any {
            let mut accepted = self.accepted.lock().expect("accepted hashes");
            let end = accepted.end();
            accepted.hashes.clear();
            accepted.first = end;
        }
    }
}

#[derive(Default)]
struct Table {
    last_id: u64,
    installed: BTreeMap<u64, Installed>,
}

impl Table {
    fn drop_expired(&mut self, now: Instant) {
        self.installed
            .retain(|_, f| now.duration_since(f.last_polled) < TIMEOUT);
    }
}

fn not_found(id: U64) -> RpcError {
    RpcError::server(format!(
        "filter not found: {id} (filters not polled for 5 minutes are dropped, and a restart \
         drops them all; install a new one)"
    ))
}

impl EthApi {
    fn install(&self, kind: Kind) -> RpcResult<U64> {
        // Every change to the set of filters, and to whether sends are recorded, happens under
        // the table's lock, so an uninstall elsewhere cannot stop the recording this one starts.
        let mut table = self.filters.table();
        let next_block = match kind {
            Kind::PendingTxs => {
                // Recording starts before the filter's first position is taken, so no send
                // between the two is missed.
                self.filters.watching_pending.store(true, Ordering::Release);
                self.filters.accepted.lock().expect("accepted hashes").end()
            }
            _ => self.latest()? + 1,
        };
        let now = Instant::now();
        table.drop_expired(now);
        if table.installed.len() >= MAX_FILTERS {
            self.filters.update_watching(&table);
            return Err(RpcError::LimitExceeded(format!(
                "too many filters installed (at most {MAX_FILTERS}); uninstall some with \
                 eth_uninstallFilter"
            )));
        }
        table.last_id += 1;
        let id = table.last_id;
        table.installed.insert(
            id,
            Installed {
                kind,
                next_block,
                last_polled: now,
            },
        );
        self.filters.update_watching(&table);
        Ok(U64::from(id))
    }

    /// `eth_newFilter`: logs matching `filter` in blocks from the next one on.
    pub fn new_filter(&self, filter: Filter) -> RpcResult<U64> {
        if matches!(filter.block_option, FilterBlockOption::AtBlockHash(_)) {
            return Err(RpcError::params(
                "a filter by blockHash cannot report new logs; use eth_getLogs",
            ));
        }
        self.install(Kind::Logs(Box::new(filter)))
    }

    /// `eth_newBlockFilter`: the hashes of blocks from the next one on.
    pub fn new_block_filter(&self) -> RpcResult<U64> {
        self.install(Kind::Blocks)
    }

    /// `eth_newPendingTransactionFilter`: the hashes of transactions accepted from now on.
    pub fn new_pending_transaction_filter(&self) -> RpcResult<U64> {
        self.install(Kind::PendingTxs)
    }

    pub fn uninstall_filter(&self, id: U64) -> bool {
        let mut table = self.filters.table();
        let removed = table.installed.remove(&id.to()).is_some();
        self.filters.update_watching(&table);
        removed
    }

    fn polled(&self, id: U64) -> RpcResult<(Kind, u64)> {
        let now = Instant::now();
        let mut table = self.filters.table();
        table.drop_expired(now);
        self.filters.update_watching(&table);
        let installed = table
            .installed
            .get_mut(&id.to())
            .ok_or_else(|| not_found(id))?;
        installed.last_polled = now;
        Ok((installed.kind.clone(), installed.next_block))
    }

    /// `eth_getFilterChanges`: what happened since the last poll, then the next poll starts
    /// after the head seen now.
    pub fn filter_changes(&self, id: U64) -> RpcResult<FilterChanges> {
        let (kind, next_block) = self.polled(id)?;
        let head = self.latest()?;
        let changes = match kind {
            Kind::PendingTxs => {
                let accepted = self.filters.accepted.lock().expect("accepted hashes");
                let from = next_block.max(accepted.first);
                let hashes: Vec<B256> = accepted
                    .hashes
                    .iter()
                    .skip((from - accepted.first) as usize)
                    .copied()
                    .collect();
                let end = accepted.end();
                drop(accepted);
                let mut table = self.filters.table();
                if let Some(installed) = table.installed.get_mut(&id.to()) {
                    installed.next_block = installed.next_block.max(end);
                }
                return Ok(FilterChanges::Hashes(hashes));
            }
            Kind::Blocks => {
                let mut hashes: Vec<B256> = Vec::new();
                for number in next_block..=head {
                    if let Some(header) = self
                        .shared
                        .chain()
                        .header(number)
                        .map_err(RpcError::server)?
                    {
                        hashes.push(header.hash);
                    }
                }
                FilterChanges::Hashes(hashes)
            }
            Kind::Logs(filter) => {
                let (from, to) = match filter.block_option {
                    FilterBlockOption::Range {
                        from_block,
                        to_block,
                    } => (
                        match from_block {
                            Some(BlockNumberOrTag::Number(n)) => next_block.max(n),
                            _ => next_block,
                        },
                        match to_block {
                            Some(BlockNumberOrTag::Number(n)) => head.min(n),
                            _ => head,
                        },
                    ),
                    // Refused at install; an empty range if one ever got here.
                    FilterBlockOption::AtBlockHash(_) => (1, 0),
                };
                let logs: Vec<Log> = if from > to {
                    vec![]
                } else {
                    self.logs((*filter).from_block(from).to_block(to))?
                };
                FilterChanges::Logs(logs)
            }
        };
        // Only forward: a poll that raced this one past a later head keeps its place.
        let mut table = self.filters.table();
        if let Some(installed) = table.installed.get_mut(&id.to()) {
            installed.next_block = installed.next_block.max(head + 1);
        }
        Ok(changes)
    }

    /// `eth_getFilterLogs`: every log the filter's criteria match, whatever was polled.
    pub fn filter_logs(&self, id: U64) -> RpcResult<Vec<Log>> {
        match self.polled(id)?.0 {
            Kind::Logs(filter) => self.logs(*filter),
            Kind::Blocks | Kind::PendingTxs => Err(RpcError::params(format!(
                "filter {id} is not a log filter; eth_getFilterLogs takes one from eth_newFilter"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_not_polled_within_the_timeout_are_dropped() {
        let start = Instant::now();
        let polled_at = |last_polled| Installed {
            kind: Kind::Blocks,
            next_block: 0,
            last_polled,
        };
        let mut table = Table::default();
        table.installed.insert(1, polled_at(start));
        table.installed.insert(2, polled_at(start + TIMEOUT / 2));
        let ids = |table: &Table| table.installed.keys().copied().collect::<Vec<_>>();

        table.drop_expired(start + TIMEOUT / 2);
        assert_eq!(ids(&table), [1, 2]);
        table.drop_expired(start + TIMEOUT);
        assert_eq!(ids(&table), [2], "filter 1 went a whole timeout unpolled");
        table.drop_expired(start + TIMEOUT / 2 + TIMEOUT);
        assert!(ids(&table).is_empty());
    }

    #[test]
    fn accepted_hashes_are_kept_only_while_watched_and_only_the_newest() {
        let filters = Filters::default();
        filters.accepted(B256::repeat_byte(1));
        assert_eq!(
            filters.accepted.lock().unwrap().end(),
            0,
            "nobody watches: nothing kept"
        );

        filters.watching_pending.store(true, Ordering::Release);
        for i in 0..MAX_PENDING_HASHES as u64 + 5 {
            filters.accepted(B256::left_padding_from(&i.to_be_bytes()));
        }
        let accepted = filters.accepted.lock().unwrap();
        assert_eq!(
            (accepted.first, accepted.hashes.len()),
            (5, MAX_PENDING_HASHES)
        );
        assert_eq!(
            accepted.hashes[0],
            B256::left_padding_from(&5u64.to_be_bytes())
        );
        drop(accepted);

        // The last pending filter gone: the kept hashes go, arrival numbers keep counting.
        filters.update_watching(&Table::default());
        let accepted = filters.accepted.lock().unwrap();
        assert!(accepted.hashes.is_empty());
        assert_eq!(accepted.end(), MAX_PENDING_HASHES as u64 + 5);
        assert!(!filters.watching_pending.load(Ordering::Acquire));
    }
}
