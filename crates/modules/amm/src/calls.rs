//! The Uniswap V2 Factory and Pair call surfaces, decoded from the unchanged V2 ABIs.

use alloy_primitives::{Address, Bytes, Log, U256, aliases::U112};
use alloy_sol_types::{SolCall, SolInterface};
use sheaf_abi::{
    IUniswapV2Factory::{self, IUniswapV2FactoryCalls},
    IUniswapV2Pair::{self, IUniswapV2PairCalls},
    system::UNISWAP_V2_FACTORY,
};
use sheaf_module_api::{CallEnv, Revert, decode_call, selector};
use sheaf_state::StateWrite;

use crate::{AmmRead, MINIMUM_LIQUIDITY, burn, create_pair, mint, skim, swap, sync};

fn not_payable(env: &CallEnv) -> Result<(), Revert> {
    if env.value.is_zero() {
        Ok(())
    } else {
        Err(Revert::reason("this function is not payable"))
    }
}

/// Calls to the factory's system address.
pub fn call_factory<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    not_payable(env)?;
    let output = match decode_call::<IUniswapV2FactoryCalls>(data)? {
        IUniswapV2FactoryCalls::createPair(call) => {
            let pair = create_pair(state, call.tokenA, call.tokenB, logs)?;
            IUniswapV2Factory::createPairCall::abi_encode_returns(&pair)
        }
        IUniswapV2FactoryCalls::getPair(call) => {
            let pair = state
                .get_pair(&call.tokenA, &call.tokenB)
                .unwrap_or_default();
            IUniswapV2Factory::getPairCall::abi_encode_returns(&pair)
        }
        IUniswapV2FactoryCalls::allPairs(call) => {
            let pair = u64::try_from(call.0).ok().and_then(|i| state.pair_at(i));
            let pair = pair.ok_or_else(|| Revert::reason("allPairs: index out of range"))?;
            IUniswapV2Factory::allPairsCall::abi_encode_returns(&pair)
        }
        IUniswapV2FactoryCalls::allPairsLength(_) => {
            IUniswapV2Factory::allPairsLengthCall::abi_encode_returns(&U256::from(
                state.all_pairs_length(),
            ))
        }
        IUniswapV2FactoryCalls::feeTo(_) => {
            IUniswapV2Factory::feeToCall::abi_encode_returns(&state.fee_to())
        }
        // Fee changes are governance actions on Sheaf: no account can set them.
        IUniswapV2FactoryCalls::feeToSetter(_) => {
            IUniswapV2Factory::feeToSetterCall::abi_encode_returns(&Address::ZERO)
        }
    };
    Ok(output.into())
}

/// Whether `data` calls a Pair function (as opposed to the LP token's ERC-20 functions, which the
/// bank answers at the same address).
pub fn is_pair_call(data: &[u8]) -> bool {
    selector(data).is_some_and(IUniswapV2PairCalls::valid_selector)
}

/// Calls to a pool's address that belong to the Pair interface.
pub fn call_pair<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    not_payable(env)?;
    let pair = env.to;
    let pool = state
        .pool(&pair)
        .ok_or_else(|| Revert::reason(format!("{pair} is not a pool")))?;
    let output = match decode_call::<IUniswapV2PairCalls>(data)? {
        IUniswapV2PairCalls::MINIMUM_LIQUIDITY(_) => {
            IUniswapV2Pair::MINIMUM_LIQUIDITYCall::abi_encode_returns(&U256::from(
                MINIMUM_LIQUIDITY,
            ))
        }
        IUniswapV2PairCalls::factory(_) => {
            IUniswapV2Pair::factoryCall::abi_encode_returns(&UNISWAP_V2_FACTORY)
        }
        IUniswapV2PairCalls::token0(_) => {
            IUniswapV2Pair::token0Call::abi_encode_returns(&pool.token0)
        }
        IUniswapV2PairCalls::token1(_) => {
            IUniswapV2Pair::token1Call::abi_encode_returns(&pool.token1)
        }
        IUniswapV2PairCalls::getReserves(_) => IUniswapV2Pair::getReservesCall::abi_encode_returns(
            &IUniswapV2Pair::getReservesReturn {
                reserve0: pool.reserve0.to::<U112>(),
                reserve1: pool.reserve1.to::<U112>(),
                blockTimestampLast: pool.block_timestamp_last,
            },
        ),
        IUniswapV2PairCalls::price0CumulativeLast(_) => {
            IUniswapV2Pair::price0CumulativeLastCall::abi_encode_returns(
                &pool.price0_cumulative_last,
            )
        }
        IUniswapV2PairCalls::price1CumulativeLast(_) => {
            IUniswapV2Pair::price1CumulativeLastCall::abi_encode_returns(
                &pool.price1_cumulative_last,
            )
        }
        IUniswapV2PairCalls::kLast(_) => {
            IUniswapV2Pair::kLastCall::abi_encode_returns(&pool.k_last)
        }
        IUniswapV2PairCalls::mint(call) => {
            let liquidity = mint(state, &env.block, &env.caller, &pair, &call.to, logs)?;
            IUniswapV2Pair::mintCall::abi_encode_returns(&liquidity)
        }
        IUniswapV2PairCalls::burn(call) => {
            let (amount0, amount1) = burn(state, &env.block, &env.caller, &pair, &call.to, logs)?;
            IUniswapV2Pair::burnCall::abi_encode_returns(&IUniswapV2Pair::burnReturn {
                amount0,
                amount1,
            })
        }
        IUniswapV2PairCalls::swap(call) => {
            if !call.data.is_empty() {
                return Err(Revert::reason(
                    "flash swaps need a callback contract, and Sheaf runs no contracts: pass empty data",
                ));
            }
            swap(
                state,
                &env.block,
                &env.caller,
                &pair,
                call.amount0Out,
                call.amount1Out,
                &call.to,
                logs,
            )?;
            Vec::new()
        }
        IUniswapV2PairCalls::skim(call) => {
            skim(state, &pair, &call.to, logs)?;
            Vec::new()
        }
        IUniswapV2PairCalls::sync(_) => {
            sync(state, &env.block, &pair, logs)?;
            Vec::new()
        }
    };
    Ok(output.into())
}

pub fn factory_gas(data: &[u8]) -> u64 {
    match selector(data) {
        Some(IUniswapV2Factory::createPairCall::SELECTOR) => 150_000,
        _ => 0,
    }
}

pub fn pair_gas(data: &[u8]) -> u64 {
    match selector(data) {
        Some(IUniswapV2Pair::mintCall::SELECTOR) | Some(IUniswapV2Pair::burnCall::SELECTOR) => {
            60_000
        }
        Some(IUniswapV2Pair::swapCall::SELECTOR) => 50_000,
        Some(IUniswapV2Pair::skimCall::SELECTOR) | Some(IUniswapV2Pair::syncCall::SELECTOR) => {
            20_000
        }
        _ => 0,
    }
}
