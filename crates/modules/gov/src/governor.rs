//! The governor at [`GOVERNOR`]: OpenZeppelin Governor v5's lifecycle and counting, with votes
//! read from GOV's checkpoints at each proposal's snapshot block, a timelock and grace period in
//! blocks, and proposals restricted to typed [`Action`]s. Semantics are documented once, in
//! `contracts/IGovernor.sol`.

use alloy_primitives::{Address, B256, Bytes, Log, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use sheaf_abi::{
    IGovernor::{self, ProposalState},
    system::GOVERNOR,
};
use sheaf_bank::votes;
use sheaf_module_api::{CallEnv, Revert, decode_call, selector};
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

use crate::{
    actions::{self, Action, MAX_ACTIONS},
    params,
    staking::GovStakingRead,
    state_key,
};

/// Longest description a proposal may carry, in bytes.
pub const MAX_DESCRIPTION: usize = 10_000;
pub const QUORUM_DENOMINATOR: u64 = 100;

/// Vote types, as GovernorCountingSimple numbers them (Bravo's order).
pub const AGAINST: u8 = 0;
pub const FOR: u8 = 1;
pub const ABSTAIN: u8 = 2;

/// Everything the governor keeps about a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: U256,
    pub proposer: Address,
    pub snapshot: u64,
    pub deadline: u64,
    /// Block from which it may execute; 0 until queued.
    pub eta: u64,
    pub executed: bool,
    pub canceled: bool,
    /// The quorum numerator in force when it was proposed.
    pub quorum_numerator: u64,
    pub against: U256,
    pub for_votes: U256,
    pub abstain: U256,
    pub targets: Vec<Address>,
    pub values: Vec<U256>,
    pub calldatas: Vec<Bytes>,
    pub description_hash: B256,
    pub description: String,
}

type Encoded = (
    (Address, u64, u64, u64, bool, bool, u64),
    (U256, U256, U256),
    (Vec<Address>, Vec<U256>, Vec<Bytes>, B256, String),
);

impl Proposal {
    fn encode(&self) -> Vec<u8> {
        let value: Encoded = (
            (
                self.proposer,
                self.snapshot,
                self.deadline,
                self.eta,
                self.executed,
                self.canceled,
                self.quorum_numerator,
            ),
            (self.against, self.for_votes, self.abstain),
            (
                self.targets.clone(),
                self.values.clone(),
                self.calldatas.clone(),
                self.description_hash,
                self.description.clone(),
            ),
        );
        value.abi_encode_params()
    }

    fn decode(id: U256, bytes: &[u8]) -> Option<Self> {
        let (
            (proposer, snapshot, deadline, eta, executed, canceled, quorum_numerator),
            votes,
            body,
        ) = <Encoded>::abi_decode_params(bytes).ok()?;
        let (against, for_votes, abstain) = votes;
        let (targets, values, calldatas, description_hash, description) = body;
        Some(Self {
            id,
            proposer,
            snapshot,
            deadline,
            eta,
            executed,
            canceled,
            quorum_numerator,
            against,
            for_votes,
            abstain,
            targets,
            values,
            calldatas,
            description_hash,
            description,
        })
    }

    /// The actions it carries (they were checked at `propose`).
    pub fn actions(&self) -> Vec<Action> {
        self.targets
            .iter()
            .zip(&self.values)
            .zip(&self.calldatas)
            .filter_map(|((t, v), d)| actions::decode(t, *v, d).ok())
            .collect()
    }
}

/// OpenZeppelin's `hashProposal`: keccak256(abi.encode(targets, values, calldatas, descriptionHash)).
pub fn hash_proposal(
    targets: &[Address],
    values: &[U256],
    calldatas: &[Bytes],
    description_hash: B256,
) -> U256 {
    let encoded = (
        targets.to_vec(),
        values.to_vec(),
        calldatas.to_vec(),
        description_hash,
    )
        .abi_encode_params();
    U256::from_be_bytes(keccak256(encoded).0)
}

/// Reads of the governor.
pub trait GovernorRead: StateRead {
    fn proposal(&self, id: &U256) -> Option<Proposal> {
        self.get_raw(&state_key::proposal(id))
            .and_then(|b| Proposal::decode(*id, &b))
    }

