//! The beacon chain's formulas, as pure functions over Gwei, each named after the consensus-spec
//! function it follows (ethereum/consensus-specs; file given per function). Where Sheaf departs
//! (per-block participation from CometBFT commits instead of attestations), the doc says how.

use crate::params::{ETHEREUM_EPOCH_SECONDS, StakingParams};

/// Altair weights (`specs/altair/beacon-chain.md`): source, target, head, sync, proposer, of 64.
pub const TIMELY_SOURCE_WEIGHT: u64 = 14;
pub const TIMELY_TARGET_WEIGHT: u64 = 26;
pub const TIMELY_HEAD_WEIGHT: u64 = 14;
pub const SYNC_REWARD_WEIGHT: u64 = 2;
pub const PROPOSER_WEIGHT: u64 = 8;
pub const WEIGHT_DENOMINATOR: u64 = 64;

/// What signing a block earns, of 64: all three attestation flags plus the sync committee's
/// weight, which has no counterpart here and folds into signing.
pub const SIGNING_WEIGHT: u64 =
    TIMELY_SOURCE_WEIGHT + TIMELY_TARGET_WEIGHT + TIMELY_HEAD_WEIGHT + SYNC_REWARD_WEIGHT;
/// What missing a block costs, of 64: source and target (and sync) are penalised when missed,
/// head is not (`get_flag_index_deltas`, `process_sync_aggregate`).
pub const MISSING_WEIGHT: u64 = TIMELY_SOURCE_WEIGHT + TIMELY_TARGET_WEIGHT + SYNC_REWARD_WEIGHT;

/// `integer_squareroot` (`specs/phase0/beacon-chain.md`): the largest x with x² <= n.
pub fn integer_squareroot(n: u64) -> u64 {
    if n == u64::MAX {
        return 4_294_967_295;
    }
    let mut x = n;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

/// `get_base_reward_per_increment` (`specs/altair/beacon-chain.md`), per Ethereum epoch, Gwei.
pub fn base_reward_per_increment(p: &StakingParams, total_active_balance: u64) -> u64 {
    p.effective_balance_increment * p.base_reward_factor
        / integer_squareroot(total_active_balance.max(p.effective_balance_increment))
}

/// One epoch's participation, as tallied block by block from `decided_last_commit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Participation {
    /// Σ over the epoch's commits of the signing increments (the spec's
    /// `participating_increments`, summed per block).
    pub signed_increments: u64,
    /// Active increments (constant within an epoch).
    pub active_increments: u64,
}

/// The numerator and denominator that turn increments x blocks into Gwei: one block's share of an
/// Ethereum epoch's base reward per increment, kept as a fraction so rounding happens once.
fn per_block_base(p: &StakingParams, total_active_balance: u64) -> (u128, u128) {
    let numerator = p.effective_balance_increment as u128
        * p.base_reward_factor as u128
        * p.seconds_per_block as u128;
    let denominator = integer_squareroot(total_active_balance.max(p.effective_balance_increment))
        as u128
        * ETHEREUM_EPOCH_SECONDS as u128;
    (numerator, denominator)
}

