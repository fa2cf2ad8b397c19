//! Governance staking at [`GOV_STAKING`]: stake SHF, earn GOV each block with the farm's
//! reward-per-share accounting ([`sheaf_farm::accumulator`]), claim whenever; unstake through a
//! cooldown during which the SHF earns nothing.

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use sheaf_abi::{IGovStaking, system::GOV_STAKING};
use sheaf_bank::BankWrite;
use sheaf_farm::{Stake, accumulator};
use sheaf_module_api::{CallEnv, Revert, decode_call, selector};
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

use crate::{params, state_key};

/// The one staking pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pool {
    pub acc_gov_per_share: U256,
    pub last_block: u64,
    pub total_staked: U256,
}

/// SHF on its way out: it earns nothing and returns at `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cooldown {
    pub amount: U256,
    pub end: u64,
}

fn overflow() -> Revert {
    Revert::reason("governance staking: reward accounting overflow")
}

/// Reads of governance staking.
pub trait GovStakingRead: StateRead {
    /// SHF.
    fn staking_token(&self) -> Address {
        self.get_raw(&state_key::staking_token())
            .map(|b| Address::from_slice(&b))
            .unwrap_or_default()
    }

    /// GOV, minted only by this module (and genesis).
    fn gov_token(&self) -> Address {
        self.get_raw(&state_key::gov_token())
            .map(|b| Address::from_slice(&b))
            .unwrap_or_default()
    }

    fn gov_per_block(&self) -> U256 {
        self.get_u256(&state_key::gov_per_block())
    }

    fn gov_pool(&self) -> Pool {
        self.get_raw(&state_key::pool())
            .and_then(|b| <(U256, u64, U256)>::abi_decode_params(&b).ok())
            .map(|(acc, last, total)| Pool {
                acc_gov_per_share: acc,
                last_block: last,
                total_staked: total,
            })
            .unwrap_or_default()
    }

    fn gov_stake(&self, user: &Address) -> Stake {
        self.get_raw(&state_key::stake(user))
            .and_then(|b| <(U256, alloy_primitives::I256)>::abi_decode_params(&b).ok())
            .map(|(amount, reward_debt)| Stake {
                amount,
                reward_debt,
            })
            .unwrap_or_default()
    }

    fn cooldown(&self, user: &Address) -> Cooldown {
        self.get_raw(&state_key::cooldown(user))
            .and_then(|b| <(U256, u64)>::abi_decode_params(&b).ok())
            .map(|(amount, end)| Cooldown { amount, end })
            .unwrap_or_default()
    }

    /// The pool as an update at `height` would leave it, and the GOV that update would mint.
    fn gov_pool_at(&self, height: u64) -> Result<(Pool, U256), Revert> {
        let mut pool = self.gov_pool();
        let mut minted = U256::ZERO;
        if height > pool.last_block {
            if !pool.total_staked.is_zero() {
                minted = U256::from(height - pool.last_block)
                    .checked_mul(self.gov_per_block())
                    .ok_or_else(overflow)?;
                pool.acc_gov_per_share =
                    accumulator::accrue(pool.acc_gov_per_share, minted, pool.total_staked)
                        .map_err(|_| overflow())?;
            }
            pool.last_block = height;
        }
        Ok((pool, minted))
    }

    fn pending_gov(&self, user: &Address, height: u64) -> Result<U256, Revert> {
        let (pool, _) = self.gov_pool_at(height)?;
        self.gov_stake(user)
            .pending(pool.acc_gov_per_share)
            .map_err(|_| overflow())
    }
}

impl<T: StateRead + ?Sized> GovStakingRead for T {}

fn put_pool<S: StateWrite + ?Sized>(state: &mut S, pool: &Pool) {
    let bytes = (pool.acc_gov_per_share, pool.last_block, pool.total_staked).abi_encode_params();
    state.put_raw(state_key::pool(), bytes);
}

fn put_stake<S: StateWrite + ?Sized>(state: &mut S, user: &Address, stake: &Stake) {
    if stake.amount.is_zero() && stake.reward_debt.is_zero() {
        state.delete(state_key::stake(user));
    } else {
        state.put_raw(
            state_key::stake(user),
            (stake.amount, stake.reward_debt).abi_encode_params(),
        );
    }
}

