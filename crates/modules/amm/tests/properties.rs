//! Random sequences of add / remove / swap against one pool. After every operation: reserves equal
//! the pool's holdings, `k` never falls in a swap, LP supply equals the sum of LP balances and no
//! token unit is created or lost. Separately, adding then removing never returns more than was put in.

use alloy_primitives::{Address, U256};
use proptest::prelude::*;
use sheaf_amm::{AmmRead, burn, create_pair, math, mint, swap};
use sheaf_bank::{BankRead, BankWrite, TokenMeta, create_user_token};
use sheaf_module_api::BlockContext;
use sheaf_state::{Delta, EmptyState, StateRead};

const SUPPLY: u128 = 1u128 << 100;

fn user(i: u8) -> Address {
    Address::with_last_byte(0x10 + i)
}

fn block(t: u64) -> BlockContext {
    BlockContext {
        height: t,
        timestamp: t,
        proposer: Address::ZERO,
        base_fee: 0,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Add {
        who: u8,
        amount0: u128,
        amount1: u128,
    },
    Remove {
        who: u8,
        per_mille: u16,
    },
    Swap {
        who: u8,
        zero_for_one: bool,
        amount_in: u128,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..3, 1u128..1u128 << 70, 1u128..1u128 << 70).prop_map(|(who, amount0, amount1)| {
            Op::Add {
                who,
                amount0,
                amount1,
            }
        }),
        (0u8..3, 1u16..=1000).prop_map(|(who, per_mille)| Op::Remove { who, per_mille }),
        (0u8..3, any::<bool>(), 1u128..1u128 << 68).prop_map(|(who, zero_for_one, amount_in)| {
            Op::Swap {
                who,
                zero_for_one,
                amount_in,
            }
        }),
    ]
}

