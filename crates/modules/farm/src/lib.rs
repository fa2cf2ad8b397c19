//! # farm
//!
//! Farms that pay SHF, the platform's token, to stakers of another token (LP tokens first), with
//! SushiSwap MasterChef V2's ABI and semantics at [`sheaf_abi::system::MASTER_CHEF`].
//!
//! - **Emission.** `rewardPerBlock` SHF per block, split between farms by allocation points. A
//!   farm's emission is minted lazily, when the farm is next updated, for the blocks since its last
//!   update; blocks in which it had no stake mint nothing (that SHF is never created).
//! - **Accounting.** Reward per share with signed reward debt (see [`accumulator`]): every action
//!   is O(1) however many stake.
//! - **Stake** is the farm's own record (`lpSupply`), never its token balance, so a farm can stake
//!   SHF itself and rewards never inflate the divisor. A token can back at most one farm.
//! - **Governance** alone adds farms and changes allocations or emission ([`add_farm`],
//!   [`set_allocation`], [`set_reward_per_block`]); each first settles every farm at the old
//!   rates, so a change never rewrites past emission (MasterChef's `_withUpdate = false` hazard).
//!
//! Invariant, checked by the tests: the farm's SHF balance always covers every staker's pending
//! reward plus any SHF staked, and SHF supply grows only by what farms minted.

pub mod accumulator;
mod calls;
pub mod state_key;

use alloy_primitives::{Address, I256, Log, U256};
use alloy_sol_types::{SolEvent, SolValue};
use sheaf_abi::{IMasterChef, system::MASTER_CHEF};
use sheaf_bank::{BankRead, BankWrite};
use sheaf_module_api::Revert;
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

pub use accumulator::{Overflow, PRECISION, Stake};
pub use calls::{call, gas};

/// One farm: MasterChef V2's `PoolInfo` plus its staked token and total stake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Farm {
    pub staked_token: Address,
    pub alloc_point: u64,
    pub last_reward_block: u64,
    pub acc_reward_per_share: U256,
    /// Total staked, from the farm's own records.
    pub total_staked: U256,
}

impl Farm {
    fn encode(&self) -> Vec<u8> {
        (
            self.staked_token,
            self.alloc_point,
            self.last_reward_block,
            self.acc_reward_per_share,
            self.total_staked,
        )
            .abi_encode_params()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (staked_token, alloc_point, last_reward_block, acc, total) =
            <(Address, u64, u64, U256, U256)>::abi_decode_params(bytes).ok()?;
        Some(Self {
            staked_token,
            alloc_point,
            last_reward_block,
            acc_reward_per_share: acc,
            total_staked: total,
        })
    }
}

fn encode_stake(stake: &Stake) -> Vec<u8> {
    (stake.amount, stake.reward_debt).abi_encode_params()
}

fn decode_stake(bytes: &[u8]) -> Option<Stake> {
    let (amount, reward_debt) = <(U256, I256)>::abi_decode_params(bytes).ok()?;
    Some(Stake {
        amount,
        reward_debt,
    })
}

/// Reads of farm state, for the module, governance and RPC.
pub trait FarmRead: StateRead {
    /// SHF: the token farms pay, which only this module (and genesis) mints.
    fn reward_token(&self) -> Address {
        self.get_raw(&state_key::reward_token())
            .map(|b| Address::from_slice(&b))
            .unwrap_or_default()
    }

    fn reward_per_block(&self) -> U256 {
        self.get_u256(&state_key::reward_per_block())
    }

    fn total_alloc_point(&self) -> u64 {
        self.get_u64(&state_key::total_alloc_point())
    }

    fn farm_count(&self) -> u64 {
        self.get_u64(&state_key::farm_count())
    }

    fn farm(&self, pid: u64) -> Option<Farm> {
        self.get_raw(&state_key::farm(pid))
            .and_then(|b| Farm::decode(&b))
    }

