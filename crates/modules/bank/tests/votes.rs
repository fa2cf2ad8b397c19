//! ERC20Votes semantics through the calldata path: delegation, checkpoints per block, past lookups
//! that refuse the present, and the invariant that delegated votes always equal the balances of
//! the accounts that delegated.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use proptest::prelude::*;
use sheaf_abi::{IERC20, IVotes};
use sheaf_bank::{BankRead, BankWrite, TokenMeta, call_token, votes};
use sheaf_module_api::{BlockContext, CallEnv, Revert, clock};
use sheaf_state::{Delta, EmptyState, StateWrite};

const MINTER: Address = Address::repeat_byte(0xee);
const TOKEN: Address = Address::repeat_byte(0x60);

fn holder(i: u8) -> Address {
    Address::with_last_byte(i + 1)
}

fn at(height: u64, caller: Address) -> CallEnv {
    CallEnv {
        caller,
        to: TOKEN,
        value: U256::ZERO,
        block: BlockContext {
            height,
            timestamp: 0,
            proposer: Address::ZERO,
            base_fee: 0,
        },
    }
}

/// A votes token minted by `MINTER`, as GOV is.
fn votes_token<S: StateWrite>(state: &mut S) {
    let meta = TokenMeta {
        name: "Governance".into(),
        symbol: "GOV".into(),
        decimals: 18,
        minter: MINTER,
    };
    state.create_token(TOKEN, meta, &Address::ZERO, U256::ZERO, &mut vec![]);
    votes::enable(state, &TOKEN);
}

/// Runs a call in block `height`, with the chain clock set as the app sets it.
fn call<S: StateWrite, C: SolCall>(
    state: &mut S,
    height: u64,
    caller: Address,
    call: C,
) -> Result<C::Return, Revert> {
    clock::set_height(state, height);
    let out = call_token(state, &at(height, caller), &call.abi_encode(), &mut vec![])?;
    Ok(C::abi_decode_returns(&out).expect("decodes"))
}

fn past_votes<S: StateWrite>(state: &mut S, now: u64, who: Address, t: u64) -> U256 {
    let c = IVotes::getPastVotesCall {
        account: who,
        timepoint: U256::from(t),
    };
    call(state, now, who, c).expect("past block")
}

#[test]
fn votes_follow_delegation_and_transfers_block_by_block() {
    let mut s = Delta::new(EmptyState);
    votes_token(&mut s);
    let (a, b, c) = (holder(0), holder(1), holder(2));
    clock::set_height(&mut s, 1);
    s.mint_token(&MINTER, &TOKEN, &a, U256::from(1000), &mut vec![])
        .expect("mint");
    assert_eq!(
        votes::votes(&s, &TOKEN, &a),
        U256::ZERO,
        "undelegated balance does not vote"
    );

    call(&mut s, 2, a, IVotes::delegateCall { delegatee: a }).expect("self-delegate");
    let transfer = |to, value| IERC20::transferCall {
        to,
        value: U256::from(value),
    };
    call(&mut s, 3, a, transfer(b, 300)).expect("transfer");
    call(&mut s, 4, b, IVotes::delegateCall { delegatee: c }).expect("delegate to c");
    call(&mut s, 4, a, transfer(b, 100)).expect("second transfer in block 4");

    let now = 5;
    let expect_a = [(1, 0), (2, 1000), (3, 700), (4, 600)];
    for (t, v) in expect_a {
        assert_eq!(
            past_votes(&mut s, now, a, t),
            U256::from(v),
            "a at block {t}"
        );
    }
    assert_eq!(past_votes(&mut s, now, c, 3), U256::ZERO);
    assert_eq!(past_votes(&mut s, now, c, 4), U256::from(400));
    assert_eq!(
        past_votes(&mut s, now, b, 4),
        U256::ZERO,
        "b delegated away"
    );
    let n = call(&mut s, now, c, IVotes::numCheckpointsCall { account: c }).expect("count");
    assert_eq!(n, 1, "two changes in one block make one checkpoint");
    let delegatee = call(&mut s, now, a, IVotes::delegatesCall { account: b }).expect("view");
    assert_eq!(delegatee, c);

    let future = call(
        &mut s,
        now,
        a,
        IVotes::getPastVotesCall {
            account: a,
            timepoint: U256::from(now),
        },
    )
    .expect_err("the current block is not past");
    assert_eq!(
        future.data().as_ref(),
        IVotes::ERC5805FutureLookup {
            timepoint: U256::from(now),
            clock: alloy_primitives::aliases::U48::from(now),
        }
        .abi_encode()
    );
}

