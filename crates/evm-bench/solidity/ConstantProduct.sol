// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The EVM side of Sheaf's swap benchmark: the same single-hop, exact-input, constant-product swap
// that Sheaf's Router02 `swapExactTokensForTokens` runs natively, written plainly in Solidity.
// Each swap pulls the input with transferFrom, prices it with Uniswap V2's 997/1000 formula,
// pays the output, updates the reserves and logs as a pair does (Transfer, Swap, Sync).

contract BenchToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        emit Transfer(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        return true;
    }
}

contract BenchPair {
    BenchToken public immutable token0;
    BenchToken public immutable token1;
    uint112 public reserve0;
    uint112 public reserve1;

    event Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to);
    event Sync(uint112 reserve0, uint112 reserve1);

    constructor(BenchToken a, BenchToken b) {
        (token0, token1) = address(a) < address(b) ? (a, b) : (b, a);
    }

    /// Seeds the reserves from what was transferred in.
    function sync() external {
        reserve0 = uint112(token0.balanceOf(address(this)));
        reserve1 = uint112(token1.balanceOf(address(this)));
        emit Sync(reserve0, reserve1);
    }

    function swapExactTokensForTokens(uint256 amountIn, uint256 amountOutMin, address tokenIn, address to, uint256 deadline)
        external
        returns (uint256 amountOut)
    {
        require(block.timestamp <= deadline, "EXPIRED");
        bool zeroForOne = tokenIn == address(token0);
        require(zeroForOne || tokenIn == address(token1), "UNKNOWN_TOKEN");
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (uint256(reserve0), uint256(reserve1)) : (uint256(reserve1), uint256(reserve0));
        uint256 amountInWithFee = amountIn * 997;
        amountOut = (amountInWithFee * reserveOut) / (reserveIn * 1000 + amountInWithFee);
        require(amountOut >= amountOutMin, "INSUFFICIENT_OUTPUT_AMOUNT");
        require(amountOut > 0 && amountOut < reserveOut, "INSUFFICIENT_LIQUIDITY");
        BenchToken(tokenIn).transferFrom(msg.sender, address(this), amountIn);
        (zeroForOne ? token1 : token0).transfer(to, amountOut);
        uint256 balance0 = token0.balanceOf(address(this));
        uint256 balance1 = token1.balanceOf(address(this));
        require(balance0 * balance1 >= uint256(reserve0) * reserve1, "K");
        reserve0 = uint112(balance0);
        reserve1 = uint112(balance1);
        if (zeroForOne) emit Swap(msg.sender, amountIn, 0, 0, amountOut, to);
        else emit Swap(msg.sender, 0, amountIn, amountOut, 0, to);
        emit Sync(reserve0, reserve1);
    }
}
