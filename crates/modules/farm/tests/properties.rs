//! Random sequences of deposits, withdrawals, harvests, emergency withdrawals, allocation changes
//! and empty blocks over two farms and three stakers, checked against an exact reference:
//! - SHF is created only by farm emission, and never more than `rewardPerBlock` a block;
//! - paid plus pending never exceeds a staker's exact share, and falls short of it by less than
//!   one unit per action (plus one for the final view);
//! - the farm always holds every pending reward, and exactly the stakes it records.

#![allow(clippy::unwrap_used)]

use alloy_primitives::{Address, U256, U512};
use proptest::prelude::*;
use sheaf_abi::{IMasterChef, system::MASTER_CHEF};
use sheaf_bank::{BankRead, BankWrite, TokenMeta};
use sheaf_farm::{FarmRead, add_farm, call, set_allocation};
use sheaf_module_api::{BlockContext, CallEnv};
use sheaf_state::{Delta, EmptyState};

use alloy_sol_types::SolCall;

const SHF: Address = Address::repeat_byte(0x5f);
const TOKENS: [Address; 2] = [Address::repeat_byte(0x11), Address::repeat_byte(0x22)];
const RATE: u64 = 1_000_000_007;
/// Scale of the reference's fixed point: far finer than the farm's 1e36.
const SCALE: u128 = 1 << 100;

fn user(i: usize) -> Address {
    Address::with_last_byte(0xa0 + i as u8)
}

#[derive(Debug, Clone)]
enum Op {
    Deposit { user: usize, pid: u64, amount: u64 },
    Withdraw { user: usize, pid: u64, amount: u64 },
    Harvest { user: usize, pid: u64 },
    Emergency { user: usize, pid: u64 },
    SetAlloc { pid: u64, alloc: u64 },
    Blocks(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3, 0u64..2, 1u64..10_000_000).prop_map(|(user, pid, amount)| Op::Deposit {
            user,
            pid,
            amount
        }),
        (0usize..3, 0u64..2, 1u64..10_000_000).prop_map(|(user, pid, amount)| Op::Withdraw {
            user,
            pid,
            amount
        }),
        (0usize..3, 0u64..2).prop_map(|(user, pid)| Op::Harvest { user, pid }),
        (0usize..3, 0u64..2).prop_map(|(user, pid)| Op::Emergency { user, pid }),
        (0u64..2, 0u64..5).prop_map(|(pid, alloc)| Op::SetAlloc { pid, alloc }),
        (1u64..20).prop_map(Op::Blocks),
    ]
}

/// The exact reference for one farm: what each staker has earned, in units of 1/SCALE.
#[derive(Default, Clone)]
struct Reference {
    stake: [U256; 3],
    earned: [U512; 3],
    last: u64,
}

struct World {
    state: Delta<EmptyState>,
    refs: [Reference; 2],
    alloc: [u64; 2],
    /// Paid per farm and staker since its last emergency withdrawal.
    paid: [[U256; 3]; 2],
    paid_total: U256,
    actions: [[u64; 3]; 2],
    height: u64,
}

impl World {
    /// Mirrors `update_farm`: the farm mints `blocks * rate * alloc / total` for its stakers, and
    /// each earns it in proportion to its stake, exactly.
    fn settle(&mut self, pid: usize) {
        let r = &mut self.refs[pid];
        let total: U256 = r.stake.iter().copied().sum();
        let total_alloc = self.alloc[0] + self.alloc[1];
        if self.height > r.last && !total.is_zero() && self.alloc[pid] > 0 {
            let minted =
                U256::from(self.height - r.last) * U256::from(RATE) * U256::from(self.alloc[pid])
                    / U256::from(total_alloc);
            for i in 0..3 {
                r.earned[i] += U512::from(minted) * U512::from(r.stake[i]) * U512::from(SCALE)
                    / U512::from(total);
            }
        }
        r.last = self.height;
    }

