//! # staking
//!
//! Validator staking after the Ethereum beacon chain (phase0 → Capella, Electra's slashing
//! quotients), on a BFT engine whose commits say who signed each block.
//!
//! - **Deposits** ([`deposit`]) go to the deposit contract at `depositContract`, whose ETH balance
//!   always equals the sum of validator balances. A new key needs 0x01 credentials and an ed25519
//!   proof of possession; top-ups add balance and never change the credentials.
//! - **Lifecycle**: pending → eligible (effective balance reaches 32 ETH) → active (through a
//!   churn-limited queue) → exiting → exited → withdrawable → withdrawn, plus jailed and slashed.
//!   Consensus power is the effective balance in whole ETH while active, unslashed and unjailed.
//! - **Per block** ([`begin_block`]): the last commit's votes are tallied (no per-validator write
//!   for a signed vote, only for a missed one); a validator that misses
//!   `downtimeJailThreshold` of the last `downtimeWindow` blocks is jailed at once with a small
//!   penalty; each misbehaviour slashes its validator once. [`end_block`] sweeps withdrawals once
//!   they are enabled and runs the epoch transition on an epoch's last block.
//! - **Per epoch** ([`epoch::process_epoch`]): Altair rewards and penalties from the tally, registry
//!   updates (eligibility, ejection, activation queue), correlation slashing, effective-balance
//!   hysteresis, and the power changes handed to consensus. One pass over validators.
//! - **Issuance**: signing a block earns `(14+26+14+2)/64` of a per-block base reward (the sync
//!   committee's weight folds into signing), the proposer earns 8/64 of what the signers it
//!   included are worth, and missing costs `(14+26+2)/64`. The per-block base reward is the
//!   Altair base reward per Ethereum epoch scaled by `secondsPerBlock / 384`, so a fully online
//!   network issues exactly Ethereum's maximum issuance per year for the same stake.
//!
//! ETH is created only as rewards ([`sheaf_bank::BankWrite::issue_eth`]) and destroyed as
//! penalties (`burn_eth`), always at the deposit contract's balance.

pub mod calls;
pub mod deposit;
pub mod double_sign;
pub mod epoch;
pub mod params;
pub mod registry;
pub mod spec;
pub mod state_key;

use alloy_primitives::{Address, B256, Log, U256};
use alloy_sol_types::SolEvent;
use sheaf_abi::{IStaking, system::DEPOSIT_CONTRACT};
use sheaf_bank::BankWrite;
use sheaf_module_api::Revert;
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

pub use params::{FAR_FUTURE, GWEI_PER_ETH, StakingParams};
pub use registry::{RegistryRead, Validator, consensus_address};

/// A power change for consensus (0 removes the validator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerUpdate {
    pub pubkey: B256,
    pub power: u64,
}

/// One vote of the last commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    pub validator: [u8; 20],
    pub signed: bool,
}

/// Verified evidence of a double sign (CometBFT `DUPLICATE_VOTE` or `LIGHT_CLIENT_ATTACK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    pub validator: [u8; 20],
    pub height: u64,
}

/// Why evidence was not acted on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceRejected {
    #[error("no validator has consensus address {0}")]
    UnknownValidator(String),
    #[error("evidence from height {evidence} is older than {max_age} blocks at height {now}")]
    Expired {
        evidence: u64,
        now: u64,
        max_age: u64,
    },
    #[error("evidence from height {evidence} is in the future at height {now}")]
    Future { evidence: u64, now: u64 },
    #[error("validator {0} is not slashable (already slashed, not active or withdrawable)")]
    NotSlashable(u64),
}

fn wei(gwei: u64) -> U256 {
    U256::from(gwei) * U256::from(GWEI_PER_ETH)
}

pub fn params<S: StateRead + ?Sized>(state: &S) -> StakingParams {
    state
        .staking_params()
        .unwrap_or_else(StakingParams::mainnet)
}

pub fn epoch_of(p: &StakingParams, height: u64) -> u64 {
    height / p.epoch_blocks
}

