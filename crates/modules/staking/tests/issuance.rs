//! With every validator online, issuance per unit of time is Ethereum's maximum for the same
//! stake: `b = 64e9 / isqrt(total Gwei)` Gwei per ETH staked per 384 s (Altair,
//! `specs/altair/beacon-chain.md`), about 166.3·√N ETH a year for N ETH staked
//! (../shared/reference/validators.md §3). Checked over whole epochs through the module's own
//! block and epoch processing, for the mainnet and dev presets.

use alloy_primitives::{Address, B256};
use sheaf_bank::BankRead;
use sheaf_module_api::clock;
use sheaf_staking::{
    GWEI_PER_ETH, GenesisValidator, StakingParams, Vote, begin_block, consensus_address, end_block,
    init_genesis, spec,
};
use sheaf_state::{Delta, EmptyState};

fn key(i: u64) -> B256 {
    B256::from(alloy_primitives::keccak256(i.to_be_bytes()))
}

/// Runs `epochs` epochs with all `n` validators signing every block; returns Gwei issued.
fn issued(p: StakingParams, n: u64, epochs: u64) -> (u64, u64) {
    let mut s = Delta::new(EmptyState);
    let validators: Vec<GenesisValidator> = (0..n)
        .map(|i| GenesisValidator {
            pubkey: key(i),
            withdrawal_address: Address::with_last_byte(1),
            fee_recipient: Address::with_last_byte(1),
            balance_gwei: 32 * GWEI_PER_ETH,
        })
        .collect();
    init_genesis(&mut s, &p, 1, &validators).expect("genesis");
    let votes: Vec<Vote> = (0..n)
        .map(|i| Vote {
            validator: consensus_address(&key(i)),
            signed: true,
        })
        .collect();
    // Start at the first block of epoch 1, so every counted epoch is whole.
    let start = p.epoch_blocks;
    for height in 1..start {
        clock::set_height(&mut s, height);
        begin_block(
            &mut s,
            height,
            &votes[0].validator,
            &votes,
            &[],
            &mut vec![],
        )
        .expect("begin");
        end_block(&mut s, height, &mut vec![]).expect("end");
    }
    let before = s.eth_issued();
    for height in start..start + epochs * p.epoch_blocks {
        clock::set_height(&mut s, height);
        let proposer = votes[(height % n) as usize].validator;
        begin_block(&mut s, height, &proposer, &votes, &[], &mut vec![]).expect("begin");
        end_block(&mut s, height, &mut vec![]).expect("end");
    }
    let gwei =
        u64::try_from((s.eth_issued() - before) / alloy_primitives::U256::from(GWEI_PER_ETH))
            .expect("fits");
    let total = n * 32 * GWEI_PER_ETH;
    // Ethereum: b Gwei per increment per 384 s.
    let b = spec::base_reward_per_increment(&p, total);
    let seconds = epochs * p.epoch_blocks * p.seconds_per_block;
    (gwei, b * n * 32 * seconds / 384)
}

#[test]
fn mainnet_issuance_equals_ethereums_maximum() {
    // 200 validators, 6,400 ETH: b = 64e9 / isqrt(6.4e12) = 25,298 Gwei per increment per epoch.
    let (got, expected) = issued(StakingParams::mainnet(), 200, 3);
    assert_eq!(
        spec::base_reward_per_increment(&StakingParams::mainnet(), 6_400 * GWEI_PER_ETH),
        25_298
    );
    // Rounding: at most one Gwei per validator per epoch for each of the signing and proposer
    // rewards, against b computed with one more division than the per-block formula.
    assert!(got <= expected + 200 * 3 * 32, "{got} vs {expected}");
    assert!(
        expected - got.min(expected) <= 2 * 200 * 3,
        "{got} vs {expected}"
    );
    // A year at this rate is 166.3·√N ETH for N = 6,400 (13,303 ETH), within 0.1%.
    let per_year = got as f64 / (3.0 * 384.0) * 31_557_600.0 / 1e9;
    let formula = 166.3 * (6_400f64).sqrt();
    assert!(
        (per_year / formula - 1.0).abs() < 1e-3,
        "{per_year} vs {formula}"
    );
}

#[test]
fn dev_preset_issues_the_same_per_second() {
    let (got, expected) = issued(StakingParams::dev(), 50, 4);
    assert!(
        got <= expected + 50 * 4 * 32 && expected - got.min(expected) <= 2 * 50 * 4,
        "{got} vs {expected}"
    );
}
