//! Farm accounting against hand-computed expectations and SushiSwap's published MasterChef tests
//! (sushi-labs/sushiswap `test/MasterChef.test.js`, figures in ../shared/reference/defi.md §3.1),
//! driven through the MasterChef V2 calldata users send.
//!
//! MasterChef V1 pays 100 SUSHI a block with a 10x bonus to stakers (plus 10% to its dev, which
//! Sheaf does not have), so its vectors run here at 1,000 a block. V1's `deposit`/`withdraw`
//! harvest as they go; V2's (and ours) do not, so each V1 step is a harvest followed by the
//! stake change, which is what V1 does internally.

#![allow(clippy::unwrap_used)]

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use sheaf_abi::{IERC20, IMasterChef, system::MASTER_CHEF};
use sheaf_bank::{BankRead, BankWrite, TokenMeta};
use sheaf_farm::{FarmRead, add_farm, call, set_allocation};
use sheaf_module_api::{BlockContext, CallEnv, Revert};
use sheaf_state::{Delta, EmptyState, StateWrite};

const SHF: Address = Address::repeat_byte(0x5f);
const LP: Address = Address::repeat_byte(0x11);
const LP2: Address = Address::repeat_byte(0x22);
const ALICE: Address = Address::repeat_byte(0xa1);
const BOB: Address = Address::repeat_byte(0xb0);
const CAROL: Address = Address::repeat_byte(0xca);

fn token<S: StateWrite>(s: &mut S, address: Address, minter: Address) {
    let meta = TokenMeta {
        name: "T".into(),
        symbol: "T".into(),
        decimals: 18,
        minter,
    };
    s.create_token(address, meta, &Address::ZERO, U256::ZERO, &mut vec![]);
}

/// SHF minted by the farm at `per_block`, and two LP tokens each user holds 1,000 of and has
/// approved the farm for.
fn chain(per_block: u64) -> Delta<EmptyState> {
    let mut s = Delta::new(EmptyState);
    token(&mut s, SHF, MASTER_CHEF);
    sheaf_farm::init(&mut s, SHF, U256::from(per_block));
    for lp in [LP, LP2] {
        token(&mut s, lp, Address::ZERO);
        for user in [ALICE, BOB, CAROL] {
            s.genesis_mint_token(&lp, &user, U256::from(1000)).unwrap();
            s.set_allowance(&lp, &user, &MASTER_CHEF, U256::MAX);
        }
    }
    s
}

fn run<S: StateWrite, C: SolCall>(
    s: &mut S,
    height: u64,
    caller: Address,
    c: C,
) -> Result<C::Return, Revert> {
    let env = CallEnv {
        caller,
        to: MASTER_CHEF,
        value: U256::ZERO,
        block: BlockContext {
            height,
            timestamp: height,
            proposer: Address::ZERO,
            base_fee: 0,
        },
    };
    let out = call(s, &env, &c.abi_encode(), &mut vec![])?;
    Ok(C::abi_decode_returns(&out).expect("returns decode"))
}

fn deposit<S: StateWrite>(s: &mut S, h: u64, who: Address, pid: u64, amount: u64) {
    let c = IMasterChef::depositCall {
        pid: U256::from(pid),
        amount: U256::from(amount),
        to: who,
    };
    run(s, h, who, c).expect("deposit");
}

fn withdraw<S: StateWrite>(s: &mut S, h: u64, who: Address, pid: u64, amount: u64) {
    let c = IMasterChef::withdrawCall {
        pid: U256::from(pid),
        amount: U256::from(amount),
        to: who,
    };
    run(s, h, who, c).expect("withdraw");
}

fn harvest<S: StateWrite>(s: &mut S, h: u64, who: Address, pid: u64) {
    let c = IMasterChef::harvestCall {
        pid: U256::from(pid),
        to: who,
    };
    run(s, h, who, c).expect("harvest");
}

fn pending<S: StateWrite>(s: &mut S, h: u64, who: Address, pid: u64) -> u64 {
    let c = IMasterChef::pendingRewardCall {
        pid: U256::from(pid),
        user: who,
    };
    run(s, h, who, c).expect("pending").to()
}

fn shf<S: StateWrite>(s: &S, who: Address) -> u64 {
    s.token_balance(&SHF, &who).to()
}

/// V1 `deposit`/`withdraw`: harvest, then change the stake.
fn v1_deposit<S: StateWrite>(s: &mut S, h: u64, who: Address, amount: u64) {
    harvest(s, h, who, 0);
    deposit(s, h, who, 0, amount);
}

fn v1_withdraw<S: StateWrite>(s: &mut S, h: u64, who: Address, amount: u64) {
    harvest(s, h, who, 0);
    withdraw(s, h, who, 0, amount);
}

