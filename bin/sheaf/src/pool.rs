//! `sheaf pool …` and `sheaf swap`: liquidity and trades through the Uniswap V2 router, with the
//! quote, price impact and minimum received shown before anything is signed.

use std::io::Write;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use sheaf_abi::{IERC20, IUniswapV2Factory, IUniswapV2Pair, IUniswapV2Router02 as Router, system};
use sheaf_primitives::amount::{format_units, split_unit};

use crate::{Common, client::Client, keys, wallet};

#[derive(Subcommand)]
pub enum PoolCommand {
    /// Every pool with reserves, TVL, 24h volume and fee APR.
    List {
        /// Token to value pools in (symbol or address; default DAI).
        #[arg(long)]
        quote: Option<String>,
    },
    /// One pool: `sheaf pool show ETH/DAI` (or its address).
    Show { pool: String },
    /// Create an empty pool for two tokens.
    Create {
        #[arg(long)]
        from: String,
        /// "A/B", e.g. "SHF/DAI".
        pair: String,
    },
    /// Add liquidity: `sheaf pool add --from dev1 --amount-a "1 ETH" --amount-b "3000 DAI"`.
    Add {
        #[arg(long)]
        from: String,
        #[arg(long)]
        amount_a: String,
        #[arg(long)]
        amount_b: String,
        #[command(flatten)]
        trade: TradeArgs,
    },
    /// Remove a percentage of your liquidity from "A/B".
    Remove {
        #[arg(long)]
        from: String,
        pair: String,
        #[arg(long, default_value_t = 100.0)]
        percent: f64,
        #[command(flatten)]
        trade: TradeArgs,
    },
}

#[derive(Args, Clone)]
pub struct TradeArgs {
    /// Accepted slippage in percent.
    #[arg(long, default_value_t = 0.5)]
    slippage: f64,
    /// Minutes until the transaction expires.
    #[arg(long, default_value_t = 20)]
    deadline_minutes: u64,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    yes: bool,
}

#[derive(Args)]
pub struct SwapArgs {
    #[arg(long)]
    from: String,
    /// What to sell, with its unit: "1.5 ETH", "250 DAI".
    #[arg(long)]
    sell: String,
    /// What to buy: a symbol ("DAI", "ETH") or token address.
    #[arg(long)]
    buy: String,
    #[command(flatten)]
    trade: TradeArgs,
    #[command(flatten)]
    common: Common,
}

/// A token as the router sees it: ETH trades as WETH.
struct Side {
    address: Address,
    symbol: String,
    decimals: u8,
    is_eth: bool,
}

fn side(client: &Client, reference: &str) -> anyhow::Result<Side> {
    if reference.eq_ignore_ascii_case("ETH") {
        return Ok(Side {
            address: system::WETH,
            symbol: "ETH".into(),
            decimals: 18,
            is_eth: true,
        });
    }
    let token = wallet::token(client, reference)?;
    Ok(Side {
        address: token.address,
        symbol: token.symbol,
        decimals: token.decimals,
        is_eth: false,
    })
}

/// "1.5 ETH" → (the side, the amount in base units).
fn amount_with_unit(client: &Client, input: &str) -> anyhow::Result<(Side, U256)> {
    let (_, unit) = split_unit(input);
    let unit =
        unit.with_context(|| format!("'{input}' needs a unit, like \"1.5 ETH\" or \"250 DAI\""))?;
    let side = side(client, unit)?;
    let amount = wallet::amount(input, &side.symbol, side.decimals)?;
    Ok((side, amount))
}

fn slippage_bps(percent: f64) -> anyhow::Result<U256> {
    if !(0.0..=50.0).contains(&percent) {
        bail!("--slippage must be between 0 and 50 (percent)");
    }
    Ok(U256::from((percent * 100.0).round() as u64))
}

fn at_least(amount: U256, slippage_bps: U256) -> U256 {
    amount * (U256::from(10_000) - slippage_bps) / U256::from(10_000)
}

