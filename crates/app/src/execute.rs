//! Running one transaction: stateful admission (nonce, fee cap, gas, funds), the call in its own
//! overlay, then fees. Also the read-only call path behind `eth_call` and `eth_estimateGas`.

use alloy_primitives::{Address, Bytes, Log, U256};
use sheaf_abi::system::{
    self, DEPOSIT_CONTRACT, GOV_STAKING, GOVERNOR, MASTER_CHEF, TOKEN_FACTORY, UNISWAP_V2_FACTORY,
    UNISWAP_V2_ROUTER, WETH,
};
use sheaf_amm::{AmmRead, calls as amm_calls, router as amm_router, weth};
use sheaf_bank::{Account, BankRead, BankWrite};
use sheaf_module_api::{BlockContext, CallEnv, Revert, intrinsic_gas};
use sheaf_state::{Delta, StateRead, StateWrite};
use sheaf_tx::SignedTx;

use crate::chain::StoredReceipt;

/// Why a transaction cannot be included at all. It pays nothing and changes nothing. Messages are
/// geth's, which wallets and viem recognise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTx {
    #[error("nonce too low: next nonce {expected}, tx nonce {found}")]
    NonceTooLow { expected: u64, found: u64 },
    #[error("nonce too high: next nonce {expected}, tx nonce {found}")]
    NonceTooHigh { expected: u64, found: u64 },
    #[error(
        "max fee per gas less than block base fee: maxFeePerGas: {max_fee}, baseFee: {base_fee}"
    )]
    FeeCapTooLow { max_fee: u128, base_fee: u64 },
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGas { have: u64, want: u64 },
    #[error("exceeds block gas limit: tx gas {gas}, gas left in block {left}")]
    BlockGasExceeded { gas: u64, left: u64 },
    #[error("insufficient funds for gas * price + value: address {sender} have {have} want {want}")]
    InsufficientFunds {
        sender: Address,
        have: U256,
        want: U256,
    },
}

/// Who answers a call: routing is decided in one place, so what a call costs and what it does
/// can never disagree about where it goes.
#[derive(Clone, Copy)]
enum Target {
    TokenFactory,
    AmmFactory,
    Router,
    Weth,
    Farm,
    GovStaking,
    Governor,
    Staking,
    Pair,
    Token,
    /// A system address whose module takes no calls yet.
    ReservedSystem,
    /// An externally owned account: a plain ETH transfer.
    Account,
}

fn target<S: StateRead>(state: &S, to: &Address, data: &[u8]) -> Target {
    if *to == TOKEN_FACTORY {
        Target::TokenFactory
    } else if *to == UNISWAP_V2_FACTORY {
        Target::AmmFactory
    } else if *to == UNISWAP_V2_ROUTER {
        Target::Router
    } else if *to == WETH {
        Target::Weth
    } else if *to == MASTER_CHEF {
        Target::Farm
    } else if *to == GOV_STAKING {
        Target::GovStaking
    } else if *to == GOVERNOR {
        Target::Governor
    } else if *to == DEPOSIT_CONTRACT {
        Target::Staking
    } else if amm_calls::is_pair_call(data) && state.pool(to).is_some() {
        // A pool's address also holds its LP token: Pair functions go to the pool, the rest to
        // the ERC-20.
        Target::Pair
    } else if state.is_token(to) {
        Target::Token
    } else if system::is_system(to) {
        Target::ReservedSystem
    } else {
        Target::Account
    }
}

/// The gas `tx` will use if executed on `state` (its limit caps what it is charged). With a fixed
/// schedule this is known before execution, which lets a block builder pack by gas used.
pub fn gas_needed<S: StateRead>(state: &S, tx: &SignedTx) -> u64 {
    intrinsic_gas(tx.input()) + call_gas(state, &tx.to(), tx.input())
}

/// Gas a call to `to` with `data` costs on top of the intrinsic cost: the fixed schedule documented
/// in each interface under `contracts/`.
pub fn call_gas<S: StateRead>(state: &S, to: &Address, data: &[u8]) -> u64 {
    gas_for(target(state, to, data), data)
}

