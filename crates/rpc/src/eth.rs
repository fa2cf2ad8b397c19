//! The `eth_*`, `net_*`, `web3_*` and `sheaf_*` method bodies. Every read comes from a committed
//! snapshot, never from the block in progress.

use std::{collections::BTreeMap, sync::Arc};

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_rpc_types_eth::{
    Block, FeeHistory, Filter, FilterBlockOption, Log, Transaction, TransactionReceipt,
    TransactionRequest,
};
use sheaf_app::{Shared, StoredBlock};
use sheaf_bank::BankRead;
use sheaf_mempool::TxPool;
use sheaf_module_api::{BlockContext, CallEnv};
use sheaf_state::Snapshot;

use crate::{
    convert,
    error::{RpcError, RpcResult},
};

/// The tip `eth_maxPriorityFeePerGas` suggests: 1 gwei, enough to be ordered ahead of zero-tip
/// transactions and negligible next to any amount worth sending.
pub const SUGGESTED_TIP: u64 = 1_000_000_000;
/// Block range one `eth_getLogs` may scan, and results it may return (reth's defaults are 100k
/// blocks / 20k logs; this node keeps blocks as JSON, so it scans fewer).
pub const MAX_LOG_BLOCK_RANGE: u64 = 10_000;
pub const MAX_LOGS: usize = 10_000;
/// Blocks `eth_feeHistory` may cover in one call (geth's limit).
pub const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;
/// Gas cap of `eth_call` / `eth_estimateGas` (geth's `RPCGasCap`).
pub const CALL_GAS_CAP: u64 = 50_000_000;

#[derive(Clone)]
pub struct EthApi {
    pub shared: Arc<Shared>,
    pub pool: Arc<dyn TxPool>,
    pub chain_id: u64,
    pub blocks: Arc<BlockCache>,
    pub filters: Arc<crate::filters::Filters>,
}

/// Recently read blocks, decoded. A stored block is one JSON document with every transaction and
/// receipt, so decoding a 5,000-transaction block for each `eth_getTransactionReceipt` took
/// 30 ms; committed blocks never change, so keeping the last few decoded is always correct.
#[derive(Debug, Default)]
pub struct BlockCache(std::sync::Mutex<std::collections::VecDeque<(u64, Arc<StoredBlock>)>>);

impl BlockCache {
    const CAPACITY: usize = 64;

    fn get_or_load(
        &self,
        number: u64,
        load: impl FnOnce() -> RpcResult<Option<StoredBlock>>,
    ) -> RpcResult<Option<Arc<StoredBlock>>> {
        let lock = || {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((_, block)) = lock().iter().find(|(n, _)| *n == number) {
            return Ok(Some(block.clone()));
        }
        let Some(block) = load()?.map(Arc::new) else {
            return Ok(None);
        };
        let mut cache = lock();
        if cache.len() >= Self::CAPACITY {
            cache.pop_front();
        }
        cache.push_back((number, block.clone()));
        Ok(Some(block))
    }
}

impl EthApi {
    pub fn latest(&self) -> RpcResult<u64> {
        self.shared
            .chain()
            .latest_height()
            .map_err(RpcError::server)?
            .ok_or_else(|| RpcError::server("chain not started"))
    }

    /// The height a state query refers to. Tags resolve to the head (finality is instant, so
    /// `safe` and `finalized` are the head too); a height above the head is an error, as in geth.
    pub fn resolve(&self, id: Option<BlockId>) -> RpcResult<u64> {
        let latest = self.latest()?;
        match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Number(BlockNumberOrTag::Number(n)) if n > latest => Err(RpcError::server(
                format!("header not found: block {n} is above the head {latest}"),
            )),
            BlockId::Number(BlockNumberOrTag::Number(n)) => Ok(n),
            BlockId::Number(BlockNumberOrTag::Earliest) => Ok(0),
            BlockId::Number(_) => Ok(latest),
            BlockId::Hash(hash) => self
                .shared
                .chain()
                .block_number_by_hash(&hash.block_hash)
                .map_err(RpcError::server)?
                .ok_or_else(|| {
                    RpcError::server(format!("header for hash {} not found", hash.block_hash))
                }),
        }
    }

