//! Farming and governance on the dev genesis, through signed transactions in blocks: the farm
//! pays SHF per block, governance staking pays GOV, and a proposal changes a farm's allocation,
//! which changes what the farm emits.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use sheaf_abi::{
    IERC20, IGovStaking, IGovernor, IMasterChef,
    system::{GOV_STAKING, GOVERNOR, MASTER_CHEF},
};
use sheaf_app::{Genesis, genesis::DEV_KEYS, test_node::TestNode};
use sheaf_bank::BankRead;
use sheaf_farm::FarmRead;
use sheaf_gov::{Action, GovernorRead, ProposalRequest};
use sheaf_primitives::ETHER;
use sheaf_tx::sign::Signer;

const T0: u64 = 1_700_000_000;

struct Dev {
    node: TestNode,
}

impl Dev {
    /// Sends one transaction in its own block; returns whether it succeeded and why not.
    fn send<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> (bool, String) {
        let signer = Signer::new(DEV_KEYS[from].1).expect("key");
        self.node
            .execute_one(&signer, to, U256::ZERO, call.abi_encode(), 2_000_000)
    }

    fn ok<C: SolCall>(&mut self, from: usize, to: Address, call: C) {
        let (success, reason) = self.send(from, to, call);
        assert!(success, "reverted: {reason}");
    }
}

fn addr(i: usize) -> Address {
    DEV_KEYS[i].0
}

