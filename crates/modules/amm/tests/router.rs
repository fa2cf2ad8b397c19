//! Router02 through its ABI. Expected numbers: Uniswap/v2-periphery
//! `test/UniswapV2Router02.spec.ts` (getAmountsOut/getAmountsIn after addLiquidity(10000, 10000)).

use alloy_primitives::{Address, Bytes, U256, address};
use alloy_sol_types::SolCall;
use sheaf_abi::{
    IUniswapV2Router02 as R,
    system::{UNISWAP_V2_ROUTER, WETH},
};
use sheaf_amm::{AmmRead, router, weth};
use sheaf_bank::{BankRead, BankWrite, TokenMeta, create_user_token};
use sheaf_module_api::{BlockContext, CallEnv, Revert};
use sheaf_state::{Delta, EmptyState, StateWrite};

const USER: Address = address!("00000000000000000000000000000000000000c1");
const NOW: u64 = 1_700_000_000;

fn env(value: U256) -> CallEnv {
    CallEnv {
        caller: USER,
        to: UNISWAP_V2_ROUTER,
        value,
        block: BlockContext {
            height: 1,
            timestamp: NOW,
            proposer: Address::ZERO,
            base_fee: 0,
        },
    }
}

fn call<S: StateWrite>(state: &mut S, data: Vec<u8>) -> Result<Bytes, Revert> {
    router::call(state, &env(U256::ZERO), &data, &mut vec![])
}

fn setup() -> (Delta<EmptyState>, Vec<Address>) {
    let mut state = Delta::new(EmptyState);
    weth::init_genesis(&mut state);
    let mut tokens = vec![];
    for symbol in ["T0", "T1", "T2"] {
        let meta = TokenMeta {
            name: symbol.into(),
            symbol: symbol.into(),
            decimals: 18,
            minter: Address::ZERO,
        };
        let token = create_user_token(
            &mut state,
            &USER,
            meta,
            U256::from(1_000_000u64),
            &mut vec![],
        )
        .expect("token");
        state.set_allowance(&token, &USER, &UNISWAP_V2_ROUTER, U256::MAX);
        tokens.push(token);
    }
    (state, tokens)
}

fn add(state: &mut Delta<EmptyState>, a: Address, b: Address, amount: u64) {
    let data = R::addLiquidityCall {
        tokenA: a,
        tokenB: b,
        amountADesired: U256::from(amount),
        amountBDesired: U256::from(amount),
        amountAMin: U256::ZERO,
        amountBMin: U256::ZERO,
        to: USER,
        deadline: U256::from(NOW),
    };
    call(state, data.abi_encode()).expect("addLiquidity");
}

#[test]
fn periphery_amounts_vectors() {
    let (mut state, t) = setup();
    add(&mut state, t[0], t[1], 10_000);
    let out = call(
        &mut state,
        R::getAmountsOutCall {
            amountIn: U256::from(2),
            path: vec![t[0], t[1]],
        }
        .abi_encode(),
    )
    .expect("view");
    assert_eq!(
        R::getAmountsOutCall::abi_decode_returns(&out).expect("uint[]"),
        vec![U256::from(2), U256::from(1)]
    );
    let out = call(
        &mut state,
        R::getAmountsInCall {
            amountOut: U256::from(1),
            path: vec![t[0], t[1]],
        }
        .abi_encode(),
    )
    .expect("view");
    assert_eq!(
        R::getAmountsInCall::abi_decode_returns(&out).expect("uint[]"),
        vec![U256::from(2), U256::from(1)]
    );
    let bad = call(
        &mut state,
        R::getAmountsOutCall {
            amountIn: U256::from(2),
            path: vec![t[0]],
        }
        .abi_encode(),
    );
    assert_eq!(
        bad.unwrap_err().to_string(),
        "UniswapV2Library: INVALID_PATH"
    );
}

