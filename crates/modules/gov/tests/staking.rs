//! Governance staking by hand-computed cases, and conservation across bank, farm and gov staking
//! over random sequences.

#![allow(clippy::unwrap_used)]

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use proptest::prelude::*;
use sheaf_abi::{
    IGovStaking, IMasterChef,
    system::{GOV_STAKING, MASTER_CHEF},
};
use sheaf_bank::{BankRead, BankWrite, TokenMeta, votes};
use sheaf_gov::{GovStakingRead, params};
use sheaf_module_api::{BlockContext, CallEnv, Revert, clock};
use sheaf_state::{Delta, EmptyState, StateWrite};

const SHF: Address = Address::repeat_byte(0x5f);
const GOV: Address = Address::repeat_byte(0x60);
const LP: Address = Address::repeat_byte(0x11);
const GENESIS_SHF: u64 = 1_000_000;

fn user(i: usize) -> Address {
    Address::with_last_byte(0xa0 + i as u8)
}

fn token<S: StateWrite>(s: &mut S, address: Address, minter: Address) {
    let meta = TokenMeta {
        name: "T".into(),
        symbol: "T".into(),
        decimals: 18,
        minter,
    };
    s.create_token(address, meta, &Address::ZERO, U256::ZERO, &mut vec![]);
}

/// SHF (farm-minted, 1,000 a block to one LP farm), GOV (100 a block to SHF stakers), a cooldown
/// of 3 blocks, and three users with SHF and LP approved for both modules.
fn chain() -> Delta<EmptyState> {
    let mut s = Delta::new(EmptyState);
    token(&mut s, SHF, MASTER_CHEF);
    token(&mut s, GOV, GOV_STAKING);
    token(&mut s, LP, Address::ZERO);
    votes::enable(&mut s, &GOV);
    sheaf_farm::init(&mut s, SHF, U256::from(1000));
    sheaf_gov::staking::init(&mut s, SHF, GOV, U256::from(100));
    params::set(&mut s, params::COOLDOWN_BLOCKS, U256::from(3)).unwrap();
    sheaf_farm::add_farm(&mut s, LP, 1, 1, &mut vec![]).unwrap();
    for i in 0..3 {
        s.genesis_mint_token(&SHF, &user(i), U256::from(GENESIS_SHF / 4))
            .unwrap();
        s.genesis_mint_token(&LP, &user(i), U256::from(1000))
            .unwrap();
        for module in [MASTER_CHEF, GOV_STAKING] {
            s.set_allowance(&SHF, &user(i), &module, U256::MAX);
            s.set_allowance(&LP, &user(i), &module, U256::MAX);
        }
    }
    s.genesis_mint_token(&SHF, &user(3), U256::from(GENESIS_SHF / 4))
        .unwrap();
    s
}

fn run<C: SolCall>(
    s: &mut Delta<EmptyState>,
    height: u64,
    caller: Address,
    to: Address,
    c: C,
) -> Result<Vec<u8>, Revert> {
    clock::set_height(s, height);
    let env = CallEnv {
        caller,
        to,
        value: U256::ZERO,
        block: BlockContext {
            height,
            timestamp: height,
            proposer: Address::ZERO,
            base_fee: 0,
        },
    };
    let mut overlay = Delta::new(&*s);
    let data = c.abi_encode();
    let out = if to == MASTER_CHEF {
        sheaf_farm::call(&mut overlay, &env, &data, &mut vec![])
    } else {
        sheaf_gov::staking::call(&mut overlay, &env, &data, &mut vec![])
    }?;
    let changes = overlay.into_changes();
    s.apply(changes);
    Ok(out.to_vec())
}

fn stake(s: &mut Delta<EmptyState>, h: u64, who: Address, amount: u64) -> Result<Vec<u8>, Revert> {
    let c = IGovStaking::stakeCall {
        amount: U256::from(amount),
    };
    run(s, h, who, GOV_STAKING, c)
}

fn gov(s: &Delta<EmptyState>, who: Address) -> U256 {
    s.token_balance(&GOV, &who)
}

