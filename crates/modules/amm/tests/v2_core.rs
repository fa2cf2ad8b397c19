//! Uniswap V2's own pair tests, reproduced bit for bit. Source of every expected number:
//! Uniswap/v2-core `test/UniswapV2Pair.spec.ts` (mint, swapTestCases, optimisticTestCases,
//! swap:token0, swap:token1, burn, price{0,1}CumulativeLast, feeTo:off, feeTo:on).

use alloy_primitives::{Address, U256, address};
use sheaf_amm::{AmmRead, MINIMUM_LIQUIDITY, burn, create_pair, mint, set_fee_to, swap, sync};
use sheaf_bank::{BankRead, BankWrite, TokenMeta, create_user_token};
use sheaf_module_api::BlockContext;
use sheaf_state::{Delta, EmptyState};

const WALLET: Address = address!("00000000000000000000000000000000000000a1");
const OTHER: Address = address!("00000000000000000000000000000000000000a2");

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn at(timestamp: u64) -> BlockContext {
    BlockContext {
        height: timestamp,
        timestamp,
        proposer: Address::ZERO,
        base_fee: 0,
    }
}

struct Fixture {
    state: Delta<EmptyState>,
    token0: Address,
    token1: Address,
    pair: Address,
}

impl Fixture {
    fn new() -> Self {
        let mut state = Delta::new(EmptyState);
        let mut logs = vec![];
        let mut token = |symbol: &str| {
            let meta = TokenMeta {
                name: symbol.into(),
                symbol: symbol.into(),
                decimals: 18,
                minter: Address::ZERO,
            };
            create_user_token(&mut state, &WALLET, meta, e18(10_000), &mut logs).expect("token")
        };
        let (a, b) = (token("TKA"), token("TKB"));
        let pair = create_pair(&mut state, a, b, &mut logs).expect("pair");
        let pool = state.pool(&pair).expect("pool");
        Fixture {
            state,
            token0: pool.token0,
            token1: pool.token1,
            pair,
        }
    }

    fn send(&mut self, token: Address, amount: U256) {
        self.state
            .transfer_token(&token, &WALLET, &self.pair, amount, &mut vec![])
            .expect("transfer to pair");
    }

    fn add_liquidity(&mut self, amount0: U256, amount1: U256, time: u64) -> U256 {
        self.send(self.token0, amount0);
        self.send(self.token1, amount1);
        mint(
            &mut self.state,
            &at(time),
            &WALLET,
            &self.pair,
            &WALLET,
            &mut vec![],
        )
        .expect("mint")
    }

    fn reserves(&self) -> (U256, U256) {
        let pool = self.state.pool(&self.pair).expect("pool");
        (pool.reserve0, pool.reserve1)
    }

    fn supply(&self) -> U256 {
        self.state.token_supply(&self.pair)
    }
}

#[test]
fn mint_first_liquidity() {
    let mut f = Fixture::new();
    let mut logs = vec![];
    f.send(f.token0, e18(1));
    f.send(f.token1, e18(4));
    let liquidity =
        sheaf_amm::mint(&mut f.state, &at(1), &WALLET, &f.pair, &WALLET, &mut logs).expect("mint");
    let expected = e18(2);
    assert_eq!(liquidity, expected - U256::from(MINIMUM_LIQUIDITY));
    assert_eq!(f.supply(), expected);
    assert_eq!(
        f.state.token_balance(&f.pair, &WALLET),
        U256::from(1999999999999999000u128)
    );
    assert_eq!(
        f.state.token_balance(&f.pair, &Address::ZERO),
        U256::from(1000)
    );
    assert_eq!(f.reserves(), (e18(1), e18(4)));
    // Transfer(0 → 0, 1000), Transfer(0 → wallet, 2e18 - 1000), Sync, Mint.
    assert_eq!(logs.len(), 4);
}

#[test]
fn swap_test_cases() {
    let cases: [(u64, u64, u64, u128); 7] = [
        (1, 5, 10, 1662497915624478906),
        (1, 10, 5, 453305446940074565),
        (2, 5, 10, 2851015155847869602),
        (2, 10, 5, 831248957812239453),
        (1, 10, 10, 906610893880149131),
        (1, 100, 100, 987158034397061298),
        (1, 1000, 1000, 996006981039903216),
    ];
    for (amount_in, r0, r1, out) in cases {
        let mut f = Fixture::new();
        f.add_liquidity(e18(r0), e18(r1), 1);
        f.send(f.token0, e18(amount_in));
        let out = U256::from(out);
        let too_much = swap(
            &mut Delta::new(&f.state),
            &at(2),
            &WALLET,
            &f.pair,
            U256::ZERO,
            out + U256::from(1),
            &WALLET,
            &mut vec![],
        );
        assert_eq!(too_much.unwrap_err().to_string(), "UniswapV2: K");
        swap(
            &mut f.state,
            &at(2),
            &WALLET,
            &f.pair,
            U256::ZERO,
            out,
            &WALLET,
            &mut vec![],
        )
        .expect("exact output");
    }
}

