//! `sheaf_farms`, `sheaf_proposals` and `sheaf_governance`: the lists and derived figures (APR,
//! TVL, proposal states and readable actions) that ABI views answer poorly.

use alloy_primitives::{Address, U256};
use serde::Serialize;
use sheaf_bank::BankRead;
use sheaf_farm::FarmRead;
use sheaf_gov::{GovStakingRead, GovernorRead, params};
use sheaf_state::Snapshot;

use crate::{
    error::{RpcError, RpcResult},
    eth::{EthApi, spot_value},
};

/// Blocks looked back over to measure the block interval APRs are annualised with.
const BLOCK_TIME_WINDOW: u64 = 1_000;
const SECONDS_PER_YEAR: u64 = 365 * 86_400;

/// One farm. Amounts are base units as decimal strings; values are in the quote token's base
/// units, absent when no pool prices the token.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FarmView {
    pub pid: u64,
    pub staked_token: String,
    /// "WETH/DAI LP" for a pool's LP token, else the token's symbol.
    pub staked_symbol: String,
    pub alloc_point: u64,
    pub total_alloc_point: u64,
    pub reward_token: String,
    /// SHF base units this farm emits per block (when it has stake).
    pub reward_per_block: String,
    pub total_staked: String,
    pub quote_token: String,
    pub tvl: Option<String>,
    /// Emission a year at the recent block rate, valued in the quote token, over TVL, in basis
    /// points.
    pub apr_bps: Option<String>,
    pub last_reward_block: u64,
    /// The `user` asked about: stake and pending reward as of the next block.
    pub user: Option<UserFarmView>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFarmView {
    pub address: String,
    pub staked: String,
    pub pending_reward: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposalView {
    /// Decimal, as Governor tooling shows it.
    pub id: String,
    pub proposer: String,
    pub state: String,
    pub snapshot: u64,
    pub deadline: u64,
    /// Block from which a queued proposal may execute; 0 until queued.
    pub eta: u64,
    /// Block after which a queued proposal can no longer execute.
    pub expires: Option<u64>,
    pub for_votes: String,
    pub against_votes: String,
    pub abstain_votes: String,
    /// Votes For + Abstain must reach, once the snapshot is past.
    pub quorum: Option<String>,
    pub description: String,
    pub description_hash: String,
    /// The typed actions, in words.
    pub actions: Vec<String>,
    pub targets: Vec<String>,
    pub values: Vec<String>,
    pub calldatas: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParamView {
    pub name: String,
    pub module: String,
    pub value: String,
    pub min: String,
    pub max: String,
    pub doc: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GovernanceView {
    pub governor: String,
    pub gov_token: String,
    pub staking_token: String,
    pub gov_per_block: String,
    pub total_staked: String,
    pub gov_supply: String,
    pub block_number: u64,
    pub params: Vec<ParamView>,
    /// ETH and genesis-token balances held by the governor.
    pub treasury: Vec<(String, String)>,
}

fn symbol(snapshot: &Snapshot, token: &Address) -> String {
    use sheaf_amm::AmmRead;
    if let Some(pool) = snapshot.pool(token) {
        // ETH pairs hold WETH, but people think of them as ETH pairs.
        let name = |t: &Address| {
            if *t == sheaf_abi::system::WETH {
                return "ETH".to_string();
            }
            snapshot
                .token_meta(t)
                .map(|m| m.symbol)
                .unwrap_or_else(|| t.to_string())
        };
        return format!("{}/{} LP", name(&pool.token0), name(&pool.token1));
    }
    snapshot
        .token_meta(token)
        .map(|m| m.symbol)
        .unwrap_or_else(|| token.to_string())
}

impl EthApi {
    /// Average seconds per block over the recent window (at least 1).
    fn seconds_per_block(&self, latest: u64) -> RpcResult<u64> {
        let from = latest.saturating_sub(BLOCK_TIME_WINDOW);
        let (Some(head), Some(old)) = (self.stored_block(latest)?, self.stored_block(from)?) else {
            return Ok(1);
        };
        let blocks = (latest - from).max(1);
        Ok(((head.header.timestamp - old.header.timestamp) / blocks).max(1))
    }

    pub fn farms(&self, quote: Option<String>, user: Option<Address>) -> RpcResult<Vec<FarmView>> {
        let snapshot = self.snapshot(None)?;
        let quote = self.quote_token(quote)?;
        let latest = self.latest()?;
        let blocks_per_year = SECONDS_PER_YEAR / self.seconds_per_block(latest)?;
        let reward_token = snapshot.reward_token();
        let rate = snapshot.reward_per_block();
        let total_alloc = snapshot.total_alloc_point();
        let mut out = vec![];
        for pid in 0..snapshot.farm_count() {
            let Some(farm) = snapshot.farm(pid) else {
                continue;
            };
            let per_block = if total_alloc == 0 {
                U256::ZERO
            } else {
                rate * U256::from(farm.alloc_point) / U256::from(total_alloc)
            };
            let tvl = spot_value(&snapshot, farm.staked_token, farm.total_staked, quote);
            let yearly = spot_value(
                &snapshot,
                reward_token,
                per_block * U256::from(blocks_per_year),
                quote,
            );
            let apr = tvl.zip(yearly).and_then(|(tvl, yearly)| {
                (!tvl.is_zero()).then(|| yearly * U256::from(10_000u64) / tvl)
            });
            let user = user
                .map(|address| -> RpcResult<UserFarmView> {
                    let pending = snapshot
                        .pending_reward(pid, &address, latest + 1)
                        .map_err(RpcError::server)?;
                    Ok(UserFarmView {
                        address: address.to_checksum(None),
                        staked: snapshot.stake(pid, &address).amount.to_string(),
                        pending_reward: pending.to_string(),
                    })
                })
                .transpose()?;
            out.push(FarmView {
                pid,
                staked_token: farm.staked_token.to_checksum(None),
                staked_symbol: symbol(&snapshot, &farm.staked_token),
                alloc_point: farm.alloc_point,
                total_alloc_point: total_alloc,
                reward_token: reward_token.to_checksum(None),
                reward_per_block: per_block.to_string(),
                total_staked: farm.total_staked.to_string(),
                quote_token: quote.to_checksum(None),
                tvl: tvl.map(|v| v.to_string()),
                apr_bps: apr.map(|v| v.to_string()),
                last_reward_block: farm.last_reward_block,
                user,
            });
        }
        Ok(out)
    }

    /// Every proposal, oldest first, with its state as of the next block (the block a
    /// transaction sent now would run in).
    pub fn proposals(&self) -> RpcResult<Vec<ProposalView>> {
        let snapshot = self.snapshot(None)?;
        let now = self.latest()? + 1;
        let grace = params::blocks(&snapshot, params::GRACE_PERIOD);
        let mut out = vec![];
        for index in 0..snapshot.proposal_count() {
            let Some(p) = snapshot
                .proposal_id_at(index)
                .and_then(|id| snapshot.proposal(&id))
            else {
                continue;
            };
            let state = snapshot.proposal_state(&p, now).map_err(RpcError::server)?;
            let quorum = snapshot.quorum_at(p.snapshot, p.quorum_numerator, now).ok();
            out.push(ProposalView {
                id: p.id.to_string(),
                proposer: p.proposer.to_checksum(None),
                state: format!("{state:?}"),
                snapshot: p.snapshot,
                deadline: p.deadline,
                eta: p.eta,
                expires: (p.eta > 0).then(|| p.eta.saturating_add(grace) - 1),
                for_votes: p.for_votes.to_string(),
                against_votes: p.against.to_string(),
                abstain_votes: p.abstain.to_string(),
                quorum: quorum.map(|q| q.to_string()),
                description: p.description.clone(),
                description_hash: p.description_hash.to_string(),
                actions: p.actions().iter().map(|a| a.to_string()).collect(),
                targets: p.targets.iter().map(|t| t.to_checksum(None)).collect(),
                values: p.values.iter().map(|v| v.to_string()).collect(),
                calldatas: p.calldatas.iter().map(|d| d.to_string()).collect(),
            });
        }
        Ok(out)
    }

    pub fn governance(&self) -> RpcResult<GovernanceView> {
        let snapshot = self.snapshot(None)?;
        let governor = sheaf_abi::system::GOVERNOR;
        let gov = snapshot.gov_token();
        let mut treasury = vec![(
            "ETH".to_string(),
            snapshot.eth_balance(&governor).to_string(),
        )];
        for token in sheaf_app::genesis_tokens(&snapshot) {
            let balance = snapshot.token_balance(&token, &governor);
            treasury.push((symbol(&snapshot, &token), balance.to_string()));
        }
        Ok(GovernanceView {
            governor: governor.to_checksum(None),
            gov_token: gov.to_checksum(None),
            staking_token: snapshot.staking_token().to_checksum(None),
            gov_per_block: snapshot.gov_per_block().to_string(),
            total_staked: snapshot.gov_pool().total_staked.to_string(),
            gov_supply: snapshot.token_supply(&gov).to_string(),
            block_number: self.latest()?,
            params: params::PARAMS
                .iter()
                .map(|spec| ParamView {
                    name: spec.name.to_string(),
                    module: spec.module.to_checksum(None),
                    value: params::get(&snapshot, spec.name).to_string(),
                    min: spec.min.to_string(),
                    max: spec.max.to_string(),
                    doc: spec.doc.to_string(),
                })
                .collect(),
            treasury,
        })
    }
}
