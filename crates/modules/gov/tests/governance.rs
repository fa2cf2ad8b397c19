//! The governance lifecycle through the Governor ABI, block by block: thresholds, voting windows,
//! double votes, quorum edge cases, the timelock and grace period, cancellation, flash-loaned and
//! recycled votes, and typed actions rejected at `propose`.

#![allow(clippy::unwrap_used)]

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError};
use sheaf_abi::{
    IGovernor,
    IGovernor::ProposalState,
    IMasterChef,
    system::{GOV_STAKING, GOVERNOR, MASTER_CHEF},
};
use sheaf_bank::{BankRead, BankWrite, TokenMeta, votes};
use sheaf_farm::FarmRead;
use sheaf_gov::{Action, ProposalRequest, params};
use sheaf_module_api::{BlockContext, CallEnv, Revert, clock};
use sheaf_state::{Delta, EmptyState, StateWrite};

const SHF: Address = Address::repeat_byte(0x5f);
const GOV: Address = Address::repeat_byte(0x60);
const LP: Address = Address::repeat_byte(0x11);
const ALICE: Address = Address::repeat_byte(0xa1);
const BOB: Address = Address::repeat_byte(0xb0);
const CAROL: Address = Address::repeat_byte(0xca);
const DAVE: Address = Address::repeat_byte(0xda);

/// Votes: alice 500, bob 300, carol 100 of a 10,000 GOV supply (the rest undelegated with dave).
/// Quorum is 4% = 400; the proposal threshold is 200; voting opens 1 block after propose and
/// lasts 5; the timelock is 2 blocks and the grace period 10.
struct Chain {
    state: Delta<EmptyState>,
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

impl Chain {
    fn new() -> Self {
        let mut s = Delta::new(EmptyState);
        token(&mut s, SHF, MASTER_CHEF);
        token(&mut s, GOV, GOV_STAKING);
        token(&mut s, LP, Address::ZERO);
        votes::enable(&mut s, &GOV);
        sheaf_farm::init(&mut s, SHF, U256::from(1000));
        sheaf_gov::staking::init(&mut s, SHF, GOV, U256::from(100));
        for (name, value) in [
            (params::VOTING_DELAY, 1u64),
            (params::VOTING_PERIOD, 5),
            (params::PROPOSAL_THRESHOLD, 200),
            (params::QUORUM_NUMERATOR, 4),
            (params::TIMELOCK_DELAY, 2),
            (params::GRACE_PERIOD, 10),
            (params::COOLDOWN_BLOCKS, 3),
        ] {
            params::set(&mut s, name, U256::from(value)).unwrap();
        }
        clock::set_height(&mut s, 1);
        for (who, amount) in [(ALICE, 500u64), (BOB, 300), (CAROL, 100), (DAVE, 9_100)] {
            s.genesis_mint_token(&GOV, &who, U256::from(amount))
                .unwrap();
            if who != DAVE {
                votes::delegate(&mut s, &GOV, &who, &who, &mut vec![]);
            }
        }
        sheaf_farm::add_farm(&mut s, LP, 10, 1, &mut vec![]).unwrap();
        Chain { state: s }
    }

    /// Runs a call at `height` as the app would: in its own overlay, kept only on success.
    fn call<C: SolCall>(&mut self, height: u64, caller: Address, c: C) -> Result<Vec<u8>, Revert> {
        clock::set_height(&mut self.state, height);
        let env = CallEnv {
            caller,
            to: GOVERNOR,
            value: U256::ZERO,
            block: BlockContext {
                height,
                timestamp: height,
                proposer: Address::ZERO,
                base_fee: 0,
            },
        };
        let mut overlay = Delta::new(&self.state);
        let out = sheaf_gov::governor::call(&mut overlay, &env, &c.abi_encode(), &mut vec![])?;
        let changes = overlay.into_changes();
        self.state.apply(changes);
        Ok(out.to_vec())
    }

    fn propose(
        &mut self,
        height: u64,
        who: Address,
        request: &ProposalRequest,
    ) -> Result<U256, Revert> {
        let c = IGovernor::proposeCall {
            targets: request.targets.clone(),
            values: request.values.clone(),
            calldatas: request.calldatas.clone(),
            description: request.description.clone(),
        };
        let out = self.call(height, who, c)?;
        Ok(IGovernor::proposeCall::abi_decode_returns(&out).unwrap())
    }

