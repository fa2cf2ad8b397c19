//! Router02 at the `uniswapV2Router02` system address: add/remove liquidity with minimums,
//! exact-in and exact-out swaps over multi-hop paths with slippage limits and deadlines, and ETH
//! wrapping. It follows Uniswap/v2-periphery `UniswapV2Router02.sol` step for step; the pool core
//! stays in `pair.rs`.

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolInterface};
use sheaf_abi::{
    IUniswapV2Router02::{self, IUniswapV2Router02Calls},
    system::{UNISWAP_V2_FACTORY, UNISWAP_V2_ROUTER, WETH},
};
use sheaf_bank::BankWrite;
use sheaf_module_api::{CallEnv, Revert, decode_call};
use sheaf_state::StateWrite;

use crate::{AmmRead, burn, create_pair, math, mint, sort_tokens, swap, weth};

fn lib_err(e: math::MathError) -> Revert {
    Revert::reason(e.to_string())
}

fn router_err(what: &str) -> Revert {
    Revert::reason(format!("UniswapV2Router: {what}"))
}

fn ensure(env: &CallEnv, deadline: U256) -> Result<(), Revert> {
    if deadline < U256::from(env.block.timestamp) {
        return Err(router_err("EXPIRED"));
    }
    Ok(())
}

/// Reserves of the pool for (a, b), in that order.
fn reserves<S: AmmRead>(
    state: &S,
    a: Address,
    b: Address,
) -> Result<(Address, U256, U256), Revert> {
    // One read: the address is derived, the pool decoded once (`get_pair` would read it twice).
    let no_pool = || Revert::reason(format!("UniswapV2Library: no pool for {a} and {b}"));
    let (token0, token1) = sort_tokens(a, b).map_err(|_| no_pool())?;
    let pair = crate::pair_address(token0, token1);
    let pool = state.pool(&pair).ok_or_else(no_pool)?;
    if a == pool.token0 {
        Ok((pair, pool.reserve0, pool.reserve1))
    } else {
        Ok((pair, pool.reserve1, pool.reserve0))
    }
}

fn check_path(path: &[Address]) -> Result<(), Revert> {
    if path.len() < 2 {
        return Err(Revert::reason("UniswapV2Library: INVALID_PATH"));
    }
    Ok(())
}

/// Amounts along a path and the pool of each hop, found together so that a swap derives and
/// reads each pool once for pricing (the pair itself reads it again to swap).
struct Route {
    amounts: Vec<U256>,
    pairs: Vec<Address>,
}

/// Amounts along `path` for an exact input (`UniswapV2Library.getAmountsOut`).
pub fn amounts_out<S: AmmRead>(
    state: &S,
    amount_in: U256,
    path: &[Address],
) -> Result<Vec<U256>, Revert> {
    route_out(state, amount_in, path).map(|route| route.amounts)
}

fn route_out<S: AmmRead>(state: &S, amount_in: U256, path: &[Address]) -> Result<Route, Revert> {
    check_path(path)?;
    let mut amounts = vec![amount_in];
    let mut pairs = Vec::with_capacity(path.len() - 1);
    for hop in path.windows(2) {
        let (pair, reserve_in, reserve_out) = reserves(state, hop[0], hop[1])?;
        let last = *amounts.last().unwrap_or(&amount_in);
        amounts.push(math::get_amount_out(last, reserve_in, reserve_out).map_err(lib_err)?);
        pairs.push(pair);
    }
    Ok(Route { amounts, pairs })
}

/// Amounts along `path` for an exact output (`UniswapV2Library.getAmountsIn`).
pub fn amounts_in<S: AmmRead>(
    state: &S,
    amount_out: U256,
    path: &[Address],
) -> Result<Vec<U256>, Revert> {
    route_in(state, amount_out, path).map(|route| route.amounts)
}

fn route_in<S: AmmRead>(state: &S, amount_out: U256, path: &[Address]) -> Result<Route, Revert> {
    check_path(path)?;
    let mut amounts = vec![amount_out];
    let mut pairs = Vec::with_capacity(path.len() - 1);
    for hop in path.windows(2).rev() {
        let (pair, reserve_in, reserve_out) = reserves(state, hop[0], hop[1])?;
        amounts.push(
            math::get_amount_in(amounts[amounts.len() - 1], reserve_in, reserve_out)
                .map_err(lib_err)?,
        );
        pairs.push(pair);
    }
    amounts.reverse();
    pairs.reverse();
    Ok(Route { amounts, pairs })
}

