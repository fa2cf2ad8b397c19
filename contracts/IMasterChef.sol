// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The farm module, with SushiSwap MasterChef V2's ABI and semantics
/// (sushi-labs/sushiswap: protocols/masterchef/contracts/MasterChefV2.sol). Differences:
/// - `pendingSushi` is `pendingReward`, `sushiPerBlock` is `rewardPerBlock`, `SUSHI` is
///   `rewardToken`, and the accumulator is a uint256 scaled by ACC_REWARD_PRECISION = 1e36
///   (V2: uint128 scaled by 1e12), so no staker loses more than one base unit per action.
/// - Stake is counted from the farm's own records (`lpSupply`), never from its token balance, so a
///   farm whose staked token is the reward token itself works.
/// - Blocks in which a farm has no stake mint nothing: that emission is never created.
/// - There is no rewarder hook, and `add`/`set` are governance actions, not calls.
/// Gas beyond the 21,000 + calldata intrinsic cost: deposit 45,000, withdraw 45,000,
/// harvest 40,000, withdrawAndHarvest 55,000, emergencyWithdraw 40,000, updatePool 20,000,
/// massUpdatePools 20,000 per pool; views 0.
interface IMasterChef {
    event Deposit(address indexed user, uint256 indexed pid, uint256 amount, address indexed to);
    event Withdraw(address indexed user, uint256 indexed pid, uint256 amount, address indexed to);
    event EmergencyWithdraw(address indexed user, uint256 indexed pid, uint256 amount, address indexed to);
    event Harvest(address indexed user, uint256 indexed pid, uint256 amount);
    event LogPoolAddition(uint256 indexed pid, uint256 allocPoint, address indexed lpToken, address indexed rewarder);
    event LogSetPool(uint256 indexed pid, uint256 allocPoint, address indexed rewarder, bool overwrite);
    event LogUpdatePool(uint256 indexed pid, uint64 lastRewardBlock, uint256 lpSupply, uint256 accRewardPerShare);
    event LogRewardPerBlock(uint256 rewardPerBlock);

    error UnknownFarm(uint256 pid);
    error InsufficientStake(uint256 staked, uint256 requested);
    error ZeroRecipient();
    error AccumulatorOverflow(uint256 pid);

    function rewardToken() external view returns (address);
    function poolLength() external view returns (uint256);
    function poolInfo(uint256 pid) external view returns (uint256 accRewardPerShare, uint64 lastRewardBlock, uint64 allocPoint);
    function lpToken(uint256 pid) external view returns (address);
    function lpSupply(uint256 pid) external view returns (uint256);
    function userInfo(uint256 pid, address user) external view returns (uint256 amount, int256 rewardDebt);
    function totalAllocPoint() external view returns (uint256);
    function rewardPerBlock() external view returns (uint256);
    function pendingReward(uint256 pid, address user) external view returns (uint256);
    function ACC_REWARD_PRECISION() external view returns (uint256);

    function updatePool(uint256 pid) external;
    function massUpdatePools(uint256[] calldata pids) external;
    function deposit(uint256 pid, uint256 amount, address to) external;
    function withdraw(uint256 pid, uint256 amount, address to) external;
    function harvest(uint256 pid, address to) external;
    function withdrawAndHarvest(uint256 pid, uint256 amount, address to) external;
    function emergencyWithdraw(uint256 pid, address to) external;
}
