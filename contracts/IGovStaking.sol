// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// Governance staking: stake SHF, earn GOV every block at a governance-set rate (the farm's
/// reward-per-share accounting), claim it at any time. Unstaking is two steps: `requestUnstake`
/// moves SHF out of the stake into a cooldown (where it earns nothing), and `withdraw` returns it
/// once `cooldownBlocks` have passed. A new request adds to the cooling amount and restarts the
/// cooldown for all of it. GOV earned while nothing is staked is never minted.
/// Gas beyond the 21,000 + calldata intrinsic cost: stake 45,000, requestUnstake 45,000,
/// withdraw 30,000, claim 40,000; views 0.
interface IGovStaking {
    event Staked(address indexed user, uint256 amount);
    event UnstakeRequested(address indexed user, uint256 amount, uint256 cooldownEnd);
    event Withdrawn(address indexed user, uint256 amount);
    event Claimed(address indexed user, address indexed to, uint256 amount);

    error ZeroAmount();
    error InsufficientStake(uint256 staked, uint256 requested);
    error CooldownNotOver(uint256 cooldownEnd, uint256 blockNumber);
    error NothingCoolingDown();

    function stakingToken() external view returns (address);
    function rewardToken() external view returns (address);
    function govPerBlock() external view returns (uint256);
    function cooldownBlocks() external view returns (uint256);
    function totalStaked() external view returns (uint256);
    function stakedOf(address user) external view returns (uint256);
    function pendingGov(address user) external view returns (uint256);
    function cooldownOf(address user) external view returns (uint256 amount, uint256 cooldownEnd);

    function stake(uint256 amount) external;
    function requestUnstake(uint256 amount) external;
    function withdraw() external;
    function claim(address to) external;
}
