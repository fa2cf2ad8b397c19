//! Every staking constant, as a genesis parameter. `mainnet` is Ethereum's (phase0 → Capella, with
//! Electra's slashing quotients, sources in ../shared/reference/validators.md); `dev` shortens
//! epochs and delays so a person can watch the whole lifecycle in minutes.

use serde::{Deserialize, Serialize};

/// 1 ETH in Gwei, the unit balances are kept in (as in the consensus specs).
pub const GWEI_PER_ETH: u64 = 1_000_000_000;
/// Never: the spec's FAR_FUTURE_EPOCH.
pub const FAR_FUTURE: u64 = u64::MAX;
/// Seconds in an Ethereum epoch (32 slots of 12 s): rewards are scaled from it to Sheaf's blocks.
pub const ETHEREUM_EPOCH_SECONDS: u64 = 384;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StakingParams {
    /// Blocks per epoch (Ethereum: 32 slots).
    pub epoch_blocks: u64,
    /// Nominal seconds per block, which scales per-block rewards so issuance per year is
    /// Ethereum's (Ethereum: 12).
    pub seconds_per_block: u64,
    /// Gwei. MIN_DEPOSIT_AMOUNT.
    pub min_deposit: u64,
    /// Gwei. MAX_EFFECTIVE_BALANCE, also the balance that makes a validator eligible.
    pub max_effective_balance: u64,
    /// Gwei. EFFECTIVE_BALANCE_INCREMENT.
    pub effective_balance_increment: u64,
    /// Gwei. EJECTION_BALANCE: an effective balance at or below it forces an exit.
    pub ejection_balance: u64,
    pub base_reward_factor: u64,
    /// MIN_PER_EPOCH_CHURN_LIMIT.
    pub min_per_epoch_churn: u64,
    /// CHURN_LIMIT_QUOTIENT.
    pub churn_limit_quotient: u64,
    /// MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT (Deneb).
    pub max_activation_churn: u64,
    /// MAX_SEED_LOOKAHEAD: activations and exits take effect `1 + this` epochs later.
    pub seed_lookahead: u64,
    /// MIN_VALIDATOR_WITHDRAWABILITY_DELAY, epochs.
    pub withdrawability_delay: u64,
    /// SHARD_COMMITTEE_PERIOD: epochs active before a voluntary exit is allowed.
    pub min_active_before_exit: u64,
    /// EPOCHS_PER_SLASHINGS_VECTOR.
    pub slashings_vector: u64,
    /// MIN_SLASHING_PENALTY_QUOTIENT (Electra: 4096).
    pub min_slashing_penalty_quotient: u64,
    /// PROPORTIONAL_SLASHING_MULTIPLIER (Bellatrix on: 3).
    pub proportional_slashing_multiplier: u64,
    /// WHISTLEBLOWER_REWARD_QUOTIENT (Electra: 4096).
    pub whistleblower_reward_quotient: u64,
    /// Evidence older than this many blocks is ignored (CometBFT's MaxAgeNumBlocks).
    pub evidence_max_age_blocks: u64,
    /// Downtime: the sliding window, in blocks (Cosmos SDK: 100).
    pub downtime_window: u64,
    /// Downtime: missing this many of the window's blocks jails (Cosmos: more than half, 51).
    pub downtime_jail_threshold: u64,
    /// Downtime: blocks a jailed validator waits before it may unjail.
    pub jail_blocks: u64,
    /// Downtime: the penalty at jailing is effective balance / this (Cosmos: 1%).
    pub downtime_penalty_quotient: u64,
    /// Height from which withdrawals flow (u64::MAX: not scheduled; governance can enable them).
    pub withdrawals_height: u64,
    /// MAX_WITHDRAWALS_PER_PAYLOAD.
    pub max_withdrawals_per_block: u64,
    /// MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP.
    pub max_validators_per_sweep: u64,
}

impl StakingParams {
    /// Ethereum's values, 12 s blocks and 32-block epochs.
    pub fn mainnet() -> Self {
        Self {
            epoch_blocks: 32,
            seconds_per_block: 12,
            min_deposit: GWEI_PER_ETH,
            max_effective_balance: 32 * GWEI_PER_ETH,
            effective_balance_increment: GWEI_PER_ETH,
            ejection_balance: 16 * GWEI_PER_ETH,
            base_reward_factor: 64,
            min_per_epoch_churn: 4,
            churn_limit_quotient: 65_536,
            max_activation_churn: 8,
            seed_lookahead: 4,
            withdrawability_delay: 256,
            min_active_before_exit: 256,
            slashings_vector: 8192,
            min_slashing_penalty_quotient: 4096,
            proportional_slashing_multiplier: 3,
            whistleblower_reward_quotient: 4096,
            evidence_max_age_blocks: 100_000,
            downtime_window: 100,
            downtime_jail_threshold: 51,
            jail_blocks: 50,
            downtime_penalty_quotient: 100,
            withdrawals_height: u64::MAX,
            max_withdrawals_per_block: 16,
            max_validators_per_sweep: 16_384,
        }
    }

    /// Ethereum's economics on a fast clock: 1 s blocks, 10-block epochs, one-epoch delays.
    pub fn dev() -> Self {
        Self {
            epoch_blocks: 10,
            seconds_per_block: 1,
            seed_lookahead: 0,
            withdrawability_delay: 2,
            min_active_before_exit: 1,
            slashings_vector: 8,
            evidence_max_age_blocks: 1_000,
            downtime_window: 20,
            downtime_jail_threshold: 10,
            jail_blocks: 20,
            withdrawals_height: 300,
            ..Self::mainnet()
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("epochBlocks", self.epoch_blocks),
            ("secondsPerBlock", self.seconds_per_block),
            (
                "effectiveBalanceIncrement",
                self.effective_balance_increment,
            ),
            ("churnLimitQuotient", self.churn_limit_quotient),
            ("slashingsVector", self.slashings_vector),
            (
                "minSlashingPenaltyQuotient",
                self.min_slashing_penalty_quotient,
            ),
            (
                "whistleblowerRewardQuotient",
                self.whistleblower_reward_quotient,
            ),
            ("downtimeWindow", self.downtime_window),
            ("downtimePenaltyQuotient", self.downtime_penalty_quotient),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("staking.{name} must be above zero"));
        }
        if !self
            .max_effective_balance
            .is_multiple_of(self.effective_balance_increment)
        {
            return Err("maxEffectiveBalance must be a whole number of increments".into());
        }
        if self.downtime_jail_threshold == 0 || self.downtime_jail_threshold > self.downtime_window
        {
            return Err("downtimeJailThreshold must be between 1 and downtimeWindow".into());
        }
        if self.downtime_window > 4096 {
            return Err("downtimeWindow is at most 4096 blocks".into());
        }
        Ok(())
    }
}