    /// The farm staking `token`, if there is one.
    fn farm_for_token(&self, token: &Address) -> Option<u64> {
        self.get_raw(&state_key::farm_by_token(token))
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_be_bytes)
    }

    fn stake(&self, pid: u64, user: &Address) -> Stake {
        self.get_raw(&state_key::stake(pid, user))
            .and_then(|b| decode_stake(&b))
            .unwrap_or_default()
    }

    /// The farm as an update at `height` would leave it, without writing anything (what
    /// `pendingReward` and RPC need), and the SHF that update would mint.
    fn farm_at(&self, pid: u64, height: u64) -> Result<(Farm, U256), Revert> {
        let mut farm = self.farm(pid).ok_or_else(|| unknown(pid))?;
        let mut minted = U256::ZERO;
        if height > farm.last_reward_block {
            let total_alloc = self.total_alloc_point();
            if !farm.total_staked.is_zero() && farm.alloc_point > 0 && total_alloc > 0 {
                let blocks = U256::from(height - farm.last_reward_block);
                minted = blocks
                    .checked_mul(self.reward_per_block())
                    .and_then(|r| r.checked_mul(U256::from(farm.alloc_point)))
                    .map(|r| r / U256::from(total_alloc))
                    .ok_or_else(|| overflow(pid))?;
                farm.acc_reward_per_share =
                    accumulator::accrue(farm.acc_reward_per_share, minted, farm.total_staked)
                        .map_err(|_| overflow(pid))?;
            }
            farm.last_reward_block = height;
        }
        Ok((farm, minted))
    }

    /// What `user` could harvest from farm `pid` at `height`.
    fn pending_reward(&self, pid: u64, user: &Address, height: u64) -> Result<U256, Revert> {
        let (farm, _) = self.farm_at(pid, height)?;
        self.stake(pid, user)
            .pending(farm.acc_reward_per_share)
            .map_err(|_| overflow(pid))
    }
}

impl<T: StateRead + ?Sized> FarmRead for T {}

fn unknown(pid: u64) -> Revert {
    Revert::custom(IMasterChef::UnknownFarm {
        pid: U256::from(pid),
    })
}

fn overflow(pid: u64) -> Revert {
    Revert::custom(IMasterChef::AccumulatorOverflow {
        pid: U256::from(pid),
    })
}

fn put_farm<S: StateWrite + ?Sized>(state: &mut S, pid: u64, farm: &Farm) {
    state.put_raw(state_key::farm(pid), farm.encode());
}

fn put_stake<S: StateWrite + ?Sized>(state: &mut S, pid: u64, user: &Address, stake: &Stake) {
    if stake.amount.is_zero() && stake.reward_debt.is_zero() {
        state.delete(state_key::stake(pid, user));
    } else {
        state.put_raw(state_key::stake(pid, user), encode_stake(stake));
    }
}

/// Genesis: names the reward token (whose minter must be this module) and the emission rate.
pub fn init<S: StateWrite>(state: &mut S, reward_token: Address, reward_per_block: U256) {
    state.put_raw(state_key::reward_token(), reward_token.to_vec());
    state.put_u256(state_key::reward_per_block(), reward_per_block);
}

