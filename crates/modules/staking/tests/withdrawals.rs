//! Capella's withdrawals sweep (`get_expected_withdrawals`, `specs/capella/beacon-chain.md`):
//! nothing before the upgrade height; then partial withdrawals of the excess over 32 ETH for
//! active validators, full withdrawals for withdrawable ones, at most `maxWithdrawalsPerBlock`
//! per block, resuming where the last sweep stopped.

use alloy_primitives::{Address, B256, U256};
use sheaf_bank::BankRead;
use sheaf_module_api::clock;
use sheaf_staking::{
    GWEI_PER_ETH, GenesisValidator, RegistryRead, StakingParams, end_block, init_genesis,
};
use sheaf_state::{Delta, EmptyState};

fn owner(i: u64) -> Address {
    Address::with_last_byte(0x40 + i as u8)
}

#[test]
fn sweep_pays_excess_balances_in_rolling_order_after_the_upgrade() {
    let p = StakingParams {
        withdrawals_height: 5,
        max_withdrawals_per_block: 2,
        ..StakingParams::dev()
    };
    let mut s = Delta::new(EmptyState);
    // Validators 0..5 hold 32 + i ETH (all active from genesis): 1..4 have an excess.
    let validators: Vec<GenesisValidator> = (0..5u64)
        .map(|i| GenesisValidator {
            pubkey: B256::from(alloy_primitives::keccak256(i.to_be_bytes())),
            withdrawal_address: owner(i),
            fee_recipient: owner(i),
            balance_gwei: (32 + i) * GWEI_PER_ETH,
        })
        .collect();
    init_genesis(&mut s, &p, 1, &validators).expect("genesis");

    // Before the upgrade, nothing moves.
    for h in 1..5 {
        clock::set_height(&mut s, h);
        assert!(
            end_block(&mut s, h, &mut vec![])
                .expect("end")
                .withdrawals
                .is_empty()
        );
    }
    // Height 5: the sweep starts at validator 0 and stops after two payments (1 and 2).
    clock::set_height(&mut s, 5);
    let paid = end_block(&mut s, 5, &mut vec![]).expect("end").withdrawals;
    let got: Vec<(u64, u64, u64)> = paid
        .iter()
        .map(|w| (w.index, w.validator_index, w.amount_gwei))
        .collect();
    assert_eq!(got, vec![(0, 1, GWEI_PER_ETH), (1, 2, 2 * GWEI_PER_ETH)]);
    // Height 6 resumes after validator 2.
    clock::set_height(&mut s, 6);
    let paid = end_block(&mut s, 6, &mut vec![]).expect("end").withdrawals;
    let got: Vec<(u64, u64, u64)> = paid
        .iter()
        .map(|w| (w.index, w.validator_index, w.amount_gwei))
        .collect();
    assert_eq!(
        got,
        vec![(2, 3, 3 * GWEI_PER_ETH), (3, 4, 4 * GWEI_PER_ETH)]
    );
    for i in 0..5u64 {
        assert_eq!(
            s.validator(i).expect("validator").balance,
            32 * GWEI_PER_ETH
        );
        assert_eq!(
            s.eth_balance(&owner(i)),
            U256::from(i) * U256::from(10u64).pow(U256::from(18u64))
        );
    }
    // Nothing left over 32 ETH: the next sweep pays nothing.
    clock::set_height(&mut s, 7);
    assert!(
        end_block(&mut s, 7, &mut vec![])
            .expect("end")
            .withdrawals
            .is_empty()
    );
}
