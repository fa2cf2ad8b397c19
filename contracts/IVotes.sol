// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// ERC20Votes (OpenZeppelin v5 `IVotes` + ERC-6372 clock), answered at the address of a token whose
/// votes are tracked (GOV). The clock is the block number. Voting power counts only once an account
/// has delegated (to itself or another); holders listed in genesis start self-delegated.
/// Gas beyond the 21,000 + calldata intrinsic cost: delegate 20,000; views 0. Every transfer, mint
/// and burn of such a token also moves its holders' delegated votes.
interface IVotes {
    event DelegateChanged(address indexed delegator, address indexed fromDelegate, address indexed toDelegate);
    event DelegateVotesChanged(address indexed delegate, uint256 previousVotes, uint256 newVotes);

    error ERC5805FutureLookup(uint256 timepoint, uint48 clock);

    struct Checkpoint208 {
        uint48 _key;
        uint208 _value;
    }

    function getVotes(address account) external view returns (uint256);
    /// Reverts with ERC5805FutureLookup unless `timepoint < clock()`.
    function getPastVotes(address account, uint256 timepoint) external view returns (uint256);
    function getPastTotalSupply(uint256 timepoint) external view returns (uint256);
    function delegates(address account) external view returns (address);
    function delegate(address delegatee) external;
    function numCheckpoints(address account) external view returns (uint32);
    function checkpoints(address account, uint32 pos) external view returns (Checkpoint208 memory);
    function clock() external view returns (uint48);
    function CLOCK_MODE() external view returns (string memory);
}