#[test]
fn farming_and_governance_through_transactions() {
    let mut dev = Dev {
        node: TestNode::new(&Genesis::dev(T0)),
    };
    let s = dev.node.snapshot();
    let shf = s.reward_token();
    let lp = s.farm(0).expect("farm 0").staked_token;
    let lp_held = s.token_balance(&lp, &addr(0));
    assert!(lp_held > U256::ZERO);
    assert_eq!(s.token_meta(&shf).expect("SHF").minter, MASTER_CHEF);
    drop(s);

    // Farm: deposit the genesis LP, wait, harvest. Farm 0 has 100 of 150 points of 10 SHF.
    dev.ok(
        0,
        lp,
        IERC20::approveCall {
            spender: MASTER_CHEF,
            value: lp_held,
        },
    );
    dev.ok(
        0,
        MASTER_CHEF,
        IMasterChef::depositCall {
            pid: U256::ZERO,
            amount: lp_held,
            to: addr(0),
        },
    );
    let deposited_at = dev.node.height();
    dev.node.fast_forward(9);
    let shf_before = dev.node.snapshot().token_balance(&shf, &addr(0));
    dev.ok(
        0,
        MASTER_CHEF,
        IMasterChef::harvestCall {
            pid: U256::ZERO,
            to: addr(0),
        },
    );
    let harvested_at = dev.node.height();
    let earned = dev.node.snapshot().token_balance(&shf, &addr(0)) - shf_before;
    let expected =
        U256::from(harvested_at - deposited_at) * U256::from(10u64) * ETHER * U256::from(100u64)
            / U256::from(150u64);
    assert!(
        earned <= expected && earned + U256::from(1u64) >= expected,
        "{earned} vs {expected}"
    );

    // A revert keeps the fee and the nonce bump, and nothing else.
    let s = dev.node.snapshot();
    let (eth, nonce, staked) = (
        s.eth_balance(&addr(1)),
        s.nonce(&addr(1)),
        s.farm(0).expect("farm").total_staked,
    );
    drop(s);
    let (success, reason) = dev.send(
        1,
        MASTER_CHEF,
        IMasterChef::withdrawCall {
            pid: U256::ZERO,
            amount: U256::from(1u64),
            to: addr(1),
        },
    );
    assert!(!success);
    assert!(reason.contains("InsufficientStake"), "{reason}");
    let s = dev.node.snapshot();
    assert!(s.eth_balance(&addr(1)) < eth);
    assert_eq!(s.nonce(&addr(1)), nonce + 1);
    assert_eq!(s.farm(0).expect("farm").total_staked, staked);
    drop(s);

    // Governance staking: stake SHF, earn 1 GOV a block.
    let gov = sheaf_gov::GovStakingRead::gov_token(&dev.node.snapshot());
    let stake = U256::from(1_000u64) * ETHER;
    dev.ok(
        0,
        shf,
        IERC20::transferCall {
            to: addr(5),
            value: stake,
        },
    );
    dev.ok(
        5,
        shf,
        IERC20::approveCall {
            spender: GOV_STAKING,
            value: stake,
        },
    );
    dev.ok(5, GOV_STAKING, IGovStaking::stakeCall { amount: stake });
    let staked_at = dev.node.height();
    dev.node.fast_forward(4);
    dev.ok(5, GOV_STAKING, IGovStaking::claimCall { to: addr(5) });
    let gov_earned = dev.node.snapshot().token_balance(&gov, &addr(5));
    let blocks = dev.node.height() - staked_at;
    assert!(
        gov_earned + U256::from(1u64) >= U256::from(blocks) * ETHER
            && gov_earned <= U256::from(blocks) * ETHER
    );

    // Governance: raise farm 0 to 300 points (300 of 350), pass it with dev votes, execute.
    let request = ProposalRequest::new(
        &[Action::SetFarmAllocation {
            pid: 0,
            alloc_point: 300,
        }],
        "Raise the ETH/DAI farm to 300 points",
    );
    dev.ok(
        0,
        GOVERNOR,
        IGovernor::proposeCall {
            targets: request.targets.clone(),
            values: request.values.clone(),
            calldatas: request.calldatas.clone(),
            description: request.description.clone(),
        },
    );
    let id = request.id();
    assert!(dev.node.snapshot().proposal(&id).is_some());
    dev.node.fast_forward(1);
    dev.ok(
        0,
        GOVERNOR,
        IGovernor::castVoteCall {
            proposalId: id,
            support: 1,
        },
    );
    dev.ok(
        1,
        GOVERNOR,
        IGovernor::castVoteCall {
            proposalId: id,
            support: 1,
        },
    );
    dev.ok(
        2,
        GOVERNOR,
        IGovernor::castVoteCall {
            proposalId: id,
            support: 0,
        },
    );
    let (again, reason) = dev.send(
        1,
        GOVERNOR,
        IGovernor::castVoteCall {
            proposalId: id,
            support: 1,
        },
    );
    assert!(
        !again && reason.contains("GovernorAlreadyCastVote"),
        "{reason}"
    );
    dev.node.fast_forward(20);
    dev.ok(3, GOVERNOR, IGovernor::queue_1Call { proposalId: id });
    let (early, reason) = dev.send(3, GOVERNOR, IGovernor::execute_1Call { proposalId: id });
    assert!(
        !early && reason.contains("GovernorTimelockNotReady"),
        "{reason}"
    );
    dev.node.fast_forward(5);
    assert_eq!(dev.node.snapshot().farm(0).expect("farm").alloc_point, 100);
    dev.ok(3, GOVERNOR, IGovernor::execute_1Call { proposalId: id });
    let s = dev.node.snapshot();
    assert_eq!(s.farm(0).expect("farm").alloc_point, 300);
    assert_eq!(s.total_alloc_point(), 350);
    drop(s);

    // After a harvest, one more block earns dev 0 (the farm's only staker) 300/350 of 10 SHF a block.
    dev.ok(
        0,
        MASTER_CHEF,
        IMasterChef::harvestCall {
            pid: U256::ZERO,
            to: addr(0),
        },
    );
    let pending_per_block = {
        let s = dev.node.snapshot();
        let h = dev.node.height();
        s.pending_reward(0, &addr(0), h + 1).expect("pending")
    };
    let expected = U256::from(10u64) * ETHER * U256::from(300u64) / U256::from(350u64);
    assert!(
        pending_per_block <= expected && pending_per_block + U256::from(1u64) >= expected,
        "{pending_per_block} vs {expected}"
    );
}
