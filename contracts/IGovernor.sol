// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The governor, with OpenZeppelin Governor v5's ABI shape (IGovernor, GovernorCountingSimple,
/// GovernorStorage, GovernorVotesQuorumFraction). The clock is the block number; the timelock and
/// grace period are counted in blocks too, so `proposalEta` is a block number.
///
/// Proposals do not make arbitrary calls: each calldata must be one of the typed actions of
/// ISheafGovernanceActions, sent to the module it concerns, with value 0; `propose` rejects any
/// other call or an out-of-range argument (GovernorInvalidAction), so a proposal that passes can
/// only do what its actions declare.
///
/// Counting is OpenZeppelin's: quorum counts For + Abstain and must reach
/// `quorumNumerator% x GOV supply at the snapshot` (reaching it exactly is enough); success needs
/// For > Against strictly. So zero turnout, a tie, and an all-Abstain vote are all Defeated.
/// Voting weight is the voter's delegated GOV at the snapshot block, which is in the past whenever
/// a vote can be cast. Succeeded proposals are queued for `timelockDelay` blocks, may then be
/// executed by anyone, and expire `gracePeriod` blocks after their eta. The proposer may cancel
/// until execution; anyone may cancel once the proposer's votes fall below the threshold
/// (Governor Bravo's rule). The governor's own balances are the treasury.
/// Gas beyond the 21,000 + calldata intrinsic cost: propose 100,000, castVote 30,000, queue 30,000,
/// execute 50,000 + 50,000 per action, cancel 30,000; views 0.
interface IGovernor {
    enum ProposalState { Pending, Active, Canceled, Defeated, Succeeded, Queued, Expired, Executed }

    event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description);
    event ProposalQueued(uint256 proposalId, uint256 etaSeconds);
    event ProposalExecuted(uint256 proposalId);
    event ProposalCanceled(uint256 proposalId);
    event VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason);

    error GovernorInvalidProposalLength(uint256 targets, uint256 calldatas, uint256 values);
    error GovernorAlreadyCastVote(address voter);
    error GovernorInvalidVoteType();
    error GovernorNonexistentProposal(uint256 proposalId);
    error GovernorUnexpectedProposalState(uint256 proposalId, ProposalState current, bytes32 expectedStates);
    error GovernorInsufficientProposerVotes(address proposer, uint256 votes, uint256 threshold);
    error GovernorOnlyProposer(address account);
    error GovernorInvalidAction(uint256 index, string reason);
    error GovernorTimelockNotReady(uint256 proposalId, uint256 eta);

    function name() external view returns (string memory);
    function version() external view returns (string memory);
    function COUNTING_MODE() external pure returns (string memory);
    function clock() external view returns (uint48);
    function CLOCK_MODE() external view returns (string memory);
    function token() external view returns (address);
    function hashProposal(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external pure returns (uint256);
    function state(uint256 proposalId) external view returns (ProposalState);
    function proposalThreshold() external view returns (uint256);
    function proposalSnapshot(uint256 proposalId) external view returns (uint256);
    function proposalDeadline(uint256 proposalId) external view returns (uint256);
    function proposalProposer(uint256 proposalId) external view returns (address);
    function proposalEta(uint256 proposalId) external view returns (uint256);
    function proposalNeedsQueuing(uint256 proposalId) external view returns (bool);
    function votingDelay() external view returns (uint256);
    function votingPeriod() external view returns (uint256);
    function quorum(uint256 timepoint) external view returns (uint256);
    function quorumNumerator() external view returns (uint256);
    function quorumDenominator() external view returns (uint256);
    function timelockDelay() external view returns (uint256);
    function gracePeriod() external view returns (uint256);
    function getVotes(address account, uint256 timepoint) external view returns (uint256);
    function hasVoted(uint256 proposalId, address account) external view returns (bool);
    function proposalVotes(uint256 proposalId) external view returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes);
    function proposalCount() external view returns (uint256);
    function proposalDetails(uint256 proposalId) external view returns (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash);
    function proposalDetailsAt(uint256 index) external view returns (uint256 proposalId, address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash);

    function propose(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory description) external returns (uint256 proposalId);
    function queue(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external returns (uint256 proposalId);
    function queue(uint256 proposalId) external;
    function execute(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external payable returns (uint256 proposalId);
    function execute(uint256 proposalId) external payable;
    function cancel(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external returns (uint256 proposalId);
    function castVote(uint256 proposalId, uint8 support) external returns (uint256 balance);
    function castVoteWithReason(uint256 proposalId, uint8 support, string calldata reason) external returns (uint256 balance);
}

/// The actions a proposal may carry, each sent to the module it concerns. Ranges are checked at
/// `propose`:
/// - masterChef.addFarm: a token not farmed yet; allocPoint <= 1,000,000.
/// - masterChef.setFarmAllocation: an existing farm; allocPoint <= 1,000,000.
/// - masterChef.setRewardPerBlock: <= 1,000 SHF (1e21 base units).
/// - govStaking.setGovPerBlock: <= 1,000 GOV (1e21 base units).
/// - uniswapV2Factory.setFeeTo: any address (zero turns the protocol fee off).
/// - governor.transferTreasury: token zero (ETH) or a token; a non-zero recipient and amount.
/// - governor.setParameter / govStaking.setParameter: a declared parameter within its range
///   (listed by `sheaf_governance`).
/// - depositContract.enableWithdrawals: the withdrawals upgrade; validator withdrawals flow from
///   the executing block on (a no-op if they already do).
interface ISheafGovernanceActions {
    function addFarm(address stakedToken, uint64 allocPoint) external;
    function setFarmAllocation(uint256 pid, uint64 allocPoint) external;
    function setRewardPerBlock(uint256 rewardPerBlock) external;
    function setGovPerBlock(uint256 govPerBlock) external;
    function setFeeTo(address feeTo) external;
    function transferTreasury(address token, address to, uint256 amount) external;
    function setParameter(string calldata name, uint256 value) external;
    function enableWithdrawals() external;
}
