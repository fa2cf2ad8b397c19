//! The epoch transition: one pass over the validators, in the spec's order
//! (`process_epoch`, `specs/altair/beacon-chain.md` onwards): rewards and penalties, registry
//! updates, slashings, effective balances, then the power changes for consensus.
//!
//! [`transition`] is pure (validators in, validators and totals out), so `sheaf sim staking` runs
//! the very same code over a million validators without a store; [`process_epoch`] wraps it with
//! the state reads and writes and settles the ETH issued and burned with the bank in two calls.

use alloy_primitives::{Log, U256};
use sheaf_abi::system::DEPOSIT_CONTRACT;
use sheaf_bank::BankWrite;
use sheaf_module_api::Revert;
use sheaf_state::{StateReadExt, StateWrite, StateWriteExt};

use crate::{
    GWEI_PER_ETH, PowerUpdate,
    params::{FAR_FUTURE, StakingParams},
    registry::{self, RegistryRead, Validator},
    spec, state_key,
};

/// The exit queue's tail: the furthest scheduled exit epoch and how many exits it holds, so
/// scheduling an exit is O(1) after one pass.
#[derive(Debug, Clone, Copy)]
pub struct ExitQueue {
    tail: u64,
    at_tail: u64,
    churn: u64,
}

impl ExitQueue {
    pub fn new(p: &StakingParams, all: &[Validator], epoch: u64) -> Self {
        let active = all.iter().filter(|v| v.is_active(epoch)).count() as u64;
        let tail = all
            .iter()
            .filter(|v| v.exit_epoch != FAR_FUTURE)
            .map(|v| v.exit_epoch)
            .max()
            .unwrap_or(0);
        let at_tail = all.iter().filter(|v| v.exit_epoch == tail).count() as u64;
        Self {
            tail,
            at_tail,
            churn: spec::churn_limit(p, active),
        }
    }

    /// `initiate_validator_exit` (`specs/phase0/beacon-chain.md`): the exit joins the queue at
    /// the later of its tail and `epoch + 1 + lookahead`, one epoch further if that epoch's churn
    /// is used up; withdrawable `withdrawability_delay` epochs after.
    pub fn initiate_exit(&mut self, p: &StakingParams, v: &mut Validator, epoch: u64) {
        if v.exit_epoch != FAR_FUTURE {
            return;
        }
        let earliest = epoch + 1 + p.seed_lookahead;
        if earliest > self.tail {
            self.tail = earliest;
            self.at_tail = 0;
        }
        if self.at_tail >= self.churn {
            self.tail += 1;
            self.at_tail = 0;
        }
        self.at_tail += 1;
        v.exit_epoch = self.tail;
        v.withdrawable_epoch = self.tail + p.withdrawability_delay;
    }
}

/// Sum of `weights` (the epoch's per-block signing increments, from `epoch_start`) over the
/// blocks `from..=until`.
fn weight_between(weights: &[u64], epoch_start: u64, from: u64, until: u64) -> u64 {
    if from > until {
        return 0;
    }
    let first = from.saturating_sub(epoch_start) as usize;
    if first >= weights.len() {
        return 0;
    }
    let last = (until.saturating_sub(epoch_start) as usize).min(weights.len() - 1);
    weights[first..=last].iter().sum()
}

/// What an epoch transition needs besides the validators.
#[derive(Debug, Clone, Copy)]
pub struct EpochInput<'a> {
    /// The epoch's last block.
    pub height: u64,
    /// Signing increments of each commit this epoch, from its first block.
    pub weights: &'a [u64],
    /// Effective balance slashed over the slashings window.
    pub slashings_sum: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpochOutput {
    pub issued_gwei: u64,
    pub burned_gwei: u64,
    pub updates: Vec<PowerUpdate>,
    /// Effective balance active in the next epoch, Gwei.
    pub active_balance_gwei: u64,
}