fn gas_for(target: Target, data: &[u8]) -> u64 {
    match target {
        Target::TokenFactory => sheaf_bank::gas_for_factory_call(data),
        Target::AmmFactory => amm_calls::factory_gas(data),
        Target::Router => amm_router::gas(data),
        Target::Weth => weth::gas(data),
        Target::Farm => sheaf_farm::gas(data),
        Target::GovStaking => sheaf_gov::staking::gas(data),
        Target::Governor => sheaf_gov::governor::gas(data),
        Target::Staking => sheaf_staking::calls::gas(data),
        Target::Pair => amm_calls::pair_gas(data),
        Target::Token => sheaf_bank::gas_for_token_call(data),
        Target::ReservedSystem | Target::Account => 0,
    }
}

/// Routes a call by its `to` address: a module's system address, a token, or a plain account.
/// `env.value` has already been moved to `env.to`.
pub fn dispatch<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    dispatch_to(target(state, &env.to, data), state, env, data, logs)
}

fn dispatch_to<S: StateWrite>(
    target: Target,
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    match target {
        Target::TokenFactory => sheaf_bank::call_factory(state, env, data, logs),
        Target::AmmFactory => amm_calls::call_factory(state, env, data, logs),
        Target::Router => amm_router::call(state, env, data, logs),
        Target::Weth => match weth::call(state, env, data, logs) {
            Some(result) => result,
            None => sheaf_bank::call_token(state, env, data, logs),
        },
        Target::Farm => sheaf_farm::call(state, env, data, logs),
        Target::GovStaking => sheaf_gov::staking::call(state, env, data, logs),
        Target::Governor => sheaf_gov::governor::call(state, env, data, logs),
        Target::Staking => sheaf_staking::calls::call(state, env, data, logs),
        Target::Pair => amm_calls::call_pair(state, env, data, logs),
        Target::Token => sheaf_bank::call_token(state, env, data, logs),
        Target::ReservedSystem => Err(Revert::reason(format!(
            "{} does not accept calls yet",
            env.to
        ))),
        // Calldata to an account is carried, as on Ethereum.
        Target::Account => Ok(Bytes::new()),
    }
}

/// Runs a call in a throwaway overlay: moves `value`, dispatches, and reports output, gas and
/// logs without keeping any effect. `eth_call` and `eth_estimateGas` use it.
pub fn simulate<S: StateRead>(
    state: &S,
    env: &CallEnv,
    data: &[u8],
) -> Result<(Bytes, u64, Vec<Log>), Revert> {
    let mut overlay = Delta::new(state);
    let mut logs = vec![];
    let callee = target(&overlay, &env.to, data);
    let gas = intrinsic_gas(data) + gas_for(callee, data);
    overlay
        .transfer_eth(&env.caller, &env.to, env.value)
        .map_err(|_| Revert::reason("insufficient funds for transfer"))?;
    let output = dispatch_to(callee, &mut overlay, env, data, &mut logs)?;
    Ok((output, gas, logs))
}

/// The admission rules besides nonce order, shared by mempool admission and execution: the fee
/// cap covers the base fee, the gas limit covers intrinsic gas and fits in `gas_room`, and the
/// sender, who holds `balance`, can pay `gas_limit * fee cap + value`.
pub fn check_payable(
    balance: U256,
    tx: &SignedTx,
    base_fee: u64,
    gas_room: u64,
) -> Result<(), InvalidTx> {
    if tx.max_fee_per_gas() < base_fee as u128 {
        return Err(InvalidTx::FeeCapTooLow {
            max_fee: tx.max_fee_per_gas(),
            base_fee,
        });
    }
    let intrinsic = intrinsic_gas(tx.input());
    if tx.gas_limit() < intrinsic {
        return Err(InvalidTx::IntrinsicGas {
            have: tx.gas_limit(),
            want: intrinsic,
        });
    }
    if tx.gas_limit() > gas_room {
        return Err(InvalidTx::BlockGasExceeded {
            gas: tx.gas_limit(),
            left: gas_room,
        });
    }
    if balance < tx.max_cost() {
        return Err(InvalidTx::InsufficientFunds {
            sender: tx.sender,
            have: balance,
            want: tx.max_cost(),
        });
    }
    Ok(())
}

