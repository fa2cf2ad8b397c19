//! The epoch transition: one pass over the validators, in the spec's order
//! (`process_epoch`, `specs/altair/beacon-chain.md` onwards): rewards and penalties, registry
//! updates, slashings, effective balances, then the power changes for consensus.

use alloy_primitives::Log;
use sheaf_module_api::Revert;
use sheaf_state::StateWrite;

use crate::{
    PowerUpdate,
    params::{FAR_FUTURE, StakingParams},
    penalize,
    registry::{self, RegistryRead, Validator},
    reward, spec,
};

/// `initiate_validator_exit` (`specs/phase0/beacon-chain.md`): the exit joins the queue at the
/// later of the furthest scheduled exit and `epoch + 1 + lookahead`, one epoch further if that
/// epoch's churn is used up.
pub fn initiate_exit(p: &StakingParams, all: &mut [Validator], index: usize, epoch: u64) {
    if all[index].exit_epoch != FAR_FUTURE {
        return;
    }
    let active = all.iter().filter(|v| v.is_active(epoch)).count() as u64;
    let earliest = epoch + 1 + p.seed_lookahead;
    let mut exit_epoch = all
        .iter()
        .filter(|v| v.exit_epoch != FAR_FUTURE)
        .map(|v| v.exit_epoch)
        .max()
        .unwrap_or(earliest)
        .max(earliest);
    let churn = all.iter().filter(|v| v.exit_epoch == exit_epoch).count() as u64;
    if churn >= spec::churn_limit(p, active) {
        exit_epoch += 1;
    }
    all[index].exit_epoch = exit_epoch;
    all[index].withdrawable_epoch = exit_epoch + p.withdrawability_delay;
}

/// Sum of `weights` (the epoch's per-block signing increments, from `epoch_start`) over the
/// blocks `from..=until`.
fn weight_between(weights: &[u64], epoch_start: u64, from: u64, until: u64) -> u64 {
    let first = from.saturating_sub(epoch_start) as usize;
    let last = until.saturating_sub(epoch_start).min(weights.len() as u64) as usize;
    if from > until || first >= weights.len() {
        return 0;
    }
    weights[first..(last + 1).min(weights.len())].iter().sum()
}

/// Runs the transition at the end of the epoch whose last block is `height`.
pub fn process_epoch<S: StateWrite>(
    state: &mut S,
    p: &StakingParams,
    height: u64,
    _logs: &mut Vec<Log>,
) -> Result<Vec<PowerUpdate>, Revert> {
    let epoch = height / p.epoch_blocks;
    let epoch_start = epoch * p.epoch_blocks;
    let next_epoch = epoch + 1;
    let mut all = state.validators();
    let weights = state.epoch_weights();
    let total_active: u64 = all
        .iter()
        .filter(|v| v.is_active(epoch))
        .map(|v| v.effective_balance)
        .sum::<u64>()
        .max(p.effective_balance_increment);
    let active_increments = total_active / p.effective_balance_increment;

    // 1. Rewards and penalties for what was tallied this epoch.
    for v in all.iter_mut() {
        let expected = weight_between(
            &weights,
            epoch_start,
            v.tally_from,
            v.tally_until.min(height),
        );
        let signed = expected.saturating_sub(v.missed_weight);
        let mut earned = spec::proposer_reward(p, total_active, v.proposed_weight);
        let mut owed = spec::missing_penalty(p, total_active, v.effective_balance, v.missed_blocks);
        if v.slashed {
            // Slashed validators keep paying the missing penalty until withdrawable, and earn
            // no signing rewards (`get_unslashed_participating_indices`).
            if epoch < v.withdrawable_epoch {
                owed = spec::missing_penalty(p, total_active, v.effective_balance, p.epoch_blocks);
            }
        } else {
            earned += spec::signing_reward(
                p,
                total_active,
                v.effective_balance,
                signed,
                active_increments,
            );
        }
        reward(state, v, earned)?;
        penalize(state, v, owed)?;
        v.missed_blocks = 0;
        v.missed_weight = 0;
        v.proposed_weight = 0;
    }

    // 2. Registry updates (`process_registry_updates`).
    let active_count = all.iter().filter(|v| v.is_active(epoch)).count() as u64;
    for i in 0..all.len() {
        if all[i].activation_eligibility_epoch == FAR_FUTURE
            && all[i].effective_balance >= p.max_effective_balance
        {
            all[i].activation_eligibility_epoch = next_epoch;
        }
        if all[i].is_active(epoch) && all[i].effective_balance <= p.ejection_balance {
            initiate_exit(p, &mut all, i, epoch);
        }
    }
    let mut queue: Vec<usize> = (0..all.len())
        .filter(|&i| {
            let v = &all[i];
            v.activation_eligibility_epoch <= epoch
                && v.activation_epoch == FAR_FUTURE
                && !v.slashed
        })
        .collect();
    queue.sort_by_key(|&i| (all[i].activation_eligibility_epoch, all[i].index));
    for &i in queue
        .iter()
        .take(spec::activation_churn_limit(p, active_count) as usize)
    {
        all[i].activation_epoch = epoch + 1 + p.seed_lookahead;
    }

    // 3. Correlation slashing at the midpoint of the slashings window (`process_slashings`).
    let slashings_sum: u64 = (0..p.slashings_vector).map(|s| state.slashings(s)).sum();
    for v in all.iter_mut() {
        if v.slashed && epoch + p.slashings_vector / 2 == v.withdrawable_epoch {
            let penalty =
                spec::correlation_penalty(p, v.effective_balance, slashings_sum, total_active);
            penalize(state, v, penalty)?;
        }
    }

    // 4. Effective balances, 5. the slashings slot of the next epoch starts empty.
    for v in all.iter_mut() {
        v.effective_balance = spec::updated_effective_balance(p, v.balance, v.effective_balance);
    }
    registry::set_slashings(state, next_epoch % p.slashings_vector, 0);

    // 6. Powers for the next epoch, and which blocks' commits count each validator's vote.
    // A validator given power now signs from height + 2 (CometBFT's delay), so its first vote is
    // in the commit of height + 3.
    let mut updates = vec![];
    for v in all.iter_mut() {
        let wanted = v.wanted_power(p, next_epoch);
        if wanted != v.power {
            updates.push(PowerUpdate {
                pubkey: v.pubkey,
                power: wanted,
            });
        }
        let (from, until) = match (v.power > 0, wanted > 0) {
            (_, false) => (FAR_FUTURE, FAR_FUTURE),
            (true, true) => (height + 1, FAR_FUTURE),
            (false, true) => (height + 3, FAR_FUTURE),
        };
        v.tally_from = from;
        v.tally_until = until;
        v.power = wanted;
        registry::put_validator(state, v);
    }
    registry::put_epoch_weights(state, &[]);
    Ok(updates)
}