    fn proposal_count(&self) -> u64 {
        self.get_u64(&state_key::proposal_count())
    }

    fn proposal_id_at(&self, index: u64) -> Option<U256> {
        self.get_raw(&state_key::proposal_at(index))
            .and_then(|b| U256::try_from_be_slice(&b))
    }

    /// The vote `voter` cast on proposal `id`: (support, weight).
    fn receipt(&self, id: &U256, voter: &Address) -> Option<(u8, U256)> {
        self.get_raw(&state_key::receipt(id, voter))
            .and_then(|b| <(u16, U256)>::abi_decode_params(&b).ok())
            .and_then(|(support, weight)| Some((u8::try_from(support).ok()?, weight)))
    }

    /// GOV votes of `account` at the end of block `timepoint` (< `now`).
    fn votes_at(&self, account: &Address, timepoint: u64, now: u64) -> Result<U256, Revert> {
        votes::past_votes(self, &self.gov_token(), account, timepoint, now)
    }

    /// `quorumNumerator`% of GOV supply at the end of block `timepoint` (< `now`).
    fn quorum_at(&self, timepoint: u64, numerator: u64, now: u64) -> Result<U256, Revert> {
        let supply = votes::past_total_supply(self, &self.gov_token(), timepoint, now)?;
        Ok(supply * U256::from(numerator) / U256::from(QUORUM_DENOMINATOR))
    }

    /// The proposal's state at block `now` (OpenZeppelin's `state`, plus Bravo's Expired).
    fn proposal_state(&self, p: &Proposal, now: u64) -> Result<ProposalState, Revert> {
        if p.executed {
            return Ok(ProposalState::Executed);
        }
        if p.canceled {
            return Ok(ProposalState::Canceled);
        }
        if p.snapshot >= now {
            return Ok(ProposalState::Pending);
        }
        if p.deadline >= now {
            return Ok(ProposalState::Active);
        }
        let quorum = self.quorum_at(p.snapshot, p.quorum_numerator, now)?;
        let quorum_reached = quorum <= p.for_votes + p.abstain;
        let succeeded = p.for_votes > p.against;
        if !quorum_reached || !succeeded {
            return Ok(ProposalState::Defeated);
        }
        if p.eta == 0 {
            return Ok(ProposalState::Succeeded);
        }
        if now
            >= p.eta
                .saturating_add(params::blocks(self, params::GRACE_PERIOD))
        {
            return Ok(ProposalState::Expired);
        }
        Ok(ProposalState::Queued)
    }
}

impl<T: StateRead + ?Sized> GovernorRead for T {}

fn put_proposal<S: StateWrite + ?Sized>(state: &mut S, p: &Proposal) {
    state.put_raw(state_key::proposal(&p.id), p.encode());
}

fn event<E: SolEvent>(e: E) -> Log {
    Log {
        address: GOVERNOR,
        data: e.encode_log_data(),
    }
}

fn nonexistent(id: U256) -> Revert {
    Revert::custom(IGovernor::GovernorNonexistentProposal { proposalId: id })
}

/// OpenZeppelin's `_encodeStateBitmap`: bit `state` set for each state that would have been fine.
fn bitmap(states: &[ProposalState]) -> B256 {
    let bits = states.iter().fold(U256::ZERO, |acc, s| {
        acc | (U256::from(1u8) << (*s as u8 as usize))
    });
    B256::from(bits)
}

fn unexpected(id: U256, current: ProposalState, expected: &[ProposalState]) -> Revert {
    Revert::custom(IGovernor::GovernorUnexpectedProposalState {
        proposalId: id,
        current,
        expectedStates: bitmap(expected),
    })
}

fn load<S: StateRead>(state: &S, id: U256) -> Result<Proposal, Revert> {
    state.proposal(&id).ok_or_else(|| nonexistent(id))
}

/// What a proposer submits: OpenZeppelin's `propose` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRequest {
    pub targets: Vec<Address>,
    pub values: Vec<U256>,
    pub calldatas: Vec<Bytes>,
    pub description: String,
}

