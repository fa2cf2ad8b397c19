//! The pool core: mint, burn, swap, skim and sync, step for step as UniswapV2Pair does them.
//! One place writes reserves (`update`), and the fee-adjusted `k` is checked after every swap.

use alloy_primitives::{Address, Log, U256};
use alloy_sol_types::SolEvent;
use sheaf_abi::{IUniswapV2Pair, system::UNISWAP_V2_FACTORY};
use sheaf_bank::{BankRead, BankWrite};
use sheaf_module_api::{BlockContext, Revert};
use sheaf_primitives::math::isqrt;
use sheaf_state::StateWrite;

use crate::{AmmRead, Pool, put_pool};

/// LP units locked forever at the first mint (to address zero), so the share price can never be
/// pushed to where a single unit is worth more than anyone can pay.
pub const MINIMUM_LIQUIDITY: u64 = 1000;

/// Reserves are uint112 in V2; balances above this cannot be recorded.
fn max_reserve() -> U256 {
    (U256::from(1) << 112usize) - U256::from(1)
}

fn revert(message: &str) -> Revert {
    Revert::reason(format!("UniswapV2: {message}"))
}

fn overflow() -> Revert {
    Revert::reason("arithmetic overflow")
}

fn load(state: &impl AmmRead, pair: &Address) -> Result<Pool, Revert> {
    state
        .pool(pair)
        .ok_or_else(|| Revert::reason(format!("{pair} is not a pool")))
}

fn balances<S: BankRead>(state: &S, pair: &Address, pool: &Pool) -> (U256, U256) {
    (
        state.token_balance(&pool.token0, pair),
        state.token_balance(&pool.token1, pair),
    )
}

/// Records new reserves and, on the first update of a block, advances the price accumulators.
fn update<S: StateWrite>(
    state: &mut S,
    pair: &Address,
    pool: &mut Pool,
    balance0: U256,
    balance1: U256,
    block: &BlockContext,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    if balance0 > max_reserve() || balance1 > max_reserve() {
        return Err(revert("OVERFLOW"));
    }
    let timestamp = (block.timestamp % (1u64 << 32)) as u32;
    let elapsed = timestamp.wrapping_sub(pool.block_timestamp_last);
    if elapsed > 0 && !pool.reserve0.is_zero() && !pool.reserve1.is_zero() {
        // UQ112x112 prices times seconds; overflow wraps, as V2 intends.
        let elapsed = U256::from(elapsed);
        let price0: U256 = (pool.reserve1 << 112usize) / pool.reserve0;
        let price1: U256 = (pool.reserve0 << 112usize) / pool.reserve1;
        pool.price0_cumulative_last = pool
            .price0_cumulative_last
            .wrapping_add(price0.wrapping_mul(elapsed));
        pool.price1_cumulative_last = pool
            .price1_cumulative_last
            .wrapping_add(price1.wrapping_mul(elapsed));
    }
    pool.reserve0 = balance0;
    pool.reserve1 = balance1;
    pool.block_timestamp_last = timestamp;
    put_pool(state, pair, pool);
    logs.push(Log {
        address: *pair,
        data: IUniswapV2Pair::Sync {
            reserve0: balance0.to::<alloy_primitives::aliases::U112>(),
            reserve1: balance1.to::<alloy_primitives::aliases::U112>(),
        }
        .encode_log_data(),
    });
    Ok(())
}

/// Mints the protocol fee, 1/6 of the growth in sqrt(k) since the last liquidity event, to
/// `fee_to` if it is set. Returns whether the fee is on.
fn mint_fee<S: StateWrite>(
    state: &mut S,
    pair: &Address,
    pool: &mut Pool,
    logs: &mut Vec<Log>,
) -> Result<bool, Revert> {
    let fee_to = state.fee_to();
    let fee_on = fee_to != Address::ZERO;
    if fee_on {
        if !pool.k_last.is_zero() {
            let root_k = isqrt(pool.reserve0 * pool.reserve1);
            let root_k_last = isqrt(pool.k_last);
            if root_k > root_k_last {
                let supply = state.token_supply(pair);
                let numerator = supply
                    .checked_mul(root_k - root_k_last)
                    .ok_or_else(overflow)?;
                let denominator = root_k * U256::from(5) + root_k_last;
                let liquidity = numerator / denominator;
                if !liquidity.is_zero() {
                    state
                        .mint_token(&UNISWAP_V2_FACTORY, pair, &fee_to, liquidity, logs)
                        .map_err(|e| Revert::reason(e.to_string()))?;
                }
            }
        }
    } else if !pool.k_last.is_zero() {
        pool.k_last = U256::ZERO;
    }
    Ok(fee_on)
}

