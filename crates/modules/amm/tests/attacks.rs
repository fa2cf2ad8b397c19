//! Known attacks and limits: share inflation by the first depositor, join-then-exit round trips
//! (the Osmosis 2022 bug), and amounts near the uint112 / U256 limits.

use alloy_primitives::{Address, U256, address};
use sheaf_amm::{AmmRead, burn, create_pair, mint, swap, sync};
use sheaf_bank::{BankRead, BankWrite, TokenMeta, create_user_token};
use sheaf_module_api::BlockContext;
use sheaf_state::{Delta, EmptyState, StateWrite};

const ATTACKER: Address = address!("00000000000000000000000000000000000000aa");
const VICTIM: Address = address!("00000000000000000000000000000000000000bb");

fn block() -> BlockContext {
    BlockContext {
        height: 1,
        timestamp: 1,
        proposer: Address::ZERO,
        base_fee: 0,
    }
}

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn setup(supply: U256) -> (Delta<EmptyState>, Address, Address, Address) {
    let mut state = Delta::new(EmptyState);
    let mut logs = vec![];
    let mut token = |symbol: &str| {
        let meta = TokenMeta {
            name: symbol.into(),
            symbol: symbol.into(),
            decimals: 18,
            minter: Address::ZERO,
        };
        let t = create_user_token(&mut state, &ATTACKER, meta, supply, &mut logs).expect("token");
        state
            .transfer_token(&t, &ATTACKER, &VICTIM, supply / U256::from(2), &mut logs)
            .expect("split");
        t
    };
    let (a, b) = (token("A"), token("B"));
    let pair = create_pair(&mut state, a, b, &mut logs).expect("pair");
    let pool = state.pool(&pair).expect("pool");
    (state, pair, pool.token0, pool.token1)
}

fn deposit<S: StateWrite>(
    state: &mut S,
    who: Address,
    pair: Address,
    t0: Address,
    t1: Address,
    a0: U256,
    a1: U256,
) -> Result<U256, String> {
    let mut logs = vec![];
    state
        .transfer_token(&t0, &who, &pair, a0, &mut logs)
        .map_err(|e| e.to_string())?;
    state
        .transfer_token(&t1, &who, &pair, a1, &mut logs)
        .map_err(|e| e.to_string())?;
    mint(state, &block(), &who, &pair, &who, &mut logs).map_err(|e| e.to_string())
}

fn withdraw_all<S: StateWrite>(state: &mut S, who: Address, pair: Address) -> (U256, U256) {
    let lp = state.token_balance(&pair, &who);
    state
        .transfer_token(&pair, &who, &pair, lp, &mut vec![])
        .expect("LP to pair");
    burn(state, &block(), &who, &pair, &who, &mut vec![]).expect("burn")
}

