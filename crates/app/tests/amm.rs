//! Router reverts as transactions: each is a failed receipt with a clear reason, and nothing
//! changes except the sender's fee and nonce.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use sheaf_abi::{IERC20, IUniswapV2Factory, IUniswapV2Router02 as R, system};
use sheaf_amm::AmmRead;
use sheaf_app::{Genesis, genesis::DEV_KEYS, test_node::TestNode};
use sheaf_bank::BankRead;
use sheaf_primitives::{ETHER, GWEI};
use sheaf_tx::sign::Signer;

const T0: u64 = 1_700_000_000;

#[test]
fn router_reverts_change_nothing_but_fee_and_nonce() {
    let mut node = TestNode::new(&Genesis::dev(T0));
    let user = Signer::new(DEV_KEYS[6].1).expect("key");
    let s = node.snapshot();
    let (shf, gov, dai) = (
        s.token_at(0).expect("SHF"),
        s.token_at(1).expect("GOV"),
        s.token_at(2).expect("DAI"),
    );
    drop(s);
    let deadline = U256::from(T0 + 3600);
    let one = U256::from(1u64) * ETHER;
    let router = system::UNISWAP_V2_ROUTER;

    let cases: Vec<(&str, Address, U256, Vec<u8>, &str)> = vec![
        (
            "expired deadline",
            router,
            one,
            R::swapExactETHForTokensCall {
                amountOutMin: U256::ZERO,
                path: vec![system::WETH, dai],
                to: user.address,
                deadline: U256::from(T0 - 1),
            }
            .abi_encode(),
            "UniswapV2Router: EXPIRED",
        ),
        (
            "slippage exceeded",
            router,
            one,
            R::swapExactETHForTokensCall {
                amountOutMin: U256::from(10_000u64) * ETHER,
                path: vec![system::WETH, dai],
                to: user.address,
                deadline,
            }
            .abi_encode(),
            "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT",
        ),
        (
            "insufficient liquidity",
            router,
            U256::from(1_000u64) * ETHER,
            R::swapETHForExactTokensCall {
                amountOut: U256::from(300_000u64) * ETHER,
                path: vec![system::WETH, dai],
                to: user.address,
                deadline,
            }
            .abi_encode(),
            "UniswapV2Library: INSUFFICIENT_LIQUIDITY",
        ),
        (
            "identical tokens",
            system::UNISWAP_V2_FACTORY,
            U256::ZERO,
            IUniswapV2Factory::createPairCall {
                tokenA: dai,
                tokenB: dai,
            }
            .abi_encode(),
            "UniswapV2: IDENTICAL_ADDRESSES",
        ),
        (
            "unknown pair",
            router,
            U256::ZERO,
            R::swapExactTokensForTokensCall {
                amountIn: one,
                amountOutMin: U256::ZERO,
                path: vec![shf, gov],
                to: user.address,
                deadline,
            }
            .abi_encode(),
            "UniswapV2Library: no pool",
        ),
        (
            "insufficient allowance",
            router,
            U256::ZERO,
            R::swapExactTokensForTokensCall {
                amountIn: one,
                amountOutMin: U256::ZERO,
                path: vec![dai, system::WETH],
                to: user.address,
                deadline,
            }
            .abi_encode(),
            "ERC20InsufficientAllowance",
        ),
    ];
    for (name, to, value, data, reason) in cases {
        let before = node.snapshot();
        let (eth, dai_held, nonce) = (
            before.eth_balance(&user.address),
            before.token_balance(&dai, &user.address),
            before.nonce(&user.address),
        );
        let pool = before
            .get_pair(&dai, &system::WETH)
            .expect("dev ETH/DAI pool");
        let pool_dai = before.token_balance(&dai, &pool);
        drop(before);
        let (success, why) = node.execute_one(&user, to, value, data, 1_000_000);
        assert!(!success, "{name}: should revert");
        assert!(why.contains(reason), "{name}: reason was {why:?}");
        let after = node.snapshot();
        assert_eq!(
            after.nonce(&user.address),
            nonce + 1,
            "{name}: nonce bumped"
        );
        let fee = eth - after.eth_balance(&user.address);
        assert!(
            fee > U256::ZERO && fee < U256::from(GWEI) * U256::from(11_000_000u64),
            "{name}: only the fee left ({fee})"
        );
        assert_eq!(
            after.token_balance(&dai, &user.address),
            dai_held,
            "{name}: DAI untouched"
        );
        assert_eq!(
            after.token_balance(&dai, &pool),
            pool_dai,
            "{name}: pool untouched"
        );
    }
    // With an exact approval the same swap goes through.
    let approve = IERC20::approveCall {
        spender: router,
        value: ETHER,
    }
    .abi_encode();
    assert!(
        node.execute_one(&user, dai, U256::ZERO, approve, 1_000_000)
            .0
    );
    let swap = R::swapExactTokensForETHCall {
        amountIn: ETHER,
        amountOutMin: U256::ZERO,
        path: vec![dai, system::WETH],
        to: user.address,
        deadline,
    }
    .abi_encode();
    let (ok, why) = node.execute_one(&user, router, U256::ZERO, swap, 1_000_000);
    assert!(ok, "{why}");
}

