// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The Uniswap V2 Factory interface (Uniswap/v2-core IUniswapV2Factory) at the `uniswapV2Factory`
/// system address. `setFeeTo`/`setFeeToSetter` are governance actions on Sheaf, not calls.
/// Gas beyond the intrinsic cost: createPair 150,000; views 0.
interface IUniswapV2Factory {
    event PairCreated(address indexed token0, address indexed token1, address pair, uint256);

    function feeTo() external view returns (address);
    function feeToSetter() external view returns (address);
    function getPair(address tokenA, address tokenB) external view returns (address pair);
    function allPairs(uint256) external view returns (address pair);
    function allPairsLength() external view returns (uint256);
    function createPair(address tokenA, address tokenB) external returns (address pair);
}