#[test]
fn multi_hop_exact_in_and_exact_out() {
    let (mut state, t) = setup();
    add(&mut state, t[0], t[1], 100_000);
    add(&mut state, t[1], t[2], 100_000);
    let path = vec![t[0], t[1], t[2]];
    let quoted = router::amounts_out(&state, U256::from(1000), &path).expect("quote");
    let before = state.token_balance(&t[2], &USER);
    let swap = R::swapExactTokensForTokensCall {
        amountIn: U256::from(1000),
        amountOutMin: quoted[2],
        path: path.clone(),
        to: USER,
        deadline: U256::from(NOW),
    };
    call(&mut state, swap.abi_encode()).expect("two hops");
    assert_eq!(state.token_balance(&t[2], &USER) - before, quoted[2]);
    assert!(
        state.token_balance(&t[1], &UNISWAP_V2_ROUTER).is_zero(),
        "the router keeps nothing"
    );

    let needed = router::amounts_in(&state, U256::from(500), &path).expect("quote");
    let too_tight = R::swapTokensForExactTokensCall {
        amountOut: U256::from(500),
        amountInMax: needed[0] - U256::from(1),
        path: path.clone(),
        to: USER,
        deadline: U256::from(NOW),
    };
    assert_eq!(
        call(&mut state, too_tight.abi_encode())
            .unwrap_err()
            .to_string(),
        "UniswapV2Router: EXCESSIVE_INPUT_AMOUNT"
    );
    let exact = R::swapTokensForExactTokensCall {
        amountOut: U256::from(500),
        amountInMax: needed[0],
        path,
        to: USER,
        deadline: U256::from(NOW),
    };
    call(&mut state, exact.abi_encode()).expect("exact out");
}

#[test]
fn deadline_and_slippage_are_enforced() {
    let (mut state, t) = setup();
    add(&mut state, t[0], t[1], 10_000);
    let late = R::swapExactTokensForTokensCall {
        amountIn: U256::from(100),
        amountOutMin: U256::ZERO,
        path: vec![t[0], t[1]],
        to: USER,
        deadline: U256::from(NOW - 1),
    };
    assert_eq!(
        call(&mut state, late.abi_encode()).unwrap_err().to_string(),
        "UniswapV2Router: EXPIRED"
    );
    let greedy = R::swapExactTokensForTokensCall {
        amountIn: U256::from(100),
        amountOutMin: U256::from(99),
        path: vec![t[0], t[1]],
        to: USER,
        deadline: U256::from(NOW),
    };
    assert_eq!(
        call(&mut state, greedy.abi_encode())
            .unwrap_err()
            .to_string(),
        "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"
    );
}

#[test]
fn eth_in_is_wrapped_and_the_change_refunded() {
    let (mut state, t) = setup();
    // The execution layer moves msg.value to the router before calling it.
    state
        .genesis_mint_eth(&UNISWAP_V2_ROUTER, U256::from(5_000u64))
        .expect("eth");
    let data = R::addLiquidityETHCall {
        token: t[0],
        amountTokenDesired: U256::from(4_000u64),
        amountTokenMin: U256::ZERO,
        amountETHMin: U256::ZERO,
        to: USER,
        deadline: U256::from(NOW),
    };
    router::call(
        &mut state,
        &env(U256::from(5_000u64)),
        &data.abi_encode(),
        &mut vec![],
    )
    .expect("addLiquidityETH");
    let pair = state.get_pair(&t[0], &WETH).expect("pool created");
    assert_eq!(state.token_balance(&WETH, &pair), U256::from(5_000u64));
    assert_eq!(
        state.eth_balance(&WETH),
        U256::from(5_000u64),
        "every WETH is backed by ETH"
    );

    // Exact-out with ETH: the unused ETH goes back to the caller.
    state
        .genesis_mint_eth(&UNISWAP_V2_ROUTER, U256::from(1_000u64))
        .expect("eth");
    let data = R::swapETHForExactTokensCall {
        amountOut: U256::from(100u64),
        path: vec![WETH, t[0]],
        to: USER,
        deadline: U256::from(NOW),
    };
    let out = router::call(
        &mut state,
        &env(U256::from(1_000u64)),
        &data.abi_encode(),
        &mut vec![],
    )
    .expect("swap");
    let amounts = R::swapETHForExactTokensCall::abi_decode_returns(&out).expect("uint[]");
    assert_eq!(state.eth_balance(&USER), U256::from(1_000u64) - amounts[0]);
    assert!(state.eth_balance(&UNISWAP_V2_ROUTER).is_zero());
    assert_eq!(state.token_supply(&WETH), state.eth_balance(&WETH));
}
