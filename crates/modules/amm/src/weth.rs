//! WETH9 at the `WETH` system address: ETH held by the WETH address backs WETH one to one.

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolEvent};
use sheaf_abi::{IWETH9, system::WETH};
use sheaf_bank::{BankRead, BankWrite, TokenMeta};
use sheaf_module_api::{CallEnv, Revert, selector};
use sheaf_state::StateWrite;

/// Creates the WETH token at genesis; WETH alone may mint and burn it.
pub fn init_genesis<S: StateWrite>(state: &mut S) {
    if !state.is_token(&WETH) {
        let meta = TokenMeta {
            name: "Wrapped Ether".into(),
            symbol: "WETH".into(),
            decimals: 18,
            minter: WETH,
        };
        state.create_token(WETH, meta, &Address::ZERO, U256::ZERO, &mut vec![]);
    }
}

/// Mints WETH to `to` for `amount` of ETH that `from` holds, moving the ETH into WETH's reserve.
pub fn wrap<S: StateWrite>(
    state: &mut S,
    from: &Address,
    to: &Address,
    amount: U256,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    state
        .transfer_eth(from, &WETH, amount)
        .map_err(|e| Revert::reason(e.to_string()))?;
    state
        .mint_token(&WETH, &WETH, to, amount, logs)
        .map_err(|e| Revert::reason(e.to_string()))?;
    logs.push(Log {
        address: WETH,
        data: IWETH9::Deposit {
            dst: *to,
            wad: amount,
        }
        .encode_log_data(),
    });
    Ok(())
}

/// Burns `owner`'s WETH and pays the ETH to `to`.
pub fn unwrap<S: StateWrite>(
    state: &mut S,
    owner: &Address,
    to: &Address,
    amount: U256,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    state.burn_token(&WETH, &WETH, owner, amount, logs)?;
    // Cannot fail: every WETH unit in existence is backed by a wei held at the WETH address.
    state
        .transfer_eth(&WETH, to, amount)
        .map_err(|e| Revert::reason(e.to_string()))?;
    logs.push(Log {
        address: WETH,
        data: IWETH9::Withdrawal {
            src: *owner,
            wad: amount,
        }
        .encode_log_data(),
    });
    Ok(())
}

/// Handles WETH9's own functions (and the deposit-on-receive fallback). Returns `None` for
/// anything else, which is an ERC-20 call for the bank.
pub fn call<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Option<Result<Bytes, Revert>> {
    let result = match selector(data) {
        None if data.is_empty() => wrap_value(state, env, logs),
        Some(IWETH9::depositCall::SELECTOR) => wrap_value(state, env, logs),
        Some(IWETH9::withdrawCall::SELECTOR) => {
            let call = match IWETH9::withdrawCall::abi_decode(data) {
                Ok(call) => call,
                Err(_) => {
                    return Some(Err(Revert::reason(
                        "malformed arguments for withdraw(uint256)",
                    )));
                }
            };
            if !env.value.is_zero() {
                return Some(Err(Revert::reason("withdraw is not payable")));
            }
            unwrap(state, &env.caller, &env.caller, call.wad, logs).map(|_| Bytes::new())
        }
        _ => return None,
    };
    Some(result)
}

/// `msg.value` already sits at the WETH address; mint the matching WETH.
fn wrap_value<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    state
        .mint_token(&WETH, &WETH, &env.caller, env.value, logs)
        .map_err(|e| Revert::reason(e.to_string()))?;
    logs.push(Log {
        address: WETH,
        data: IWETH9::Deposit {
            dst: env.caller,
            wad: env.value,
        }
        .encode_log_data(),
    });
    Ok(Bytes::new())
}

pub fn gas(data: &[u8]) -> u64 {
    match selector(data) {
        None if data.is_empty() => 10_000,
        Some(IWETH9::depositCall::SELECTOR) => 10_000,
        Some(IWETH9::withdrawCall::SELECTOR) => 12_000,
        _ => sheaf_bank::gas_for_token_call(data),
    }
}