#[test]
fn stakers_earn_gov_pro_rata_and_cooling_shf_earns_nothing() {
    let mut s = chain();
    let (a, b) = (user(0), user(1));
    stake(&mut s, 10, a, 100).unwrap();
    stake(&mut s, 20, b, 300).unwrap();
    // Blocks 10..20: a alone, 1,000 GOV. Blocks 20..30: 1:3 of 1,000.
    let unstake = IGovStaking::requestUnstakeCall {
        amount: U256::from(100),
    };
    run(&mut s, 30, a, GOV_STAKING, unstake).unwrap();
    assert_eq!(s.cooldown(&a).end, 33);
    // Blocks 30..40: b alone. a's SHF cools and earns nothing.
    for who in [a, b] {
        run(
            &mut s,
            40,
            who,
            GOV_STAKING,
            IGovStaking::claimCall { to: who },
        )
        .unwrap();
    }
    assert_eq!(gov(&s, a), U256::from(1000 + 250));
    // 1,000 / 300 per share is a repeating fraction: the accumulator keeps it to 36 digits,
    // rounded down, so b's exact 1,750 comes out as 1,749 and the unit stays in the pool.
    assert_eq!(gov(&s, b), U256::from(750 + 1000 - 1));
    assert_eq!(gov(&s, GOV_STAKING), U256::from(1));
    assert_eq!(s.token_supply(&GOV), U256::from(3000));

    // Withdrawal waits for the cooldown.
    let err = run(&mut s, 32, a, GOV_STAKING, IGovStaking::withdrawCall {}).unwrap_err();
    assert_eq!(
        err.data().as_ref(),
        IGovStaking::CooldownNotOver {
            cooldownEnd: U256::from(33),
            blockNumber: U256::from(32)
        }
        .abi_encode()
    );
    let before = s.token_balance(&SHF, &a);
    run(&mut s, 41, a, GOV_STAKING, IGovStaking::withdrawCall {}).unwrap();
    assert_eq!(s.token_balance(&SHF, &a) - before, U256::from(100));
    let err = run(&mut s, 42, a, GOV_STAKING, IGovStaking::withdrawCall {}).unwrap_err();
    assert_eq!(
        err.data().as_ref(),
        IGovStaking::NothingCoolingDown {}.abi_encode()
    );

    // GOV earned by staking votes once delegated, like any GOV.
    votes::delegate(&mut s, &GOV, &b, &b, &mut vec![]);
    assert_eq!(votes::votes(&s, &GOV, &b), U256::from(1749));
}

#[test]
fn a_new_unstake_request_restarts_the_cooldown_for_all_of_it() {
    let mut s = chain();
    let a = user(0);
    stake(&mut s, 10, a, 100).unwrap();
    let unstake = |n: u64| IGovStaking::requestUnstakeCall {
        amount: U256::from(n),
    };
    run(&mut s, 11, a, GOV_STAKING, unstake(40)).unwrap();
    run(&mut s, 13, a, GOV_STAKING, unstake(60)).unwrap();
    assert_eq!(s.cooldown(&a).amount, U256::from(100));
    assert!(run(&mut s, 14, a, GOV_STAKING, IGovStaking::withdrawCall {}).is_err());
    run(&mut s, 16, a, GOV_STAKING, IGovStaking::withdrawCall {}).unwrap();
    let err = run(&mut s, 16, a, GOV_STAKING, unstake(1)).unwrap_err();
    assert_eq!(
        err.data().as_ref(),
        IGovStaking::InsufficientStake {
            staked: U256::ZERO,
            requested: U256::from(1)
        }
        .abi_encode()
    );
    assert_eq!(
        stake(&mut s, 16, a, 0).unwrap_err().data().as_ref(),
        IGovStaking::ZeroAmount {}.abi_encode()
    );
}

