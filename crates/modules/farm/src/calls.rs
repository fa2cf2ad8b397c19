//! The MasterChef V2 ABI at the farm's system address.

use alloy_primitives::{Bytes, Log, U256};
use alloy_sol_types::SolCall;
use sheaf_abi::IMasterChef;
use sheaf_module_api::{CallEnv, Revert, decode_call, selector};
use sheaf_state::StateWrite;

use crate::{
    Action, FarmRead, PRECISION, deposit, emergency_withdraw, harvest, update_farm, withdraw,
};

/// Gas on top of the intrinsic cost (documented in `contracts/IMasterChef.sol`).
pub fn gas(data: &[u8]) -> u64 {
    use IMasterChef::*;
    match selector(data) {
        Some(depositCall::SELECTOR) | Some(withdrawCall::SELECTOR) => 45_000,
        Some(harvestCall::SELECTOR) | Some(emergencyWithdrawCall::SELECTOR) => 40_000,
        Some(withdrawAndHarvestCall::SELECTOR) => 55_000,
        Some(updatePoolCall::SELECTOR) => 20_000,
        Some(massUpdatePoolsCall::SELECTOR) => {
            let pools = massUpdatePoolsCall::abi_decode(data).map_or(1, |c| c.pids.len() as u64);
            20_000 * pools.max(1)
        }
        _ => 0,
    }
}

fn pid_of(pid: U256) -> Result<u64, Revert> {
    u64::try_from(pid).map_err(|_| Revert::custom(IMasterChef::UnknownFarm { pid }))
}

fn existing<S: StateWrite>(state: &S, pid: U256) -> Result<crate::Farm, Revert> {
    state
        .farm(pid_of(pid)?)
        .ok_or_else(|| Revert::custom(IMasterChef::UnknownFarm { pid }))
}

pub fn call<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    if !env.value.is_zero() {
        return Err(Revert::reason("the farm is not payable"));
    }
    let height = env.block.height;
    let action = |pid: U256| -> Result<Action, Revert> {
        Ok(Action {
            pid: pid_of(pid)?,
            height,
            caller: env.caller,
        })
    };
    use IMasterChef::*;
    let output = match decode_call::<IMasterChefCalls>(data)? {
        IMasterChefCalls::rewardToken(_) => {
            rewardTokenCall::abi_encode_returns(&state.reward_token())
        }
        IMasterChefCalls::poolLength(_) => {
            poolLengthCall::abi_encode_returns(&U256::from(state.farm_count()))
        }
        IMasterChefCalls::poolInfo(c) => {
            let farm = existing(state, c.pid)?;
            poolInfoCall::abi_encode_returns(&poolInfoReturn {
                accRewardPerShare: farm.acc_reward_per_share,
                lastRewardBlock: farm.last_reward_block,
                allocPoint: farm.alloc_point,
            })
        }
        IMasterChefCalls::lpToken(c) => {
            let farm = existing(state, c.pid)?;
            lpTokenCall::abi_encode_returns(&farm.staked_token)
        }
        IMasterChefCalls::lpSupply(c) => {
            let farm = existing(state, c.pid)?;
            lpSupplyCall::abi_encode_returns(&farm.total_staked)
        }
        IMasterChefCalls::userInfo(c) => {
            let pid = pid_of(c.pid)?;
            existing(state, c.pid)?;
            let stake = state.stake(pid, &c.user);
            userInfoCall::abi_encode_returns(&userInfoReturn {
                amount: stake.amount,
                rewardDebt: stake.reward_debt,
            })
        }
        IMasterChefCalls::totalAllocPoint(_) => {
            totalAllocPointCall::abi_encode_returns(&U256::from(state.total_alloc_point()))
        }
        IMasterChefCalls::rewardPerBlock(_) => {
            rewardPerBlockCall::abi_encode_returns(&state.reward_per_block())
        }
        IMasterChefCalls::pendingReward(c) => pendingRewardCall::abi_encode_returns(
            &state.pending_reward(pid_of(c.pid)?, &c.user, height)?,
        ),
        IMasterChefCalls::ACC_REWARD_PRECISION(_) => {
            ACC_REWARD_PRECISIONCall::abi_encode_returns(&PRECISION)
        }
        IMasterChefCalls::updatePool(c) => {
            update_farm(state, pid_of(c.pid)?, height, logs)?;
            Vec::new()
        }
        IMasterChefCalls::massUpdatePools(c) => {
            for pid in c.pids {
                update_farm(state, pid_of(pid)?, height, logs)?;
            }
            Vec::new()
        }
        IMasterChefCalls::deposit(c) => {
            deposit(state, &action(c.pid)?, c.amount, c.to, logs)?;
            Vec::new()
        }
        IMasterChefCalls::withdraw(c) => {
            withdraw(state, &action(c.pid)?, c.amount, c.to, logs)?;
            Vec::new()
        }
        IMasterChefCalls::harvest(c) => {
            harvest(state, &action(c.pid)?, c.to, logs)?;
            Vec::new()
        }
        IMasterChefCalls::withdrawAndHarvest(c) => {
            let a = action(c.pid)?;
            withdraw(state, &a, c.amount, c.to, logs)?;
            harvest(state, &a, c.to, logs)?;
            Vec::new()
        }
        IMasterChefCalls::emergencyWithdraw(c) => {
            emergency_withdraw(state, &action(c.pid)?, c.to, logs)?;
            Vec::new()
        }
    };
    Ok(output.into())
}