/// Executes `tx` against the block overlay. On `Ok`, the nonce is bumped and fees are paid whatever
/// the call did; the call's own writes are kept only if it succeeded.
pub fn execute_tx<P: StateRead>(
    block: &mut sheaf_state::BlockDelta<P>,
    tx: &SignedTx,
    ctx: &BlockContext,
    gas_left: u64,
) -> Result<StoredReceipt, InvalidTx> {
    let sender = tx.sender;
    let account = block.account(&sender);
    let expected = account.nonce;
    if tx.nonce() < expected {
        return Err(InvalidTx::NonceTooLow {
            expected,
            found: tx.nonce(),
        });
    }
    if tx.nonce() > expected {
        return Err(InvalidTx::NonceTooHigh {
            expected,
            found: tx.nonce(),
        });
    }
    check_payable(account.balance, tx, ctx.base_fee, gas_left)?;

    block.put_account(
        &sender,
        Account {
            nonce: expected + 1,
            ..account
        },
    );
    let to = tx.to();
    // Moving ETH cannot turn an address into a token or a pool, so the route found before the
    // transfer holds after it; resolving it once saves a state read per transaction.
    let callee = target(block, &to, tx.input());
    let wanted = intrinsic_gas(tx.input()) + gas_for(callee, tx.input());
    let env = CallEnv {
        caller: sender,
        to,
        value: tx.value(),
        block: *ctx,
    };

    let (gas_used, outcome) = if wanted > tx.gas_limit() {
        (tx.gas_limit(), Err(Revert::reason("out of gas")))
    } else {
        // The call's writes are kept only if it succeeds.
        let outcome = block.transaction(|overlay| {
            let mut logs = vec![];
            overlay
                .transfer_eth(&sender, &to, tx.value())
                .map_err(|e| Revert::reason(e.to_string()))?;
            dispatch_to(callee, overlay, &env, tx.input(), &mut logs).map(|output| (output, logs))
        });
        (wanted, outcome)
    };

    let (success, logs, output, revert_reason) = match outcome {
        // A call's return value is not kept, as on Ethereum, where a receipt has none: nothing
        // reads it back, and a swap's amounts were a tenth of its block record.
        Ok((_returned, logs)) => (true, logs, Bytes::new(), None),
        Err(revert) => (false, vec![], revert.data(), Some(revert.to_string())),
    };

    let price = tx.effective_gas_price(ctx.base_fee);
    let burned = U256::from(gas_used) * U256::from(ctx.base_fee);
    let tip = U256::from(gas_used) * U256::from(price - ctx.base_fee as u128);
    // Cannot fail: the sender had gas_limit * max_fee + value up front and the call could spend
    // at most `value` of it. If it ever does, the books are wrong and the node must stop.
    block
        .pay_gas(&sender, burned, tip, &ctx.proposer)
        .expect("fee was reserved before execution");

    Ok(StoredReceipt {
        success,
        gas_used,
        cumulative_gas_used: 0,
        effective_gas_price: price,
        logs,
        revert_reason,
        output,
    })
}

/// The EIP-1559 base fee of the block after one that used `gas_used` of `gas_limit` at
/// `base_fee` (elasticity 2, max change 1/8 per block), never below `min_base_fee`.
pub fn next_base_fee(base_fee: u64, gas_used: u64, gas_limit: u64, min_base_fee: u64) -> u64 {
    let target = (gas_limit / 2).max(1) as u128;
    let base = base_fee as u128;
    let used = gas_used as u128;
    let next = if used > target {
        base + (base * (used - target) / target / 8).max(1)
    } else {
        base - base * (target - used) / target / 8
    };
    u64::try_from(next).unwrap_or(u64::MAX).max(min_base_fee)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_fee_follows_eip1559() {
        let g = 1_000_000_000;
        assert_eq!(next_base_fee(g, 15_000_000, 30_000_000, 0), g);
        assert_eq!(next_base_fee(g, 30_000_000, 30_000_000, 0), g + g / 8);
        assert_eq!(next_base_fee(g, 0, 30_000_000, 0), g - g / 8);
        // A tiny excess still moves the fee up by at least 1 wei.
        assert_eq!(next_base_fee(8, 15_000_001, 30_000_000, 0), 9);
        assert_eq!(next_base_fee(1000, 0, 30_000_000, 900), 900);
    }
}