    fn vote(&mut self, height: u64, who: Address, id: U256, support: u8) -> Result<U256, Revert> {
        let out = self.call(
            height,
            who,
            IGovernor::castVoteCall {
                proposalId: id,
                support,
            },
        )?;
        Ok(IGovernor::castVoteCall::abi_decode_returns(&out).unwrap())
    }

    fn state_of(&mut self, height: u64, id: U256) -> ProposalState {
        let out = self
            .call(height, ALICE, IGovernor::stateCall { proposalId: id })
            .unwrap();
        IGovernor::stateCall::abi_decode_returns(&out).unwrap()
    }

    fn queue(&mut self, height: u64, id: U256) -> Result<Vec<u8>, Revert> {
        self.call(height, BOB, IGovernor::queue_1Call { proposalId: id })
    }

    fn execute(&mut self, height: u64, id: U256) -> Result<Vec<u8>, Revert> {
        self.call(height, CAROL, IGovernor::execute_1Call { proposalId: id })
    }

    fn alloc(&self) -> u64 {
        self.state.farm(0).unwrap().alloc_point
    }
}

fn set_alloc(points: u64) -> ProposalRequest {
    ProposalRequest::new(
        &[Action::SetFarmAllocation {
            pid: 0,
            alloc_point: points,
        }],
        format!("Set farm 0 to {points} points"),
    )
}

fn unexpected(id: U256, current: ProposalState, expected: &[ProposalState]) -> Vec<u8> {
    let bits = expected.iter().fold(U256::ZERO, |acc, s| {
        acc | (U256::from(1u8) << (*s as u8 as usize))
    });
    IGovernor::GovernorUnexpectedProposalState {
        proposalId: id,
        current,
        expectedStates: B256::from(bits),
    }
    .abi_encode()
}

#[test]
fn a_proposal_passes_waits_out_the_timelock_and_executes_once() {
    let mut c = Chain::new();
    let id = c.propose(10, ALICE, &set_alloc(40)).unwrap();
    assert_eq!(id, set_alloc(40).id());
    // Snapshot 11, deadline 16.
    assert_eq!(c.state_of(10, id), ProposalState::Pending);
    assert_eq!(c.state_of(11, id), ProposalState::Pending);
    let early = c.vote(11, ALICE, id, 1).unwrap_err();
    assert_eq!(
        early.data().as_ref(),
        unexpected(id, ProposalState::Pending, &[ProposalState::Active])
    );

    assert_eq!(c.vote(12, ALICE, id, 1).unwrap(), U256::from(500));
    assert_eq!(c.vote(13, BOB, id, 0).unwrap(), U256::from(300));
    let again = c.vote(14, ALICE, id, 1).unwrap_err();
    assert_eq!(
        again.data().as_ref(),
        IGovernor::GovernorAlreadyCastVote { voter: ALICE }.abi_encode()
    );
    let bad_support = c.vote(14, CAROL, id, 3).unwrap_err();
    assert_eq!(
        bad_support.data().as_ref(),
        IGovernor::GovernorInvalidVoteType {}.abi_encode()
    );
    assert_eq!(c.state_of(16, id), ProposalState::Active);
    assert!(
        c.vote(17, CAROL, id, 1).is_err(),
        "voting is closed after the deadline"
    );
    assert_eq!(c.state_of(17, id), ProposalState::Succeeded);

    // Cannot execute before queueing, nor before the timelock ends.
    assert!(c.execute(17, id).is_err());
    c.queue(17, id).unwrap();
    assert_eq!(c.state_of(17, id), ProposalState::Queued);
    let out = c
        .call(17, ALICE, IGovernor::proposalEtaCall { proposalId: id })
        .unwrap();
    assert_eq!(
        IGovernor::proposalEtaCall::abi_decode_returns(&out).unwrap(),
        U256::from(19)
    );
    let not_ready = c.execute(18, id).unwrap_err();
    assert_eq!(
        not_ready.data().as_ref(),
        IGovernor::GovernorTimelockNotReady {
            proposalId: id,
            eta: U256::from(19)
        }
        .abi_encode()
    );
    assert_eq!(c.alloc(), 10);
    c.execute(19, id).unwrap();
    assert_eq!(c.alloc(), 40);
    assert_eq!(c.state_of(19, id), ProposalState::Executed);
    assert!(c.execute(20, id).is_err(), "executes once");
}

#[test]
fn below_threshold_cannot_propose() {
    let mut c = Chain::new();
    let err = c.propose(10, CAROL, &set_alloc(40)).unwrap_err();
    assert_eq!(
        err.data().as_ref(),
        IGovernor::GovernorInsufficientProposerVotes {
            proposer: CAROL,
            votes: U256::from(100),
            threshold: U256::from(200)
        }
        .abi_encode()
    );
    // Votes are read at the previous block: GOV delegated in this block does not count yet.
    clock::set_height(&mut c.state, 10);
    c.state
        .transfer_token(&GOV, &ALICE, &CAROL, U256::from(200), &mut vec![])
        .unwrap();
    assert!(c.propose(10, CAROL, &set_alloc(40)).is_err());
    assert!(c.propose(11, CAROL, &set_alloc(40)).is_ok());
}

#[test]
fn quorum_edges_zero_turnout_and_all_abstain() {
    // Quorum is 400: carol (100) + bob (300) reach it exactly.
    let mut c = Chain::new();
    let id = c.propose(10, ALICE, &set_alloc(1)).unwrap();
    c.vote(12, CAROL, id, 1).unwrap();
    c.vote(12, BOB, id, 2).unwrap();
    assert_eq!(
        c.state_of(17, id),
        ProposalState::Succeeded,
        "quorum met exactly"
    );

    let id = c.propose(20, ALICE, &set_alloc(2)).unwrap();
    c.vote(22, CAROL, id, 1).unwrap();
    assert_eq!(
        c.state_of(27, id),
        ProposalState::Defeated,
        "quorum not met"
    );

    let id = c.propose(30, ALICE, &set_alloc(3)).unwrap();
    assert_eq!(c.state_of(37, id), ProposalState::Defeated, "zero turnout");

    let id = c.propose(40, ALICE, &set_alloc(4)).unwrap();
    c.vote(42, ALICE, id, 2).unwrap();
    c.vote(42, BOB, id, 2).unwrap();
    assert_eq!(
        c.state_of(47, id),
        ProposalState::Defeated,
        "all abstain: For must beat Against"
    );

    let id = c.propose(50, ALICE, &set_alloc(5)).unwrap();
    c.vote(52, ALICE, id, 1).unwrap();
    c.vote(52, BOB, id, 0).unwrap();
    c.vote(52, CAROL, id, 0).unwrap();
    assert_eq!(
        c.state_of(57, id),
        ProposalState::Succeeded,
        "500 For beat 400 Against"
    );
    assert!(c.queue(57, id).is_ok());
    assert!(c.queue(58, id).is_err(), "queued once");
}

#[test]
fn flash_loaned_and_recycled_votes_weigh_nothing() {
    let mut c = Chain::new();
    let id = c.propose(10, ALICE, &set_alloc(40)).unwrap();
    // Dave holds 9,100 GOV, undelegated, and delegates once voting is open, in the block he
    // votes (a flash loan can do no better): at the snapshot, the end of block 11, he had no
    // votes.
    clock::set_height(&mut c.state, 12);
    votes::delegate(&mut c.state, &GOV, &DAVE, &DAVE, &mut vec![]);
    assert_eq!(c.vote(12, DAVE, id, 0).unwrap(), U256::ZERO);

    // Bob votes, hands his GOV to carol, and carol votes: her weight is what she had at the
    // snapshot, not what she holds now.
    c.vote(12, BOB, id, 0).unwrap();
    clock::set_height(&mut c.state, 12);
    c.state
        .transfer_token(&GOV, &BOB, &CAROL, U256::from(300), &mut vec![])
        .unwrap();
    assert_eq!(c.vote(13, CAROL, id, 0).unwrap(), U256::from(100));
    c.vote(13, ALICE, id, 1).unwrap();
    let out = c
        .call(17, ALICE, IGovernor::proposalVotesCall { proposalId: id })
        .unwrap();
    let tally = IGovernor::proposalVotesCall::abi_decode_returns(&out).unwrap();
    assert_eq!(
        (tally.againstVotes, tally.forVotes, tally.abstainVotes),
        (U256::from(400), U256::from(500), U256::ZERO)
    );
}

#[test]
fn propose_vote_and_execute_cannot_share_a_block() {
    let mut c = Chain::new();
    let id = c.propose(10, ALICE, &set_alloc(40)).unwrap();
    assert!(c.vote(10, ALICE, id, 1).is_err());
    assert!(c.execute(10, id).is_err());
    c.vote(12, ALICE, id, 1).unwrap();
    c.queue(17, id).unwrap();
    assert!(
        c.execute(17, id).is_err(),
        "queue and execute never share a block"
    );
}

#[test]
fn a_queued_proposal_expires_after_its_grace_period() {
    let mut c = Chain::new();
    let id = c.propose(10, ALICE, &set_alloc(40)).unwrap();
    c.vote(12, ALICE, id, 1).unwrap();
    c.queue(17, id).unwrap();
    // eta 19, grace 10: executable through block 28.
    assert_eq!(c.state_of(28, id), ProposalState::Queued);
    assert_eq!(c.state_of(29, id), ProposalState::Expired);
    let err = c.execute(29, id).unwrap_err();
    assert_eq!(
        err.data().as_ref(),
        unexpected(id, ProposalState::Expired, &[ProposalState::Queued])
    );
    assert_eq!(c.alloc(), 10);
}

#[test]
fn cancel_by_proposer_or_once_the_proposer_falls_below_threshold() {
    let mut c = Chain::new();
    let request = set_alloc(40);
    let cancel = IGovernor::cancelCall {
        targets: request.targets.clone(),
        values: request.values.clone(),
        calldatas: request.calldatas.clone(),
        descriptionHash: alloy_primitives::keccak256(request.description.as_bytes()),
    };
    let id = c.propose(10, ALICE, &request).unwrap();
    let err = c.call(12, BOB, cancel.clone()).unwrap_err();
    assert_eq!(
        err.data().as_ref(),
        IGovernor::GovernorOnlyProposer { account: BOB }.abi_encode()
    );
    c.call(12, ALICE, cancel.clone()).unwrap();
    assert_eq!(c.state_of(12, id), ProposalState::Canceled);
    assert!(c.vote(13, BOB, id, 1).is_err());

    let request = set_alloc(41);
    let id = c.propose(20, BOB, &request).unwrap();
    clock::set_height(&mut c.state, 20);
    c.state
        .transfer_token(&GOV, &BOB, &DAVE, U256::from(250), &mut vec![])
        .unwrap();
    let cancel = IGovernor::cancelCall {
        targets: request.targets.clone(),
        values: request.values.clone(),
        calldatas: request.calldatas.clone(),
        descriptionHash: alloy_primitives::keccak256(request.description.as_bytes()),
    };
    c.call(21, CAROL, cancel).unwrap();
    assert_eq!(c.state_of(21, id), ProposalState::Canceled);
}

#[test]
fn out_of_range_or_untyped_actions_are_rejected_at_propose() {
    let mut c = Chain::new();
    let invalid = |index: u64, reason: &str| {
        IGovernor::GovernorInvalidAction {
            index: U256::from(index),
            reason: reason.into(),
        }
        .abi_encode()
    };
    let quorum_zero = ProposalRequest::new(
        &[Action::SetParameter {
            module: GOVERNOR,
            name: params::QUORUM_NUMERATOR.into(),
            value: U256::ZERO,
        }],
        "no quorum",
    );
    let err = c.propose(10, ALICE, &quorum_zero).unwrap_err();
    assert_eq!(
        err.data().as_ref(),
        invalid(0, "quorumNumerator must be between 1 and 100, not 0")
    );

    let too_much = ProposalRequest::new(
        &[
            Action::SetFarmAllocation {
                pid: 0,
                alloc_point: 5,
            },
            Action::SetFarmAllocation {
                pid: 0,
                alloc_point: 2_000_000,
            },
        ],
        "huge",
    );
    let err = c.propose(10, ALICE, &too_much).unwrap_err();
    assert_eq!(
        err.data().as_ref(),
        invalid(1, "allocPoint must be at most 1000000")
    );

    let no_farm = ProposalRequest::new(
        &[Action::SetFarmAllocation {
            pid: 9,
            alloc_point: 5,
        }],
        "x",
    );
    assert_eq!(
        c.propose(10, ALICE, &no_farm).unwrap_err().data().as_ref(),
        invalid(0, "no farm 9")
    );

    let twice = ProposalRequest::new(
        &[
            Action::AddFarm {
                token: SHF,
                alloc_point: 1,
            },
            Action::AddFarm {
                token: SHF,
                alloc_point: 1,
            },
        ],
        "SHF farm twice",
    );
    let err = c.propose(10, ALICE, &twice).unwrap_err();
    assert!(
        IGovernor::GovernorInvalidAction::abi_decode(&err.data())
            .unwrap()
            .reason
            .contains("already farmed")
    );

    let poor = ProposalRequest::new(
        &[Action::TransferTreasury {
            token: SHF,
            to: BOB,
            amount: U256::from(1),
        }],
        "spend what is not there",
    );
    assert!(c.propose(10, ALICE, &poor).is_err());

    // An arbitrary call, or the right action at the wrong module, is not a proposal.
    let mut arbitrary = set_alloc(1);
    arbitrary.calldatas[0] = IMasterChef::harvestCall {
        pid: U256::ZERO,
        to: ALICE,
    }
    .abi_encode()
    .into();
    assert_eq!(
        c.propose(10, ALICE, &arbitrary)
            .unwrap_err()
            .data()
            .as_ref(),
        invalid(0, "not an ISheafGovernanceActions call")
    );
    let mut misdirected = set_alloc(1);
    misdirected.targets[0] = GOV_STAKING;
    assert!(c.propose(10, ALICE, &misdirected).is_err());
    let mut with_value = set_alloc(1);
    with_value.values[0] = U256::from(1);
    assert!(c.propose(10, ALICE, &with_value).is_err());
    let empty = ProposalRequest::new(&[], "nothing");
    assert_eq!(
        c.propose(10, ALICE, &empty).unwrap_err().data().as_ref(),
        IGovernor::GovernorInvalidProposalLength {
            targets: U256::ZERO,
            calldatas: U256::ZERO,
            values: U256::ZERO
        }
        .abi_encode()
    );
    assert_eq!(c.state.token_balance(&SHF, &BOB), U256::ZERO);
}

#[test]
fn treasury_parameters_and_emission_change_by_proposal() {
    let mut c = Chain::new();
    c.state
        .genesis_mint_token(&LP, &GOVERNOR, U256::from(1_000))
        .unwrap();
    let request = ProposalRequest::new(
        &[
            Action::TransferTreasury {
                token: LP,
                to: DAVE,
                amount: U256::from(250),
            },
            Action::SetParameter {
                module: GOVERNOR,
                name: params::VOTING_PERIOD.into(),
                value: U256::from(20),
            },
            Action::SetGovPerBlock(U256::from(7)),
            Action::SetRewardPerBlock(U256::from(9)),
            Action::SetFeeTo(CAROL),
            Action::EnableWithdrawals,
        ],
        "housekeeping",
    );
    let id = c.propose(10, ALICE, &request).unwrap();
    c.vote(12, ALICE, id, 1).unwrap();
    c.queue(17, id).unwrap();
    c.execute(19, id).unwrap();
    assert_eq!(c.state.token_balance(&LP, &DAVE), U256::from(250));
    assert_eq!(c.state.token_balance(&LP, &GOVERNOR), U256::from(750));
    assert_eq!(params::get(&c.state, params::VOTING_PERIOD), U256::from(20));
    assert_eq!(
        sheaf_gov::GovStakingRead::gov_per_block(&c.state),
        U256::from(9 - 2)
    );
    assert_eq!(c.state.reward_per_block(), U256::from(9));
    assert_eq!(sheaf_amm::AmmRead::fee_to(&c.state), CAROL);
    assert_eq!(
        sheaf_staking::RegistryRead::withdrawals_height(&c.state),
        19
    );
}
