//! `sheaf_validators`: the registry, queues and current APR in one read.

use alloy_primitives::Address;
use serde::Serialize;
use sheaf_staking::{FAR_FUTURE, GWEI_PER_ETH, RegistryRead, spec};

use crate::{error::RpcResult, eth::EthApi};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorView {
    pub index: u64,
    pub pubkey: String,
    pub consensus_address: String,
    pub withdrawal_address: String,
    pub fee_recipient: String,
    /// Pending, Eligible, Active, Exiting, Exited, Withdrawable, Withdrawn, Jailed or Slashed.
    pub status: String,
    pub balance_gwei: String,
    pub effective_balance_gwei: String,
    pub power: u64,
    pub slashed: bool,
    /// Epochs; absent while not scheduled.
    pub activation_eligibility_epoch: Option<u64>,
    pub activation_epoch: Option<u64>,
    pub exit_epoch: Option<u64>,
    pub withdrawable_epoch: Option<u64>,
    /// Block until which it is jailed (0: not jailed).
    pub jailed_until: u64,
    pub missed_in_window: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorsView {
    pub height: u64,
    pub epoch: u64,
    pub epoch_blocks: u64,
    pub seconds_per_block: u64,
    pub total_active_balance_gwei: String,
    /// What a fully online validator earns a year at the current total stake, in basis points.
    pub apr_bps: u64,
    /// Eligible validators waiting for activation, and how many activate per epoch.
    pub activation_queue: u64,
    pub activation_churn: u64,
    pub exit_queue: u64,
    pub withdrawals_enabled: bool,
    pub withdrawals_height: Option<u64>,
    pub penalties_burned_gwei: String,
    pub validators: Vec<ValidatorView>,
}

fn epoch_field(e: u64) -> Option<u64> {
    (e != FAR_FUTURE).then_some(e)
}

impl EthApi {
    /// Every validator (or only those withdrawing to `owner`).
    pub fn validators(&self, owner: Option<Address>) -> RpcResult<ValidatorsView> {
        let snapshot = self.snapshot(None)?;
        let height = self.latest()?;
        let p = sheaf_staking::params(&snapshot);
        // Views describe the block a transaction sent now would run in.
        let epoch = (height + 1) / p.epoch_blocks;
        let all = snapshot.validators();
        let active = all.iter().filter(|v| v.is_active(epoch)).count() as u64;
        let total: u64 = all
            .iter()
            .filter(|v| v.is_active(epoch))
            .map(|v| v.effective_balance)
            .sum();
        let per_increment = spec::base_reward_per_increment(&p, total) as u128;
        // b Gwei per increment (1 ETH) per 384 s, over a Julian year.
        let apr_bps = per_increment * 31_557_600 * 10_000 / (384 * GWEI_PER_ETH as u128);
        let activation_queue = all
            .iter()
            .filter(|v| {
                v.activation_epoch == FAR_FUTURE && v.activation_eligibility_epoch != FAR_FUTURE
            })
            .count() as u64;
        let exit_queue = all
            .iter()
            .filter(|v| v.exit_epoch != FAR_FUTURE && v.exit_epoch > epoch)
            .count() as u64;
        let withdrawals_height = snapshot.withdrawals_height();
        let validators = all
            .iter()
            .filter(|v| owner.is_none_or(|o| v.withdrawal_address == o))
            .map(|v| ValidatorView {
                index: v.index,
                pubkey: v.pubkey.to_string(),
                consensus_address: alloy_primitives::hex::encode_prefixed(v.consensus_address()),
                withdrawal_address: v.withdrawal_address.to_checksum(None),
                fee_recipient: v.fee_recipient.to_checksum(None),
                status: format!("{:?}", sheaf_staking::calls::status(v, &p, epoch)),
                balance_gwei: v.balance.to_string(),
                effective_balance_gwei: v.effective_balance.to_string(),
                power: v.power,
                slashed: v.slashed,
                activation_eligibility_epoch: epoch_field(v.activation_eligibility_epoch),
                activation_epoch: epoch_field(v.activation_epoch),
                exit_epoch: epoch_field(v.exit_epoch),
                withdrawable_epoch: epoch_field(v.withdrawable_epoch),
                jailed_until: v.jailed_until,
                missed_in_window: v.missed_in_window,
            })
            .collect();
        Ok(ValidatorsView {
            height,
            epoch,
            epoch_blocks: p.epoch_blocks,
            seconds_per_block: p.seconds_per_block,
            total_active_balance_gwei: total.to_string(),
            apr_bps: u64::try_from(apr_bps).unwrap_or(u64::MAX),
            activation_queue,
            activation_churn: spec::activation_churn_limit(&p, active),
            exit_queue,
            withdrawals_enabled: height + 1 >= withdrawals_height,
            withdrawals_height: (withdrawals_height != u64::MAX).then_some(withdrawals_height),
            penalties_burned_gwei: sheaf_staking::penalties_burned(&snapshot).to_string(),
            validators,
        })
    }
}

/// One event the chain emitted outside any transaction.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemEventView {
    pub block_number: u64,
    pub address: String,
    pub topics: Vec<String>,
    pub data: String,
    /// The event decoded against the IStaking interface, in words.
    pub event: Option<String>,
}

/// Blocks one `sheaf_systemEvents` call may scan.
pub const MAX_SYSTEM_EVENT_BLOCKS: u64 = 10_000;

impl EthApi {
    /// Validator jailings, slashings, exits requested at epoch boundaries and withdrawals in
    /// `from..=to` (default: the last 1,000 blocks).
    pub fn system_events(
        &self,
        from: Option<u64>,
        to: Option<u64>,
    ) -> RpcResult<Vec<SystemEventView>> {
        use alloy_sol_types::SolEventInterface;
        let latest = self.latest()?;
        let to = to.unwrap_or(latest).min(latest);
        let from = from.unwrap_or(to.saturating_sub(999));
        if from > to {
            return Err(crate::error::RpcError::params("fromBlock is after toBlock"));
        }
        if to - from >= MAX_SYSTEM_EVENT_BLOCKS {
            return Err(crate::error::RpcError::LimitExceeded(format!(
                "at most {MAX_SYSTEM_EVENT_BLOCKS} blocks per call"
            )));
        }
        let mut out = vec![];
        for number in from..=to {
            let Some(block) = self.stored_block(number)? else {
                continue;
            };
            for log in &block.system_logs {
                let event = sheaf_abi::IStaking::IStakingEvents::decode_log(log)
                    .ok()
                    .map(|e| format!("{:?}", e.data));
                out.push(SystemEventView {
                    block_number: number,
                    address: log.address.to_checksum(None),
                    topics: log.topics().iter().map(|t| t.to_string()).collect(),
                    data: log.data.data.to_string(),
                    event,
                });
            }
        }
        Ok(out)
    }
}