/// The transition at the end of the epoch whose last block is `input.height`, on validators in
/// memory. Every validator's record changes (its tally is reset). Three passes: totals, then
/// rewards with registry updates, then slashings, effective balances and powers.
pub fn transition(p: &StakingParams, all: &mut [Validator], input: EpochInput) -> EpochOutput {
    let height = input.height;
    let epoch = height / p.epoch_blocks;
    let epoch_start = epoch * p.epoch_blocks;
    let next_epoch = epoch + 1;
    let mut out = EpochOutput::default();

    // Pass 1: totals and the exit queue's tail.
    let mut total_active = 0u64;
    let mut active_count = 0u64;
    let mut tail = 0u64;
    let mut at_tail = 0u64;
    for v in all.iter() {
        if v.is_active(epoch) {
            total_active += v.effective_balance;
            active_count += 1;
        }
        if v.exit_epoch != FAR_FUTURE {
            if v.exit_epoch > tail {
                tail = v.exit_epoch;
                at_tail = 0;
            }
            if v.exit_epoch == tail {
                at_tail += 1;
            }
        }
    }
    let total_active = total_active.max(p.effective_balance_increment);
    let active_increments = total_active / p.effective_balance_increment;
    let mut exits = ExitQueue {
        tail,
        at_tail,
        churn: spec::churn_limit(p, active_count),
    };
    // Most validators sign the same blocks with the same balance: reuse the last reward.
    let mut last_signing: Option<((u64, u64), u64)> = None;

    // Pass 2: rewards and penalties for what was tallied this epoch, then registry updates
    // (`process_registry_updates`).
    let mut queue: Vec<usize> = vec![];
    for (i, v) in all.iter_mut().enumerate() {
        let expected = weight_between(
            input.weights,
            epoch_start,
            v.tally_from,
            v.tally_until.min(height),
        );
        let signed = expected.saturating_sub(v.missed_weight);
        let mut earned = if v.proposed_weight > 0 {
            spec::proposer_reward(p, total_active, v.proposed_weight)
        } else {
            0
        };
        let mut owed = if v.missed_blocks > 0 {
            spec::missing_penalty(p, total_active, v.effective_balance, v.missed_blocks)
        } else {
            0
        };
        if v.slashed {
            // Slashed validators keep paying the missing penalty until withdrawable, and earn
            // no signing rewards (`get_unslashed_participating_indices`).
            if epoch < v.withdrawable_epoch {
                owed = spec::missing_penalty(p, total_active, v.effective_balance, p.epoch_blocks);
            }
        } else if signed > 0 {
            let key = (v.effective_balance, signed);
            earned += match last_signing {
                Some((k, reward)) if k == key => reward,
                _ => {
                    let reward = spec::signing_reward(
                        p,
                        total_active,
                        v.effective_balance,
                        signed,
                        active_increments,
                    );
                    last_signing = Some((key, reward));
                    reward
                }
            };
        }
        v.balance += earned;
        out.issued_gwei += earned;
        let taken = owed.min(v.balance);
        v.balance -= taken;
        out.burned_gwei += taken;
        v.missed_blocks = 0;
        v.missed_weight = 0;
        v.proposed_weight = 0;

        if v.activation_eligibility_epoch == FAR_FUTURE
            && v.effective_balance >= p.max_effective_balance
        {
            v.activation_eligibility_epoch = next_epoch;
        }
        if v.is_active(epoch) && v.effective_balance <= p.ejection_balance {
            exits.initiate_exit(p, v, epoch);
        }
        if v.activation_eligibility_epoch <= epoch && v.activation_epoch == FAR_FUTURE && !v.slashed
        {
            queue.push(i);
        }
    }
    queue.sort_by_key(|&i| (all[i].activation_eligibility_epoch, all[i].index));
    for &i in queue
        .iter()
        .take(spec::activation_churn_limit(p, active_count) as usize)
    {
        all[i].activation_epoch = epoch + 1 + p.seed_lookahead;
    }

    // Pass 3: correlation slashing at the midpoint of the slashings window, effective balances,
    // powers for the next epoch and which commits count each validator's vote. A validator
    // given power now signs from height + 2 (CometBFT's delay), so its first vote is in the
    // commit of height + 3.
    for v in all.iter_mut() {
        if v.slashed && epoch + p.slashings_vector / 2 == v.withdrawable_epoch {
            let penalty = spec::correlation_penalty(
                p,
                v.effective_balance,
                input.slashings_sum,
                total_active,
            );
            let taken = penalty.min(v.balance);
            v.balance -= taken;
            out.burned_gwei += taken;
        }
        v.effective_balance = spec::updated_effective_balance(p, v.balance, v.effective_balance);
        let wanted = v.wanted_power(p, next_epoch);
        if wanted != v.power {
            out.updates.push(PowerUpdate {
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
        if v.is_active(next_epoch) {
            out.active_balance_gwei += v.effective_balance;
        }
    }
    out
}

/// Runs the transition against state at the end of the epoch whose last block is `height`.
pub fn process_epoch<S: StateWrite>(
    state: &mut S,
    p: &StakingParams,
    height: u64,
    _logs: &mut Vec<Log>,
) -> Result<Vec<PowerUpdate>, Revert> {
    let epoch = height / p.epoch_blocks;
    let mut all = state.validators();
    let weights = state.epoch_weights();
    let slashings_sum: u64 = (0..p.slashings_vector).map(|s| state.slashings(s)).sum();
    let out = transition(
        p,
        &mut all,
        EpochInput {
            height,
            weights: &weights,
            slashings_sum,
        },
    );
    let wei = |gwei: u64| U256::from(gwei) * U256::from(GWEI_PER_ETH);
    state
        .issue_eth(&DEPOSIT_CONTRACT, wei(out.issued_gwei))
        .map_err(|e| Revert::reason(e.to_string()))?;
    state
        .burn_eth(&DEPOSIT_CONTRACT, wei(out.burned_gwei))
        .map_err(|e| Revert::reason(format!("staking books out of balance: {e}")))?;
    let burned = state.get_u64(&state_key::penalties_burned());
    state.put_u64(state_key::penalties_burned(), burned + out.burned_gwei);
    for v in &all {
        registry::put_validator(state, v);
    }
    registry::set_slashings(state, (epoch + 1) % p.slashings_vector, 0);
    registry::put_epoch_weights(state, &[]);
    Ok(out.updates)
}