/// A validator's reward for signing, for one epoch: `get_flag_index_deltas` with the flags
/// folded into [`SIGNING_WEIGHT`] and participation counted per block, so that
/// `reward = base_reward * weight * participating / (active * 64)` summed over the blocks
/// it signed (`signed_weight` = Σ participating increments of those blocks).
pub fn signing_reward(
    p: &StakingParams,
    total_active_balance: u64,
    effective_balance: u64,
    signed_weight: u64,
    active_increments: u64,
) -> u64 {
    if active_increments == 0 {
        return 0;
    }
    let (num, den) = per_block_base(p, total_active_balance);
    let increments = (effective_balance / p.effective_balance_increment) as u128;
    let value = increments * num * SIGNING_WEIGHT as u128 * signed_weight as u128
        / (den * WEIGHT_DENOMINATOR as u128 * active_increments as u128);
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// A validator's penalty for the blocks it missed: `base_reward * weight / 64` per missed block
/// for the penalised flags ([`MISSING_WEIGHT`]).
pub fn missing_penalty(
    p: &StakingParams,
    total_active_balance: u64,
    effective_balance: u64,
    missed_blocks: u64,
) -> u64 {
    let (num, den) = per_block_base(p, total_active_balance);
    let increments = (effective_balance / p.effective_balance_increment) as u128;
    let value = increments * num * MISSING_WEIGHT as u128 * missed_blocks as u128
        / (den * WEIGHT_DENOMINATOR as u128);
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// The proposer's reward for including commits whose signers held `included_increments`
/// (summed over the blocks it proposed): `process_attestation`'s
/// `Σ base_reward * weight / ((64 - 8) * 64 / 8)`, i.e. 8/64 of what those signers' full weights
/// are worth.
pub fn proposer_reward(
    p: &StakingParams,
    total_active_balance: u64,
    included_increments: u64,
) -> u64 {
    let (num, den) = per_block_base(p, total_active_balance);
    let value = num * PROPOSER_WEIGHT as u128 * included_increments as u128
        / (den * WEIGHT_DENOMINATOR as u128);
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// `process_effective_balance_updates` (`specs/phase0/beacon-chain.md`): hysteresis of a quarter
/// increment down and 1.25 increments up.
pub fn updated_effective_balance(p: &StakingParams, balance: u64, effective: u64) -> u64 {
    let hysteresis = p.effective_balance_increment / 4;
    let down = hysteresis;
    let up = hysteresis * 5;
    if balance + down < effective || effective + up < balance {
        (balance - balance % p.effective_balance_increment).min(p.max_effective_balance)
    } else {
        effective
    }
}

/// `get_validator_churn_limit` (`specs/phase0/beacon-chain.md`).
pub fn churn_limit(p: &StakingParams, active_validators: u64) -> u64 {
    p.min_per_epoch_churn
        .max(active_validators / p.churn_limit_quotient)
}

/// `get_validator_activation_churn_limit` (`specs/deneb/beacon-chain.md`).
pub fn activation_churn_limit(p: &StakingParams, active_validators: u64) -> u64 {
    p.max_activation_churn
        .min(churn_limit(p, active_validators))
}

/// `slash_validator`'s immediate penalty (`specs/electra/beacon-chain.md` quotient).
pub fn initial_slashing_penalty(p: &StakingParams, effective_balance: u64) -> u64 {
    effective_balance / p.min_slashing_penalty_quotient
}

/// `slash_validator`'s whistleblower reward and the proposer's part of it
/// (`specs/altair/beacon-chain.md`): `(whistleblower_reward, proposer_share)`.
pub fn whistleblower_reward(p: &StakingParams, effective_balance: u64) -> (u64, u64) {
    let reward = effective_balance / p.whistleblower_reward_quotient;
    (reward, reward * PROPOSER_WEIGHT / WEIGHT_DENOMINATOR)
}

/// `process_slashings` correlation penalty, Electra's algorithm (`specs/electra/beacon-chain.md`):
/// `per_increment = min(Σslashings * 3, total) / (total / increment)`, times the validator's
/// increments.
pub fn correlation_penalty(
    p: &StakingParams,
    effective_balance: u64,
    slashings_sum: u64,
    total_balance: u64,
) -> u64 {
    let adjusted = (slashings_sum as u128 * p.proportional_slashing_multiplier as u128)
        .min(total_balance as u128);
    let total_increments = (total_balance / p.effective_balance_increment).max(1) as u128;
    let per_increment = adjusted / total_increments;
    u64::try_from(per_increment * (effective_balance / p.effective_balance_increment) as u128)
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::GWEI_PER_ETH;

    fn mainnet() -> StakingParams {
        StakingParams::mainnet()
    }

    #[test]
    fn integer_squareroot_matches_the_spec() {
        for (n, root) in [
            (0, 0),
            (1, 1),
            (3, 1),
            (4, 2),
            (15, 3),
            (16, 4),
            (1 << 62, 1 << 31),
        ] {
            assert_eq!(integer_squareroot(n), root);
        }
        assert_eq!(integer_squareroot(u64::MAX), 4_294_967_295);
    }

    /// ../shared/reference/validators.md §3, computed from the spec: at 10,000,000 ETH,
    /// isqrt(1e16 Gwei) = 1e8 and the base reward per increment is exactly 640 Gwei.
    #[test]
    fn base_reward_per_increment_vectors() {
        let eth = |n: u64| n * GWEI_PER_ETH;
        for (staked, per_increment) in [
            (1_000_000, 2023),
            (3_000_000, 1168),
            (10_000_000, 640),
            (30_000_000, 369),
            (100_000_000, 202),
        ] {
            assert_eq!(
                base_reward_per_increment(&mainnet(), eth(staked)),
                per_increment
            );
        }
    }

    #[test]
    fn with_12s_blocks_a_full_epoch_pays_one_base_reward() {
        // 32 blocks of 12 s = one Ethereum epoch. A 32-ETH validator signing every block of a
        // fully online network earns 56/64 of its base reward (20,480 Gwei at 10M ETH).
        let p = mainnet();
        let total = 10_000_000 * GWEI_PER_ETH;
        let active = 312_500 * 32;
        let earned = signing_reward(&p, total, 32 * GWEI_PER_ETH, 32 * active, active);
        assert_eq!(earned, 20_480 * 56 / 64);
        let missed = missing_penalty(&p, total, 32 * GWEI_PER_ETH, 32);
        assert_eq!(missed, 20_480 * 42 / 64);
        // Proposers get the remaining 8/64 across the network.
        let proposers = proposer_reward(&p, total, 32 * active);
        assert_eq!(proposers, 640 * active * 8 / 64);
    }

    #[test]
    fn effective_balance_hysteresis() {
        let p = mainnet();
        let eth = GWEI_PER_ETH;
        // Down only once the balance falls a quarter ETH below.
        assert_eq!(
            updated_effective_balance(&p, 32 * eth - eth / 4, 32 * eth),
            32 * eth
        );
        assert_eq!(
            updated_effective_balance(&p, 32 * eth - eth / 4 - 1, 32 * eth),
            31 * eth
        );
        // Up only once it rises 1.25 ETH above.
        assert_eq!(
            updated_effective_balance(&p, 31 * eth + 5 * eth / 4, 31 * eth),
            31 * eth
        );
        assert_eq!(
            updated_effective_balance(&p, 31 * eth + 5 * eth / 4 + 1, 31 * eth),
            32 * eth
        );
        // Never above the maximum.
        assert_eq!(updated_effective_balance(&p, 40 * eth, 31 * eth), 32 * eth);
        assert_eq!(
            updated_effective_balance(&p, 17 * eth + 1, 20 * eth),
            17 * eth
        );
    }

    #[test]
    fn churn_limits() {
        let p = mainnet();
        assert_eq!(churn_limit(&p, 100), 4);
        assert_eq!(churn_limit(&p, 1_000_000), 15);
        assert_eq!(activation_churn_limit(&p, 1_000_000), 8);
        assert_eq!(activation_churn_limit(&p, 10), 4);
    }

    #[test]
    fn slashing_penalties_and_rewards() {
        let p = mainnet();
        let eff = 32 * GWEI_PER_ETH;
        assert_eq!(initial_slashing_penalty(&p, eff), 7_812_500);
        assert_eq!(whistleblower_reward(&p, eff), (7_812_500, 976_562));
        // One 32-ETH validator slashed among 1,000,000 ETH: 3 x 32 ETH over 1,000,000
        // increments is 96,000 Gwei per increment, 3,072,000 Gwei for 32 increments.
        let total = 1_000_000 * GWEI_PER_ETH;
        assert_eq!(correlation_penalty(&p, eff, eff, total), 96_000 * 32);
        // A third of the stake slashed together loses everything.
        assert_eq!(correlation_penalty(&p, eff, total / 3 + 1, total), eff);
    }
}