impl ProposalRequest {
    /// A proposal carrying `actions`.
    pub fn new(actions: &[Action], description: impl Into<String>) -> Self {
        let (targets, calldatas) = actions.iter().map(actions::encode).unzip();
        Self {
            targets,
            values: vec![U256::ZERO; actions.len()],
            calldatas,
            description: description.into(),
        }
    }

    pub fn id(&self) -> U256 {
        hash_proposal(
            &self.targets,
            &self.values,
            &self.calldatas,
            keccak256(self.description.as_bytes()),
        )
    }
}

/// `propose`: checks the proposer's votes at the previous block and every action, then opens the
/// proposal with its snapshot `votingDelay` blocks ahead.
pub fn propose<S: StateWrite>(
    state: &mut S,
    proposer: &Address,
    request: ProposalRequest,
    now: u64,
    logs: &mut Vec<Log>,
) -> Result<U256, Revert> {
    let ProposalRequest {
        targets,
        values,
        calldatas,
        description,
    } = request;
    let n = targets.len();
    if n == 0 || n != values.len() || n != calldatas.len() || n > MAX_ACTIONS {
        return Err(Revert::custom(IGovernor::GovernorInvalidProposalLength {
            targets: U256::from(n),
            calldatas: U256::from(calldatas.len()),
            values: U256::from(values.len()),
        }));
    }
    if description.len() > MAX_DESCRIPTION {
        return Err(Revert::reason(format!(
            "description is {} bytes; at most {MAX_DESCRIPTION}",
            description.len()
        )));
    }
    let threshold = params::get(state, params::PROPOSAL_THRESHOLD);
    let votes = state.votes_at(proposer, now.saturating_sub(1), now)?;
    if votes < threshold {
        return Err(Revert::custom(
            IGovernor::GovernorInsufficientProposerVotes {
                proposer: *proposer,
                votes,
                threshold,
            },
        ));
    }
    let mut decoded = Vec::with_capacity(n);
    for (index, ((target, value), data)) in targets.iter().zip(&values).zip(&calldatas).enumerate()
    {
        let action =
            actions::decode(target, *value, data).map_err(|reason| invalid(index, reason))?;
        decoded.push(action);
    }
    actions::dry_run(state, &decoded, now).map_err(|(index, reason)| invalid(index, reason))?;

    let description_hash = keccak256(description.as_bytes());
    let id = hash_proposal(&targets, &values, &calldatas, description_hash);
    if let Some(existing) = state.proposal(&id) {
        let current = state.proposal_state(&existing, now)?;
        return Err(unexpected(id, current, &[]));
    }
    let snapshot = now + params::blocks(state, params::VOTING_DELAY);
    let deadline = snapshot + params::blocks(state, params::VOTING_PERIOD);
    let quorum_numerator = params::blocks(state, params::QUORUM_NUMERATOR);
    logs.push(event(IGovernor::ProposalCreated {
        proposalId: id,
        proposer: *proposer,
        targets: targets.clone(),
        values: values.clone(),
        signatures: vec![String::new(); n],
        calldatas: calldatas.clone(),
        voteStart: U256::from(snapshot),
        voteEnd: U256::from(deadline),
        description: description.clone(),
    }));
    let proposal = Proposal {
        id,
        proposer: *proposer,
        snapshot,
        deadline,
        eta: 0,
        executed: false,
        canceled: false,
        quorum_numerator,
        against: U256::ZERO,
        for_votes: U256::ZERO,
        abstain: U256::ZERO,
        targets,
        values,
        calldatas,
        description_hash,
        description,
    };
    put_proposal(state, &proposal);
    let index = state.proposal_count();
    state.put_raw(
        state_key::proposal_at(index),
        id.to_be_bytes::<32>().to_vec(),
    );
    state.put_u64(state_key::proposal_count(), index + 1);
    Ok(id)
}

fn invalid(index: usize, reason: String) -> Revert {
    Revert::custom(IGovernor::GovernorInvalidAction {
        index: U256::from(index),
        reason,
    })
}