fn deadline(client: &Client, minutes: u64) -> anyhow::Result<U256> {
    let head: Value = client.call("eth_getBlockByNumber", json!(["latest", false]))?;
    let now = u64::from_str_radix(
        head["timestamp"]
            .as_str()
            .unwrap_or("0x0")
            .trim_start_matches("0x"),
        16,
    )?;
    Ok(U256::from(now + minutes * 60))
}

fn confirm(yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    eprint!("send it? [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("cancelled; nothing was sent");
    }
    Ok(())
}

use wallet::view;

/// Approves the router for exactly `amount` if its allowance is lower (never unlimited).
fn approve_exact(
    client: &Client,
    signer: &sheaf_tx::sign::Signer,
    token: &Side,
    amount: U256,
) -> anyhow::Result<()> {
    if token.is_eth {
        return Ok(());
    }
    let info = wallet::TokenInfo {
        address: token.address,
        symbol: token.symbol.clone(),
        decimals: token.decimals,
    };
    wallet::approve_exact(client, signer, &info, system::UNISWAP_V2_ROUTER, amount)
}

fn split_pair(pair: &str) -> anyhow::Result<(&str, &str)> {
    pair.split_once('/')
        .with_context(|| format!("'{pair}' is not a pair: write it as A/B, like ETH/DAI"))
}

pub fn run_swap(args: SwapArgs) -> anyhow::Result<()> {
    let client = args.common.client();
    let signer = keys::load(&args.common.keystore(), &args.from)?;
    let (sell, amount_in) = amount_with_unit(&client, &args.sell)?;
    let buy = side(&client, &args.buy)?;
    if sell.address == buy.address {
        bail!("selling and buying the same token");
    }
    let path = vec![sell.address, buy.address];
    let amounts = view(
        &client,
        system::UNISWAP_V2_ROUTER,
        Router::getAmountsOutCall {
            amountIn: amount_in,
            path: path.clone(),
        },
    )?;
    let out = amounts[1];
    let factory = system::UNISWAP_V2_FACTORY;
    let pair = view(
        &client,
        factory,
        IUniswapV2Factory::getPairCall {
            tokenA: sell.address,
            tokenB: buy.address,
        },
    )?;
    let reserves = view(&client, pair, IUniswapV2Pair::getReservesCall {})?;
    let token0 = view(&client, pair, IUniswapV2Pair::token0Call {})?;
    let (r0, r1) = (U256::from(reserves.reserve0), U256::from(reserves.reserve1));
    let (r_in, r_out) = if token0 == sell.address {
        (r0, r1)
    } else {
        (r1, r0)
    };
    // What the input would buy at the current price, against what it buys with fee and slippage.
    let spot_out = amount_in * r_out / r_in;
    let impact_bps = if spot_out.is_zero() {
        U256::ZERO
    } else {
        (spot_out - out.min(spot_out)) * U256::from(10_000) / spot_out
    };
    let min_out = at_least(out, slippage_bps(args.trade.slippage)?);
    out!(
        "sell          {}",
        wallet::show(amount_in, &sell.symbol, sell.decimals)
    );
    out!(
        "receive       {}",
        wallet::show(out, &buy.symbol, buy.decimals)
    );
    out!(
        "price impact  {}.{:02}% (including the 0.3% pool fee)",
        impact_bps / U256::from(100),
        impact_bps % U256::from(100)
    );
    out!(
        "min received  {} (slippage {}%)",
        wallet::show(min_out, &buy.symbol, buy.decimals),
        args.trade.slippage
    );
    if impact_bps > U256::from(500) {
        eprintln!("warning: this trade moves the price by more than 5%");
    }
    confirm(args.trade.yes)?;
    let deadline = deadline(&client, args.trade.deadline_minutes)?;
    let to = signer.address;
    let (value, data) = match (sell.is_eth, buy.is_eth) {
        (true, _) => (
            amount_in,
            Router::swapExactETHForTokensCall {
                amountOutMin: min_out,
                path,
                to,
                deadline,
            }
            .abi_encode(),
        ),
        (_, true) => {
            approve_exact(&client, &signer, &sell, amount_in)?;
            (
                U256::ZERO,
                Router::swapExactTokensForETHCall {
                    amountIn: amount_in,
                    amountOutMin: min_out,
                    path,
                    to,
                    deadline,
                }
                .abi_encode(),
            )
        }
        _ => {
            approve_exact(&client, &signer, &sell, amount_in)?;
            (
                U256::ZERO,
                Router::swapExactTokensForTokensCall {
                    amountIn: amount_in,
                    amountOutMin: min_out,
                    path,
                    to,
                    deadline,
                }
                .abi_encode(),
            )
        }
    };
    wallet::report(&wallet::send(
        &client,
        &signer,
        system::UNISWAP_V2_ROUTER,
        value,
        data.into(),
    )?)
}

