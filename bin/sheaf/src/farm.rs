//! `sheaf farm …`: stake LP tokens in farms that pay SHF.

use alloy_primitives::{Address, U256};
use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Value, json};
use sheaf_abi::{IERC20, IMasterChef, system::MASTER_CHEF};
use sheaf_primitives::amount::format_units;

use crate::{Common, client::Client, keys, wallet};

#[derive(Subcommand)]
pub enum FarmCommand {
    /// Every farm with TVL, APR and total staked (and your stake with --user).
    List {
        /// Token to value farms in (symbol or address; default DAI).
        #[arg(long)]
        quote: Option<String>,
        /// A key name or address whose stake and pending SHF to show.
        #[arg(long)]
        user: Option<String>,
    },
    /// Stake: `sheaf farm deposit --from dev0 --pid 0 --amount 10` (or "all").
    Deposit {
        #[arg(long)]
        from: String,
        #[arg(long)]
        pid: u64,
        /// In the staked token's units, or "all".
        #[arg(long)]
        amount: String,
    },
    /// Unstake (pending SHF stays to harvest): `--amount 5` or "all".
    Withdraw {
        #[arg(long)]
        from: String,
        #[arg(long)]
        pid: u64,
        #[arg(long)]
        amount: String,
        /// Harvest in the same transaction.
        #[arg(long)]
        harvest: bool,
    },
    /// Collect pending SHF from one farm, or from every farm you have rewards in.
    Harvest {
        #[arg(long)]
        from: String,
        #[arg(long)]
        pid: Option<u64>,
    },
}

fn farms(client: &Client, user: Option<Address>) -> anyhow::Result<Vec<Value>> {
    client.call("sheaf_farms", json!([null, user]))
}

fn farm(client: &Client, pid: u64, user: Address) -> anyhow::Result<Value> {
    farms(client, Some(user))?
        .into_iter()
        .find(|f| f["pid"].as_u64() == Some(pid))
        .with_context(|| format!("there is no farm {pid}; `sheaf farm list` shows them"))
}

fn staked_token(client: &Client, farm: &Value) -> anyhow::Result<wallet::TokenInfo> {
    let address: Address = farm["stakedToken"]
        .as_str()
        .context("farm without a staked token")?
        .parse()?;
    let decimals = wallet::view(client, address, IERC20::decimalsCall {})?;
    Ok(wallet::TokenInfo {
        address,
        symbol: farm["stakedSymbol"]
            .as_str()
            .unwrap_or("?")
            .replace(' ', "-"),
        decimals,
    })
}

/// "all" (everything `available`) or a number in the token's units.
fn amount(input: &str, token: &wallet::TokenInfo, available: U256) -> anyhow::Result<U256> {
    let amount = if input.eq_ignore_ascii_case("all") {
        available
    } else {
        wallet::amount(
            input.split_whitespace().next().unwrap_or(""),
            &token.symbol,
            token.decimals,
        )?
    };
    if amount.is_zero() {
        bail!("nothing to move: the amount is zero");
    }
    if amount > available {
        bail!(
            "only {} available",
            wallet::show(available, &token.symbol, token.decimals)
        );
    }
    Ok(amount)
}

fn bps(value: &Value) -> String {
    let bps = wallet::base_units(value);
    format!("{}.{:02}%", bps / U256::from(100), bps % U256::from(100))
}

pub fn run(command: FarmCommand, common: &Common) -> anyhow::Result<()> {
    let client = common.client();
    let keystore = common.keystore();
    match command {
        FarmCommand::List { quote, user } => {
            let user = user.map(|u| keys::address(&keystore, &u)).transpose()?;
            let list: Vec<Value> = client.call("sheaf_farms", json!([quote, user]))?;
            if list.is_empty() {
                out!("no farms yet");
            }
            for f in list {
                let per_block = wallet::base_units(&f["rewardPerBlock"]);
                out!(
                    "farm {}  {}  {}/{} points  {} SHF/block  staked {}  TVL {}  APR {}",
                    f["pid"],
                    f["stakedSymbol"].as_str().unwrap_or("?"),
                    f["allocPoint"],
                    f["totalAllocPoint"],
                    format_units(per_block, 18),
                    format_units(wallet::base_units(&f["totalStaked"]), 18),
                    f["tvl"]
                        .as_str()
                        .map(|v| format_units(v.parse().unwrap_or_default(), 18))
                        .unwrap_or_else(|| "unpriced".into()),
                    if f["aprBps"].is_null() {
                        "n/a".into()
                    } else {
                        bps(&f["aprBps"])
                    },
                );
                if let Some(u) = f["user"].as_object() {
                    out!(
                        "        you: staked {}, pending {} SHF",
                        format_units(wallet::base_units(&u["staked"]), 18),
                        format_units(wallet::base_units(&u["pendingReward"]), 18)
                    );
                }
            }
            Ok(())
        }
        FarmCommand::Deposit {
            from,
            pid,
            amount: input,
        } => {
            let signer = keys::load(&keystore, &from)?;
            let f = farm(&client, pid, signer.address)?;
            let token = staked_token(&client, &f)?;
            let held = wallet::view(
                &client,
                token.address,
                IERC20::balanceOfCall {
                    account: signer.address,
                },
            )?;
            let amount = amount(&input, &token, held)?;
            wallet::approve_exact(&client, &signer, &token, MASTER_CHEF, amount)?;
            let call = IMasterChef::depositCall {
                pid: U256::from(pid),
                amount,
                to: signer.address,
            };
            wallet::send_call(&client, &signer, MASTER_CHEF, call)?;
            out!(
                "staked {} in farm {pid}",
                wallet::show(amount, &token.symbol, token.decimals)
            );
            Ok(())
        }
        FarmCommand::Withdraw {
            from,
            pid,
            amount: input,
            harvest,
        } => {
            let signer = keys::load(&keystore, &from)?;
            let f = farm(&client, pid, signer.address)?;
            let token = staked_token(&client, &f)?;
            let staked = wallet::base_units(&f["user"]["staked"]);
            let amount = amount(&input, &token, staked)?;
            let (pid, to) = (U256::from(pid), signer.address);
            if harvest {
                let call = IMasterChef::withdrawAndHarvestCall { pid, amount, to };
                wallet::send_call(&client, &signer, MASTER_CHEF, call)?;
            } else {
                let call = IMasterChef::withdrawCall { pid, amount, to };
                wallet::send_call(&client, &signer, MASTER_CHEF, call)?;
            }
            Ok(())
        }
        FarmCommand::Harvest { from, pid } => {
            let signer = keys::load(&keystore, &from)?;
            let list = farms(&client, Some(signer.address))?;
            let pids: Vec<u64> = match pid {
                Some(pid) => vec![
                    farm(&client, pid, signer.address)?["pid"]
                        .as_u64()
                        .unwrap_or(pid),
                ],
                None => list
                    .iter()
                    .filter(|f| !wallet::base_units(&f["user"]["pendingReward"]).is_zero())
                    .filter_map(|f| f["pid"].as_u64())
                    .collect(),
            };
            if pids.is_empty() {
                out!("nothing to harvest");
            }
            for pid in pids {
                let call = IMasterChef::harvestCall {
                    pid: U256::from(pid),
                    to: signer.address,
                };
                wallet::send_call(&client, &signer, MASTER_CHEF, call)?;
            }
            Ok(())
        }
    }
}
