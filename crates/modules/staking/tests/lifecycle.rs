//! Random validator lifecycles through the module's own entry points (deposits, exits, unjails as
//! calls; votes and evidence through `begin_block`; `end_block`), checking after every block:
//! - ETH: supply = genesis + issued − burned exactly, and the deposit contract holds exactly
//!   the validators' balances (balances are unsigned: they never go below zero);
//! - a validator is slashed at most once, whatever evidence repeats;
//! - expired, future and unknown-validator evidence is rejected and changes nothing.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use proptest::prelude::*;
use sheaf_abi::{IDepositContract, IStaking, system::DEPOSIT_CONTRACT};
use sheaf_bank::{BankRead, BankWrite};
use sheaf_module_api::{BlockContext, CallEnv, clock};
use sheaf_staking::{
    Evidence, EvidenceRejected, GWEI_PER_ETH, GenesisValidator, RegistryRead, StakingParams, Vote,
    begin_block, calls, consensus_address, deposit, end_block, init_genesis,
};
use sheaf_state::{Delta, EmptyState};

const CHAIN: u64 = 7;

fn owner(i: u8) -> Address {
    Address::with_last_byte(0x10 + i)
}

fn secret(i: u8) -> [u8; 32] {
    [i + 1; 32]
}

fn pubkey(i: u8) -> B256 {
    B256::from(
        ed25519_dalek::SigningKey::from_bytes(&secret(i))
            .verifying_key()
            .to_bytes(),
    )
}

#[derive(Debug, Clone)]
enum Op {
    Offline(u8),
    Online(u8),
    Evidence { validator: u8, age: u64 },
    UnknownEvidence,
    Deposit { validator: u8, eth: u64 },
    Exit(u8),
    Unjail(u8),
    Blocks(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..8).prop_map(Op::Offline),
        (0u8..8).prop_map(Op::Online),
        (0u8..8, 0u64..40).prop_map(|(validator, age)| Op::Evidence { validator, age }),
        Just(Op::UnknownEvidence),
        (4u8..8, 1u64..40).prop_map(|(validator, eth)| Op::Deposit { validator, eth }),
        (0u8..8).prop_map(Op::Exit),
        (0u8..8).prop_map(Op::Unjail),
        (1u64..15).prop_map(Op::Blocks),
    ]
}

struct World {
    state: Delta<EmptyState>,
    height: u64,
    genesis_supply: U256,
    offline: [bool; 8],
    slashed_events: Vec<u64>,
}

impl World {
    fn call<C: SolCall>(&mut self, caller: Address, value: U256, c: C) -> bool {
        let mut overlay = Delta::new(&self.state);
        // As the app does: the value moves to the callee before the call.
        if overlay
            .transfer_eth(&caller, &DEPOSIT_CONTRACT, value)
            .is_err()
        {
            return false;
        }
        let env = CallEnv {
            caller,
            to: DEPOSIT_CONTRACT,
            value,
            block: BlockContext {
                height: self.height,
                timestamp: self.height,
                proposer: Address::ZERO,
                base_fee: 0,
            },
        };
        let ok = calls::call(&mut overlay, &env, &c.abi_encode(), &mut vec![]).is_ok();
        if ok {
            let changes = overlay.into_changes();
            self.state.apply(changes);
        }
        ok
    }