/// Swaps through every pool of `path`, each sending its output straight to the next pool.
fn swap_along<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    route: &Route,
    path: &[Address],
    to: Address,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    for (i, hop) in path.windows(2).enumerate() {
        let (input, output) = (hop[0], hop[1]);
        let (token0, _) = sort_tokens(input, output)?;
        let amount_out = route.amounts[i + 1];
        let (out0, out1) = if input == token0 {
            (U256::ZERO, amount_out)
        } else {
            (amount_out, U256::ZERO)
        };
        let next = route.pairs.get(i + 1).copied().unwrap_or(to);
        swap(
            state,
            &env.block,
            &UNISWAP_V2_ROUTER,
            &route.pairs[i],
            out0,
            out1,
            &next,
            logs,
        )?;
    }
    Ok(())
}

/// Amounts to deposit so the pool's price is kept (`_addLiquidity`). Creates the pool if needed.
fn liquidity_amounts<S: StateWrite>(
    state: &mut S,
    a: Address,
    b: Address,
    desired: (U256, U256),
    min: (U256, U256),
    logs: &mut Vec<Log>,
) -> Result<(U256, U256), Revert> {
    if state.get_pair(&a, &b).is_none() {
        create_pair(state, a, b, logs)?;
    }
    let (_, reserve_a, reserve_b) = reserves(state, a, b)?;
    if reserve_a.is_zero() && reserve_b.is_zero() {
        return Ok(desired);
    }
    let b_optimal = math::quote(desired.0, reserve_a, reserve_b).map_err(lib_err)?;
    if b_optimal <= desired.1 {
        if b_optimal < min.1 {
            return Err(router_err("INSUFFICIENT_B_AMOUNT"));
        }
        return Ok((desired.0, b_optimal));
    }
    let a_optimal = math::quote(desired.1, reserve_b, reserve_a).map_err(lib_err)?;
    if a_optimal > desired.0 {
        return Err(router_err("INSUFFICIENT_A_AMOUNT"));
    }
    if a_optimal < min.0 {
        return Err(router_err("INSUFFICIENT_A_AMOUNT"));
    }
    Ok((a_optimal, desired.1))
}

/// Pays back whatever ETH the router still holds from this call.
fn refund_eth<S: StateWrite>(state: &mut S, to: &Address, amount: U256) -> Result<(), Revert> {
    if amount.is_zero() {
        return Ok(());
    }
    state
        .transfer_eth(&UNISWAP_V2_ROUTER, to, amount)
        .map_err(|e| Revert::reason(e.to_string()))
}

#[allow(clippy::too_many_arguments)] // Router02's removeLiquidity arguments plus state and caller
fn remove<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    a: Address,
    b: Address,
    liquidity: U256,
    min: (U256, U256),
    to: Address,
    logs: &mut Vec<Log>,
) -> Result<(U256, U256), Revert> {
    let (pair, _, _) = reserves(state, a, b)?;
    state.transfer_from(
        &pair,
        &env.caller,
        &UNISWAP_V2_ROUTER,
        &pair,
        liquidity,
        logs,
    )?;
    let (amount0, amount1) = burn(state, &env.block, &UNISWAP_V2_ROUTER, &pair, &to, logs)?;
    let (token0, _) = sort_tokens(a, b)?;
    let (amount_a, amount_b) = if a == token0 {
        (amount0, amount1)
    } else {
        (amount1, amount0)
    };
    if amount_a < min.0 {
        return Err(router_err("INSUFFICIENT_A_AMOUNT"));
    }
    if amount_b < min.1 {
        return Err(router_err("INSUFFICIENT_B_AMOUNT"));
    }
    Ok((amount_a, amount_b))
}

/// How the trader pays for a swap: tokens under the router's allowance, or the ETH sent along.
enum Pay {
    Tokens,
    Eth,
}

/// Where the output goes: tokens straight from the last pool, or unwrapped to ETH.
enum Receive {
    Tokens(Address),
    Eth(Address),
}

fn min_out(amounts: &[U256], minimum: U256) -> Result<(), Revert> {
    if amounts[amounts.len() - 1] < minimum {
        return Err(router_err("INSUFFICIENT_OUTPUT_AMOUNT"));
    }
    Ok(())
}

fn max_in(amounts: &[U256], maximum: U256) -> Result<(), Revert> {
    if amounts[0] > maximum {
        return Err(router_err("EXCESSIVE_INPUT_AMOUNT"));
    }
    Ok(())
}

fn starts_with_weth(path: &[Address]) -> Result<(), Revert> {
    if path.first() != Some(&WETH) {
        return Err(router_err("INVALID_PATH"));
    }
    Ok(())
}

fn ends_with_weth(path: &[Address]) -> Result<(), Revert> {
    if path.last() != Some(&WETH) {
        return Err(router_err("INVALID_PATH"));
    }
    Ok(())
}