fn put_cooldown<S: StateWrite + ?Sized>(state: &mut S, user: &Address, c: &Cooldown) {
    if c.amount.is_zero() {
        state.delete(state_key::cooldown(user));
    } else {
        state.put_raw(
            state_key::cooldown(user),
            (c.amount, c.end).abi_encode_params(),
        );
    }
}

/// Genesis: SHF is staked, GOV (whose minter must be this module) is earned.
pub fn init<S: StateWrite>(state: &mut S, shf: Address, gov: Address, gov_per_block: U256) {
    state.put_raw(state_key::staking_token(), shf.to_vec());
    state.put_raw(state_key::gov_token(), gov.to_vec());
    state.put_u256(state_key::gov_per_block(), gov_per_block);
}

/// Brings the pool up to `height`, minting the GOV earned since its last update to itself.
pub fn update<S: StateWrite>(
    state: &mut S,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<Pool, Revert> {
    let (pool, minted) = state.gov_pool_at(height)?;
    if !minted.is_zero() {
        let gov = state.gov_token();
        state
            .mint_token(&GOV_STAKING, &gov, &GOV_STAKING, minted, logs)
            .map_err(|e| Revert::reason(e.to_string()))?;
    }
    put_pool(state, &pool);
    Ok(pool)
}

/// Governance: sets the GOV minted per block, after settling at the old rate.
pub fn set_gov_per_block<S: StateWrite>(
    state: &mut S,
    gov_per_block: U256,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    update(state, height, logs)?;
    state.put_u256(state_key::gov_per_block(), gov_per_block);
    Ok(())
}

fn event<E: SolEvent>(e: E) -> Log {
    Log {
        address: GOV_STAKING,
        data: e.encode_log_data(),
    }
}

pub fn stake<S: StateWrite>(
    state: &mut S,
    user: &Address,
    amount: U256,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    if amount.is_zero() {
        return Err(Revert::custom(IGovStaking::ZeroAmount {}));
    }
    let mut pool = update(state, height, logs)?;
    let mut stake = state.gov_stake(user);
    stake
        .deposit(amount, pool.acc_gov_per_share)
        .map_err(|_| overflow())?;
    pool.total_staked = pool.total_staked.checked_add(amount).ok_or_else(overflow)?;
    let shf = state.staking_token();
    state.transfer_from(&shf, user, &GOV_STAKING, &GOV_STAKING, amount, logs)?;
    put_stake(state, user, &stake);
    put_pool(state, &pool);
    logs.push(event(IGovStaking::Staked {
        user: *user,
        amount,
    }));
    Ok(())
}

/// Moves `amount` from the stake into the cooldown, which (re)starts now for all of it.
pub fn request_unstake<S: StateWrite>(
    state: &mut S,
    user: &Address,
    amount: U256,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<Cooldown, Revert> {
    if amount.is_zero() {
        return Err(Revert::custom(IGovStaking::ZeroAmount {}));
    }
    let mut pool = update(state, height, logs)?;
    let mut stake = state.gov_stake(user);
    if stake.amount < amount {
        return Err(Revert::custom(IGovStaking::InsufficientStake {
            staked: stake.amount,
            requested: amount,
        }));
    }
    stake
        .withdraw(amount, pool.acc_gov_per_share)
        .map_err(|_| overflow())?;
    pool.total_staked -= amount;
    let mut cooldown = state.cooldown(user);
    cooldown.amount += amount;
    cooldown.end = height.saturating_add(params::blocks(state, params::COOLDOWN_BLOCKS));
    put_stake(state, user, &stake);
    put_pool(state, &pool);
    put_cooldown(state, user, &cooldown);
    logs.push(event(IGovStaking::UnstakeRequested {
        user: *user,
        amount,
        cooldownEnd: U256::from(cooldown.end),
    }));
    Ok(cooldown)
}

/// Returns the cooled-down SHF.
pub fn withdraw<S: StateWrite>(
    state: &mut S,
    user: &Address,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<U256, Revert> {
    let cooldown = state.cooldown(user);
    if cooldown.amount.is_zero() {
        return Err(Revert::custom(IGovStaking::NothingCoolingDown {}));
    }
    if height < cooldown.end {
        return Err(Revert::custom(IGovStaking::CooldownNotOver {
            cooldownEnd: U256::from(cooldown.end),
            blockNumber: U256::from(height),
        }));
    }
    put_cooldown(state, user, &Cooldown::default());
    let shf = state.staking_token();
    state.transfer_token(&shf, &GOV_STAKING, user, cooldown.amount, logs)?;
    logs.push(event(IGovStaking::Withdrawn {
        user: *user,
        amount: cooldown.amount,
    }));
    Ok(cooldown.amount)
}

/// Pays `user`'s earned GOV to `to`.
pub fn claim<S: StateWrite>(
    state: &mut S,
    user: &Address,
    to: &Address,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<U256, Revert> {
    let pool = update(state, height, logs)?;
    let mut stake = state.gov_stake(user);
    let paid = stake
        .harvest(pool.acc_gov_per_share)
        .map_err(|_| overflow())?;
    put_stake(state, user, &stake);
    if !paid.is_zero() {
        let gov = state.gov_token();
        state.transfer_token(&gov, &GOV_STAKING, to, paid, logs)?;
    }
    logs.push(event(IGovStaking::Claimed {
        user: *user,
        to: *to,
        amount: paid,
    }));
    Ok(paid)
}

pub fn gas(data: &[u8]) -> u64 {
    use IGovStaking::*;
    match selector(data) {
        Some(stakeCall::SELECTOR) | Some(requestUnstakeCall::SELECTOR) => 45_000,
        Some(withdrawCall::SELECTOR) => 30_000,
        Some(claimCall::SELECTOR) => 40_000,
        _ => 0,
    }
}

pub fn call<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    if !env.value.is_zero() {
        return Err(Revert::reason("governance staking is not payable"));
    }
    if state.gov_token() == Address::ZERO {
        return Err(Revert::reason("governance is not configured on this chain"));
    }
    let height = env.block.height;
    let user = env.caller;
    use IGovStaking::*;
    let output = match decode_call::<IGovStakingCalls>(data)? {
        IGovStakingCalls::stakingToken(_) => {
            stakingTokenCall::abi_encode_returns(&state.staking_token())
        }
        IGovStakingCalls::rewardToken(_) => rewardTokenCall::abi_encode_returns(&state.gov_token()),
        IGovStakingCalls::govPerBlock(_) => {
            govPerBlockCall::abi_encode_returns(&state.gov_per_block())
        }
        IGovStakingCalls::cooldownBlocks(_) => {
            cooldownBlocksCall::abi_encode_returns(&params::get(state, params::COOLDOWN_BLOCKS))
        }
        IGovStakingCalls::totalStaked(_) => {
            totalStakedCall::abi_encode_returns(&state.gov_pool().total_staked)
        }
        IGovStakingCalls::stakedOf(c) => {
            stakedOfCall::abi_encode_returns(&state.gov_stake(&c.user).amount)
        }
        IGovStakingCalls::pendingGov(c) => {
            pendingGovCall::abi_encode_returns(&state.pending_gov(&c.user, height)?)
        }
        IGovStakingCalls::cooldownOf(c) => {
            let cooldown = state.cooldown(&c.user);
            cooldownOfCall::abi_encode_returns(&cooldownOfReturn {
                amount: cooldown.amount,
                cooldownEnd: U256::from(cooldown.end),
            })
        }
        IGovStakingCalls::stake(c) => {
            stake(state, &user, c.amount, height, logs)?;
            Vec::new()
        }
        IGovStakingCalls::requestUnstake(c) => {
            request_unstake(state, &user, c.amount, height, logs)?;
            Vec::new()
        }
        IGovStakingCalls::withdraw(_) => {
            withdraw(state, &user, height, logs)?;
            Vec::new()
        }
        IGovStakingCalls::claim(c) => {
            if c.to == Address::ZERO {
                return Err(Revert::reason("claim to the zero address"));
            }
            claim(state, &user, &c.to, height, logs)?;
            Vec::new()
        }
    };
    Ok(output.into())
}
