//! Checked integer math. Every division states which way it rounds; callers pick the direction
//! that never favours the user against the pool.

use alloy_primitives::{U256, U512};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    #[error("arithmetic overflow")]
    Overflow,
    #[error("division by zero")]
    DivisionByZero,
}

/// `a * b / d` rounded down, with a 512-bit intermediate so the product never overflows.
pub fn mul_div_down(a: U256, b: U256, d: U256) -> Result<U256, MathError> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    let wide = U512::from(a) * U512::from(b) / U512::from(d);
    U256::checked_from_limbs_slice(wide.as_limbs()).ok_or(MathError::Overflow)
}

/// `a * b / d` rounded up.
pub fn mul_div_up(a: U256, b: U256, d: U256) -> Result<U256, MathError> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    let product = U512::from(a) * U512::from(b);
    let d = U512::from(d);
    let mut quotient = product / d;
    if !(product % d).is_zero() {
        quotient += U512::from(1u8);
    }
    U256::checked_from_limbs_slice(quotient.as_limbs()).ok_or(MathError::Overflow)
}

/// Integer square root, rounded down (the Babylonian method Uniswap V2's `Math.sqrt` uses).
pub fn isqrt(y: U256) -> U256 {
    y.root(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_directions() {
        let (a, b, d) = (U256::from(7), U256::from(3), U256::from(2));
        assert_eq!(mul_div_down(a, b, d), Ok(U256::from(10)));
        assert_eq!(mul_div_up(a, b, d), Ok(U256::from(11)));
        assert_eq!(
            mul_div_down(a, b, U256::ZERO),
            Err(MathError::DivisionByZero)
        );
        assert_eq!(
            mul_div_down(U256::MAX, U256::MAX, U256::from(1)),
            Err(MathError::Overflow)
        );
        assert_eq!(mul_div_down(U256::MAX, U256::MAX, U256::MAX), Ok(U256::MAX));
    }

    proptest! {
        #[test]
        fn isqrt_is_floor(v in any::<u128>()) {
            let v = U256::from(v);
            let r = isqrt(v);
            prop_assert!(r * r <= v);
            prop_assert!((r + U256::from(1)) * (r + U256::from(1)) > v);
        }
    }
}