    fn call<C: SolCall>(&mut self, caller: Address, c: C) -> bool {
        let env = CallEnv {
            caller,
            to: MASTER_CHEF,
            value: U256::ZERO,
            block: BlockContext {
                height: self.height,
                timestamp: self.height,
                proposer: Address::ZERO,
                base_fee: 0,
            },
        };
        let mut overlay = Delta::new(&self.state);
        let ok = call(&mut overlay, &env, &c.abi_encode(), &mut vec![]).is_ok();
        if ok {
            let changes = overlay.into_changes();
            self.state.apply(changes);
        }
        ok
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn rewards_are_conserved_and_exact_within_rounding(ops in proptest::collection::vec(op(), 1..80)) {
        let mut state = Delta::new(EmptyState);
        let meta = |minter| TokenMeta { name: "T".into(), symbol: "T".into(), decimals: 18, minter };
        state.create_token(SHF, meta(MASTER_CHEF), &Address::ZERO, U256::ZERO, &mut vec![]);
        sheaf_farm::init(&mut state, SHF, U256::from(RATE));
        let mut initial = U256::ZERO;
        for token in TOKENS {
            state.create_token(token, meta(Address::ZERO), &Address::ZERO, U256::ZERO, &mut vec![]);
            for i in 0..3 {
                state.genesis_mint_token(&token, &user(i), U256::from(100_000_000u64)).unwrap();
                state.set_allowance(&token, &user(i), &MASTER_CHEF, U256::MAX);
                initial += U256::from(100_000_000u64);
            }
            add_farm(&mut state, token, 1, 1, &mut vec![]).unwrap();
        }
        let mut w = World {
            state,
            refs: Default::default(),
            alloc: [1, 1],
            paid: [[U256::ZERO; 3]; 2],
            paid_total: U256::ZERO,
            actions: [[0; 3]; 2],
            height: 1,
        };
        for r in &mut w.refs {
            r.last = 1;
        }

        for op in ops {
            match op {
                Op::Deposit { user: u, pid, amount } => {
                    let p = pid as usize;
                    let c = IMasterChef::depositCall { pid: U256::from(pid), amount: U256::from(amount), to: user(u) };
                    // A reverted call's farm update is discarded with it, so the reference
                    // settles only for calls that succeed.
                    if w.call(user(u), c) {
                        w.settle(p);
                        w.refs[p].stake[u] += U256::from(amount);
                        w.actions[p][u] += 1;
                    }
                }
                Op::Withdraw { user: u, pid, amount } => {
                    let p = pid as usize;
                    let c = IMasterChef::withdrawCall { pid: U256::from(pid), amount: U256::from(amount), to: user(u) };
                    let ok = w.call(user(u), c);
                    prop_assert_eq!(ok, w.refs[p].stake[u] >= U256::from(amount));
                    if ok {
                        w.settle(p);
                        w.refs[p].stake[u] -= U256::from(amount);
                        w.actions[p][u] += 1;
                    }
                }
                Op::Harvest { user: u, pid } => {
                    let p = pid as usize;
                    let before = w.state.token_balance(&SHF, &user(u));
                    w.settle(p);
                    let c = IMasterChef::harvestCall { pid: U256::from(pid), to: user(u) };
                    prop_assert!(w.call(user(u), c));
                    let paid = w.state.token_balance(&SHF, &user(u)) - before;
                    w.paid[p][u] += paid;
                    w.paid_total += paid;
                    w.actions[p][u] += 1;
                }
                Op::Emergency { user: u, pid } => {
                    let p = pid as usize;
                    let c = IMasterChef::emergencyWithdrawCall { pid: U256::from(pid), to: user(u) };
                    prop_assert!(w.call(user(u), c));
                    // Forfeits what it had not harvested, without settling the farm: the blocks
                    // since its last update go to whoever still stakes when it next updates.
                    w.refs[p].stake[u] = U256::ZERO;
                    w.refs[p].earned[u] = U512::ZERO;
                    w.paid[p][u] = U256::ZERO;
                    w.actions[p][u] = 0;
                }
                Op::SetAlloc { pid, alloc } => {
                    if w.alloc[0] + w.alloc[1] - w.alloc[pid as usize] + alloc == 0 {
                        continue;
                    }
                    w.settle(0);
                    w.settle(1);
                    set_allocation(&mut w.state, pid, alloc, w.height, &mut vec![]).unwrap();
                    w.alloc[pid as usize] = alloc;
                }
                Op::Blocks(n) => w.height += n,
            }

            // Stake is what the records say, and the farm holds exactly that.
            for (p, token) in TOKENS.iter().enumerate() {
                let recorded: U256 = w.refs[p].stake.iter().copied().sum();
                prop_assert_eq!(w.state.farm(p as u64).unwrap().total_staked, recorded);
                prop_assert_eq!(w.state.token_balance(token, &MASTER_CHEF), recorded);
                let held: U256 = (0..3).map(|i| w.state.token_balance(token, &user(i))).sum();
                prop_assert_eq!(held + recorded, initial / U256::from(2u8));
            }
        }

        // Mint what the farms owe up to now, so balances can be compared with pending rewards.
        let update = IMasterChef::massUpdatePoolsCall { pids: vec![U256::ZERO, U256::from(1u8)] };
        prop_assert!(w.call(user(0), update));
        // SHF is created only by emission, at most RATE a block.
        let supply = w.state.token_supply(&SHF);
        prop_assert!(supply <= U256::from(w.height - 1) * U256::from(RATE));
        let mut pending_total = U256::ZERO;
        for p in 0..2 {
            w.settle(p);
        }
        for u in 0..3 {
            for p in 0..2 {
                let pending = w.state.pending_reward(p as u64, &user(u), w.height).unwrap();
                pending_total += pending;
                let got = U512::from(w.paid[p][u] + pending) * U512::from(SCALE);
                let exact = w.refs[p].earned[u];
                let actions = U512::from(w.actions[p][u] + 1);
                prop_assert!(got <= exact + U512::from(SCALE), "farm {} user {}: got {} > exact {}", p, u, got, exact);
                prop_assert!(got + actions * U512::from(SCALE) >= exact, "farm {} user {}: got {} exact {} actions {}", p, u, got, exact, actions);
            }
        }
        // The farm holds every pending reward.
        prop_assert!(w.state.token_balance(&SHF, &MASTER_CHEF) >= pending_total);
        prop_assert_eq!(w.paid_total + w.state.token_balance(&SHF, &MASTER_CHEF), supply);
    }
}