#[test]
fn masterchef_v1_each_staker_vector() {
    let mut s = chain(1000);
    add_farm(&mut s, LP, 100, 300, &mut vec![]).unwrap();
    v1_deposit(&mut s, 310, ALICE, 10);
    v1_deposit(&mut s, 314, BOB, 20);
    v1_deposit(&mut s, 318, CAROL, 30);
    v1_deposit(&mut s, 320, ALICE, 10);
    assert_eq!(s.token_supply(&SHF), U256::from(10_000));
    assert_eq!([shf(&s, ALICE), shf(&s, BOB), shf(&s, CAROL)], [5666, 0, 0]);
    assert_eq!(shf(&s, MASTER_CHEF), 4334);

    v1_withdraw(&mut s, 330, BOB, 5);
    assert_eq!(s.token_supply(&SHF), U256::from(20_000));
    assert_eq!([shf(&s, ALICE), shf(&s, BOB)], [5666, 6190]);
    assert_eq!(shf(&s, MASTER_CHEF), 8144);

    v1_withdraw(&mut s, 340, ALICE, 20);
    v1_withdraw(&mut s, 350, BOB, 15);
    v1_withdraw(&mut s, 360, CAROL, 30);
    assert_eq!(s.token_supply(&SHF), U256::from(50_000));
    // V1 pays 11600 / 11831 / 26568 and keeps 1 unit of dust. Carol's exact share is
    // 30 * (1418.9255 - 533.3333) = 26567.78: V1 overpays her, because it rounds a deposit's debt
    // down, in the staker's favour. Sheaf rounds every step against the staker (never by more
    // than one unit per action), so Bob (exact 11831.5) and Carol get one unit less and the farm
    // keeps 3 units of dust instead of 1.
    assert_eq!(
        [shf(&s, ALICE), shf(&s, BOB), shf(&s, CAROL)],
        [11600, 11830, 26567]
    );
    assert_eq!(shf(&s, MASTER_CHEF), 3);
    for user in [ALICE, BOB, CAROL] {
        assert_eq!(s.token_balance(&LP, &user), U256::from(1000));
    }
}

#[test]
fn masterchef_v1_allocation_per_pool_vector() {
    let mut s = chain(1000);
    add_farm(&mut s, LP, 10, 400, &mut vec![]).unwrap();
    deposit(&mut s, 410, ALICE, 0, 10);
    // Adding a farm settles the others first at the old split.
    add_farm(&mut s, LP2, 20, 420, &mut vec![]).unwrap();
    assert_eq!(pending(&mut s, 420, ALICE, 0), 10_000);
    deposit(&mut s, 425, BOB, 1, 5);
    assert_eq!(pending(&mut s, 425, ALICE, 0), 11_666);
    assert_eq!(pending(&mut s, 430, ALICE, 0), 13_333);
    assert_eq!(pending(&mut s, 430, BOB, 1), 3_333);
}

#[test]
fn masterchef_v1_no_one_deposits_vector() {
    let mut s = chain(1000);
    add_farm(&mut s, LP, 100, 200, &mut vec![]).unwrap();
    // Nothing is minted while no one stakes.
    run(
        &mut s,
        204,
        ALICE,
        IMasterChef::updatePoolCall { pid: U256::ZERO },
    )
    .unwrap();
    assert_eq!(s.token_supply(&SHF), U256::ZERO);
    deposit(&mut s, 210, BOB, 0, 10);
    assert_eq!(s.token_supply(&SHF), U256::ZERO);
    assert_eq!(s.token_balance(&LP, &BOB), U256::from(990));
    v1_withdraw(&mut s, 220, BOB, 10);
    assert_eq!(s.token_supply(&SHF), U256::from(10_000));
    assert_eq!(shf(&s, BOB), 10_000);
    assert_eq!(s.token_balance(&LP, &BOB), U256::from(1000));
}

#[test]
fn emergency_withdraw_returns_stake_and_forfeits_rewards() {
    let mut s = chain(1000);
    add_farm(&mut s, LP, 1, 0, &mut vec![]).unwrap();
    deposit(&mut s, 1, ALICE, 0, 100);
    assert_eq!(s.token_balance(&LP, &ALICE), U256::from(900));
    assert_eq!(pending(&mut s, 5, ALICE, 0), 4000);
    let c = IMasterChef::emergencyWithdrawCall {
        pid: U256::ZERO,
        to: ALICE,
    };
    run(&mut s, 5, ALICE, c).unwrap();
    assert_eq!(s.token_balance(&LP, &ALICE), U256::from(1000));
    assert_eq!(pending(&mut s, 9, ALICE, 0), 0);
    harvest(&mut s, 9, ALICE, 0);
    assert_eq!(shf(&s, ALICE), 0, "forfeited");
}

