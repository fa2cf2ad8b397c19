//! The ERC-20 interface at each token's address and the factory that creates tokens.

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolEvent};
use sheaf_abi::{
    IERC20::{self, IERC20Calls},
    ISheafTokenFactory::{self, ISheafTokenFactoryCalls},
    system::TOKEN_FACTORY,
};
use sheaf_module_api::{CallEnv, Revert, decode_call, selector};
use sheaf_state::StateWrite;

use crate::{BankRead, BankWrite, TokenMeta};

/// Gas charged on top of the intrinsic cost, by function (documented in `contracts/IERC20.sol`).
pub fn gas_for_token_call(data: &[u8]) -> u64 {
    match selector(data) {
        Some(IERC20::transferCall::SELECTOR) => 9_000,
        Some(IERC20::approveCall::SELECTOR) => 6_000,
        Some(IERC20::transferFromCall::SELECTOR) => 12_000,
        _ => crate::votes::gas(data),
    }
}

/// Gas charged on top of the intrinsic cost (documented in `contracts/ISheafTokenFactory.sol`).
pub fn gas_for_factory_call(data: &[u8]) -> u64 {
    match selector(data) {
        Some(ISheafTokenFactory::createTokenCall::SELECTOR) => 120_000,
        _ => 0,
    }
}

/// Executes an ERC-20 call at `env.to`, which must be a token.
pub fn call_token<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    let token = env.to;
    let meta = state
        .token_meta(&token)
        .ok_or_else(|| Revert::reason(format!("{token} is not a token")))?;
    if !env.value.is_zero() {
        return Err(Revert::reason("ERC-20 functions are not payable"));
    }
    if crate::votes::is_votes_call(data) && crate::votes::has_votes(state, &token) {
        return crate::votes::call(state, env, data, logs);
    }
    let output = match decode_call::<IERC20Calls>(data)? {
        IERC20Calls::name(_) => IERC20::nameCall::abi_encode_returns(&meta.name),
        IERC20Calls::symbol(_) => IERC20::symbolCall::abi_encode_returns(&meta.symbol),
        IERC20Calls::decimals(_) => IERC20::decimalsCall::abi_encode_returns(&meta.decimals),
        IERC20Calls::totalSupply(_) => {
            IERC20::totalSupplyCall::abi_encode_returns(&state.token_supply(&token))
        }
        IERC20Calls::balanceOf(call) => {
            IERC20::balanceOfCall::abi_encode_returns(&state.token_balance(&token, &call.account))
        }
        IERC20Calls::allowance(call) => IERC20::allowanceCall::abi_encode_returns(
            &state.allowance(&token, &call.owner, &call.spender),
        ),
        IERC20Calls::transfer(call) => {
            state.transfer_token(&token, &env.caller, &call.to, call.value, logs)?;
            IERC20::transferCall::abi_encode_returns(&true)
        }
        IERC20Calls::approve(call) => {
            if call.spender == Address::ZERO {
                return Err(Revert::custom(IERC20::ERC20InvalidSpender {
                    spender: call.spender,
                }));
            }
            state.set_allowance(&token, &env.caller, &call.spender, call.value);
            logs.push(Log {
                address: token,
                data: IERC20::Approval {
                    owner: env.caller,
                    spender: call.spender,
                    value: call.value,
                }
                .encode_log_data(),
            });
            IERC20::approveCall::abi_encode_returns(&true)
        }
        IERC20Calls::transferFrom(call) => {
            state.transfer_from(&token, &call.from, &env.caller, &call.to, call.value, logs)?;
            IERC20::transferFromCall::abi_encode_returns(&true)
        }
    };
    Ok(output.into())
}

/// The address the factory gives its `index`-th token: the CREATE address of the factory at
/// nonce `index + 1`, so it can never collide with a key-derived account.
pub fn token_address(index: u64) -> Address {
    TOKEN_FACTORY.create(index + 1)
}

/// Executes a call to the token factory.
pub fn call_factory<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    if !env.value.is_zero() {
        return Err(Revert::reason("the token factory is not payable"));
    }
    let output = match decode_call::<ISheafTokenFactoryCalls>(data)? {
        ISheafTokenFactoryCalls::createToken(call) => {
            let token = create_user_token(
                state,
                &env.caller,
                TokenMeta {
                    name: call.name,
                    symbol: call.symbol,
                    decimals: call.decimals,
                    minter: Address::ZERO,
                },
                call.initialSupply,
                logs,
            )?;
            ISheafTokenFactory::createTokenCall::abi_encode_returns(&token)
        }
        ISheafTokenFactoryCalls::tokenCount(_) => {
            ISheafTokenFactory::tokenCountCall::abi_encode_returns(&U256::from(state.token_count()))
        }
        ISheafTokenFactoryCalls::tokenAt(call) => {
            let index = u64::try_from(call.index)
                .ok()
                .and_then(|i| state.token_at(i));
            let token = index.ok_or_else(|| Revert::reason("token index out of range"))?;
            ISheafTokenFactory::tokenAtCall::abi_encode_returns(&token)
        }
    };
    Ok(output.into())
}

/// Creates a token at the factory's next address after validating its description. Genesis and
/// the factory call both come through here.
pub fn create_user_token<S: StateWrite>(
    state: &mut S,
    creator: &Address,
    meta: TokenMeta,
    initial_supply: U256,
    logs: &mut Vec<Log>,
) -> Result<Address, Revert> {
    if meta.name.trim().is_empty() {
        return Err(Revert::custom(ISheafTokenFactory::EmptyName {}));
    }
    let symbol_len = meta.symbol.chars().count();
    if !(1..=11).contains(&symbol_len) {
        return Err(Revert::custom(ISheafTokenFactory::SymbolLength {
            length: U256::from(symbol_len),
        }));
    }
    let token = token_address(state.token_count());
    let symbol = meta.symbol.clone();
    let index = state.create_token(token, meta, creator, initial_supply, logs);
    logs.push(Log {
        address: TOKEN_FACTORY,
        data: ISheafTokenFactory::TokenCreated {
            token,
            creator: *creator,
            index: U256::from(index),
            symbol,
        }
        .encode_log_data(),
    });
    Ok(token)
}