#[derive(Debug, Clone)]
enum Op {
    Stake(usize, u64),
    Unstake(usize, u64),
    Withdraw(usize),
    Claim(usize),
    FarmDeposit(usize, u64),
    FarmWithdraw(usize, u64),
    Harvest(usize),
    Transfer(usize, usize, u64),
    Blocks(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3, 0u64..100_000).prop_map(|(u, n)| Op::Stake(u, n)),
        (0usize..3, 0u64..100_000).prop_map(|(u, n)| Op::Unstake(u, n)),
        (0usize..3).prop_map(Op::Withdraw),
        (0usize..3).prop_map(Op::Claim),
        (0usize..3, 0u64..1_000).prop_map(|(u, n)| Op::FarmDeposit(u, n)),
        (0usize..3, 0u64..1_000).prop_map(|(u, n)| Op::FarmWithdraw(u, n)),
        (0usize..3).prop_map(Op::Harvest),
        (0usize..3, 0usize..4, 0u64..100_000).prop_map(|(a, b, n)| Op::Transfer(a, b, n)),
        (1u64..10).prop_map(Op::Blocks),
    ]
}

proptest! {
    /// Whatever happens, every SHF and GOV unit is held by someone, SHF grows only by farm
    /// emission and GOV only by staking emission, and each module holds what it owes.
    #[test]
    fn conservation_across_bank_farm_and_gov(ops in proptest::collection::vec(op(), 1..60)) {
        let mut s = chain();
        let mut h = 2u64;
        for op in ops {
            let _ = match op {
                Op::Stake(u, n) => stake(&mut s, h, user(u), n),
                Op::Unstake(u, n) => run(&mut s, h, user(u), GOV_STAKING, IGovStaking::requestUnstakeCall { amount: U256::from(n) }),
                Op::Withdraw(u) => run(&mut s, h, user(u), GOV_STAKING, IGovStaking::withdrawCall {}),
                Op::Claim(u) => run(&mut s, h, user(u), GOV_STAKING, IGovStaking::claimCall { to: user(u) }),
                Op::FarmDeposit(u, n) => run(&mut s, h, user(u), MASTER_CHEF, IMasterChef::depositCall { pid: U256::ZERO, amount: U256::from(n), to: user(u) }),
                Op::FarmWithdraw(u, n) => run(&mut s, h, user(u), MASTER_CHEF, IMasterChef::withdrawCall { pid: U256::ZERO, amount: U256::from(n), to: user(u) }),
                Op::Harvest(u) => run(&mut s, h, user(u), MASTER_CHEF, IMasterChef::harvestCall { pid: U256::ZERO, to: user(u) }),
                Op::Transfer(a, b, n) => {
                    clock::set_height(&mut s, h);
                    s.transfer_token(&SHF, &user(a), &user(b), U256::from(n), &mut vec![]).map(|_| vec![])
                }
                Op::Blocks(n) => { h += n; Ok(vec![]) }
            };

            // Every unit of each token is held by someone.
            let holders = [user(0), user(1), user(2), user(3), MASTER_CHEF, GOV_STAKING];
            for t in [SHF, GOV, LP] {
                let held: U256 = holders.iter().map(|a| s.token_balance(&t, a)).sum();
                prop_assert_eq!(held, s.token_supply(&t));
            }
            // Governance staking holds exactly the SHF staked and cooling.
            let cooling: U256 = (0..3).map(|i| s.cooldown(&user(i)).amount).sum();
            let staked: U256 = (0..3).map(|i| s.gov_stake(&user(i)).amount).sum();
            prop_assert_eq!(s.gov_pool().total_staked, staked);
            prop_assert_eq!(s.token_balance(&SHF, &GOV_STAKING), staked + cooling);
            // It holds every GOV it owes as of its last update.
            let pool = s.gov_pool();
            let owed: U256 = (0..3).map(|i| s.gov_stake(&user(i)).pending(pool.acc_gov_per_share).unwrap()).sum();
            prop_assert!(s.token_balance(&GOV, &GOV_STAKING) >= owed);
            // SHF grows only by farm emission (1,000 a block at most), GOV by staking's (100).
            prop_assert!(s.token_supply(&SHF) <= U256::from(GENESIS_SHF + 1000 * h));
            prop_assert!(s.token_supply(&GOV) <= U256::from(100 * h));
        }
    }
}