/// Two stakers with different amounts entering and leaving at different blocks, and an
/// allocation change halfway, all computed by hand.
#[test]
fn two_stakers_and_an_allocation_change_get_exactly_their_share() {
    let mut s = chain(600);
    add_farm(&mut s, LP, 1, 100, &mut vec![]).unwrap();
    add_farm(&mut s, LP2, 2, 100, &mut vec![]).unwrap();
    // Farm 0 gets 1/3 of 600 = 200 a block.
    deposit(&mut s, 100, ALICE, 0, 100);
    deposit(&mut s, 110, BOB, 0, 300);
    // Blocks 100..110: alice alone: 2,000. Blocks 110..120: 1:3 of 2,000: 500 / 1,500.
    set_allocation(&mut s, 0, 5, 120, &mut vec![]).unwrap();
    // Now farm 0 gets 5/7 of 600 = 428.57 a block: over 7 blocks exactly 3,000 (750 / 2,250).
    withdraw(&mut s, 127, BOB, 0, 300);
    // Blocks 127..131: alice alone, 4 * 428.57 = 1,714 minted.
    assert_eq!(pending(&mut s, 127, ALICE, 0), 2000 + 500 + 750);
    assert_eq!(pending(&mut s, 127, BOB, 0), 1500 + 2250);
    harvest(&mut s, 131, ALICE, 0);
    harvest(&mut s, 131, BOB, 0);
    assert_eq!(shf(&s, ALICE), 2000 + 500 + 750 + 1714);
    assert_eq!(shf(&s, BOB), 3750);
    // Farm 1 never had stake: nothing was minted for it.
    assert_eq!(s.token_supply(&SHF), U256::from(2000 + 2000 + 3000 + 1714));
}

#[test]
fn a_farm_can_stake_the_reward_token_itself() {
    let mut s = chain(1000);
    s.genesis_mint_token(&SHF, &ALICE, U256::from(100)).unwrap();
    s.set_allowance(&SHF, &ALICE, &MASTER_CHEF, U256::MAX);
    add_farm(&mut s, SHF, 1, 0, &mut vec![]).unwrap();
    deposit(&mut s, 1, ALICE, 0, 100);
    // The rewards sitting in the farm do not dilute the stake: 10 blocks pay 10,000.
    harvest(&mut s, 11, ALICE, 0);
    assert_eq!(shf(&s, ALICE), 10_000);
    withdraw(&mut s, 11, ALICE, 0, 100);
    assert_eq!(shf(&s, ALICE), 10_100);
    assert_eq!(shf(&s, MASTER_CHEF), 0);
}

#[test]
fn bad_calls_revert_with_typed_errors_and_change_nothing() {
    let mut s = chain(1000);
    assert_eq!(
        add_farm(&mut s, Address::repeat_byte(0x99), 1, 0, &mut vec![])
            .unwrap_err()
            .to_string(),
        format!("{} is not a token", Address::repeat_byte(0x99))
    );
    add_farm(&mut s, LP, 1, 0, &mut vec![]).unwrap();
    assert!(
        add_farm(&mut s, LP, 1, 0, &mut vec![])
            .unwrap_err()
            .to_string()
            .contains("already farmed")
    );
    deposit(&mut s, 1, ALICE, 0, 10);

    let too_much = IMasterChef::withdrawCall {
        pid: U256::ZERO,
        amount: U256::from(11),
        to: ALICE,
    };
    let Err(err) = run(&mut Delta::new(&s), 2, ALICE, too_much) else {
        panic!("too_much must revert")
    };
    assert_eq!(
        err.data().as_ref(),
        IMasterChef::InsufficientStake {
            staked: U256::from(10),
            requested: U256::from(11)
        }
        .abi_encode()
    );
    let unknown = IMasterChef::depositCall {
        pid: U256::from(7),
        amount: U256::from(1),
        to: ALICE,
    };
    let Err(err) = run(&mut Delta::new(&s), 2, ALICE, unknown) else {
        panic!("unknown must revert")
    };
    assert_eq!(
        err.data().as_ref(),
        IMasterChef::UnknownFarm { pid: U256::from(7) }.abi_encode()
    );
    let zero_to = IMasterChef::harvestCall {
        pid: U256::ZERO,
        to: Address::ZERO,
    };
    assert!(run(&mut Delta::new(&s), 2, ALICE, zero_to).is_err());
    // More than the caller holds: the token's own EIP-6093 error.
    let broke = IMasterChef::depositCall {
        pid: U256::ZERO,
        amount: U256::from(5000),
        to: ALICE,
    };
    let Err(err) = run(&mut Delta::new(&s), 2, ALICE, broke) else {
        panic!("broke must revert")
    };
    assert_eq!(
        err.data().as_ref(),
        IERC20::ERC20InsufficientBalance {
            sender: ALICE,
            balance: U256::from(990),
            needed: U256::from(5000)
        }
        .abi_encode()
    );
    assert_eq!(s.stake(0, &ALICE).amount, U256::from(10));
}