    pub(crate) fn snapshot(&self, id: Option<BlockId>) -> RpcResult<Snapshot> {
        let height = self.resolve(id)?;
        self.shared
            .storage()
            .snapshot(height)
            .map_err(RpcError::server)
    }

    pub(crate) fn stored_block(&self, number: u64) -> RpcResult<Option<Arc<StoredBlock>>> {
        self.blocks.get_or_load(number, || {
            self.shared.chain().block(number).map_err(RpcError::server)
        })
    }

    fn block_by_tag(&self, tag: BlockNumberOrTag) -> RpcResult<Option<Arc<StoredBlock>>> {
        let latest = self.latest()?;
        let number = match tag {
            BlockNumberOrTag::Number(n) if n > latest => return Ok(None),
            BlockNumberOrTag::Number(n) => n,
            BlockNumberOrTag::Earliest => 0,
            _ => latest,
        };
        self.stored_block(number)
    }

    pub fn client_version(&self) -> String {
        format!("sheaf/v{}", env!("CARGO_PKG_VERSION"))
    }

    pub fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.latest()?))
    }

    pub fn balance(&self, address: Address, id: Option<BlockId>) -> RpcResult<U256> {
        Ok(self.snapshot(id)?.eth_balance(&address))
    }

    pub fn transaction_count(&self, address: Address, id: Option<BlockId>) -> RpcResult<U64> {
        let pending = matches!(id, Some(BlockId::Number(BlockNumberOrTag::Pending)));
        let nonce = self.snapshot(id)?.nonce(&address);
        Ok(U64::from(if pending {
            self.pool.pending_nonce(&address, nonce)
        } else {
            nonce
        }))
    }

    pub fn code(&self, address: Address, id: Option<BlockId>) -> RpcResult<Bytes> {
        let snapshot = self.snapshot(id)?;
        if sheaf_abi::system::is_system(&address) || snapshot.is_token(&address) {
            Ok(Bytes::from_static(sheaf_abi::STUB_CODE))
        } else {
            Ok(Bytes::new())
        }
    }

    pub fn gas_price(&self) -> RpcResult<U256> {
        let snapshot = self.snapshot(None)?;
        Ok(U256::from(sheaf_app::pending_base_fee(&snapshot)) + U256::from(SUGGESTED_TIP))
    }

    /// Runs a call against the state at `id` without keeping anything.
    fn simulate(
        &self,
        request: &TransactionRequest,
        id: Option<BlockId>,
    ) -> RpcResult<(Bytes, u64)> {
        let height = self.resolve(id)?;
        let snapshot = self
            .shared
            .storage()
            .snapshot(height)
            .map_err(RpcError::server)?;
        let block = self
            .stored_block(height)?
            .ok_or_else(|| RpcError::server("block not found"))?;
        let to = match request.to {
            Some(alloy_primitives::TxKind::Call(to)) => to,
            _ => {
                return Err(RpcError::params(
                    "contract creation is not supported: Sheaf has no EVM",
                ));
            }
        };
        if request.gas.is_some_and(|gas| gas > CALL_GAS_CAP) {
            return Err(RpcError::params(format!(
                "gas above the call gas cap of {CALL_GAS_CAP}"
            )));
        }
        let env = CallEnv {
            caller: request.from.unwrap_or_default(),
            to,
            value: request.value.unwrap_or_default(),
            block: BlockContext {
                height: height + 1,
                timestamp: block.header.timestamp,
                proposer: block.header.beneficiary,
                base_fee: sheaf_app::pending_base_fee(&snapshot),
            },
        };
        let data = request.input.input().cloned().unwrap_or_default();
        let (output, gas, _logs) =
            sheaf_app::execute::simulate(&snapshot, &env, &data).map_err(RpcError::Reverted)?;
        if let Some(limit) = request.gas
            && gas > limit
        {
            return Err(RpcError::server(format!(
                "out of gas: needs {gas}, limit {limit}"
            )));
        }
        Ok((output, gas))
    }

    pub fn call(&self, request: TransactionRequest, id: Option<BlockId>) -> RpcResult<Bytes> {
        self.simulate(&request, id).map(|(output, _)| output)
    }

    pub fn estimate_gas(&self, request: TransactionRequest, id: Option<BlockId>) -> RpcResult<U64> {
        self.simulate(&request, id).map(|(_, gas)| U64::from(gas))
    }

    pub fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        let hash = self.pool.submit(&raw).map_err(RpcError::server)?;
        self.filters.accepted(hash);
        Ok(hash)
    }

    pub fn block_by_number(&self, tag: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>> {
        Ok(self.block_by_tag(tag)?.map(|b| convert::block(&b, full)))
    }

    pub fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<Block>> {
        let number = self
            .shared
            .chain()
            .block_number_by_hash(&hash)
            .map_err(RpcError::server)?;
        match number {
            Some(n) => Ok(self.stored_block(n)?.map(|b| convert::block(&b, full))),
            None => Ok(None),
        }
    }

    pub fn block_tx_count(&self, block: Option<Arc<StoredBlock>>) -> Option<U64> {
        block.map(|b| U64::from(b.txs.len()))
    }

    pub fn block_by_tag_raw(&self, tag: BlockNumberOrTag) -> RpcResult<Option<Arc<StoredBlock>>> {
        self.block_by_tag(tag)
    }

    pub fn block_by_hash_raw(&self, hash: B256) -> RpcResult<Option<Arc<StoredBlock>>> {
        match self
            .shared
            .chain()
            .block_number_by_hash(&hash)
            .map_err(RpcError::server)?
        {
            Some(n) => self.stored_block(n),
            None => Ok(None),
        }
    }

    fn locate(&self, hash: &B256) -> RpcResult<Option<(Arc<StoredBlock>, usize)>> {
        let Some((number, index)) = self
            .shared
            .chain()
            .tx_location(hash)
            .map_err(RpcError::server)?
        else {
            return Ok(None);
        };
        Ok(self.stored_block(number)?.map(|b| (b, index)))
    }

    pub fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        if let Some((block, index)) = self.locate(&hash)? {
            return Ok(Some(convert::transaction(&block, index)));
        }
        Ok(self.pool.pending_tx(&hash).map(|tx| Transaction {
            inner: alloy_consensus::transaction::Recovered::new_unchecked(tx.envelope, tx.sender),
            block_hash: None,
            block_number: None,
            transaction_index: None,
            effective_gas_price: None,
            block_timestamp: None,
        }))
    }

    pub fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        Ok(self
            .locate(&hash)?
            .map(|(block, index)| convert::receipt(&block, index)))
    }

    /// Every receipt of a block, or `None` for a block not (yet) there: geth's and reth's
    /// `eth_getBlockReceipts`, which indexers use instead of one call per transaction.
    pub fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<TransactionReceipt>>> {
        let stored = match block {
            BlockId::Number(tag) => self.block_by_tag(tag)?,
            BlockId::Hash(hash) => self.block_by_hash_raw(hash.block_hash)?,
        };
        Ok(stored.map(|b| convert::block_receipts(&b)))
    }

    pub fn fee_history(
        &self,
        block_count: u64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        if let Some(p) = &percentiles {
            let sorted = p.windows(2).all(|w| w[0] <= w[1]);
            if !sorted || p.iter().any(|x| !(0.0..=100.0).contains(x)) {
                return Err(RpcError::params(
                    "reward percentiles must be ascending values in [0, 100]",
                ));
            }
        }
        let latest = self.latest()?;
        let newest = match newest {
            BlockNumberOrTag::Number(n) => n.min(latest),
            BlockNumberOrTag::Earliest => 0,
            _ => latest,
        };
        let count = block_count.clamp(1, MAX_FEE_HISTORY_BLOCKS).min(newest + 1);
        let oldest = newest + 1 - count;
        let mut base_fees = vec![];
        let mut ratios = vec![];
        let mut rewards = vec![];
        for number in oldest..=newest {
            let block = self
                .stored_block(number)?
                .ok_or_else(|| RpcError::server("missing block"))?;
            let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
            base_fees.push(base_fee as u128);
            ratios.push(block.header.gas_used as f64 / block.header.gas_limit.max(1) as f64);
            if let Some(p) = &percentiles {
                rewards.push(block_rewards(&block, base_fee, p));
            }
        }
        let next_base_fee = if newest == latest {
            sheaf_app::pending_base_fee(&self.snapshot(None)?)
        } else {
            self.stored_block(newest + 1)?
                .and_then(|b| b.header.base_fee_per_gas)
                .unwrap_or_default()
        };
        base_fees.push(next_base_fee as u128);
        Ok(FeeHistory {
            base_fee_per_gas: base_fees,
            gas_used_ratio: ratios,
            base_fee_per_blob_gas: vec![],
            blob_gas_used_ratio: vec![],
            oldest_block: oldest,
            reward: percentiles.map(|_| rewards),
        })
    }

    pub fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        let latest = self.latest()?;
        let resolve = |tag: Option<BlockNumberOrTag>| match tag {
            Some(BlockNumberOrTag::Number(n)) => n,
            Some(BlockNumberOrTag::Earliest) => 0,
            _ => latest,
        };
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                let n = self
                    .shared
                    .chain()
                    .block_number_by_hash(&hash)
                    .map_err(RpcError::server)?
                    .ok_or_else(|| RpcError::server(format!("unknown block {hash}")))?;
                (n, n)
            }
            FilterBlockOption::Range {
                from_block,
                to_block,
            } => (resolve(from_block), resolve(to_block).min(latest)),
        };
        if from > to {
            return Ok(vec![]);
        }
        if to - from >= MAX_LOG_BLOCK_RANGE {
            return Err(RpcError::LimitExceeded(format!(
                "block range too large: {} blocks, at most {MAX_LOG_BLOCK_RANGE} per query",
                to - from + 1
            )));
        }
        let mut found = vec![];
        for number in from..=to {
            let Some(block) = self.stored_block(number)? else {
                continue;
            };
            if !filter.matches_bloom(block.header.logs_bloom) {
                continue;
            }
            for (index, first) in block.first_log_indexes().into_iter().enumerate() {
                for log in convert::logs(&block, index, first) {
                    if filter.matches(&log.inner) {
                        found.push(log);
                        if found.len() > MAX_LOGS {
                            return Err(RpcError::LimitExceeded(format!(
                                "query returned more than {MAX_LOGS} results"
                            )));
                        }
                    }
                }
            }
        }
        Ok(found)
    }

    /// Every system address and every genesis token, by name, EIP-55 checksummed.
    pub fn system_addresses(&self) -> RpcResult<BTreeMap<String, String>> {
        let snapshot = self.snapshot(None)?;
        let mut out: BTreeMap<String, String> = sheaf_abi::system::ALL
            .iter()
            .map(|(name, a)| (name.to_string(), a.to_checksum(None)))
            .collect();
        for token in sheaf_app::genesis_tokens(&snapshot) {
            if let Some(meta) = snapshot.token_meta(&token) {
                out.insert(meta.symbol, token.to_checksum(None));
            }
        }
        Ok(out)
    }
}