/// Brings farm `pid` up to `height`: mints its emission since the last update to the farm and
/// raises the accumulator. MasterChef's `updatePool`.
pub fn update_farm<S: StateWrite>(
    state: &mut S,
    pid: u64,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<Farm, Revert> {
    let before = state.farm(pid).ok_or_else(|| unknown(pid))?;
    if height <= before.last_reward_block {
        return Ok(before);
    }
    let (farm, minted) = state.farm_at(pid, height)?;
    if !minted.is_zero() {
        let token = state.reward_token();
        state
            .mint_token(&MASTER_CHEF, &token, &MASTER_CHEF, minted, logs)
            .map_err(|e| Revert::reason(e.to_string()))?;
    }
    put_farm(state, pid, &farm);
    logs.push(event(IMasterChef::LogUpdatePool {
        pid: U256::from(pid),
        lastRewardBlock: farm.last_reward_block,
        lpSupply: farm.total_staked,
        accRewardPerShare: farm.acc_reward_per_share,
    }));
    Ok(farm)
}

/// Settles every farm at the current rates (before governance changes them).
fn update_all<S: StateWrite>(
    state: &mut S,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    for pid in 0..state.farm_count() {
        update_farm(state, pid, height, logs)?;
    }
    Ok(())
}

/// Governance: adds a farm for `staked_token`. A token backs at most one farm (two would split
/// one stake between two reward streams, MasterChef's "DO NOT add the same LP token twice").
pub fn add_farm<S: StateWrite>(
    state: &mut S,
    staked_token: Address,
    alloc_point: u64,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<u64, Revert> {
    check_new_farm(state, &staked_token)?;
    update_all(state, height, logs)?;
    let pid = state.farm_count();
    let total = state
        .total_alloc_point()
        .checked_add(alloc_point)
        .ok_or_else(|| Revert::reason("total allocation overflows"))?;
    state.put_u64(state_key::total_alloc_point(), total);
    put_farm(
        state,
        pid,
        &Farm {
            staked_token,
            alloc_point,
            last_reward_block: height,
            acc_reward_per_share: U256::ZERO,
            total_staked: U256::ZERO,
        },
    );
    state.put_u64(state_key::farm_count(), pid + 1);
    state.put_raw(
        state_key::farm_by_token(&staked_token),
        pid.to_be_bytes().to_vec(),
    );
    logs.push(event(IMasterChef::LogPoolAddition {
        pid: U256::from(pid),
        allocPoint: U256::from(alloc_point),
        lpToken: staked_token,
        rewarder: Address::ZERO,
    }));
    Ok(pid)
}

/// Whether a farm for `token` could be added: it must be a token and not farmed yet. Governance
/// checks this at proposal time.
pub fn check_new_farm<S: StateRead>(state: &S, token: &Address) -> Result<(), Revert> {
    if !state.is_token(token) {
        return Err(Revert::reason(format!("{token} is not a token")));
    }
    if let Some(pid) = state.farm_for_token(token) {
        return Err(Revert::reason(format!(
            "{token} is already farmed (pid {pid})"
        )));
    }
    Ok(())
}

/// Governance: changes farm `pid`'s allocation points.
pub fn set_allocation<S: StateWrite>(
    state: &mut S,
    pid: u64,
    alloc_point: u64,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    update_all(state, height, logs)?;
    let mut farm = state.farm(pid).ok_or_else(|| unknown(pid))?;
    // Cannot underflow: the total is the sum of every farm's points, this one's included.
    let total = state.total_alloc_point() - farm.alloc_point + alloc_point;
    state.put_u64(state_key::total_alloc_point(), total);
    farm.alloc_point = alloc_point;
    put_farm(state, pid, &farm);
    logs.push(event(IMasterChef::LogSetPool {
        pid: U256::from(pid),
        allocPoint: U256::from(alloc_point),
        rewarder: Address::ZERO,
        overwrite: false,
    }));
    Ok(())
}

/// Governance: changes the SHF emitted per block across all farms.
pub fn set_reward_per_block<S: StateWrite>(
    state: &mut S,
    reward_per_block: U256,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    update_all(state, height, logs)?;
    state.put_u256(state_key::reward_per_block(), reward_per_block);
    logs.push(event(IMasterChef::LogRewardPerBlock {
        rewardPerBlock: reward_per_block,
    }));
    Ok(())
}

/// Who does what in a stake-changing call.
struct Action {
    pid: u64,
    height: u64,
    caller: Address,
}

fn require_recipient(to: &Address) -> Result<(), Revert> {
    if *to == Address::ZERO {
        return Err(Revert::custom(IMasterChef::ZeroRecipient {}));
    }
    Ok(())
}

/// `deposit(pid, amount, to)`: moves `amount` of the farm's token from the caller (who approved
/// the farm) and credits it to `to`'s stake, without harvesting.
fn deposit<S: StateWrite>(
    state: &mut S,
    a: &Action,
    amount: U256,
    to: Address,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    require_recipient(&to)?;
    let mut farm = update_farm(state, a.pid, a.height, logs)?;
    let mut stake = state.stake(a.pid, &to);
    stake
        .deposit(amount, farm.acc_reward_per_share)
        .map_err(|_| overflow(a.pid))?;
    farm.total_staked = farm
        .total_staked
        .checked_add(amount)
        .ok_or_else(|| overflow(a.pid))?;
    state.transfer_from(
        &farm.staked_token,
        &a.caller,
        &MASTER_CHEF,
        &MASTER_CHEF,
        amount,
        logs,
    )?;
    put_stake(state, a.pid, &to, &stake);
    put_farm(state, a.pid, &farm);
    logs.push(event(IMasterChef::Deposit {
        user: a.caller,
        pid: U256::from(a.pid),
        amount,
        to,
    }));
    Ok(())
}

/// `withdraw(pid, amount, to)`: takes `amount` from the caller's stake and sends it to `to`,
/// leaving rewards to harvest later.
fn withdraw<S: StateWrite>(
    state: &mut S,
    a: &Action,
    amount: U256,
    to: Address,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    require_recipient(&to)?;
    let mut farm = update_farm(state, a.pid, a.height, logs)?;
    let mut stake = state.stake(a.pid, &a.caller);
    if stake.amount < amount {
        return Err(Revert::custom(IMasterChef::InsufficientStake {
            staked: stake.amount,
            requested: amount,
        }));
    }
    stake
        .withdraw(amount, farm.acc_reward_per_share)
        .map_err(|_| overflow(a.pid))?;
    // Cannot underflow: the total includes this stake.
    farm.total_staked -= amount;
    put_stake(state, a.pid, &a.caller, &stake);
    put_farm(state, a.pid, &farm);
    state.transfer_token(&farm.staked_token, &MASTER_CHEF, &to, amount, logs)?;
    logs.push(event(IMasterChef::Withdraw {
        user: a.caller,
        pid: U256::from(a.pid),
        amount,
        to,
    }));
    Ok(())
}

/// `harvest(pid, to)`: pays the caller's pending SHF to `to`. Returns the amount.
fn harvest<S: StateWrite>(
    state: &mut S,
    a: &Action,
    to: Address,
    logs: &mut Vec<Log>,
) -> Result<U256, Revert> {
    require_recipient(&to)?;
    let farm = update_farm(state, a.pid, a.height, logs)?;
    let mut stake = state.stake(a.pid, &a.caller);
    let paid = stake
        .harvest(farm.acc_reward_per_share)
        .map_err(|_| overflow(a.pid))?;
    put_stake(state, a.pid, &a.caller, &stake);
    if !paid.is_zero() {
        let token = state.reward_token();
        // The farm minted at least this much for this farm's stakers (rounding favours the farm),
        // so a failure here is a bookkeeping bug, reported rather than papered over.
        state.transfer_token(&token, &MASTER_CHEF, &to, paid, logs)?;
    }
    logs.push(event(IMasterChef::Harvest {
        user: a.caller,
        pid: U256::from(a.pid),
        amount: paid,
    }));
    Ok(paid)
}

/// `emergencyWithdraw(pid, to)`: returns the whole stake to `to` and forfeits pending rewards.
/// It does not update the farm, so it works even if the farm's accounting cannot advance.
fn emergency_withdraw<S: StateWrite>(
    state: &mut S,
    a: &Action,
    to: Address,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    require_recipient(&to)?;
    let mut farm = state.farm(a.pid).ok_or_else(|| unknown(a.pid))?;
    let stake = state.stake(a.pid, &a.caller);
    farm.total_staked -= stake.amount;
    put_stake(state, a.pid, &a.caller, &Stake::default());
    put_farm(state, a.pid, &farm);
    state.transfer_token(&farm.staked_token, &MASTER_CHEF, &to, stake.amount, logs)?;
    logs.push(event(IMasterChef::EmergencyWithdraw {
        user: a.caller,
        pid: U256::from(a.pid),
        amount: stake.amount,
        to,
    }));
    Ok(())
}

fn event<E: SolEvent>(e: E) -> Log {
    Log {
        address: MASTER_CHEF,
        data: e.encode_log_data(),
    }
}