/// `castVote`: counts `voter`'s GOV votes at the snapshot for `support`. Returns the weight.
pub fn cast_vote<S: StateWrite>(
    state: &mut S,
    voter: &Address,
    id: U256,
    support: u8,
    reason: String,
    now: u64,
    logs: &mut Vec<Log>,
) -> Result<U256, Revert> {
    let mut p = load(state, id)?;
    let current = state.proposal_state(&p, now)?;
    if current != ProposalState::Active {
        return Err(unexpected(id, current, &[ProposalState::Active]));
    }
    if support > ABSTAIN {
        return Err(Revert::custom(IGovernor::GovernorInvalidVoteType {}));
    }
    if state.receipt(&id, voter).is_some() {
        return Err(Revert::custom(IGovernor::GovernorAlreadyCastVote {
            voter: *voter,
        }));
    }
    let weight = state.votes_at(voter, p.snapshot, now)?;
    let tally = match support {
        AGAINST => &mut p.against,
        FOR => &mut p.for_votes,
        _ => &mut p.abstain,
    };
    // Cannot overflow: all weights together are at most GOV's supply at the snapshot.
    *tally += weight;
    put_proposal(state, &p);
    state.put_raw(
        state_key::receipt(&id, voter),
        (u16::from(support), weight).abi_encode_params(),
    );
    logs.push(event(IGovernor::VoteCast {
        voter: *voter,
        proposalId: id,
        support,
        weight,
        reason,
    }));
    Ok(weight)
}

/// `queue`: a succeeded proposal may execute `timelockDelay` blocks from now.
pub fn queue<S: StateWrite>(
    state: &mut S,
    id: U256,
    now: u64,
    logs: &mut Vec<Log>,
) -> Result<u64, Revert> {
    let mut p = load(state, id)?;
    let current = state.proposal_state(&p, now)?;
    if current != ProposalState::Succeeded {
        return Err(unexpected(id, current, &[ProposalState::Succeeded]));
    }
    p.eta = now + params::blocks(state, params::TIMELOCK_DELAY);
    put_proposal(state, &p);
    logs.push(event(IGovernor::ProposalQueued {
        proposalId: id,
        etaSeconds: U256::from(p.eta),
    }));
    Ok(p.eta)
}

/// `execute`: anyone may carry out a queued proposal once its eta has come, once.
pub fn execute<S: StateWrite>(
    state: &mut S,
    id: U256,
    now: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let mut p = load(state, id)?;
    let current = state.proposal_state(&p, now)?;
    if current != ProposalState::Queued {
        return Err(unexpected(id, current, &[ProposalState::Queued]));
    }
    if now < p.eta {
        return Err(Revert::custom(IGovernor::GovernorTimelockNotReady {
            proposalId: id,
            eta: U256::from(p.eta),
        }));
    }
    p.executed = true;
    put_proposal(state, &p);
    for action in p.actions() {
        actions::execute(state, &action, now, logs)?;
    }
    logs.push(event(IGovernor::ProposalExecuted { proposalId: id }));
    Ok(())
}

/// `cancel`: the proposer, until execution; anyone, once the proposer's votes have fallen below
/// the threshold.
pub fn cancel<S: StateWrite>(
    state: &mut S,
    caller: &Address,
    id: U256,
    now: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let mut p = load(state, id)?;
    let current = state.proposal_state(&p, now)?;
    use ProposalState::*;
    if matches!(current, Canceled | Expired | Executed) {
        return Err(unexpected(
            id,
            current,
            &[Pending, Active, Defeated, Succeeded, Queued],
        ));
    }
    if *caller != p.proposer {
        let threshold = params::get(state, params::PROPOSAL_THRESHOLD);
        let votes = state.votes_at(&p.proposer, now.saturating_sub(1), now)?;
        if votes >= threshold {
            return Err(Revert::custom(IGovernor::GovernorOnlyProposer {
                account: *caller,
            }));
        }
    }
    p.canceled = true;
    put_proposal(state, &p);
    logs.push(event(IGovernor::ProposalCanceled { proposalId: id }));
    Ok(())
}