/// While the protocol fee is on, remember `k` after each liquidity event: the next fee is 1/6 of
/// the growth in sqrt(k) since then.
fn record_k_last<S: StateWrite>(state: &mut S, pair: &Address, pool: &mut Pool, fee_on: bool) {
    if fee_on {
        // Reserves are below 2^112, so the product fits.
        pool.k_last = pool.reserve0 * pool.reserve1;
        put_pool(state, pair, pool);
    }
}

/// Mints LP tokens to `to` for the tokens transferred to the pool since the last update.
pub fn mint<S: StateWrite>(
    state: &mut S,
    block: &BlockContext,
    sender: &Address,
    pair: &Address,
    to: &Address,
    logs: &mut Vec<Log>,
) -> Result<U256, Revert> {
    let mut pool = load(state, pair)?;
    let (balance0, balance1) = balances(state, pair, &pool);
    let amount0 = balance0.checked_sub(pool.reserve0).ok_or_else(overflow)?;
    let amount1 = balance1.checked_sub(pool.reserve1).ok_or_else(overflow)?;
    let fee_on = mint_fee(state, pair, &mut pool, logs)?;
    let supply = state.token_supply(pair);
    let liquidity = if supply.is_zero() {
        let root = isqrt(amount0.checked_mul(amount1).ok_or_else(overflow)?);
        let minimum = U256::from(MINIMUM_LIQUIDITY);
        if root < minimum {
            return Err(revert("INSUFFICIENT_LIQUIDITY_MINTED"));
        }
        mint_lp(state, pair, &Address::ZERO, minimum, logs)?;
        root - minimum
    } else {
        let by0 = amount0.checked_mul(supply).ok_or_else(overflow)? / pool.reserve0;
        let by1 = amount1.checked_mul(supply).ok_or_else(overflow)? / pool.reserve1;
        by0.min(by1)
    };
    if liquidity.is_zero() {
        return Err(revert("INSUFFICIENT_LIQUIDITY_MINTED"));
    }
    mint_lp(state, pair, to, liquidity, logs)?;
    update(state, pair, &mut pool, balance0, balance1, block, logs)?;
    record_k_last(state, pair, &mut pool, fee_on);
    logs.push(Log {
        address: *pair,
        data: IUniswapV2Pair::Mint {
            sender: *sender,
            amount0,
            amount1,
        }
        .encode_log_data(),
    });
    Ok(liquidity)
}

fn mint_lp<S: StateWrite>(
    state: &mut S,
    pair: &Address,
    to: &Address,
    amount: U256,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    state
        .mint_token(&UNISWAP_V2_FACTORY, pair, to, amount, logs)
        .map_err(|e| Revert::reason(e.to_string()))
}

/// Burns the LP tokens held by the pool itself and sends the pro-rata tokens to `to`.
pub fn burn<S: StateWrite>(
    state: &mut S,
    block: &BlockContext,
    sender: &Address,
    pair: &Address,
    to: &Address,
    logs: &mut Vec<Log>,
) -> Result<(U256, U256), Revert> {
    let mut pool = load(state, pair)?;
    let (balance0, balance1) = balances(state, pair, &pool);
    let liquidity = state.token_balance(pair, pair);
    let fee_on = mint_fee(state, pair, &mut pool, logs)?;
    let supply = state.token_supply(pair);
    if supply.is_zero() {
        return Err(revert("INSUFFICIENT_LIQUIDITY_BURNED"));
    }
    // Pro rata by balances, not reserves, rounded down (in the pool's favour).
    let amount0 = liquidity.checked_mul(balance0).ok_or_else(overflow)? / supply;
    let amount1 = liquidity.checked_mul(balance1).ok_or_else(overflow)? / supply;
    if amount0.is_zero() || amount1.is_zero() {
        return Err(revert("INSUFFICIENT_LIQUIDITY_BURNED"));
    }
    state.burn_token(&UNISWAP_V2_FACTORY, pair, pair, liquidity, logs)?;
    state.transfer_token(&pool.token0, pair, to, amount0, logs)?;
    state.transfer_token(&pool.token1, pair, to, amount1, logs)?;
    let (balance0, balance1) = balances(state, pair, &pool);
    update(state, pair, &mut pool, balance0, balance1, block, logs)?;
    record_k_last(state, pair, &mut pool, fee_on);
    logs.push(Log {
        address: *pair,
        data: IUniswapV2Pair::Burn {
            sender: *sender,
            amount0,
            amount1,
            to: *to,
        }
        .encode_log_data(),
    });
    Ok((amount0, amount1))
}

