// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// WETH9's interface at the `WETH` system address; the ERC-20 functions are IERC20's. Sending ETH
/// with empty calldata deposits, as WETH9's fallback does.
/// Gas beyond the intrinsic cost: deposit 10,000; withdraw 12,000.
interface IWETH9 {
    event Deposit(address indexed dst, uint256 wad);
    event Withdrawal(address indexed src, uint256 wad);

    function deposit() external payable;
    function withdraw(uint256 wad) external;
}