#[test]
fn total_supply_history_tracks_mints_and_burns() {
    let mut s = Delta::new(EmptyState);
    votes_token(&mut s);
    clock::set_height(&mut s, 2);
    s.mint_token(&MINTER, &TOKEN, &holder(0), U256::from(500), &mut vec![])
        .expect("mint");
    clock::set_height(&mut s, 5);
    s.burn_token(&MINTER, &TOKEN, &holder(0), U256::from(200), &mut vec![])
        .expect("burn");
    for (t, supply) in [(0, 0), (1, 0), (2, 500), (4, 500), (5, 300)] {
        let got = votes::past_total_supply(&s, &TOKEN, t, 6).expect("past");
        assert_eq!(got, U256::from(supply), "supply at block {t}");
    }
    assert!(votes::past_total_supply(&s, &TOKEN, 6, 6).is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Transfer { from: u8, to: u8, amount: u64 },
    Delegate { who: u8, to: Option<u8> },
    Mint { to: u8, amount: u64 },
    Burn { from: u8, amount: u64 },
    NextBlock,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5, 0u8..5, 0u64..2_000).prop_map(|(from, to, amount)| Op::Transfer {
            from,
            to,
            amount
        }),
        (0u8..5, proptest::option::of(0u8..5)).prop_map(|(who, to)| Op::Delegate { who, to }),
        (0u8..5, 0u64..1_000).prop_map(|(to, amount)| Op::Mint { to, amount }),
        (0u8..5, 0u64..1_000).prop_map(|(from, amount)| Op::Burn { from, amount }),
        Just(Op::NextBlock),
    ]
}

proptest! {
    /// After any sequence, each delegate's votes equal the balances delegated to it, and the
    /// history at every past block says the same as a replay recorded at that block.
    #[test]
    fn delegated_votes_equal_delegated_balances(ops in proptest::collection::vec(op(), 1..60)) {
        let mut s = Delta::new(EmptyState);
        votes_token(&mut s);
        let mut height = 1;
        clock::set_height(&mut s, height);
        let mut recorded: Vec<(u64, Vec<U256>)> = vec![];
        for op in ops {
            let mut logs = vec![];
            match op {
                Op::Transfer { from, to, amount } => {
                    let _ = s.transfer_token(&TOKEN, &holder(from), &holder(to), U256::from(amount), &mut logs);
                }
                Op::Delegate { who, to } => {
                    let to = to.map(holder).unwrap_or(Address::ZERO);
                    votes::delegate(&mut s, &TOKEN, &holder(who), &to, &mut logs);
                }
                Op::Mint { to, amount } => {
                    s.mint_token(&MINTER, &TOKEN, &holder(to), U256::from(amount), &mut logs).expect("mint");
                }
                Op::Burn { from, amount } => {
                    let _ = s.burn_token(&MINTER, &TOKEN, &holder(from), U256::from(amount), &mut logs);
                }
                Op::NextBlock => {
                    let current = (0..5).map(|i| votes::votes(&s, &TOKEN, &holder(i))).collect();
                    recorded.push((height, current));
                    height += 1;
                    clock::set_height(&mut s, height);
                }
            }
            for d in 0..5u8 {
                let delegated: U256 = (0..5u8)
                    .filter(|h| votes::delegates(&s, &TOKEN, &holder(*h)) == holder(d))
                    .map(|h| s.token_balance(&TOKEN, &holder(h)))
                    .sum();
                prop_assert_eq!(votes::votes(&s, &TOKEN, &holder(d)), delegated);
            }
        }
        for (block, votes_then) in recorded {
            for (i, expected) in votes_then.iter().enumerate() {
                let past = votes::past_votes(&s, &TOKEN, &holder(i as u8), block, height).expect("past");
                prop_assert_eq!(past, *expected);
            }
        }
    }
}