/// One pool as `sheaf_pools` reports it. Amounts are base units as decimal strings; values are in
/// the quote token's base units (absent when no pool prices a token in the quote token).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolView {
    pub address: String,
    pub token0: String,
    pub token1: String,
    pub symbol0: String,
    pub symbol1: String,
    pub reserve0: String,
    pub reserve1: String,
    pub total_supply: String,
    pub quote_token: String,
    pub tvl: Option<String>,
    pub volume_24h: Option<String>,
    pub fees_24h: Option<String>,
    /// Annualised fee income over TVL, in basis points (fees_24h * 365 / tvl).
    pub fee_apr_bps: Option<String>,
    /// Seconds of history the 24h figures cover: less than a day on a chain younger than that.
    pub window_seconds: u64,
}

impl EthApi {
    /// Every pool with reserves, TVL in `quote`, and 24h volume, fees and fee APR from its Swap
    /// events (summed per block into the chain's swap-volume index as blocks commit).
    pub fn pools(&self, quote: Option<String>) -> RpcResult<Vec<PoolView>> {
        use sheaf_amm::AmmRead;
        let snapshot = self.snapshot(None)?;
        let quote = self.quote_token(quote)?;
        let value = |token: Address, amount: U256| spot_value(&snapshot, token, amount, quote);

        let latest = self.latest()?;
        let chain = self.shared.chain();
        let head_time = chain
            .header(latest)
            .map_err(RpcError::server)?
            .ok_or_else(|| RpcError::server("missing head"))?
            .header
            .timestamp;
        // The day's volume is the running totals at the head minus those just before the first
        // block of the day: a few index reads per pool, however many blocks a day holds.
        let day_start = chain
            .first_block_since(head_time.saturating_sub(86_400), latest)
            .map_err(RpcError::server)?;
        // On a chain upgraded within the day, the index covers less than the day.
        let indexed_from = chain.swap_volume_from().map_err(RpcError::server)?;
        let first = match (day_start, indexed_from) {
            (Some(start), Some(from)) if from <= latest => Some(start.max(from)),
            _ => None,
        };
        let oldest = match first {
            Some(number) => chain
                .header(number)
                .map_err(RpcError::server)?
                .map_or(head_time, |h| h.header.timestamp),
            None => head_time,
        };
        let day_volume = |pair: &Address| -> RpcResult<(U256, U256)> {
            let Some(first) = first else {
                return Ok((U256::ZERO, U256::ZERO));
            };
            let now = chain.swap_volume(pair, latest).map_err(RpcError::server)?;
            let before = chain
                .swap_volume_before(pair, first)
                .map_err(RpcError::server)?;
            Ok((now.0 - before.0, now.1 - before.1))
        };

        let symbol = |t: &Address| snapshot.token_meta(t).map(|m| m.symbol).unwrap_or_default();
        let mut out = vec![];
        for index in 0..snapshot.all_pairs_length() {
            let Some(pair) = snapshot.pair_at(index) else {
                continue;
            };
            let Some(pool) = snapshot.pool(&pair) else {
                continue;
            };
            let tvl = value(pool.token0, pool.reserve0)
                .zip(value(pool.token1, pool.reserve1))
                .map(|(a, b)| a + b);
            let (in0, in1) = day_volume(&pair)?;
            let volume = value(pool.token0, in0)
                .zip(value(pool.token1, in1))
                .map(|(a, b)| a + b);
            // The 0.3% LP fee is taken on the input side.
            let fees = volume.map(|v| v * U256::from(3) / U256::from(1000));
            let apr = fees.zip(tvl).and_then(|(f, t)| {
                if t.is_zero() {
                    None
                } else {
                    Some(f * U256::from(365u64 * 10_000) / t)
                }
            });
            out.push(PoolView {
                address: pair.to_checksum(None),
                token0: pool.token0.to_checksum(None),
                token1: pool.token1.to_checksum(None),
                symbol0: symbol(&pool.token0),
                symbol1: symbol(&pool.token1),
                reserve0: pool.reserve0.to_string(),
                reserve1: pool.reserve1.to_string(),
                total_supply: snapshot.token_supply(&pair).to_string(),
                quote_token: quote.to_checksum(None),
                tvl: tvl.map(|v| v.to_string()),
                volume_24h: volume.map(|v| v.to_string()),
                fees_24h: fees.map(|v| v.to_string()),
                fee_apr_bps: apr.map(|v| v.to_string()),
                window_seconds: head_time - oldest,
            });
        }
        Ok(out)
    }
}