fn event<E: SolEvent>(e: E) -> Log {
    Log {
        address: DEPOSIT_CONTRACT,
        data: e.encode_log_data(),
    }
}

/// One payment of the withdrawals sweep, as Capella's `Withdrawal` (EIP-4895) records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Withdrawal {
    /// Position among all withdrawals since genesis.
    pub index: u64,
    pub validator_index: u64,
    pub address: Address,
    pub amount_gwei: u64,
}

/// What the end of a block hands back to the app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndBlock {
    pub power_updates: Vec<PowerUpdate>,
    pub withdrawals: Vec<Withdrawal>,
}

/// A genesis validator: active from epoch 0 with `balance_gwei`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenesisValidator {
    pub pubkey: B256,
    pub withdrawal_address: Address,
    pub fee_recipient: Address,
    pub balance_gwei: u64,
}

/// Genesis: stores the parameters and registers the genesis validators as active, creating
/// their balances as ETH held by the deposit contract. Returns the initial consensus powers.
pub fn init_genesis<S: StateWrite>(
    state: &mut S,
    p: &StakingParams,
    chain_id: u64,
    validators: &[GenesisValidator],
) -> Result<Vec<PowerUpdate>, String> {
    p.validate()?;
    let json = serde_json::to_vec(p).map_err(|e| e.to_string())?;
    state.put_raw(state_key::params(), json);
    state.put_u64(state_key::chain_id(), chain_id);
    let mut powers = vec![];
    for g in validators {
        if state.validator_by_pubkey(&g.pubkey).is_some() {
            return Err(format!("validator {} is listed twice", g.pubkey));
        }
        let mut v = registry::register(state, g.pubkey, g.withdrawal_address);
        v.fee_recipient = g.fee_recipient;
        v.balance = g.balance_gwei;
        v.effective_balance = (g.balance_gwei - g.balance_gwei % p.effective_balance_increment)
            .min(p.max_effective_balance);
        if v.effective_balance < p.max_effective_balance {
            return Err(format!(
                "genesis validator {} needs {} Gwei",
                g.pubkey, p.max_effective_balance
            ));
        }
        v.activation_eligibility_epoch = 0;
        v.activation_epoch = 0;
        v.power = v.wanted_power(p, 0);
        v.tally_from = 1;
        state
            .genesis_mint_eth(&DEPOSIT_CONTRACT, wei(g.balance_gwei))
            .map_err(|e| e.to_string())?;
        registry::put_validator(state, &v);
        powers.push(PowerUpdate {
            pubkey: v.pubkey,
            power: v.power,
        });
    }
    Ok(powers)
}

/// Credits `gwei` to a validator as newly issued ETH.
pub(crate) fn reward<S: StateWrite + ?Sized>(
    state: &mut S,
    v: &mut Validator,
    gwei: u64,
) -> Result<(), Revert> {
    if gwei == 0 {
        return Ok(());
    }
    state
        .issue_eth(&DEPOSIT_CONTRACT, wei(gwei))
        .map_err(|e| Revert::reason(e.to_string()))?;
    v.balance = v.balance.saturating_add(gwei);
    Ok(())
}

/// Takes up to `gwei` from a validator and burns it. Returns what was taken.
pub(crate) fn penalize<S: StateWrite + ?Sized>(
    state: &mut S,
    v: &mut Validator,
    gwei: u64,
) -> Result<u64, Revert> {
    let taken = gwei.min(v.balance);
    if taken == 0 {
        return Ok(0);
    }
    state
        .burn_eth(&DEPOSIT_CONTRACT, wei(taken))
        .map_err(|e| Revert::reason(format!("staking books out of balance: {e}")))?;
    v.balance -= taken;
    let burned = state.get_u64(&state_key::penalties_burned());
    state.put_u64(state_key::penalties_burned(), burned + taken);
    Ok(taken)
}

/// Gwei burned as validator penalties since genesis.
pub fn penalties_burned<S: StateRead + ?Sized>(state: &S) -> u64 {
    state.get_u64(&state_key::penalties_burned())
}