pub fn run(command: PoolCommand, common: &Common) -> anyhow::Result<()> {
    let client = common.client();
    match command {
        PoolCommand::List { quote } => {
            let pools: Vec<Value> = client.call("sheaf_pools", json!([quote]))?;
            if pools.is_empty() {
                out!("no pools yet");
            }
            for pool in pools {
                print_pool(&client, &pool)?;
            }
            Ok(())
        }
        PoolCommand::Show { pool } => {
            let pools: Vec<Value> = client.call("sheaf_pools", json!([]))?;
            let wanted = match pool.split_once('/') {
                Some((a, b)) => {
                    let (a, b) = (side(&client, a)?.address, side(&client, b)?.address);
                    view(
                        &client,
                        system::UNISWAP_V2_FACTORY,
                        IUniswapV2Factory::getPairCall {
                            tokenA: a,
                            tokenB: b,
                        },
                    )?
                }
                None => pool
                    .parse()
                    .context("give a pool as A/B or by its address")?,
            };
            let found = pools
                .iter()
                .find(|p| {
                    p["address"]
                        .as_str()
                        .and_then(|a| a.parse::<Address>().ok())
                        == Some(wanted)
                })
                .with_context(|| format!("no pool {pool}"))?;
            print_pool(&client, found)
        }
        PoolCommand::Create { from, pair } => {
            let signer = keys::load(&common.keystore(), &from)?;
            let (a, b) = split_pair(&pair)?;
            let (a, b) = (side(&client, a)?, side(&client, b)?);
            let call = IUniswapV2Factory::createPairCall {
                tokenA: a.address,
                tokenB: b.address,
            };
            wallet::report(&wallet::send(
                &client,
                &signer,
                system::UNISWAP_V2_FACTORY,
                U256::ZERO,
                call.abi_encode().into(),
            )?)?;
            let address = view(
                &client,
                system::UNISWAP_V2_FACTORY,
                IUniswapV2Factory::getPairCall {
                    tokenA: a.address,
                    tokenB: b.address,
                },
            )?;
            out!("pool {}/{} at {address}", a.symbol, b.symbol);
            Ok(())
        }
        PoolCommand::Add {
            from,
            amount_a,
            amount_b,
            trade,
        } => {
            let signer = keys::load(&common.keystore(), &from)?;
            let (a, amount_a) = amount_with_unit(&client, &amount_a)?;
            let (b, amount_b) = amount_with_unit(&client, &amount_b)?;
            // Into an existing pool, deposit at its current price (as the router will).
            let (amount_a, amount_b) = matched_amounts(&client, &a, &b, amount_a, amount_b)?;
            let slippage = slippage_bps(trade.slippage)?;
            let (min_a, min_b) = (at_least(amount_a, slippage), at_least(amount_b, slippage));
            out!(
                "deposit up to {} and {}",
                wallet::show(amount_a, &a.symbol, a.decimals),
                wallet::show(amount_b, &b.symbol, b.decimals)
            );
            out!(
                "at least      {} and {} (slippage {}%)",
                wallet::show(min_a, &a.symbol, a.decimals),
                wallet::show(min_b, &b.symbol, b.decimals),
                trade.slippage
            );
            confirm(trade.yes)?;
            let deadline = deadline(&client, trade.deadline_minutes)?;
            let to = signer.address;
            let (value, data) = match (a.is_eth, b.is_eth) {
                (true, true) => bail!("a pool needs two different tokens"),
                (false, false) => {
                    approve_exact(&client, &signer, &a, amount_a)?;
                    approve_exact(&client, &signer, &b, amount_b)?;
                    let call = Router::addLiquidityCall {
                        tokenA: a.address,
                        tokenB: b.address,
                        amountADesired: amount_a,
                        amountBDesired: amount_b,
                        amountAMin: min_a,
                        amountBMin: min_b,
                        to,
                        deadline,
                    };
                    (U256::ZERO, call.abi_encode())
                }
                (eth_is_a, _) => {
                    let (token, amount_token, min_token, amount_eth, min_eth) = if eth_is_a {
                        (&b, amount_b, min_b, amount_a, min_a)
                    } else {
                        (&a, amount_a, min_a, amount_b, min_b)
                    };
                    approve_exact(&client, &signer, token, amount_token)?;
                    let call = Router::addLiquidityETHCall {
                        token: token.address,
                        amountTokenDesired: amount_token,
                        amountTokenMin: min_token,
                        amountETHMin: min_eth,
                        to,
                        deadline,
                    };
                    (amount_eth, call.abi_encode())
                }
            };
            wallet::report(&wallet::send(
                &client,
                &signer,
                system::UNISWAP_V2_ROUTER,
                value,
                data.into(),
            )?)
        }
        PoolCommand::Remove {
            from,
            pair,
            percent,
            trade,
        } => {
            let signer = keys::load(&common.keystore(), &from)?;
            if !(percent > 0.0 && percent <= 100.0) {
                bail!("--percent must be above 0 and at most 100");
            }
            let (a, b) = split_pair(&pair)?;
            let (a, b) = (side(&client, a)?, side(&client, b)?);
            let pool = view(
                &client,
                system::UNISWAP_V2_FACTORY,
                IUniswapV2Factory::getPairCall {
                    tokenA: a.address,
                    tokenB: b.address,
                },
            )?;
            if pool == Address::ZERO {
                bail!("there is no {}/{} pool", a.symbol, b.symbol);
            }
            let held = view(
                &client,
                pool,
                IERC20::balanceOfCall {
                    account: signer.address,
                },
            )?;
            let liquidity =
                held * U256::from((percent * 100.0).round() as u64) / U256::from(10_000);
            if liquidity.is_zero() {
                bail!("you hold no {}/{} liquidity", a.symbol, b.symbol);
            }
            let supply = view(&client, pool, IERC20::totalSupplyCall {})?;
            let balance_a = view(&client, a.address, IERC20::balanceOfCall { account: pool })?;
            let balance_b = view(&client, b.address, IERC20::balanceOfCall { account: pool })?;
            let slippage = slippage_bps(trade.slippage)?;
            let (out_a, out_b) = (
                liquidity * balance_a / supply,
                liquidity * balance_b / supply,
            );
            let (min_a, min_b) = (at_least(out_a, slippage), at_least(out_b, slippage));
            out!(
                "withdraw {} and {} (at least {} and {})",
                wallet::show(out_a, &a.symbol, a.decimals),
                wallet::show(out_b, &b.symbol, b.decimals),
                wallet::show(min_a, &a.symbol, a.decimals),
                wallet::show(min_b, &b.symbol, b.decimals)
            );
            confirm(trade.yes)?;
            let lp = Side {
                address: pool,
                symbol: "LP".into(),
                decimals: 18,
                is_eth: false,
            };
            approve_exact(&client, &signer, &lp, liquidity)?;
            let deadline = deadline(&client, trade.deadline_minutes)?;
            let to = signer.address;
            let data = match (a.is_eth, b.is_eth) {
                (false, false) => Router::removeLiquidityCall {
                    tokenA: a.address,
                    tokenB: b.address,
                    liquidity,
                    amountAMin: min_a,
                    amountBMin: min_b,
                    to,
                    deadline,
                }
                .abi_encode(),
                (true, _) => Router::removeLiquidityETHCall {
                    token: b.address,
                    liquidity,
                    amountTokenMin: min_b,
                    amountETHMin: min_a,
                    to,
                    deadline,
                }
                .abi_encode(),
                (_, true) => Router::removeLiquidityETHCall {
                    token: a.address,
                    liquidity,
                    amountTokenMin: min_a,
                    amountETHMin: min_b,
                    to,
                    deadline,
                }
                .abi_encode(),
            };
            wallet::report(&wallet::send(
                &client,
                &signer,
                system::UNISWAP_V2_ROUTER,
                U256::ZERO,
                data.into(),
            )?)
        }
    }
}