#[test]
fn optimistic_test_cases() {
    let cases: [(u128, u64, u64, u128); 4] = [
        (997000000000000000, 5, 10, 1000000000000000000),
        (997000000000000000, 10, 5, 1000000000000000000),
        (997000000000000000, 5, 5, 1000000000000000000),
        (1000000000000000000, 5, 5, 1003009027081243732),
    ];
    for (out, r0, r1, amount_in) in cases {
        let mut f = Fixture::new();
        f.add_liquidity(e18(r0), e18(r1), 1);
        f.send(f.token0, U256::from(amount_in));
        let out = U256::from(out);
        let too_much = swap(
            &mut Delta::new(&f.state),
            &at(2),
            &WALLET,
            &f.pair,
            out + U256::from(1),
            U256::ZERO,
            &WALLET,
            &mut vec![],
        );
        assert_eq!(too_much.unwrap_err().to_string(), "UniswapV2: K");
        swap(
            &mut f.state,
            &at(2),
            &WALLET,
            &f.pair,
            out,
            U256::ZERO,
            &WALLET,
            &mut vec![],
        )
        .expect("exact output");
    }
}

#[test]
fn swap_token0_and_token1() {
    let mut f = Fixture::new();
    f.add_liquidity(e18(5), e18(10), 1);
    f.send(f.token0, e18(1));
    let out = U256::from(1662497915624478906u128);
    swap(
        &mut f.state,
        &at(2),
        &WALLET,
        &f.pair,
        U256::ZERO,
        out,
        &WALLET,
        &mut vec![],
    )
    .expect("swap");
    assert_eq!(f.reserves(), (e18(6), U256::from(8337502084375521094u128)));
    assert_eq!(
        f.state.token_balance(&f.token1, &f.pair),
        U256::from(8337502084375521094u128)
    );

    let mut f = Fixture::new();
    f.add_liquidity(e18(5), e18(10), 1);
    f.send(f.token1, e18(1));
    let out = U256::from(453305446940074565u128);
    swap(
        &mut f.state,
        &at(2),
        &WALLET,
        &f.pair,
        out,
        U256::ZERO,
        &WALLET,
        &mut vec![],
    )
    .expect("swap");
    assert_eq!(f.reserves(), (U256::from(4546694553059925435u128), e18(11)));
}

#[test]
fn burn_all_but_minimum() {
    let mut f = Fixture::new();
    let wallet0 = f.state.token_balance(&f.token0, &WALLET);
    let liquidity = f.add_liquidity(e18(3), e18(3), 1);
    assert_eq!(liquidity, e18(3) - U256::from(1000));
    f.state
        .transfer_token(&f.pair, &WALLET, &f.pair, liquidity, &mut vec![])
        .expect("LP to pair");
    let (amount0, amount1) =
        sheaf_amm::burn(&mut f.state, &at(2), &WALLET, &f.pair, &WALLET, &mut vec![])
            .expect("burn");
    assert_eq!(
        (amount0, amount1),
        (e18(3) - U256::from(1000), e18(3) - U256::from(1000))
    );
    assert_eq!(f.supply(), U256::from(1000));
    assert_eq!(f.reserves(), (U256::from(1000), U256::from(1000)));
    assert_eq!(f.state.token_balance(&f.token0, &f.pair), U256::from(1000));
    assert_eq!(
        f.state.token_balance(&f.token0, &WALLET),
        wallet0 - U256::from(1000)
    );
}