/// The downtime window bits of a validator (bit i: it missed the vote at a height ≡ i).
fn window_bits<S: StateRead + ?Sized>(state: &S, index: u64, window: u64) -> Vec<u8> {
    let mut bits = state.get_raw(&state_key::window(index)).unwrap_or_default();
    bits.resize(window.div_ceil(8) as usize, 0);
    bits
}

/// Tallies the last commit, jails validators over the downtime threshold and slashes the
/// misbehaving. Returns the power changes to hand to consensus now.
pub fn begin_block<S: StateWrite>(
    state: &mut S,
    height: u64,
    proposer: &[u8; 20],
    votes: &[Vote],
    evidence: &[Evidence],
    logs: &mut Vec<Log>,
) -> Result<(Vec<PowerUpdate>, Vec<EvidenceRejected>), Revert> {
    let p = params(state);
    let mut updates = vec![];
    state.put_raw(state_key::proposer(), proposer.to_vec());
    let counts = |v: &Validator| v.tally_from <= height && height <= v.tally_until && v.power > 0;

    // The block's signing weight: increments of the counted validators who signed.
    let mut voters = vec![];
    let mut signed_weight = 0u64;
    for vote in votes {
        let Some(v) = state.validator_by_address(&vote.validator) else {
            continue;
        };
        if !counts(&v) {
            continue;
        }
        if vote.signed {
            signed_weight += v.effective_balance / p.effective_balance_increment;
        }
        voters.push((v, vote.signed));
    }
    let epoch_start = epoch_of(&p, height) * p.epoch_blocks;
    let mut weights = state.epoch_weights();
    weights.resize((height - epoch_start) as usize, 0);
    weights.push(signed_weight);
    registry::put_epoch_weights(state, &weights);

    let slot = (height % p.downtime_window) as usize;
    for (mut v, signed) in voters {
        let mut bits = window_bits(state, v.index, p.downtime_window);
        let was_missed = bits[slot / 8] & (1 << (slot % 8)) != 0;
        if signed && !was_missed {
            continue;
        }
        if signed {
            bits[slot / 8] &= !(1 << (slot % 8));
            v.missed_in_window -= 1;
        } else {
            v.missed_blocks += 1;
            v.missed_weight += signed_weight;
            if !was_missed {
                bits[slot / 8] |= 1 << (slot % 8);
                v.missed_in_window += 1;
            }
        }
        if v.missed_in_window >= p.downtime_jail_threshold {
            jail(state, &p, &mut v, height, logs)?;
            bits.iter_mut().for_each(|b| *b = 0);
            updates.push(PowerUpdate {
                pubkey: v.pubkey,
                power: 0,
            });
        }
        if bits.iter().all(|b| *b == 0) {
            state.delete(state_key::window(v.index));
        } else {
            state.put_raw(state_key::window(v.index), bits);
        }
        registry::put_validator(state, &v);
    }

    if let Some(mut v) = state.validator_by_address(proposer) {
        v.proposed_weight += signed_weight;
        registry::put_validator(state, &v);
    }

    let mut rejected = vec![];
    for e in evidence {
        match slash(state, &p, e, height, proposer, None, logs)? {
            Ok(update) => updates.push(update),
            Err(why) => rejected.push(why),
        }
    }
    Ok((updates, rejected))
}

fn jail<S: StateWrite>(
    state: &mut S,
    p: &StakingParams,
    v: &mut Validator,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let penalty = penalize(state, v, v.effective_balance / p.downtime_penalty_quotient)?;
    v.jailed_until = height + p.jail_blocks;
    v.missed_in_window = 0;
    v.tally_until = height;
    v.power = 0;
    logs.push(event(IStaking::ValidatorJailed {
        index: v.index,
        untilBlock: v.jailed_until,
        penaltyGwei: penalty,
    }));
    Ok(())
}