/// The largest deposit within the desired amounts at the pool's current price (the router's
/// `_addLiquidity`), or the amounts as given for a new or empty pool.
fn matched_amounts(
    client: &Client,
    a: &Side,
    b: &Side,
    amount_a: U256,
    amount_b: U256,
) -> anyhow::Result<(U256, U256)> {
    let pair = view(
        client,
        system::UNISWAP_V2_FACTORY,
        IUniswapV2Factory::getPairCall {
            tokenA: a.address,
            tokenB: b.address,
        },
    )?;
    if pair == Address::ZERO {
        return Ok((amount_a, amount_b));
    }
    let reserves = view(client, pair, IUniswapV2Pair::getReservesCall {})?;
    let token0 = view(client, pair, IUniswapV2Pair::token0Call {})?;
    let (r0, r1) = (U256::from(reserves.reserve0), U256::from(reserves.reserve1));
    let (r_a, r_b) = if token0 == a.address {
        (r0, r1)
    } else {
        (r1, r0)
    };
    if r_a.is_zero() || r_b.is_zero() {
        return Ok((amount_a, amount_b));
    }
    let b_optimal = amount_a * r_b / r_a;
    if b_optimal <= amount_b {
        Ok((amount_a, b_optimal))
    } else {
        Ok((amount_b * r_a / r_b, amount_b))
    }
}

