//! Reward-per-share accounting, shared by farms (SHF for LP stakers) and governance staking (GOV
//! for SHF stakers): MasterChef's `accSushiPerShare` with V2's signed reward debt, so staking,
//! unstaking and harvesting are independent and each costs O(1) whatever the number of stakers.
//!
//! Rounding always favours the pool: the accumulator grows by `floor(reward * P / staked)`, a
//! deposit adds `ceil(amount * acc / P)` to the debt, a withdrawal removes `floor(...)`, and a
//! harvest pays `floor(amount * acc / P) - debt`. So the sum paid never exceeds what was minted,
//! and a staker loses less than one base unit per action, plus `amount / P` per accumulator
//! update (P = 1e36, so under one unit for any stake below 1e36 base units).

use alloy_primitives::{I256, U256, U512};

/// `ACC_REWARD_PRECISION`: the accumulator's fixed-point scale.
pub const PRECISION: U256 = U256::from_limbs([0xb34b_9f10_0000_0000, 0x00c0_97ce_7bc9_0715, 0, 0]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("reward accounting overflow")]
pub struct Overflow;

fn mul_div(a: U256, b: U256, d: U256, round_up: bool) -> Result<U256, Overflow> {
    let product = U512::from(a) * U512::from(b);
    let d = U512::from(d);
    let mut q = product / d;
    if round_up && !(product % d).is_zero() {
        q += U512::from(1u8);
    }
    U256::checked_from_limbs_slice(q.as_limbs()).ok_or(Overflow)
}

/// The accumulator after `reward` is shared among `staked` units (which must be non-zero).
pub fn accrue(acc: U256, reward: U256, staked: U256) -> Result<U256, Overflow> {
    let increment = mul_div(reward, PRECISION, staked, false)?;
    acc.checked_add(increment).ok_or(Overflow)
}

/// What `amount` staked has earned in total at accumulator `acc`, rounded down.
pub fn earned(amount: U256, acc: U256) -> Result<U256, Overflow> {
    mul_div(amount, acc, PRECISION, false)
}

fn signed(value: U256) -> Result<I256, Overflow> {
    I256::try_from(value).map_err(|_| Overflow)
}

/// One staker's position: MasterChef V2's `UserInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stake {
    pub amount: U256,
    /// What the position had earned when it was last settled; may go negative after withdrawals.
    pub reward_debt: I256,
}

impl Stake {
    /// Adds `amount` without settling what the stake has earned so far.
    pub fn deposit(&mut self, amount: U256, acc: U256) -> Result<(), Overflow> {
        let debt = signed(mul_div(amount, acc, PRECISION, true)?)?;
        self.amount = self.amount.checked_add(amount).ok_or(Overflow)?;
        self.reward_debt = self.reward_debt.checked_add(debt).ok_or(Overflow)?;
        Ok(())
    }

    /// Removes `amount` (at most the stake) without settling.
    pub fn withdraw(&mut self, amount: U256, acc: U256) -> Result<(), Overflow> {
        let debt = signed(earned(amount, acc)?)?;
        self.amount = self.amount.checked_sub(amount).ok_or(Overflow)?;
        self.reward_debt = self.reward_debt.checked_sub(debt).ok_or(Overflow)?;
        Ok(())
    }

    /// What a harvest now would pay.
    pub fn pending(&self, acc: U256) -> Result<U256, Overflow> {
        let accumulated = signed(earned(self.amount, acc)?)?;
        let pending = accumulated.checked_sub(self.reward_debt).ok_or(Overflow)?;
        // Negative only by the rounding of earlier actions; it pays nothing until earnings cover
        // it, and the debt is left as is so the shortfall is never forgiven.
        Ok(if pending.is_negative() {
            U256::ZERO
        } else {
            pending.into_raw()
        })
    }

    /// Settles: returns what is owed and marks it paid.
    pub fn harvest(&mut self, acc: U256) -> Result<U256, Overflow> {
        let pending = self.pending(acc)?;
        if !pending.is_zero() {
            self.reward_debt = signed(earned(self.amount, acc)?)?;
        }
        Ok(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_is_1e36() {
        assert_eq!(PRECISION, U256::from(10u8).pow(U256::from(36u8)));
    }

    #[test]
    fn rounding_never_pays_more_than_earned() {
        // Deposit 1 at acc = P/2: debt rounds up to 1, so a harvest at P/2 + P/2 pays 0 + 1,
        // never more than the exact 0.5.
        let half = PRECISION / U256::from(2u8);
        let mut stake = Stake::default();
        stake.deposit(U256::from(1u8), half).unwrap();
        assert_eq!(stake.harvest(half).unwrap(), U256::ZERO);
        assert_eq!(stake.reward_debt, I256::ONE, "a shortfall is not forgiven");
        assert_eq!(stake.harvest(PRECISION).unwrap(), U256::ZERO);
        assert_eq!(
            stake.harvest(PRECISION * U256::from(2u8)).unwrap(),
            U256::from(1u8)
        );
    }
}