    fn block(&mut self, evidence: &[Evidence]) -> Vec<EvidenceRejected> {
        self.height += 1;
        let h = self.height;
        clock::set_height(&mut self.state, h);
        let votes: Vec<Vote> = self
            .state
            .validators()
            .iter()
            .filter(|v| v.power > 0)
            .map(|v| Vote {
                validator: v.consensus_address(),
                signed: !self.offline.get(v.index as usize).copied().unwrap_or(false),
            })
            .collect();
        let proposer = votes.first().map(|v| v.validator).unwrap_or_default();
        let mut logs = vec![];
        let (_, rejected) =
            begin_block(&mut self.state, h, &proposer, &votes, evidence, &mut logs).expect("begin");
        end_block(&mut self.state, h, &mut logs).expect("end");
        for log in logs {
            if let Ok(e) = IStaking::ValidatorSlashed::decode_log_data(&log.data) {
                self.slashed_events.push(e.index);
            }
        }
        rejected
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let s = &self.state;
        prop_assert_eq!(
            s.eth_supply(),
            self.genesis_supply + s.eth_issued() - s.eth_burned()
        );
        let staked: u64 = s.validators().iter().map(|v| v.balance).sum();
        prop_assert_eq!(
            s.eth_balance(&DEPOSIT_CONTRACT),
            U256::from(staked) * U256::from(GWEI_PER_ETH)
        );
        let mut seen = self.slashed_events.clone();
        seen.sort_unstable();
        let before = seen.len();
        seen.dedup();
        prop_assert_eq!(before, seen.len(), "a validator was slashed twice");
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_lifecycles_conserve_eth_and_slash_once(ops in proptest::collection::vec(op(), 1..40)) {
        let mut state = Delta::new(EmptyState);
        let p = StakingParams::dev();
        let genesis: Vec<GenesisValidator> = (0..4u8)
            .map(|i| GenesisValidator {
                pubkey: pubkey(i),
                withdrawal_address: owner(i),
                fee_recipient: owner(i),
                balance_gwei: 32 * GWEI_PER_ETH,
            })
            .collect();
        init_genesis(&mut state, &StakingParams { withdrawals_height: 60, ..p }, CHAIN, &genesis).expect("genesis");
        for i in 0..8 {
            state.genesis_mint_eth(&owner(i), U256::from(1000u64) * U256::from(10u64).pow(U256::from(18u64))).expect("fund");
        }
        let genesis_supply = state.eth_supply();
        let mut w = World { state, height: 0, genesis_supply, offline: [false; 8], slashed_events: vec![] };

        for op in ops {
            match op {
                Op::Offline(i) => w.offline[i as usize] = true,
                Op::Online(i) => w.offline[i as usize] = false,
                Op::Blocks(n) => {
                    for _ in 0..n {
                        w.block(&[]);
                        w.check()?;
                    }
                }
                Op::Evidence { validator, age } => {
                    let known = w.state.validator_by_pubkey(&pubkey(validator));
                    let before = known.as_ref().map(|v| (v.slashed, v.balance));
                    let e = Evidence { validator: consensus_address(&pubkey(validator)), height: (w.height + 1).saturating_sub(age) };
                    let rejected = w.block(&[e]);
                    if let (Some((was_slashed, _)), false) = (before, rejected.is_empty()) {
                        // Rejected evidence slashes nothing.
                        let after = w.state.validator_by_pubkey(&pubkey(validator)).expect("known");
                        prop_assert_eq!(after.slashed, was_slashed);
                    }
                    if before.is_none() {
                        prop_assert!(matches!(rejected[0], EvidenceRejected::UnknownValidator(_)));
                    }
                }
                Op::UnknownEvidence => {
                    let e = Evidence { validator: [0xee; 20], height: w.height };
                    let future = Evidence { validator: consensus_address(&pubkey(0)), height: w.height + 5 };
                    let expired = Evidence { validator: consensus_address(&pubkey(0)), height: 0 };
                    let rejected = w.block(&[e, future, expired]);
                    prop_assert!(matches!(rejected[0], EvidenceRejected::UnknownValidator(_)));
                    prop_assert!(rejected.len() >= 2);
                }
                Op::Deposit { validator, eth } => {
                    let credentials = deposit::address_credentials(&owner(validator));
                    let gwei = eth * GWEI_PER_ETH;
                    let (key, signature) = deposit::sign_deposit(CHAIN, &secret(validator), &credentials, gwei);
                    let root = deposit::deposit_data_root(&key, &credentials, gwei, &signature);
                    let c = IDepositContract::depositCall {
                        pubkey: Bytes::copy_from_slice(key.as_slice()),
                        withdrawal_credentials: Bytes::copy_from_slice(credentials.as_slice()),
                        signature: Bytes::copy_from_slice(&signature),
                        deposit_data_root: B256::from(root),
                    };
                    let value = U256::from(gwei) * U256::from(GWEI_PER_ETH);
                    prop_assert!(w.call(owner(validator), value, c));
                }
                Op::Exit(i) => {
                    let _ = w.call(owner(i), U256::ZERO, IStaking::exitCall { pubkey: pubkey(i) });
                }
                Op::Unjail(i) => {
                    let _ = w.call(owner(i), U256::ZERO, IStaking::unjailCall { pubkey: pubkey(i) });
                }
            }
            w.check()?;
        }
        // Run on past the withdrawals height: everything withdrawable is paid out.
        for _ in 0..40 {
            w.block(&[]);
            w.check()?;
        }
    }
}

#[test]
fn missing_exactly_the_threshold_jails_and_one_fewer_does_not() {
    for (misses, jailed) in [(9u64, false), (10, true)] {
        let mut state = Delta::new(EmptyState);
        let genesis: Vec<GenesisValidator> = (0..4u8)
            .map(|i| GenesisValidator {
                pubkey: pubkey(i),
                withdrawal_address: owner(i),
                fee_recipient: owner(i),
                balance_gwei: 32 * GWEI_PER_ETH,
            })
            .collect();
        init_genesis(&mut state, &StakingParams::dev(), CHAIN, &genesis).expect("genesis");
        let genesis_supply = state.eth_supply();
        let mut w = World {
            state,
            height: 0,
            genesis_supply,
            offline: [false; 8],
            slashed_events: vec![],
        };
        w.offline[3] = true;
        for _ in 0..misses {
            w.block(&[]);
        }
        w.offline[3] = false;
        for _ in 0..5 {
            w.block(&[]);
        }
        let v = w.state.validator_by_pubkey(&pubkey(3)).expect("validator");
        assert_eq!(v.is_jailed(), jailed, "{misses} misses");
    }
}
