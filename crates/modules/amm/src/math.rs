//! Uniswap V2's periphery math (Uniswap/v2-periphery `contracts/libraries/UniswapV2Library.sol`),
//! in U256 with checked arithmetic. Every division rounds the way V2 does: outputs down, required
//! inputs up, so rounding never favours the trader against the pool.

use alloy_primitives::U256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    #[error("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT")]
    InsufficientInputAmount,
    #[error("UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT")]
    InsufficientOutputAmount,
    #[error("UniswapV2Library: INSUFFICIENT_LIQUIDITY")]
    InsufficientLiquidity,
    #[error("UniswapV2Library: INSUFFICIENT_AMOUNT")]
    InsufficientAmount,
    #[error("arithmetic overflow")]
    Overflow,
}

fn mul(a: U256, b: U256) -> Result<U256, MathError> {
    a.checked_mul(b).ok_or(MathError::Overflow)
}

fn add(a: U256, b: U256) -> Result<U256, MathError> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// `amount_a * reserve_b / reserve_a`, rounded down: the amount of B worth `amount_a` at the
/// pool's current price.
pub fn quote(amount_a: U256, reserve_a: U256, reserve_b: U256) -> Result<U256, MathError> {
    if amount_a.is_zero() {
        return Err(MathError::InsufficientAmount);
    }
    if reserve_a.is_zero() || reserve_b.is_zero() {
        return Err(MathError::InsufficientLiquidity);
    }
    Ok(mul(amount_a, reserve_b)? / reserve_a)
}

/// Output for an exact input after the 0.3% fee, rounded down.
pub fn get_amount_out(
    amount_in: U256,
    reserve_in: U256,
    reserve_out: U256,
) -> Result<U256, MathError> {
    if amount_in.is_zero() {
        return Err(MathError::InsufficientInputAmount);
    }
    if reserve_in.is_zero() || reserve_out.is_zero() {
        return Err(MathError::InsufficientLiquidity);
    }
    let in_with_fee = mul(amount_in, U256::from(997))?;
    let numerator = mul(in_with_fee, reserve_out)?;
    let denominator = add(mul(reserve_in, U256::from(1000))?, in_with_fee)?;
    Ok(numerator / denominator)
}

/// Input needed for an exact output after the 0.3% fee: V2's floor division plus one, which is
/// never less than the exact ceiling.
pub fn get_amount_in(
    amount_out: U256,
    reserve_in: U256,
    reserve_out: U256,
) -> Result<U256, MathError> {
    if amount_out.is_zero() {
        return Err(MathError::InsufficientOutputAmount);
    }
    if reserve_in.is_zero() || reserve_out.is_zero() || amount_out >= reserve_out {
        return Err(MathError::InsufficientLiquidity);
    }
    let numerator = mul(mul(reserve_in, amount_out)?, U256::from(1000))?;
    let denominator = mul(reserve_out - amount_out, U256::from(997))?;
    add(numerator / denominator, U256::from(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e18(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18))
    }

    /// Uniswap/v2-core `test/UniswapV2Pair.spec.ts` swapTestCases: [in, r0, r1, expected out].
    #[test]
    fn v2_core_swap_test_cases() {
        let cases: [(u64, u64, u64, u128); 7] = [
            (1, 5, 10, 1662497915624478906),
            (1, 10, 5, 453305446940074565),
            (2, 5, 10, 2851015155847869602),
            (2, 10, 5, 831248957812239453),
            (1, 10, 10, 906610893880149131),
            (1, 100, 100, 987158034397061298),
            (1, 1000, 1000, 996006981039903216),
        ];
        for (amount_in, r0, r1, out) in cases {
            assert_eq!(
                get_amount_out(e18(amount_in), e18(r0), e18(r1)),
                Ok(U256::from(out))
            );
        }
    }

    /// Uniswap/v2-periphery `test/UniswapV2Router02.spec.ts` library cases.
    #[test]
    fn v2_periphery_library_cases() {
        let u = U256::from;
        assert_eq!(quote(u(1), u(100), u(200)), Ok(u(2)));
        assert_eq!(quote(u(2), u(200), u(100)), Ok(u(1)));
        assert_eq!(get_amount_out(u(2), u(100), u(100)), Ok(u(1)));
        assert_eq!(get_amount_in(u(1), u(100), u(100)), Ok(u(2)));
        assert_eq!(
            get_amount_in(e18(1), e18(5), e18(5)),
            Ok(U256::from(1253761283851554664u128))
        );
        assert_eq!(
            quote(u(0), u(100), u(200)),
            Err(MathError::InsufficientAmount)
        );
        assert_eq!(
            quote(u(1), u(0), u(200)),
            Err(MathError::InsufficientLiquidity)
        );
        assert_eq!(
            get_amount_out(u(0), u(100), u(100)),
            Err(MathError::InsufficientInputAmount)
        );
        assert_eq!(
            get_amount_in(u(0), u(100), u(100)),
            Err(MathError::InsufficientOutputAmount)
        );
        assert_eq!(
            get_amount_in(u(100), u(100), u(100)),
            Err(MathError::InsufficientLiquidity)
        );
    }

    proptest! {
        /// Buying back what `get_amount_out` promised never costs less than was paid.
        #[test]
        fn amount_in_covers_amount_out(amount_in in 1u128..1u128 << 100, r_in in 1u128 << 20..1u128 << 110, r_out in 1u128 << 20..1u128 << 110) {
            let (amount_in, r_in, r_out) = (U256::from(amount_in), U256::from(r_in), U256::from(r_out));
            let out = get_amount_out(amount_in, r_in, r_out).expect("in range");
            if !out.is_zero() {
                let needed = get_amount_in(out, r_in, r_out).expect("in range");
                prop_assert!(needed <= amount_in + U256::from(1));
                prop_assert!(get_amount_out(needed, r_in, r_out).expect("in range") >= out);
            }
        }
    }
}
