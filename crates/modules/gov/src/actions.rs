//! The typed actions a proposal may carry (`ISheafGovernanceActions` in `contracts/IGovernor.sol`)
//! and their checks. A proposal's calls are decoded into [`Action`]s at `propose`: an unknown call,
//! a wrong target, a non-zero value or an out-of-range argument rejects the proposal there, and a
//! dry run of all its actions on a throwaway overlay catches what depends on state (a farm that
//! does not exist, a token farmed twice, a treasury that cannot pay).

use alloy_primitives::{Address, Bytes, Log, U256};
use sheaf_abi::{
    ISheafGovernanceActions::{self, ISheafGovernanceActionsCalls},
    system::{DEPOSIT_CONTRACT, GOV_STAKING, GOVERNOR, MASTER_CHEF, UNISWAP_V2_FACTORY},
};
use sheaf_bank::{BankRead, BankWrite};
use sheaf_farm::FarmRead;
use sheaf_module_api::Revert;
use sheaf_state::{Delta, StateRead, StateWrite};

use crate::{params, staking};

/// Largest allocation a farm may be given.
pub const MAX_ALLOC_POINT: u64 = 1_000_000;
/// Largest SHF or GOV emission per block: 1,000 tokens of 18 decimals.
pub const MAX_EMISSION_PER_BLOCK: U256 = U256::from_limbs([0x35c9_adc5_dea0_0000, 0x36, 0, 0]);
/// Most actions in one proposal (Governor Bravo's `proposalMaxOperations`).
pub const MAX_ACTIONS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    AddFarm {
        token: Address,
        alloc_point: u64,
    },
    SetFarmAllocation {
        pid: u64,
        alloc_point: u64,
    },
    SetRewardPerBlock(U256),
    SetGovPerBlock(U256),
    SetFeeTo(Address),
    /// `token` zero means ETH.
    TransferTreasury {
        token: Address,
        to: Address,
        amount: U256,
    },
    SetParameter {
        module: Address,
        name: String,
        value: U256,
    },
    /// The validator-staking withdrawals upgrade.
    EnableWithdrawals,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::AddFarm { token, alloc_point } => {
                write!(
                    f,
                    "add a farm for {token} with {alloc_point} allocation points"
                )
            }
            Action::SetFarmAllocation { pid, alloc_point } => {
                write!(f, "set farm {pid}'s allocation to {alloc_point} points")
            }
            Action::SetRewardPerBlock(v) => write!(f, "set SHF emission to {v} base units a block"),
            Action::SetGovPerBlock(v) => write!(f, "set GOV emission to {v} base units a block"),
            Action::SetFeeTo(a) => write!(f, "send the AMM protocol fee to {a}"),
            Action::TransferTreasury { token, to, amount } => {
                let what = if *token == Address::ZERO {
                    "wei of ETH".to_string()
                } else {
                    format!("base units of {token}")
                };
                write!(f, "transfer {amount} {what} from the treasury to {to}")
            }
            Action::SetParameter { name, value, .. } => write!(f, "set {name} to {value}"),
            Action::EnableWithdrawals => write!(f, "enable validator withdrawals"),
        }
    }
}

fn require_target(target: &Address, module: Address, name: &str) -> Result<(), String> {
    if *target != module {
        return Err(format!("{name} must target {module}, not {target}"));
    }
    Ok(())
}

/// Decodes one call of a proposal and checks everything that does not depend on state.
pub fn decode(target: &Address, value: U256, calldata: &[u8]) -> Result<Action, String> {
    use alloy_sol_types::SolInterface;
    if !value.is_zero() {
        return Err("actions carry no ETH value; use transferTreasury".into());
    }
    let call = ISheafGovernanceActionsCalls::abi_decode(calldata)
        .map_err(|_| "not an ISheafGovernanceActions call".to_string())?;
    let alloc = |points: u64| -> Result<u64, String> {
        if points > MAX_ALLOC_POINT {
            return Err(format!("allocPoint must be at most {MAX_ALLOC_POINT}"));
        }
        Ok(points)
    };
    let emission = |v: U256| -> Result<U256, String> {
        if v > MAX_EMISSION_PER_BLOCK {
            return Err(format!(
                "emission must be at most {MAX_EMISSION_PER_BLOCK} base units a block"
            ));
        }
        Ok(v)
    };
    Ok(match call {
        ISheafGovernanceActionsCalls::addFarm(c) => {
            require_target(target, MASTER_CHEF, "addFarm")?;
            Action::AddFarm {
                token: c.stakedToken,
                alloc_point: alloc(c.allocPoint)?,
            }
        }
        ISheafGovernanceActionsCalls::setFarmAllocation(c) => {
            require_target(target, MASTER_CHEF, "setFarmAllocation")?;
            Action::SetFarmAllocation {
                pid: u64::try_from(c.pid).map_err(|_| format!("no farm {}", c.pid))?,
                alloc_point: alloc(c.allocPoint)?,
            }
        }
        ISheafGovernanceActionsCalls::setRewardPerBlock(c) => {
            require_target(target, MASTER_CHEF, "setRewardPerBlock")?;
            Action::SetRewardPerBlock(emission(c.rewardPerBlock)?)
        }
        ISheafGovernanceActionsCalls::setGovPerBlock(c) => {
            require_target(target, GOV_STAKING, "setGovPerBlock")?;
            Action::SetGovPerBlock(emission(c.govPerBlock)?)
        }
        ISheafGovernanceActionsCalls::setFeeTo(c) => {
            require_target(target, UNISWAP_V2_FACTORY, "setFeeTo")?;
            Action::SetFeeTo(c.feeTo)
        }
        ISheafGovernanceActionsCalls::transferTreasury(c) => {
            require_target(target, GOVERNOR, "transferTreasury")?;
            if c.to == Address::ZERO || c.amount.is_zero() {
                return Err("transferTreasury needs a recipient and a non-zero amount".into());
            }
            Action::TransferTreasury {
                token: c.token,
                to: c.to,
                amount: c.amount,
            }
        }
        ISheafGovernanceActionsCalls::enableWithdrawals(_) => {
            require_target(target, DEPOSIT_CONTRACT, "enableWithdrawals")?;
            Action::EnableWithdrawals
        }
        ISheafGovernanceActionsCalls::setParameter(c) => {
            params::check(target, &c.name, c.value)?;
            Action::SetParameter {
                module: *target,
                name: c.name,
                value: c.value,
            }
        }
    })
}