/// Sends the requested outputs to `to`, then requires that what arrived in the pool, less the
/// 0.3% fee, keeps `k` at least where it was.
#[allow(clippy::too_many_arguments)] // the V2 signature plus who and when
pub fn swap<S: StateWrite>(
    state: &mut S,
    block: &BlockContext,
    sender: &Address,
    pair: &Address,
    amount0_out: U256,
    amount1_out: U256,
    to: &Address,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let mut pool = load(state, pair)?;
    if amount0_out.is_zero() && amount1_out.is_zero() {
        return Err(revert("INSUFFICIENT_OUTPUT_AMOUNT"));
    }
    if amount0_out >= pool.reserve0 || amount1_out >= pool.reserve1 {
        return Err(revert("INSUFFICIENT_LIQUIDITY"));
    }
    if *to == pool.token0 || *to == pool.token1 {
        return Err(revert("INVALID_TO"));
    }
    if !amount0_out.is_zero() {
        state.transfer_token(&pool.token0, pair, to, amount0_out, logs)?;
    }
    if !amount1_out.is_zero() {
        state.transfer_token(&pool.token1, pair, to, amount1_out, logs)?;
    }
    let (balance0, balance1) = balances(state, pair, &pool);
    let amount_in = |balance: U256, reserve: U256, out: U256| {
        let left = reserve - out;
        if balance > left {
            balance - left
        } else {
            U256::ZERO
        }
    };
    let amount0_in = amount_in(balance0, pool.reserve0, amount0_out);
    let amount1_in = amount_in(balance1, pool.reserve1, amount1_out);
    if amount0_in.is_zero() && amount1_in.is_zero() {
        return Err(revert("INSUFFICIENT_INPUT_AMOUNT"));
    }
    // V2 checks k before `_update` refuses balances above uint112, relying on SafeMath to revert
    // on overflow; do the same with checked math so a huge donation is an error, never a panic.
    if balance0 > max_reserve() || balance1 > max_reserve() {
        return Err(revert("OVERFLOW"));
    }
    let thousand = U256::from(1000);
    let adjusted0 = balance0 * thousand - amount0_in * U256::from(3);
    let adjusted1 = balance1 * thousand - amount1_in * U256::from(3);
    // Below 2^112 * 1000 each, so both products fit in 256 bits.
    if adjusted0 * adjusted1 < pool.reserve0 * pool.reserve1 * thousand * thousand {
        return Err(revert("K"));
    }
    update(state, pair, &mut pool, balance0, balance1, block, logs)?;
    logs.push(Log {
        address: *pair,
        data: IUniswapV2Pair::Swap {
            sender: *sender,
            amount0In: amount0_in,
            amount1In: amount1_in,
            amount0Out: amount0_out,
            amount1Out: amount1_out,
            to: *to,
        }
        .encode_log_data(),
    });
    Ok(())
}

/// Sends whatever the pool holds beyond its reserves to `to`.
pub fn skim<S: StateWrite>(
    state: &mut S,
    pair: &Address,
    to: &Address,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let pool = load(state, pair)?;
    let (balance0, balance1) = balances(state, pair, &pool);
    let extra0 = balance0.saturating_sub(pool.reserve0);
    let extra1 = balance1.saturating_sub(pool.reserve1);
    if !extra0.is_zero() {
        state.transfer_token(&pool.token0, pair, to, extra0, logs)?;
    }
    if !extra1.is_zero() {
        state.transfer_token(&pool.token1, pair, to, extra1, logs)?;
    }
    Ok(())
}

/// Sets the reserves to the pool's holdings.
pub fn sync<S: StateWrite>(
    state: &mut S,
    block: &BlockContext,
    pair: &Address,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let mut pool = load(state, pair)?;
    let (balance0, balance1) = balances(state, pair, &pool);
    update(state, pair, &mut pool, balance0, balance1, block, logs)
}