impl EthApi {
    /// The token values are quoted in: an address, a genesis symbol, or by default DAI (WETH on a
    /// chain without DAI).
    pub fn quote_token(&self, quote: Option<String>) -> RpcResult<Address> {
        let snapshot = self.snapshot(None)?;
        match quote {
            None => Ok(sheaf_app::genesis_tokens(&snapshot)
                .into_iter()
                .find(|t| snapshot.token_meta(t).is_some_and(|m| m.symbol == "DAI"))
                .unwrap_or(sheaf_abi::system::WETH)),
            Some(q) if q.starts_with("0x") => q
                .parse()
                .map_err(|_| RpcError::params("quote is not an address")),
            Some(symbol) => self
                .system_addresses()?
                .get(&symbol)
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| RpcError::params(format!("unknown quote token {symbol}"))),
        }
    }
}

/// Spot value of `amount` of `token` in `quote`: through a direct pool, else through WETH.
/// A pool's LP token is worth its share of both reserves. `None` when no pool prices it.
pub(crate) fn spot_value(
    snapshot: &Snapshot,
    token: Address,
    amount: U256,
    quote: Address,
) -> Option<U256> {
    use sheaf_amm::AmmRead;
    if token == quote {
        return Some(amount);
    }
    if let Some(pool) = snapshot.pool(&token) {
        let supply = snapshot.token_supply(&token);
        if supply.is_zero() {
            return Some(U256::ZERO);
        }
        let share =
            |reserve: U256| sheaf_primitives::math::mul_div_down(amount, reserve, supply).ok();
        let a = spot_value(snapshot, pool.token0, share(pool.reserve0)?, quote)?;
        let b = spot_value(snapshot, pool.token1, share(pool.reserve1)?, quote)?;
        return Some(a + b);
    }
    let direct = |token: Address, amount: U256, quote: Address| -> Option<U256> {
        let pool = snapshot.pool(&snapshot.get_pair(&token, &quote)?)?;
        let (r_token, r_quote) = if pool.token0 == token {
            (pool.reserve0, pool.reserve1)
        } else {
            (pool.reserve1, pool.reserve0)
        };
        if r_token.is_zero() {
            return None;
        }
        sheaf_primitives::math::mul_div_down(amount, r_quote, r_token).ok()
    };
    let weth = sheaf_abi::system::WETH;
    direct(token, amount, quote).or_else(|| {
        if token == weth || quote == weth {
            return None;
        }
        direct(weth, direct(token, amount, weth)?, quote)
    })
}

/// Tips paid in a block at each percentile of gas used, as geth computes `reward`.
fn block_rewards(block: &StoredBlock, base_fee: u64, percentiles: &[f64]) -> Vec<u128> {
    let mut tips: Vec<(u128, u64)> = block
        .receipts
        .iter()
        .map(|r| {
            (
                r.effective_gas_price.saturating_sub(base_fee as u128),
                r.gas_used,
            )
        })
        .collect();
    if tips.is_empty() {
        return vec![0; percentiles.len()];
    }
    tips.sort_unstable();
    let total: u64 = tips.iter().map(|(_, g)| g).sum();
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u64;
            let mut cumulative = 0u64;
            for (tip, gas) in &tips {
                cumulative += gas;
                if cumulative >= threshold {
                    return *tip;
                }
            }
            tips.last().map(|(t, _)| *t).unwrap_or_default()
        })
        .collect()
}