/// Runs one operation as a transaction would: in its own overlay, kept only on success.
fn run<P: StateRead>(
    state: &mut Delta<P>,
    op: &Op,
    pair: Address,
    t0: Address,
    t1: Address,
    t: u64,
) -> bool {
    let mut tx = Delta::new(&*state);
    let mut logs = vec![];
    let ok = match *op {
        Op::Add {
            who,
            amount0,
            amount1,
        } => {
            tx.transfer_token(&t0, &user(who), &pair, U256::from(amount0), &mut logs)
                .is_ok()
                && tx
                    .transfer_token(&t1, &user(who), &pair, U256::from(amount1), &mut logs)
                    .is_ok()
                && mint(&mut tx, &block(t), &user(who), &pair, &user(who), &mut logs).is_ok()
        }
        Op::Remove { who, per_mille } => {
            let lp = tx.token_balance(&pair, &user(who)) * U256::from(per_mille) / U256::from(1000);
            tx.transfer_token(&pair, &user(who), &pair, lp, &mut logs)
                .is_ok()
                && burn(&mut tx, &block(t), &user(who), &pair, &user(who), &mut logs).is_ok()
        }
        Op::Swap {
            who,
            zero_for_one,
            amount_in,
        } => {
            let pool = tx.pool(&pair).expect("pool");
            let (token_in, r_in, r_out) = if zero_for_one {
                (t0, pool.reserve0, pool.reserve1)
            } else {
                (t1, pool.reserve1, pool.reserve0)
            };
            match math::get_amount_out(U256::from(amount_in), r_in, r_out) {
                Ok(out) if !out.is_zero() => {
                    let (out0, out1) = if zero_for_one {
                        (U256::ZERO, out)
                    } else {
                        (out, U256::ZERO)
                    };
                    tx.transfer_token(
                        &token_in,
                        &user(who),
                        &pair,
                        U256::from(amount_in),
                        &mut logs,
                    )
                    .is_ok()
                        && swap(
                            &mut tx,
                            &block(t),
                            &user(who),
                            &pair,
                            out0,
                            out1,
                            &user(who),
                            &mut logs,
                        )
                        .is_ok()
                }
                _ => false,
            }
        }
    };
    if ok {
        let changes = tx.into_changes();
        state.apply(changes);
    }
    ok
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn pool_invariants_hold(ops in proptest::collection::vec(op(), 1..40)) {
        let mut state = Delta::new(EmptyState);
        let mut logs = vec![];
        let mut token = |symbol: &str| {
            let meta = TokenMeta { name: symbol.into(), symbol: symbol.into(), decimals: 18, minter: Address::ZERO };
            create_user_token(&mut state, &user(0), meta, U256::from(SUPPLY * 3), &mut logs).expect("token")
        };
        let (a, b) = (token("A"), token("B"));
        for t in [a, b] {
            for who in 1..3 {
                state.transfer_token(&t, &user(0), &user(who), U256::from(SUPPLY), &mut logs).expect("fund");
            }
        }
        let pair = create_pair(&mut state, a, b, &mut logs).expect("pair");
        let pool = state.pool(&pair).expect("pool");
        let (t0, t1) = (pool.token0, pool.token1);
        let holders = [user(0), user(1), user(2), pair, Address::ZERO];

        for (i, op) in ops.iter().enumerate() {
            let before = state.pool(&pair).expect("pool");
            let applied = run(&mut state, op, pair, t0, t1, 10 + i as u64);
            let after = state.pool(&pair).expect("pool");

            prop_assert_eq!(after.reserve0, state.token_balance(&t0, &pair));
            prop_assert_eq!(after.reserve1, state.token_balance(&t1, &pair));
            for t in [t0, t1] {
                let total: U256 = holders.iter().map(|h| state.token_balance(&t, h)).sum();
                prop_assert_eq!(total, U256::from(SUPPLY * 3), "no token unit created or lost");
            }
            let lp_total: U256 = holders.iter().map(|h| state.token_balance(&pair, h)).sum();
            prop_assert_eq!(lp_total, state.token_supply(&pair));
            if applied && matches!(op, Op::Swap { .. }) {
                prop_assert!(after.reserve0 * after.reserve1 >= before.reserve0 * before.reserve1, "k fell in a swap");
            }
        }
    }

    /// Add then remove at once: never more back than was put in.
    #[test]
    fn round_trip_never_profits(seed0 in 1u128..1u128 << 60, seed1 in 1u128..1u128 << 60, add0 in 1u128..1u128 << 60, add1 in 1u128..1u128 << 60) {
        let mut state = Delta::new(EmptyState);
        let mut logs = vec![];
        let mut token = |symbol: &str| {
            let meta = TokenMeta { name: symbol.into(), symbol: symbol.into(), decimals: 18, minter: Address::ZERO };
            create_user_token(&mut state, &user(0), meta, U256::from(SUPPLY), &mut logs).expect("token")
        };
        let (a, b) = (token("A"), token("B"));
        for t in [a, b] {
            state.transfer_token(&t, &user(0), &user(1), U256::from(SUPPLY / 2), &mut logs).expect("fund");
        }
        let pair = create_pair(&mut state, a, b, &mut logs).expect("pair");
        let pool = state.pool(&pair).expect("pool");
        let (t0, t1) = (pool.token0, pool.token1);
        prop_assume!(run(&mut state, &Op::Add { who: 0, amount0: seed0, amount1: seed1 }, pair, t0, t1, 1));
        let before = (state.token_balance(&t0, &user(1)), state.token_balance(&t1, &user(1)));
        if run(&mut state, &Op::Add { who: 1, amount0: add0, amount1: add1 }, pair, t0, t1, 2) {
            run(&mut state, &Op::Remove { who: 1, per_mille: 1000 }, pair, t0, t1, 3);
        }
        prop_assert!(state.token_balance(&t0, &user(1)) <= before.0);
        prop_assert!(state.token_balance(&t1, &user(1)) <= before.1);
    }
}