#[test]
fn price_cumulative_last() {
    let mut f = Fixture::new();
    let t = 1_700_000_000u64;
    f.add_liquidity(e18(3), e18(3), t);
    let q112 = U256::from(1) << 112usize;

    sync(&mut f.state, &at(t + 1), &f.pair, &mut vec![]).expect("sync");
    let pool = f.state.pool(&f.pair).expect("pool");
    assert_eq!(pool.price0_cumulative_last, q112);
    assert_eq!(pool.price1_cumulative_last, q112);
    assert_eq!(pool.block_timestamp_last as u64, t + 1);

    f.send(f.token0, e18(3));
    swap(
        &mut f.state,
        &at(t + 10),
        &WALLET,
        &f.pair,
        U256::ZERO,
        e18(1),
        &WALLET,
        &mut vec![],
    )
    .expect("swap");
    let pool = f.state.pool(&f.pair).expect("pool");
    assert_eq!(pool.price0_cumulative_last, q112 * U256::from(10));
    assert_eq!(pool.price1_cumulative_last, q112 * U256::from(10));
    assert_eq!(f.reserves(), (e18(6), e18(2)));

    sync(&mut f.state, &at(t + 20), &f.pair, &mut vec![]).expect("sync");
    let pool = f.state.pool(&f.pair).expect("pool");
    assert_eq!(
        pool.price0_cumulative_last,
        U256::from_str_radix("69230624780464368380406617722934610", 10).expect("n")
    );
    assert_eq!(
        pool.price1_cumulative_last,
        U256::from_str_radix("207691874341393105141219853168803840", 10).expect("n")
    );
}

fn fee_scenario(fee_on: bool) -> Fixture {
    let mut f = Fixture::new();
    if fee_on {
        set_fee_to(&mut f.state, OTHER);
    }
    let liquidity = f.add_liquidity(e18(1000), e18(1000), 1);
    f.send(f.token1, e18(1));
    swap(
        &mut f.state,
        &at(2),
        &WALLET,
        &f.pair,
        U256::from(996006981039903216u128),
        U256::ZERO,
        &WALLET,
        &mut vec![],
    )
    .expect("swap");
    f.state
        .transfer_token(&f.pair, &WALLET, &f.pair, liquidity, &mut vec![])
        .expect("LP to pair");
    burn(&mut f.state, &at(3), &WALLET, &f.pair, &WALLET, &mut vec![]).expect("burn");
    f
}

#[test]
fn fee_to_off() {
    let f = fee_scenario(false);
    assert_eq!(f.supply(), U256::from(MINIMUM_LIQUIDITY));
}

#[test]
fn fee_to_on() {
    let f = fee_scenario(true);
    let fee = U256::from(249750499251388u128);
    assert_eq!(f.supply(), U256::from(1000) + fee);
    assert_eq!(f.state.token_balance(&f.pair, &OTHER), fee);
    assert_eq!(
        f.state.token_balance(&f.token0, &f.pair),
        U256::from(1000u128 + 249501683697445)
    );
    assert_eq!(
        f.state.token_balance(&f.token1, &f.pair),
        U256::from(1000u128 + 250000187312969)
    );
}

#[test]
fn pair_rules() {
    let mut f = Fixture::new();
    let again = create_pair(&mut f.state, f.token1, f.token0, &mut vec![]);
    assert_eq!(again.unwrap_err().to_string(), "UniswapV2: PAIR_EXISTS");
    assert_eq!(
        create_pair(&mut f.state, f.token0, f.token0, &mut vec![])
            .unwrap_err()
            .to_string(),
        "UniswapV2: IDENTICAL_ADDRESSES"
    );
    assert_eq!(f.state.get_pair(&f.token1, &f.token0), Some(f.pair));
    assert_eq!(f.state.all_pairs_length(), 1);
    f.add_liquidity(e18(5), e18(10), 1);
    let to_token = swap(
        &mut f.state,
        &at(2),
        &WALLET,
        &f.pair,
        U256::from(1),
        U256::ZERO,
        &f.token0.clone(),
        &mut vec![],
    );
    assert_eq!(to_token.unwrap_err().to_string(), "UniswapV2: INVALID_TO");
    let nothing_in = swap(
        &mut f.state,
        &at(2),
        &WALLET,
        &f.pair,
        U256::from(1),
        U256::ZERO,
        &WALLET,
        &mut vec![],
    );
    assert_eq!(
        nothing_in.unwrap_err().to_string(),
        "UniswapV2: INSUFFICIENT_INPUT_AMOUNT"
    );
    let drain = swap(
        &mut f.state,
        &at(2),
        &WALLET,
        &f.pair,
        e18(5),
        U256::ZERO,
        &WALLET,
        &mut vec![],
    );
    assert_eq!(
        drain.unwrap_err().to_string(),
        "UniswapV2: INSUFFICIENT_LIQUIDITY"
    );
}
