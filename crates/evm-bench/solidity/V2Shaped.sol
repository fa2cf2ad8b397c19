// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BenchToken} from "ConstantProduct.sol";

// The same swap in Uniswap V2's shape, as Ethereum users run it: a router that prices the path
// from the pair's reserves and pulls the input straight into the pair, and a pair that pays out
// optimistically, checks the fee-adjusted invariant on its balances, and keeps the lock, the
// packed reserves with their timestamp and the price accumulators. Sheaf's native module does all
// of that too; BenchPair above leaves out the router, the lock and the accumulators.
// Formulas and checks follow Uniswap V2 (v2-core UniswapV2Pair.sol, v2-periphery
// UniswapV2Router02.sol and UniswapV2Library.sol); flash swaps are not supported here.

contract V2Pair {
    address public immutable token0;
    address public immutable token1;
    uint112 private reserve0;
    uint112 private reserve1;
    uint32 private blockTimestampLast;
    uint256 public price0CumulativeLast;
    uint256 public price1CumulativeLast;
    uint256 private unlocked = 1;

    event Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to);
    event Sync(uint112 reserve0, uint112 reserve1);

    modifier lock() {
        require(unlocked == 1, "LOCKED");
        unlocked = 0;
        _;
        unlocked = 1;
    }

    constructor(address a, address b) {
        (token0, token1) = a < b ? (a, b) : (b, a);
    }

    function getReserves() public view returns (uint112, uint112, uint32) {
        return (reserve0, reserve1, blockTimestampLast);
    }

    function _update(uint256 balance0, uint256 balance1, uint112 previous0, uint112 previous1) private {
        require(balance0 <= type(uint112).max && balance1 <= type(uint112).max, "OVERFLOW");
        uint32 now32 = uint32(block.timestamp % 2 ** 32);
        unchecked {
            uint32 elapsed = now32 - blockTimestampLast;
            if (elapsed > 0 && previous0 != 0 && previous1 != 0) {
                // UQ112x112 prices, accumulated per second; overflow is intended, as in V2.
                price0CumulativeLast += ((uint256(previous1) << 112) / previous0) * elapsed;
                price1CumulativeLast += ((uint256(previous0) << 112) / previous1) * elapsed;
            }
        }
        reserve0 = uint112(balance0);
        reserve1 = uint112(balance1);
        blockTimestampLast = now32;
        emit Sync(reserve0, reserve1);
    }

    function sync() external lock {
        _update(BenchToken(token0).balanceOf(address(this)), BenchToken(token1).balanceOf(address(this)), reserve0, reserve1);
    }

    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external lock {
        require(amount0Out > 0 || amount1Out > 0, "INSUFFICIENT_OUTPUT_AMOUNT");
        (uint112 held0, uint112 held1,) = getReserves();
        require(amount0Out < held0 && amount1Out < held1, "INSUFFICIENT_LIQUIDITY");
        uint256 balance0;
        uint256 balance1;
        {
            require(to != token0 && to != token1, "INVALID_TO");
            require(data.length == 0, "NO_FLASH_SWAPS");
            if (amount0Out > 0) require(BenchToken(token0).transfer(to, amount0Out), "TRANSFER_FAILED");
            if (amount1Out > 0) require(BenchToken(token1).transfer(to, amount1Out), "TRANSFER_FAILED");
            balance0 = BenchToken(token0).balanceOf(address(this));
            balance1 = BenchToken(token1).balanceOf(address(this));
        }
        uint256 amount0In = balance0 > held0 - amount0Out ? balance0 - (held0 - amount0Out) : 0;
        uint256 amount1In = balance1 > held1 - amount1Out ? balance1 - (held1 - amount1Out) : 0;
        require(amount0In > 0 || amount1In > 0, "INSUFFICIENT_INPUT_AMOUNT");
        {
            uint256 adjusted0 = balance0 * 1000 - amount0In * 3;
            uint256 adjusted1 = balance1 * 1000 - amount1In * 3;
            require(adjusted0 * adjusted1 >= uint256(held0) * held1 * 1000 ** 2, "K");
        }
        _update(balance0, balance1, held0, held1);
        emit Swap(msg.sender, amount0In, amount1In, amount0Out, amount1Out, to);
    }
}

contract V2Router {
    // Router02 derives a pair's address with CREATE2 arithmetic; a registry read stands in for it.
    mapping(address => mapping(address => address)) public getPair;

    function register(address pair) external {
        address a = V2Pair(pair).token0();
        address b = V2Pair(pair).token1();
        getPair[a][b] = pair;
        getPair[b][a] = pair;
    }

    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        require(amountIn > 0, "INSUFFICIENT_INPUT_AMOUNT");
        require(reserveIn > 0 && reserveOut > 0, "INSUFFICIENT_LIQUIDITY");
        uint256 amountInWithFee = amountIn * 997;
        return (amountInWithFee * reserveOut) / (reserveIn * 1000 + amountInWithFee);
    }

    function pairOf(address a, address b) internal view returns (address pair) {
        pair = getPair[a][b];
        require(pair != address(0), "NO_PAIR");
    }

    function swapExactTokensForTokens(uint256 amountIn, uint256 amountOutMin, address[] calldata path, address to, uint256 deadline)
        external
        returns (uint256[] memory amounts)
    {
        require(deadline >= block.timestamp, "EXPIRED");
        require(path.length >= 2, "INVALID_PATH");
        amounts = new uint256[](path.length);
        amounts[0] = amountIn;
        for (uint256 i; i < path.length - 1; i++) {
            (uint112 r0, uint112 r1,) = V2Pair(pairOf(path[i], path[i + 1])).getReserves();
            (uint256 reserveIn, uint256 reserveOut) = path[i] < path[i + 1] ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
            amounts[i + 1] = getAmountOut(amounts[i], reserveIn, reserveOut);
        }
        require(amounts[amounts.length - 1] >= amountOutMin, "INSUFFICIENT_OUTPUT_AMOUNT");
        require(BenchToken(path[0]).transferFrom(msg.sender, pairOf(path[0], path[1]), amounts[0]), "TRANSFER_FROM_FAILED");
        for (uint256 i; i < path.length - 1; i++) {
            (address input, address output) = (path[i], path[i + 1]);
            uint256 amountOut = amounts[i + 1];
            (uint256 amount0Out, uint256 amount1Out) = input < output ? (uint256(0), amountOut) : (amountOut, uint256(0));
            address recipient = i < path.length - 2 ? pairOf(output, path[i + 2]) : to;
            V2Pair(pairOf(input, output)).swap(amount0Out, amount1Out, recipient, new bytes(0));
        }
    }
}