pub fn gas(data: &[u8]) -> u64 {
    use IGovernor::*;
    match selector(data) {
        Some(proposeCall::SELECTOR) => 100_000,
        Some(castVoteCall::SELECTOR) | Some(castVoteWithReasonCall::SELECTOR) => 30_000,
        Some(queue_0Call::SELECTOR) | Some(queue_1Call::SELECTOR) => 30_000,
        Some(cancelCall::SELECTOR) => 30_000,
        Some(execute_0Call::SELECTOR) => {
            let actions = execute_0Call::abi_decode(data).map_or(1, |c| c.targets.len() as u64);
            50_000 + 50_000 * actions
        }
        Some(execute_1Call::SELECTOR) => 50_000 + 50_000 * MAX_ACTIONS as u64,
        _ => 0,
    }
}

/// Resolves a proposal given by its contents (OpenZeppelin's queue/execute/cancel signature).
fn id_of(targets: &[Address], values: &[U256], calldatas: &[Bytes], hash: B256) -> U256 {
    hash_proposal(targets, values, calldatas, hash)
}

pub fn call<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    use IGovernor::*;
    let now = env.block.height;
    if state.gov_token() == Address::ZERO {
        return Err(Revert::reason("governance is not configured on this chain"));
    }
    let payable = selector(data)
        .is_some_and(|s| s == execute_0Call::SELECTOR || s == execute_1Call::SELECTOR);
    if !env.value.is_zero() && !payable {
        return Err(Revert::reason("this governor function is not payable"));
    }
    let past = |t: U256| u64::try_from(t).unwrap_or(u64::MAX);
    let output = match decode_call::<IGovernorCalls>(data)? {
        IGovernorCalls::name(_) => nameCall::abi_encode_returns(&"Sheaf Governor".to_string()),
        IGovernorCalls::version(_) => versionCall::abi_encode_returns(&"1".to_string()),
        IGovernorCalls::COUNTING_MODE(_) => {
            COUNTING_MODECall::abi_encode_returns(&"support=bravo&quorum=for,abstain".to_string())
        }
        IGovernorCalls::clock(_) => {
            clockCall::abi_encode_returns(&alloy_primitives::aliases::U48::saturating_from(now))
        }
        IGovernorCalls::CLOCK_MODE(_) => {
            CLOCK_MODECall::abi_encode_returns(&"mode=blocknumber&from=default".to_string())
        }
        IGovernorCalls::token(_) => tokenCall::abi_encode_returns(&state.gov_token()),
        IGovernorCalls::hashProposal(c) => hashProposalCall::abi_encode_returns(&hash_proposal(
            &c.targets,
            &c.values,
            &c.calldatas,
            c.descriptionHash,
        )),
        IGovernorCalls::state(c) => {
            let p = load(state, c.proposalId)?;
            stateCall::abi_encode_returns(&state.proposal_state(&p, now)?)
        }
        IGovernorCalls::proposalThreshold(_) => proposalThresholdCall::abi_encode_returns(
            &params::get(state, params::PROPOSAL_THRESHOLD),
        ),
        IGovernorCalls::proposalSnapshot(c) => proposalSnapshotCall::abi_encode_returns(
            &U256::from(load(state, c.proposalId)?.snapshot),
        ),
        IGovernorCalls::proposalDeadline(c) => proposalDeadlineCall::abi_encode_returns(
            &U256::from(load(state, c.proposalId)?.deadline),
        ),
        IGovernorCalls::proposalProposer(c) => {
            proposalProposerCall::abi_encode_returns(&load(state, c.proposalId)?.proposer)
        }
        IGovernorCalls::proposalEta(c) => {
            proposalEtaCall::abi_encode_returns(&U256::from(load(state, c.proposalId)?.eta))
        }
        IGovernorCalls::proposalNeedsQueuing(c) => {
            load(state, c.proposalId)?;
            proposalNeedsQueuingCall::abi_encode_returns(&true)
        }
        IGovernorCalls::votingDelay(_) => {
            votingDelayCall::abi_encode_returns(&params::get(state, params::VOTING_DELAY))
        }
        IGovernorCalls::votingPeriod(_) => {
            votingPeriodCall::abi_encode_returns(&params::get(state, params::VOTING_PERIOD))
        }
        IGovernorCalls::quorum(c) => {
            let numerator = params::blocks(state, params::QUORUM_NUMERATOR);
            quorumCall::abi_encode_returns(&state.quorum_at(past(c.timepoint), numerator, now)?)
        }
        IGovernorCalls::quorumNumerator(_) => {
            quorumNumeratorCall::abi_encode_returns(&params::get(state, params::QUORUM_NUMERATOR))
        }
        IGovernorCalls::quorumDenominator(_) => {
            quorumDenominatorCall::abi_encode_returns(&U256::from(QUORUM_DENOMINATOR))
        }
        IGovernorCalls::timelockDelay(_) => {
            timelockDelayCall::abi_encode_returns(&params::get(state, params::TIMELOCK_DELAY))
        }
        IGovernorCalls::gracePeriod(_) => {
            gracePeriodCall::abi_encode_returns(&params::get(state, params::GRACE_PERIOD))
        }
        IGovernorCalls::getVotes(c) => {
            getVotesCall::abi_encode_returns(&state.votes_at(&c.account, past(c.timepoint), now)?)
        }
        IGovernorCalls::hasVoted(c) => {
            hasVotedCall::abi_encode_returns(&state.receipt(&c.proposalId, &c.account).is_some())
        }
        IGovernorCalls::proposalVotes(c) => {
            let p = load(state, c.proposalId)?;
            proposalVotesCall::abi_encode_returns(&proposalVotesReturn {
                againstVotes: p.against,
                forVotes: p.for_votes,
                abstainVotes: p.abstain,
            })
        }
        IGovernorCalls::proposalCount(_) => {
            proposalCountCall::abi_encode_returns(&U256::from(state.proposal_count()))
        }
        IGovernorCalls::proposalDetails(c) => {
            let p = load(state, c.proposalId)?;
            proposalDetailsCall::abi_encode_returns(&proposalDetailsReturn {
                targets: p.targets,
                values: p.values,
                calldatas: p.calldatas,
                descriptionHash: p.description_hash,
            })
        }
        IGovernorCalls::proposalDetailsAt(c) => {
            let id = u64::try_from(c.index)
                .ok()
                .and_then(|i| state.proposal_id_at(i))
                .ok_or_else(|| Revert::reason("proposal index out of range"))?;
            let p = load(state, id)?;
            proposalDetailsAtCall::abi_encode_returns(&proposalDetailsAtReturn {
                proposalId: id,
                targets: p.targets,
                values: p.values,
                calldatas: p.calldatas,
                descriptionHash: p.description_hash,
            })
        }
        IGovernorCalls::propose(c) => {
            let request = ProposalRequest {
                targets: c.targets,
                values: c.values,
                calldatas: c.calldatas,
                description: c.description,
            };
            let id = propose(state, &env.caller, request, now, logs)?;
            proposeCall::abi_encode_returns(&id)
        }
        IGovernorCalls::queue_0(c) => {
            let id = id_of(&c.targets, &c.values, &c.calldatas, c.descriptionHash);
            queue(state, id, now, logs)?;
            queue_0Call::abi_encode_returns(&id)
        }
        IGovernorCalls::queue_1(c) => {
            queue(state, c.proposalId, now, logs)?;
            Vec::new()
        }
        IGovernorCalls::execute_0(c) => {
            let id = id_of(&c.targets, &c.values, &c.calldatas, c.descriptionHash);
            execute(state, id, now, logs)?;
            execute_0Call::abi_encode_returns(&id)
        }
        IGovernorCalls::execute_1(c) => {
            execute(state, c.proposalId, now, logs)?;
            Vec::new()
        }
        IGovernorCalls::cancel(c) => {
            let id = id_of(&c.targets, &c.values, &c.calldatas, c.descriptionHash);
            cancel(state, &env.caller, id, now, logs)?;
            cancelCall::abi_encode_returns(&id)
        }
        IGovernorCalls::castVote(c) => {
            let weight = cast_vote(
                state,
                &env.caller,
                c.proposalId,
                c.support,
                String::new(),
                now,
                logs,
            )?;
            castVoteCall::abi_encode_returns(&weight)
        }
        IGovernorCalls::castVoteWithReason(c) => {
            let weight = cast_vote(
                state,
                &env.caller,
                c.proposalId,
                c.support,
                c.reason,
                now,
                logs,
            )?;
            castVoteWithReasonCall::abi_encode_returns(&weight)
        }
    };
    Ok(output.into())
}