/// The classic inflation: mint the smallest position, donate to make one LP unit very expensive,
/// and hope the victim's deposit rounds down to the attacker's benefit. V2's 1000 locked units
/// make the donation cost the attacker far more than the rounding can take.
#[test]
fn first_depositor_inflation_does_not_pay() {
    let (mut state, pair, t0, t1) = setup(e18(1_000_000));
    let start = (
        state.token_balance(&t0, &ATTACKER),
        state.token_balance(&t1, &ATTACKER),
    );
    let small = U256::from(1001);
    let lp = deposit(&mut state, ATTACKER, pair, t0, t1, small, small).expect("first mint");
    assert_eq!(lp, U256::from(1), "sqrt(1001*1001) - 1000");
    // Donate 10,000 of each straight to the pool, then sync the reserves to it.
    state
        .transfer_token(&t0, &ATTACKER, &pair, e18(10_000), &mut vec![])
        .expect("donate");
    state
        .transfer_token(&t1, &ATTACKER, &pair, e18(10_000), &mut vec![])
        .expect("donate");
    sync(&mut state, &block(), &pair, &mut vec![]).expect("sync");

    let victim_in = e18(15_000);
    let victim_lp = deposit(&mut state, VICTIM, pair, t0, t1, victim_in, victim_in);
    let (v0, v1) = match victim_lp {
        Ok(_) => withdraw_all(&mut state, VICTIM, pair),
        Err(_) => (victim_in, victim_in), // refused outright: nothing lost
    };
    let (a0, a1) = withdraw_all(&mut state, ATTACKER, pair);
    let end = (
        state.token_balance(&t0, &ATTACKER),
        state.token_balance(&t1, &ATTACKER),
    );
    assert!(
        end.0 < start.0 && end.1 < start.1,
        "the attacker ends poorer: start {start:?}, end {end:?} (withdrew {a0}, {a1})"
    );
    // What the victim lost to rounding is bounded by what the attacker burned into the lock.
    let attacker_loss = (start.0 - end.0) + (start.1 - end.1);
    let victim_loss = (victim_in - v0.min(victim_in)) + (victim_in - v1.min(victim_in));
    assert!(
        victim_loss <= attacker_loss,
        "victim lost {victim_loss}, attacker paid {attacker_loss}"
    );
}

/// Join with one side heavy, exit at once: the excess is donated, never returned with interest.
#[test]
fn join_then_exit_never_returns_more() {
    let (mut state, pair, t0, t1) = setup(e18(1_000_000));
    deposit(&mut state, ATTACKER, pair, t0, t1, e18(1_000), e18(1_000)).expect("seed");
    for (a0, a1) in [
        (e18(500), U256::from(1)),
        (U256::from(7), e18(3)),
        (e18(100), e18(100)),
        (U256::from(1_000_001), U256::from(999_999)),
    ] {
        let before = (
            state.token_balance(&t0, &VICTIM),
            state.token_balance(&t1, &VICTIM),
        );
        if deposit(&mut state, VICTIM, pair, t0, t1, a0, a1).is_ok() {
            let (out0, out1) = withdraw_all(&mut state, VICTIM, pair);
            assert!(
                out0 <= a0 && out1 <= a1,
                "joined with ({a0}, {a1}), got back ({out0}, {out1})"
            );
        }
        let after = (
            state.token_balance(&t0, &VICTIM),
            state.token_balance(&t1, &VICTIM),
        );
        assert!(after.0 <= before.0 && after.1 <= before.1);
    }
}

/// Balances above uint112 are refused with V2's OVERFLOW error, in mint, sync and swap alike.
#[test]
fn amounts_beyond_uint112_are_errors_not_panics() {
    let huge = U256::from(1) << 200usize;
    let (mut state, pair, t0, t1) = setup(huge);
    let max112 = (U256::from(1) << 112usize) - U256::from(1);

    let too_big = deposit(
        &mut Delta::new(&state),
        ATTACKER,
        pair,
        t0,
        t1,
        max112 + U256::from(1),
        U256::from(10_000),
    );
    assert_eq!(too_big.unwrap_err(), "UniswapV2: OVERFLOW");

    deposit(&mut state, ATTACKER, pair, t0, t1, max112, max112).expect("exactly uint112 max fits");
    let mut tx = Delta::new(&state);
    tx.transfer_token(
        &t0,
        &ATTACKER,
        &pair,
        U256::from(1) << 150usize,
        &mut vec![],
    )
    .expect("donate");
    let swapped = swap(
        &mut tx,
        &block(),
        &ATTACKER,
        &pair,
        U256::ZERO,
        U256::from(1),
        &ATTACKER,
        &mut vec![],
    );
    assert_eq!(swapped.unwrap_err().to_string(), "UniswapV2: OVERFLOW");
    let synced = sync(&mut tx, &block(), &pair, &mut vec![]);
    assert_eq!(synced.unwrap_err().to_string(), "UniswapV2: OVERFLOW");
    let _ = t1;
}