/// `sheaf_pools` reads a day's volume from the chain's swap-volume index: running totals of each
/// pool's swap inputs, written as blocks commit. A swap older than a day drops out of the
/// difference; the ones inside it count in full, on the side they paid in.
#[test]
fn swap_volume_index_covers_the_last_day() {
    let mut node = TestNode::new(&Genesis::dev(T0));
    let user = Signer::new(DEV_KEYS[6].1).expect("key");
    let dai = node.snapshot().token_at(2).expect("DAI");
    let pair = node
        .snapshot()
        .get_pair(&system::WETH, &dai)
        .expect("ETH/DAI pool");
    let weth_is_token0 = system::WETH < dai;
    let calldata = R::swapExactETHForTokensCall {
        amountOutMin: U256::ZERO,
        path: vec![system::WETH, dai],
        to: user.address,
        deadline: U256::from(T0 + 10 * 86_400),
    }
    .abi_encode();
    let router = system::UNISWAP_V2_ROUTER;
    let mut heights = vec![];
    for (eth, gap) in [(1u64, 0u64), (2, 50_000), (3, 50_000)] {
        node.advance_clock(gap);
        let (ok, why) = node.execute_one(
            &user,
            router,
            U256::from(eth) * ETHER,
            calldata.clone(),
            300_000,
        );
        assert!(ok, "swap of {eth} ETH failed: {why}");
        heights.push(node.height());
    }
    node.fast_forward(2);

    let chain = node.app.shared().chain().clone();
    let head = node.height();
    let head_time = chain
        .header(head)
        .expect("read")
        .expect("head")
        .header
        .timestamp;
    let first = chain
        .first_block_since(head_time - 86_400, head)
        .expect("search")
        .expect("a block within the day");
    assert_eq!(
        first, heights[1],
        "the day starts with the second swap's block"
    );
    assert_eq!(
        chain.swap_volume_from().expect("read"),
        Some(1),
        "a new chain is indexed from its first block"
    );
    assert_eq!(
        chain
            .first_block_since(head_time + 1, head)
            .expect("search"),
        None
    );

    // Every swap paid ETH in, so all volume sits on WETH's side of the pair.
    let on_weth_side = |eth: u64| {
        let amount = U256::from(eth) * ETHER;
        if weth_is_token0 {
            (amount, U256::ZERO)
        } else {
            (U256::ZERO, amount)
        }
    };
    let (now, before) = (
        chain.swap_volume(&pair, head).expect("read"),
        chain.swap_volume(&pair, first - 1).expect("read"),
    );
    assert_eq!((now.0 - before.0, now.1 - before.1), on_weth_side(2 + 3));
    assert_eq!(now, on_weth_side(1 + 2 + 3));
    // Between trades the totals stand still.
    assert_eq!(
        chain.swap_volume(&pair, heights[2] - 1).expect("read"),
        chain.swap_volume(&pair, heights[1]).expect("read")
    );
}
