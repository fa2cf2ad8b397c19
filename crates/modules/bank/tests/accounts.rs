//! Nonce and ETH balance live in one account record: each write keeps the other field, and an
//! account emptied of both leaves nothing in state.

use alloy_primitives::{Address, U256};
use proptest::prelude::*;
use sheaf_bank::{Account, BankRead, BankWrite, state_key};
use sheaf_state::{Delta, EmptyState, StateRead};

const ALICE: Address = Address::repeat_byte(0xa1);
const BOB: Address = Address::repeat_byte(0xb0);

#[test]
fn nonce_and_balance_keep_each_other() {
    let mut state = Delta::new(EmptyState);
    state.genesis_mint_eth(&ALICE, U256::from(1_000)).unwrap();
    state.set_nonce(&ALICE, 7);
    assert_eq!(
        state.account(&ALICE),
        Account {
            nonce: 7,
            balance: U256::from(1_000)
        }
    );

    state.transfer_eth(&ALICE, &BOB, U256::from(400)).unwrap();
    assert_eq!(
        state.nonce(&ALICE),
        7,
        "a transfer keeps the sender's nonce"
    );
    assert_eq!(state.eth_balance(&ALICE), U256::from(600));
    assert_eq!(state.eth_balance(&BOB), U256::from(400));
    assert_eq!(state.nonce(&BOB), 0);

    state.set_nonce(&ALICE, 8);
    assert_eq!(
        state.eth_balance(&ALICE),
        U256::from(600),
        "a nonce bump keeps the balance"
    );
}

#[test]
fn an_emptied_account_leaves_no_record() {
    let mut state = Delta::new(EmptyState);
    state.genesis_mint_eth(&ALICE, U256::from(5)).unwrap();
    state.transfer_eth(&ALICE, &BOB, U256::from(5)).unwrap();
    assert_eq!(state.get_raw(&state_key::account(&ALICE)), None);
    assert!(state.get_raw(&state_key::account(&BOB)).is_some());

    // A nonce alone keeps the record alive: the account has sent transactions.
    state.set_nonce(&BOB, 1);
    state.burn_eth(&BOB, U256::from(5)).unwrap();
    assert_eq!(
        state.account(&BOB),
        Account {
            nonce: 1,
            balance: U256::ZERO
        }
    );
}

proptest! {
    #[test]
    fn any_account_reads_back_as_written(nonce in any::<u64>(), limbs in any::<[u64; 4]>()) {
        let balance = U256::from_limbs(limbs);
        let mut state = Delta::new(EmptyState);
        state.put_account(&ALICE, Account { nonce, balance });
        prop_assert_eq!(state.account(&ALICE), Account { nonce, balance });
        prop_assert_eq!(state.nonce(&ALICE), nonce);
        prop_assert_eq!(state.eth_balance(&ALICE), balance);
    }
}

#[test]
fn gas_is_burned_and_tipped_or_not_at_all() {
    let proposer = Address::repeat_byte(0xfe);
    let mut state = Delta::new(EmptyState);
    state.genesis_mint_eth(&ALICE, U256::from(1_000)).unwrap();
    state.set_nonce(&ALICE, 3);

    state
        .pay_gas(&ALICE, U256::from(300), U256::from(20), &proposer)
        .unwrap();
    assert_eq!(
        state.account(&ALICE),
        Account {
            nonce: 3,
            balance: U256::from(680)
        }
    );
    assert_eq!(state.eth_balance(&proposer), U256::from(20));
    assert_eq!(
        state.eth_supply(),
        U256::from(700),
        "only the burned part leaves the supply"
    );
    assert_eq!(state.eth_burned(), U256::from(300));

    let before = state.changes().clone();
    let too_much = state.pay_gas(&ALICE, U256::from(600), U256::from(81), &proposer);
    assert!(matches!(
        too_much,
        Err(sheaf_bank::BankError::InsufficientEth { .. })
    ));
    assert_eq!(state.changes(), &before, "a refused charge writes nothing");

    // A proposer paying for its own transaction keeps its tip.
    state
        .pay_gas(&proposer, U256::from(5), U256::from(15), &proposer)
        .unwrap();
    assert_eq!(state.eth_balance(&proposer), U256::from(15));
    assert_eq!(state.eth_supply(), U256::from(695));
}