/// Pays the route's first amount into its first pool, swaps along `path`, and delivers the output.
fn settle<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    route: &Route,
    path: &[Address],
    pay: Pay,
    receive: Receive,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let router = UNISWAP_V2_ROUTER;
    let first_pair = route.pairs[0];
    match pay {
        Pay::Tokens => state.transfer_from(
            &path[0],
            &env.caller,
            &router,
            &first_pair,
            route.amounts[0],
            logs,
        )?,
        Pay::Eth => {
            weth::wrap(state, &router, &router, route.amounts[0], logs)?;
            state.transfer_token(&WETH, &router, &first_pair, route.amounts[0], logs)?;
        }
    }
    match receive {
        Receive::Tokens(to) => swap_along(state, env, route, path, to, logs),
        Receive::Eth(to) => {
            swap_along(state, env, route, path, router, logs)?;
            weth::unwrap(
                state,
                &router,
                &to,
                route.amounts[route.amounts.len() - 1],
                logs,
            )
        }
    }
}

fn encode_amounts(amounts: Vec<U256>) -> Vec<u8> {
    IUniswapV2Router02::swapExactTokensForTokensCall::abi_encode_returns(&amounts)
}

/// Calls to the router.
pub fn call<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    use IUniswapV2Router02Calls as C;
    let call = decode_call::<IUniswapV2Router02Calls>(data)?;
    let payable = matches!(
        call,
        C::addLiquidityETH(_) | C::swapExactETHForTokens(_) | C::swapETHForExactTokens(_)
    );
    if !payable && !env.value.is_zero() {
        return Err(Revert::reason("this router function is not payable"));
    }
    let router = UNISWAP_V2_ROUTER;
    let output = match call {
        C::factory(_) => IUniswapV2Router02::factoryCall::abi_encode_returns(&UNISWAP_V2_FACTORY),
        C::WETH(_) => IUniswapV2Router02::WETHCall::abi_encode_returns(&WETH),
        C::quote(c) => IUniswapV2Router02::quoteCall::abi_encode_returns(
            &math::quote(c.amountA, c.reserveA, c.reserveB).map_err(lib_err)?,
        ),
        C::getAmountOut(c) => IUniswapV2Router02::getAmountOutCall::abi_encode_returns(
            &math::get_amount_out(c.amountIn, c.reserveIn, c.reserveOut).map_err(lib_err)?,
        ),
        C::getAmountIn(c) => IUniswapV2Router02::getAmountInCall::abi_encode_returns(
            &math::get_amount_in(c.amountOut, c.reserveIn, c.reserveOut).map_err(lib_err)?,
        ),
        C::getAmountsOut(c) => encode_amounts(amounts_out(state, c.amountIn, &c.path)?),
        C::getAmountsIn(c) => encode_amounts(amounts_in(state, c.amountOut, &c.path)?),

        C::addLiquidity(c) => {
            ensure(env, c.deadline)?;
            let (amount_a, amount_b) = liquidity_amounts(
                state,
                c.tokenA,
                c.tokenB,
                (c.amountADesired, c.amountBDesired),
                (c.amountAMin, c.amountBMin),
                logs,
            )?;
            let (pair, _, _) = reserves(state, c.tokenA, c.tokenB)?;
            state.transfer_from(&c.tokenA, &env.caller, &router, &pair, amount_a, logs)?;
            state.transfer_from(&c.tokenB, &env.caller, &router, &pair, amount_b, logs)?;
            let liquidity = mint(state, &env.block, &router, &pair, &c.to, logs)?;
            IUniswapV2Router02::addLiquidityCall::abi_encode_returns(
                &IUniswapV2Router02::addLiquidityReturn {
                    amountA: amount_a,
                    amountB: amount_b,
                    liquidity,
                },
            )
        }
        C::addLiquidityETH(c) => {
            ensure(env, c.deadline)?;
            let (amount_token, amount_eth) = liquidity_amounts(
                state,
                c.token,
                WETH,
                (c.amountTokenDesired, env.value),
                (c.amountTokenMin, c.amountETHMin),
                logs,
            )?;
            let (pair, _, _) = reserves(state, c.token, WETH)?;
            state.transfer_from(&c.token, &env.caller, &router, &pair, amount_token, logs)?;
            weth::wrap(state, &router, &router, amount_eth, logs)?;
            state.transfer_token(&WETH, &router, &pair, amount_eth, logs)?;
            let liquidity = mint(state, &env.block, &router, &pair, &c.to, logs)?;
            refund_eth(state, &env.caller, env.value - amount_eth)?;
            IUniswapV2Router02::addLiquidityETHCall::abi_encode_returns(
                &IUniswapV2Router02::addLiquidityETHReturn {
                    amountToken: amount_token,
                    amountETH: amount_eth,
                    liquidity,
                },
            )
        }
        C::removeLiquidity(c) => {
            ensure(env, c.deadline)?;
            let (amount_a, amount_b) = remove(
                state,
                env,
                c.tokenA,
                c.tokenB,
                c.liquidity,
                (c.amountAMin, c.amountBMin),
                c.to,
                logs,
            )?;
            IUniswapV2Router02::removeLiquidityCall::abi_encode_returns(
                &IUniswapV2Router02::removeLiquidityReturn {
                    amountA: amount_a,
                    amountB: amount_b,
                },
            )
        }
        C::removeLiquidityETH(c) => {
            ensure(env, c.deadline)?;
            let (amount_token, amount_eth) = remove(
                state,
                env,
                c.token,
                WETH,
                c.liquidity,
                (c.amountTokenMin, c.amountETHMin),
                router,
                logs,
            )?;
            state.transfer_token(&c.token, &router, &c.to, amount_token, logs)?;
            weth::unwrap(state, &router, &c.to, amount_eth, logs)?;
            IUniswapV2Router02::removeLiquidityETHCall::abi_encode_returns(
                &IUniswapV2Router02::removeLiquidityETHReturn {
                    amountToken: amount_token,
                    amountETH: amount_eth,
                },
            )
        }

        C::swapExactTokensForTokens(c) => {
            ensure(env, c.deadline)?;
            let route = route_out(state, c.amountIn, &c.path)?;
            min_out(&route.amounts, c.amountOutMin)?;
            settle(
                state,
                env,
                &route,
                &c.path,
                Pay::Tokens,
                Receive::Tokens(c.to),
                logs,
            )?;
            encode_amounts(route.amounts)
        }
        C::swapTokensForExactTokens(c) => {
            ensure(env, c.deadline)?;
            let route = route_in(state, c.amountOut, &c.path)?;
            max_in(&route.amounts, c.amountInMax)?;
            settle(
                state,
                env,
                &route,
                &c.path,
                Pay::Tokens,
                Receive::Tokens(c.to),
                logs,
            )?;
            encode_amounts(route.amounts)
        }
        C::swapExactETHForTokens(c) => {
            ensure(env, c.deadline)?;
            starts_with_weth(&c.path)?;
            let route = route_out(state, env.value, &c.path)?;
            min_out(&route.amounts, c.amountOutMin)?;
            settle(
                state,
                env,
                &route,
                &c.path,
                Pay::Eth,
                Receive::Tokens(c.to),
                logs,
            )?;
            encode_amounts(route.amounts)
        }
        C::swapETHForExactTokens(c) => {
            ensure(env, c.deadline)?;
            starts_with_weth(&c.path)?;
            let route = route_in(state, c.amountOut, &c.path)?;
            max_in(&route.amounts, env.value)?;
            settle(
                state,
                env,
                &route,
                &c.path,
                Pay::Eth,
                Receive::Tokens(c.to),
                logs,
            )?;
            refund_eth(state, &env.caller, env.value - route.amounts[0])?;
            encode_amounts(route.amounts)
        }
        C::swapTokensForExactETH(c) => {
            ensure(env, c.deadline)?;
            ends_with_weth(&c.path)?;
            let route = route_in(state, c.amountOut, &c.path)?;
            max_in(&route.amounts, c.amountInMax)?;
            settle(
                state,
                env,
                &route,
                &c.path,
                Pay::Tokens,
                Receive::Eth(c.to),
                logs,
            )?;
            encode_amounts(route.amounts)
        }
        C::swapExactTokensForETH(c) => {
            ensure(env, c.deadline)?;
            ends_with_weth(&c.path)?;
            let route = route_out(state, c.amountIn, &c.path)?;
            min_out(&route.amounts, c.amountOutMin)?;
            settle(
                state,
                env,
                &route,
                &c.path,
                Pay::Tokens,
                Receive::Eth(c.to),
                logs,
            )?;
            encode_amounts(route.amounts)
        }
    };
    Ok(output.into())
}

/// Gas beyond the intrinsic cost (documented in `contracts/IUniswapV2Router02.sol`).
pub fn gas(data: &[u8]) -> u64 {
    use IUniswapV2Router02Calls as C;
    let Ok(call) = IUniswapV2Router02Calls::abi_decode(data) else {
        return 0;
    };
    let per_hop = |path: &[Address]| 70_000 + 40_000 * (path.len().saturating_sub(2) as u64);
    match call {
        C::addLiquidity(_) | C::addLiquidityETH(_) => 120_000,
        C::removeLiquidity(_) | C::removeLiquidityETH(_) => 100_000,
        C::swapExactTokensForTokens(c) => per_hop(&c.path),
        C::swapTokensForExactTokens(c) => per_hop(&c.path),
        C::swapExactETHForTokens(c) => per_hop(&c.path),
        C::swapETHForExactTokens(c) => per_hop(&c.path),
        C::swapTokensForExactETH(c) => per_hop(&c.path),
        C::swapExactTokensForETH(c) => per_hop(&c.path),
        _ => 0,
    }
}
