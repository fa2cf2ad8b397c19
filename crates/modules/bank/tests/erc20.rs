//! ERC-20 behaviour through the same calldata path wallets use, and supply conservation over
//! random sequences of transfers, approvals and transferFroms.

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use proptest::prelude::*;
use sheaf_abi::{IERC20, ISheafTokenFactory, system::TOKEN_FACTORY};
use sheaf_bank::{BankRead, call_factory, call_token};
use sheaf_module_api::{BlockContext, CallEnv, Revert};
use sheaf_state::{Delta, EmptyState, StateWrite};

fn env(caller: Address, to: Address) -> CallEnv {
    CallEnv {
        caller,
        to,
        value: U256::ZERO,
        block: BlockContext {
            height: 1,
            timestamp: 0,
            proposer: Address::ZERO,
            base_fee: 0,
        },
    }
}

fn holder(i: u8) -> Address {
    Address::with_last_byte(i + 1)
}

fn create<S: StateWrite>(state: &mut S, creator: Address, supply: U256) -> Address {
    let mut logs = vec![];
    let call = ISheafTokenFactory::createTokenCall {
        name: "Test".into(),
        symbol: "TST".into(),
        decimals: 18,
        initialSupply: supply,
    };
    let out = call_factory(
        state,
        &env(creator, TOKEN_FACTORY),
        &call.abi_encode(),
        &mut logs,
    )
    .expect("create");
    ISheafTokenFactory::createTokenCall::abi_decode_returns(&out).expect("address")
}

fn call<S: StateWrite>(
    state: &mut S,
    caller: Address,
    token: Address,
    data: Vec<u8>,
) -> Result<Bytes, Revert> {
    let mut logs: Vec<Log> = vec![];
    call_token(state, &env(caller, token), &data, &mut logs)
}

#[test]
fn transfer_approve_transfer_from() {
    let mut state = Delta::new(EmptyState);
    let (alice, bob, carol) = (holder(0), holder(1), holder(2));
    let token = create(&mut state, alice, U256::from(1000));
    assert_eq!(state.token_balance(&token, &alice), U256::from(1000));

    let mut logs = vec![];
    call_token(
        &mut state,
        &env(alice, token),
        &IERC20::transferCall {
            to: bob,
            value: U256::from(300),
        }
        .abi_encode(),
        &mut logs,
    )
    .expect("transfer");
    let event = IERC20::Transfer::decode_log_data(&logs[0].data).expect("Transfer log");
    assert_eq!(
        (event.from, event.to, event.value),
        (alice, bob, U256::from(300))
    );

    let too_much = call(
        &mut state,
        bob,
        token,
        IERC20::transferCall {
            to: alice,
            value: U256::from(301),
        }
        .abi_encode(),
    );
    assert_eq!(
        too_much.unwrap_err().data(),
        Bytes::from(
            IERC20::ERC20InsufficientBalance {
                sender: bob,
                balance: U256::from(300),
                needed: U256::from(301)
            }
            .abi_encode()
        )
    );

    call(
        &mut state,
        bob,
        token,
        IERC20::approveCall {
            spender: carol,
            value: U256::from(100),
        }
        .abi_encode(),
    )
    .expect("approve");
    let over = call(
        &mut state,
        carol,
        token,
        IERC20::transferFromCall {
            from: bob,
            to: carol,
            value: U256::from(101),
        }
        .abi_encode(),
    );
    assert!(matches!(over, Err(Revert::Custom { .. })));
    call(
        &mut state,
        carol,
        token,
        IERC20::transferFromCall {
            from: bob,
            to: carol,
            value: U256::from(60),
        }
        .abi_encode(),
    )
    .expect("transferFrom");
    assert_eq!(state.allowance(&token, &bob, &carol), U256::from(40));
    assert_eq!(state.token_balance(&token, &carol), U256::from(60));

    let out = call(
        &mut state,
        carol,
        token,
        IERC20::balanceOfCall { account: bob }.abi_encode(),
    )
    .expect("view");
    assert_eq!(
        IERC20::balanceOfCall::abi_decode_returns(&out).expect("uint"),
        U256::from(240)
    );
    let out = call(&mut state, carol, token, IERC20::symbolCall {}.abi_encode()).expect("view");
    assert_eq!(
        IERC20::symbolCall::abi_decode_returns(&out).expect("string"),
        "TST"
    );

    let to_zero = call(
        &mut state,
        alice,
        token,
        IERC20::transferCall {
            to: Address::ZERO,
            value: U256::from(1),
        }
        .abi_encode(),
    );
    assert!(matches!(to_zero, Err(Revert::Custom { .. })));
    let unknown = call(&mut state, alice, token, vec![0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(
        unknown.unwrap_err(),
        Revert::reason("unknown function selector 0xdeadbeef")
    );
}

#[test]
fn unlimited_allowance_never_decreases() {
    let mut state = Delta::new(EmptyState);
    let (alice, bob) = (holder(0), holder(1));
    let token = create(&mut state, alice, U256::from(10));
    call(
        &mut state,
        alice,
        token,
        IERC20::approveCall {
            spender: bob,
            value: U256::MAX,
        }
        .abi_encode(),
    )
    .expect("approve");
    call(
        &mut state,
        bob,
        token,
        IERC20::transferFromCall {
            from: alice,
            to: bob,
            value: U256::from(7),
        }
        .abi_encode(),
    )
    .expect("spend");
    assert_eq!(state.allowance(&token, &alice, &bob), U256::MAX);
}

#[derive(Debug, Clone)]
enum Op {
    Transfer {
        from: u8,
        to: u8,
        amount: u64,
    },
    Approve {
        owner: u8,
        spender: u8,
        amount: u64,
    },
    TransferFrom {
        spender: u8,
        from: u8,
        to: u8,
        amount: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0u8..4;
    prop_oneof![
        (who.clone(), who.clone(), 0u64..400).prop_map(|(from, to, amount)| Op::Transfer {
            from,
            to,
            amount
        }),
        (who.clone(), who.clone(), 0u64..400).prop_map(|(owner, spender, amount)| Op::Approve {
            owner,
            spender,
            amount
        }),
        (who.clone(), who.clone(), who, 0u64..400).prop_map(|(spender, from, to, amount)| {
            Op::TransferFrom {
                spender,
                from,
                to,
                amount,
            }
        }),
    ]
}

proptest! {
    #[test]
    fn supply_is_conserved(ops in proptest::collection::vec(op(), 1..60)) {
        let mut state = Delta::new(EmptyState);
        let supply = U256::from(1000);
        let token = create(&mut state, holder(0), supply);
        for op in ops {
            // Each call runs in its own overlay, as transactions do: a revert leaves nothing.
            let mut tx = Delta::new(&state);
            let result = match op {
                Op::Transfer { from, to, amount } => call(&mut tx, holder(from), token,
                    IERC20::transferCall { to: holder(to), value: U256::from(amount) }.abi_encode()),
                Op::Approve { owner, spender, amount } => call(&mut tx, holder(owner), token,
                    IERC20::approveCall { spender: holder(spender), value: U256::from(amount) }.abi_encode()),
                Op::TransferFrom { spender, from, to, amount } => call(&mut tx, holder(spender), token,
                    IERC20::transferFromCall { from: holder(from), to: holder(to), value: U256::from(amount) }.abi_encode()),
            };
            if result.is_ok() {
                let changes = tx.into_changes();
                state.apply(changes);
            }
            let held: U256 = (0..4).map(|i| state.token_balance(&token, &holder(i))).sum();
            prop_assert_eq!(held, supply);
            prop_assert_eq!(state.token_supply(&token), supply);
        }
    }
}