/// `slash_validator` for one piece of evidence, or why it was not acted on.
pub(crate) fn slash<S: StateWrite>(
    state: &mut S,
    p: &StakingParams,
    e: &Evidence,
    height: u64,
    proposer: &[u8; 20],
    whistleblower: Option<Address>,
    logs: &mut Vec<Log>,
) -> Result<Result<PowerUpdate, EvidenceRejected>, Revert> {
    let Some(mut v) = state.validator_by_address(&e.validator) else {
        return Ok(Err(EvidenceRejected::UnknownValidator(
            alloy_primitives::hex::encode_prefixed(e.validator),
        )));
    };
    if e.height > height {
        return Ok(Err(EvidenceRejected::Future {
            evidence: e.height,
            now: height,
        }));
    }
    if height - e.height > p.evidence_max_age_blocks {
        return Ok(Err(EvidenceRejected::Expired {
            evidence: e.height,
            now: height,
            max_age: p.evidence_max_age_blocks,
        }));
    }
    let epoch = epoch_of(p, height);
    // is_slashable_validator: not yet slashed and activation <= epoch < withdrawable.
    if v.slashed || !(v.activation_epoch <= epoch && epoch < v.withdrawable_epoch) {
        return Ok(Err(EvidenceRejected::NotSlashable(v.index)));
    }
    let all = state.validators();
    epoch::ExitQueue::new(p, &all, epoch).initiate_exit(p, &mut v, epoch);
    v.slashed = true;
    v.withdrawable_epoch = v.withdrawable_epoch.max(epoch + p.slashings_vector);
    let slot = epoch % p.slashings_vector;
    registry::set_slashings(state, slot, state.slashings(slot) + v.effective_balance);
    let initial = spec::initial_slashing_penalty(p, v.effective_balance);
    let penalty = penalize(state, &mut v, initial)?;
    v.tally_until = height;
    v.power = 0;
    registry::put_validator(state, &v);
    logs.push(event(IStaking::ValidatorSlashed {
        index: v.index,
        penaltyGwei: penalty,
        withdrawableEpoch: v.withdrawable_epoch,
    }));
    // The proposer takes its share, and the whole reward when consensus itself reported the
    // evidence; a whistleblower account is paid the rest in newly issued ETH.
    let (whistleblower_reward, proposer_share) = spec::whistleblower_reward(p, v.effective_balance);
    let proposer_reward = match whistleblower {
        Some(account) => {
            state
                .issue_eth(&account, wei(whistleblower_reward - proposer_share))
                .map_err(|e| Revert::reason(e.to_string()))?;
            proposer_share
        }
        None => whistleblower_reward,
    };
    // A double signer often proposes the block that carries its own evidence; paying it the
    // proposer's reward would hand back its initial penalty (Electra's two quotients are equal),
    // so a slashed proposer is paid nothing and that reward is never issued.
    if let Some(mut proposer) = state.validator_by_address(proposer).filter(|p| !p.slashed) {
        reward(state, &mut proposer, proposer_reward)?;
        registry::put_validator(state, &proposer);
    }
    Ok(Ok(PowerUpdate {
        pubkey: v.pubkey,
        power: 0,
    }))
}