/// Carries out one action at `height`.
pub fn execute<S: StateWrite>(
    state: &mut S,
    action: &Action,
    height: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    match action {
        Action::AddFarm { token, alloc_point } => {
            sheaf_farm::add_farm(state, *token, *alloc_point, height, logs).map(|_| ())
        }
        Action::SetFarmAllocation { pid, alloc_point } => {
            sheaf_farm::set_allocation(state, *pid, *alloc_point, height, logs)
        }
        Action::SetRewardPerBlock(v) => sheaf_farm::set_reward_per_block(state, *v, height, logs),
        Action::SetGovPerBlock(v) => staking::set_gov_per_block(state, *v, height, logs),
        Action::SetFeeTo(a) => {
            sheaf_amm::set_fee_to(state, *a);
            Ok(())
        }
        Action::TransferTreasury { token, to, amount } => {
            if *token == Address::ZERO {
                state
                    .transfer_eth(&GOVERNOR, to, *amount)
                    .map_err(|e| Revert::reason(format!("treasury: {e}")))
            } else {
                state.transfer_token(token, &GOVERNOR, to, *amount, logs)
            }
        }
        Action::SetParameter { name, value, .. } => {
            params::set(state, name, *value).map_err(Revert::reason)
        }
        Action::EnableWithdrawals => {
            sheaf_staking::enable_withdrawals(state, height);
            Ok(())
        }
    }
}

/// Checks what depends on state: the actions, in order, must all succeed on a copy of the state
/// as it is now.
pub fn dry_run<S: StateRead>(
    state: &S,
    actions: &[Action],
    height: u64,
) -> Result<(), (usize, String)> {
    let mut overlay = Delta::new(state);
    let mut logs = vec![];
    for (index, action) in actions.iter().enumerate() {
        match action {
            Action::AddFarm { token, .. } => {
                sheaf_farm::check_new_farm(&overlay, token).map_err(|e| (index, e.to_string()))?
            }
            Action::SetFarmAllocation { pid, .. } if overlay.farm(*pid).is_none() => {
                return Err((index, format!("no farm {pid}")));
            }
            Action::TransferTreasury { token, .. }
                if *token != Address::ZERO && !overlay.is_token(token) =>
            {
                return Err((index, format!("{token} is not a token")));
            }
            _ => {}
        }
        execute(&mut overlay, action, height, &mut logs).map_err(|e| (index, e.to_string()))?;
    }
    Ok(())
}

/// The calldata for an action, for clients building proposals.
pub fn encode(action: &Action) -> (Address, Bytes) {
    use ISheafGovernanceActions as A;
    use alloy_sol_types::SolCall;
    let (target, data) = match action {
        Action::AddFarm { token, alloc_point } => (
            MASTER_CHEF,
            A::addFarmCall {
                stakedToken: *token,
                allocPoint: *alloc_point,
            }
            .abi_encode(),
        ),
        Action::SetFarmAllocation { pid, alloc_point } => (
            MASTER_CHEF,
            A::setFarmAllocationCall {
                pid: U256::from(*pid),
                allocPoint: *alloc_point,
            }
            .abi_encode(),
        ),
        Action::SetRewardPerBlock(v) => (
            MASTER_CHEF,
            A::setRewardPerBlockCall { rewardPerBlock: *v }.abi_encode(),
        ),
        Action::SetGovPerBlock(v) => (
            GOV_STAKING,
            A::setGovPerBlockCall { govPerBlock: *v }.abi_encode(),
        ),
        Action::SetFeeTo(a) => (
            UNISWAP_V2_FACTORY,
            A::setFeeToCall { feeTo: *a }.abi_encode(),
        ),
        Action::TransferTreasury { token, to, amount } => (
            GOVERNOR,
            A::transferTreasuryCall {
                token: *token,
                to: *to,
                amount: *amount,
            }
            .abi_encode(),
        ),
        Action::SetParameter {
            module,
            name,
            value,
        } => (
            *module,
            A::setParameterCall {
                name: name.clone(),
                value: *value,
            }
            .abi_encode(),
        ),
        Action::EnableWithdrawals => (DEPOSIT_CONTRACT, A::enableWithdrawalsCall {}.abi_encode()),
    };
    (target, data.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_emission_is_1000_tokens() {
        assert_eq!(
            MAX_EMISSION_PER_BLOCK,
            U256::from(1000u64) * U256::from(10u64).pow(U256::from(18u64))
        );
    }
}