fn print_pool(client: &Client, pool: &Value) -> anyhow::Result<()> {
    let text = |k: &str| pool[k].as_str().unwrap_or("").to_string();
    let number = |k: &str| {
        pool[k]
            .as_str()
            .and_then(|v| U256::from_str_radix(v, 10).ok())
    };
    let quote = side(client, &text("quoteToken"))?;
    let shown = |k: &str| {
        number(k)
            .map(|v| wallet::show(v, &quote.symbol, quote.decimals))
            .unwrap_or_else(|| "n/a".into())
    };
    let (t0, t1) = (
        wallet::token(client, &text("token0"))?,
        wallet::token(client, &text("token1"))?,
    );
    let (s0, s1) = (display_symbol(&t0.symbol), display_symbol(&t1.symbol));
    out!("{s0}/{s1}  {}", text("address"));
    let reserve = |k: &str, decimals: u8| format_units(number(k).unwrap_or_default(), decimals);
    out!(
        "  reserves   {} {s0}, {} {s1}",
        reserve("reserve0", t0.decimals),
        reserve("reserve1", t1.decimals)
    );
    out!("  TVL        {}", shown("tvl"));
    out!(
        "  volume 24h {} (fees {})",
        shown("volume24h"),
        shown("fees24h")
    );
    match number("feeAprBps") {
        Some(bps) => out!(
            "  fee APR    {}.{:02}%",
            bps / U256::from(100),
            bps % U256::from(100)
        ),
        None => out!("  fee APR    n/a"),
    }
    Ok(())
}

fn display_symbol(symbol: &str) -> String {
    if symbol == "WETH" {
        "ETH".into()
    } else {
        symbol.into()
    }
}