/// The end of a block: the withdrawals sweep once withdrawals are enabled, and the epoch
/// transition on an epoch's last block.
pub fn end_block<S: StateWrite>(
    state: &mut S,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<EndBlock, Revert> {
    let p = params(state);
    let mut out = EndBlock::default();
    if let Some(removed) = state.get_raw(&state_key::pending_removals()) {
        for key in removed.chunks_exact(32) {
            out.power_updates.push(PowerUpdate {
                pubkey: B256::from_slice(key),
                power: 0,
            });
        }
        state.delete(state_key::pending_removals());
    }
    if height >= state.withdrawals_height() {
        out.withdrawals = sweep_withdrawals(state, &p, height, logs)?;
    }
    if (height + 1).is_multiple_of(p.epoch_blocks) {
        out.power_updates = epoch::process_epoch(state, &p, height, logs)?;
    }
    Ok(out)
}

/// Capella's withdrawals sweep (`get_expected_withdrawals` / `process_withdrawals`): from where
/// the last sweep stopped, visit up to `maxValidatorsPerSweep` validators, pay full withdrawals
/// of withdrawable ones and the excess over the maximum effective balance of the rest, at most
/// `maxWithdrawalsPerBlock`.
fn sweep_withdrawals<S: StateWrite>(
    state: &mut S,
    p: &StakingParams,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<Vec<Withdrawal>, Revert> {
    let count = state.validator_count();
    let mut withdrawals = vec![];
    if count == 0 {
        return Ok(withdrawals);
    }
    let mut next_index = state.get_u64(&state_key::next_withdrawal_index());
    let epoch = epoch_of(p, height);
    let mut index = state.next_withdrawal_validator() % count;
    let mut paid = 0;
    for _ in 0..count.min(p.max_validators_per_sweep) {
        let Some(mut v) = state.validator(index) else {
            break;
        };
        let amount = if v.withdrawable_epoch <= epoch && v.balance > 0 {
            v.balance
        } else if v.effective_balance == p.max_effective_balance
            && v.balance > p.max_effective_balance
        {
            v.balance - p.max_effective_balance
        } else {
            0
        };
        index = (index + 1) % count;
        if amount > 0 {
            v.balance -= amount;
            state
                .transfer_eth(&DEPOSIT_CONTRACT, &v.withdrawal_address, wei(amount))
                .map_err(|e| Revert::reason(format!("staking books out of balance: {e}")))?;
            registry::put_validator(state, &v);
            logs.push(event(IStaking::Withdrawal {
                index: v.index,
                to: v.withdrawal_address,
                amountGwei: amount,
            }));
            withdrawals.push(Withdrawal {
                index: next_index,
                validator_index: v.index,
                address: v.withdrawal_address,
                amount_gwei: amount,
            });
            next_index += 1;
            paid += 1;
            if paid == p.max_withdrawals_per_block {
                break;
            }
        }
    }
    state.put_u64(state_key::next_withdrawal_validator(), index);
    state.put_u64(state_key::next_withdrawal_index(), next_index);
    Ok(withdrawals)
}

/// A whistleblower's double-sign report (see `IStaking.reportDoubleSign`), verified natively.
pub fn report_double_sign<S: StateWrite>(
    state: &mut S,
    pubkey: &B256,
    votes: [&[u8]; 4],
    whistleblower: Address,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let p = params(state);
    let not_proof = |why: String| Revert::custom(IStaking::NotADoubleSign { reason: why });
    let v = state
        .validator_by_pubkey(pubkey)
        .ok_or_else(|| Revert::custom(IStaking::UnknownValidator { pubkey: *pubkey }))?;
    let chain = double_sign::consensus_chain_id(state.get_u64(&state_key::chain_id()));
    let offence_height =
        double_sign::verify_double_sign(pubkey, &chain, votes[0], votes[1], votes[2], votes[3])
            .map_err(|e| not_proof(e.to_string()))?;
    let proposer: [u8; 20] = state
        .get_raw(&state_key::proposer())
        .and_then(|b| b.try_into().ok())
        .unwrap_or_default();
    let evidence = Evidence {
        validator: v.consensus_address(),
        height: offence_height,
    };
    match slash(
        state,
        &p,
        &evidence,
        height,
        &proposer,
        Some(whistleblower),
        logs,
    )? {
        Ok(update) => {
            let mut pending = state
                .get_raw(&state_key::pending_removals())
                .unwrap_or_default();
            pending.extend_from_slice(update.pubkey.as_slice());
            state.put_raw(state_key::pending_removals(), pending);
            Ok(())
        }
        Err(why) => Err(not_proof(why.to_string())),
    }
}

/// Governance's withdrawals upgrade: withdrawals flow from `height` on.
pub fn enable_withdrawals<S: StateWrite>(state: &mut S, height: u64) {
    if height < state.withdrawals_height() {
        state.put_raw(
            state_key::withdrawals_height(),
            height.to_be_bytes().to_vec(),
        );
    }
}

/// The consensus set as last reported: (validator, power) for every validator with power.
pub fn consensus_set<S: StateRead>(state: &S) -> Vec<(Validator, u64)> {
    state
        .validators()
        .into_iter()
        .filter(|v| v.power > 0)
        .map(|v| {
            let power = v.power;
            (v, power)
        })
        .collect()
}
