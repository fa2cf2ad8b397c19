//! `sheaf gov …`: stake SHF for GOV, delegate, and take proposals from idea to execution.

use alloy_primitives::{Address, U256};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use sheaf_abi::{
    IERC20, IGovStaking, IGovernor, IVotes,
    system::{GOV_STAKING, GOVERNOR, UNISWAP_V2_FACTORY},
};
use sheaf_gov::{Action, ProposalRequest, params};
use sheaf_primitives::amount::format_units;

use crate::{Common, client::Client, keys, wallet};

#[derive(Subcommand)]
pub enum GovCommand {
    /// Governance parameters, staking totals, the treasury, and your GOV and votes (--user).
    Info {
        #[arg(long)]
        user: Option<String>,
    },
    /// Stake SHF to earn GOV: `sheaf gov stake --from dev0 --amount "100 SHF"`.
    Stake {
        #[arg(long)]
        from: String,
        #[arg(long)]
        amount: String,
    },
    /// Start unstaking: the SHF cools down (earning nothing) before `gov withdraw`.
    Unstake {
        #[arg(long)]
        from: String,
        #[arg(long)]
        amount: String,
    },
    /// Take back SHF whose cooldown is over.
    Withdraw {
        #[arg(long)]
        from: String,
    },
    /// Collect earned GOV.
    Claim {
        #[arg(long)]
        from: String,
    },
    /// Give your GOV's votes to an account (yourself by default; votes count only once delegated).
    Delegate {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: Option<String>,
    },
    /// Propose typed actions: `sheaf gov propose --from dev0 --set-farm-alloc 0=300 -d "…"`.
    Propose(ProposeArgs),
    /// Vote: `sheaf gov vote --from dev1 --id 0 --support for`.
    Vote {
        #[arg(long)]
        from: String,
        /// The proposal's number in `gov list` or its id.
        #[arg(long)]
        id: String,
        /// for, against or abstain.
        #[arg(long)]
        support: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Queue a succeeded proposal behind the timelock.
    Queue {
        #[arg(long)]
        from: String,
        #[arg(long)]
        id: String,
    },
    /// Execute a queued proposal whose timelock is over.
    Execute {
        #[arg(long)]
        from: String,
        #[arg(long)]
        id: String,
    },
    /// Every proposal with its state and tally.
    List,
    /// One proposal in full, with what can be done with it now.
    Show { id: String },
}

#[derive(Args)]
pub struct ProposeArgs {
    #[arg(long)]
    from: String,
    /// What the proposal is for; its first line is its title.
    #[arg(long, short)]
    description: String,
    /// Set a farm's allocation points: PID=POINTS.
    #[arg(long, value_name = "PID=POINTS")]
    set_farm_alloc: Vec<String>,
    /// Add a farm for a token or a pool's LP token: TOKEN=POINTS (TOKEN: symbol, address or A/B).
    #[arg(long, value_name = "TOKEN=POINTS")]
    add_farm: Vec<String>,
    /// SHF emitted per block across all farms, in SHF.
    #[arg(long)]
    reward_per_block: Option<String>,
    /// GOV emitted per block to SHF stakers, in GOV.
    #[arg(long)]
    gov_per_block: Option<String>,
    /// Where the AMM protocol fee goes (an address or key name; 0x0…0 turns it off).
    #[arg(long)]
    fee_to: Option<String>,
    /// Pay from the treasury: TOKEN:RECIPIENT:AMOUNT (TOKEN: ETH, a symbol or an address).
    #[arg(long, value_name = "TOKEN:RECIPIENT:AMOUNT")]
    treasury_transfer: Vec<String>,
    /// Set a governance parameter: NAME=VALUE (see `sheaf gov info`).
    #[arg(long, value_name = "NAME=VALUE")]
    set_param: Vec<String>,
    /// The validator withdrawals upgrade: withdrawals flow from the executing block on.
    #[arg(long)]
    enable_withdrawals: bool,
}

fn split<'a>(input: &'a str, sep: char, what: &str) -> anyhow::Result<(&'a str, &'a str)> {
    input
        .split_once(sep)
        .with_context(|| format!("'{input}' should look like {what}"))
}

/// An address from an address, key name, genesis token symbol or "A/B" pool.
fn resolve(
    client: &Client,
    keystore: &std::path::Path,
    reference: &str,
) -> anyhow::Result<Address> {
    if let Some((a, b)) = reference.split_once('/') {
        let token = |t: &str| -> anyhow::Result<Address> {
            if t.eq_ignore_ascii_case("ETH") {
                return Ok(sheaf_abi::system::WETH);
            }
            Ok(wallet::token(client, t)?.address)
        };
        let pair = wallet::view(
            client,
            UNISWAP_V2_FACTORY,
            sheaf_abi::IUniswapV2Factory::getPairCall {
                tokenA: token(a)?,
                tokenB: token(b)?,
            },
        )?;
        if pair == Address::ZERO {
            bail!("there is no {reference} pool");
        }
        return Ok(pair);
    }
    if let Ok(address) = keys::address(keystore, reference) {
        return Ok(address);
    }
    Ok(wallet::token(client, reference)?.address)
}

fn actions(
    client: &Client,
    keystore: &std::path::Path,
    args: &ProposeArgs,
) -> anyhow::Result<Vec<Action>> {
    let mut out = vec![];
    for entry in &args.set_farm_alloc {
        let (pid, points) = split(entry, '=', "PID=POINTS, like 0=300")?;
        out.push(Action::SetFarmAllocation {
            pid: pid.trim().parse().context("PID must be a number")?,
            alloc_point: points.trim().parse().context("POINTS must be a number")?,
        });
    }
    for entry in &args.add_farm {
        let (token, points) = split(entry, '=', "TOKEN=POINTS, like ETH/DAI=100")?;
        out.push(Action::AddFarm {
            token: resolve(client, keystore, token.trim())?,
            alloc_point: points.trim().parse().context("POINTS must be a number")?,
        });
    }
    if let Some(amount) = &args.reward_per_block {
        out.push(Action::SetRewardPerBlock(wallet::amount(
            amount, "SHF", 18,
        )?));
    }
    if let Some(amount) = &args.gov_per_block {
        out.push(Action::SetGovPerBlock(wallet::amount(amount, "GOV", 18)?));
    }
    if let Some(to) = &args.fee_to {
        out.push(Action::SetFeeTo(resolve(client, keystore, to)?));
    }
    for entry in &args.treasury_transfer {
        let (token, rest) = split(entry, ':', "TOKEN:RECIPIENT:AMOUNT, like DAI:dev3:100")?;
        let (to, amount) = split(rest, ':', "TOKEN:RECIPIENT:AMOUNT, like DAI:dev3:100")?;
        let (token, symbol, decimals) = if token.eq_ignore_ascii_case("ETH") {
            (Address::ZERO, "ETH".to_string(), 18)
        } else {
            let info = wallet::token(client, token)?;
            (info.address, info.symbol, info.decimals)
        };
        out.push(Action::TransferTreasury {
            token,
            to: resolve(client, keystore, to)?,
            amount: wallet::amount(amount, &symbol, decimals)?,
        });
    }
    for entry in &args.set_param {
        let (name, value) = split(entry, '=', "NAME=VALUE, like votingPeriod=40")?;
        let spec = params::spec(name.trim()).with_context(|| {
            let names: Vec<_> = params::PARAMS.iter().map(|p| p.name).collect();
            format!("unknown parameter '{name}'; one of {}", names.join(", "))
        })?;
        out.push(Action::SetParameter {
            module: spec.module,
            name: spec.name.to_string(),
            value: value
                .trim()
                .parse()
                .context("VALUE must be a whole number")?,
        });
    }
    if out.is_empty() {
        bail!(
            "a proposal needs at least one action (--set-farm-alloc, --add-farm, --reward-per-block, --gov-per-block, --fee-to, --treasury-transfer, --set-param or --enable-withdrawals)"
        );
    }
    Ok(out)
}

fn proposals(client: &Client) -> anyhow::Result<Vec<Value>> {
    client.call("sheaf_proposals", json!([]))
}

/// A proposal by its number in `gov list` or by its id (decimal or 0x hex).
fn find(client: &Client, reference: &str) -> anyhow::Result<Value> {
    let list = proposals(client)?;
    let by_id: Option<U256> = reference.parse().ok();
    if let Ok(index) = reference.trim_start_matches('#').parse::<usize>()
        && index < list.len()
        && reference.len() < 10
    {
        return Ok(list[index].clone());
    }
    list.into_iter()
        .find(|p| {
            let id: Option<U256> = p["id"].as_str().and_then(|s| s.parse().ok());
            id.is_some() && id == by_id
        })
        .with_context(|| format!("no proposal '{reference}'; `sheaf gov list` shows them"))
}

fn id_of(proposal: &Value) -> anyhow::Result<U256> {
    proposal["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .context("proposal without an id")
}

fn head(client: &Client) -> anyhow::Result<u64> {
    let n: String = client.call("eth_blockNumber", json!([]))?;
    Ok(u64::from_str_radix(n.trim_start_matches("0x"), 16)?)
}

fn gov_units(v: &Value) -> String {
    format!("{} GOV", format_units(wallet::base_units(v), 18))
}

/// What can be done with a proposal in its state, and from when.
fn next_step(p: &Value, next_block: u64) -> String {
    let n = |k: &str| p[k].as_u64().unwrap_or_default();
    match p["state"].as_str().unwrap_or("") {
        "Pending" => format!(
            "voting opens at block {} (votes count GOV delegated by the end of block {})",
            n("snapshot") + 1,
            n("snapshot")
        ),
        "Active" => format!("voting is open until block {} (inclusive)", n("deadline")),
        "Succeeded" => "passed: anyone may queue it".into(),
        "Queued" if next_block < n("eta") => format!(
            "timelock running: executable from block {} to {}",
            n("eta"),
            p["expires"]
        ),
        "Queued" => format!("anyone may execute it until block {}", p["expires"]),
        "Defeated" => "defeated: quorum not reached or For did not beat Against".into(),
        "Expired" => "expired: it was not executed within the grace period".into(),
        "Executed" => "executed".into(),
        "Canceled" => "canceled".into(),
        other => other.to_string(),
    }
}

pub fn run(command: GovCommand, common: &Common) -> anyhow::Result<()> {
    let client = common.client();
    let keystore = common.keystore();
    let shf = || -> anyhow::Result<wallet::TokenInfo> {
        let address = wallet::view(&client, GOV_STAKING, IGovStaking::stakingTokenCall {})?;
        wallet::token(&client, &address.to_string())
    };
    let gov_token = || wallet::view(&client, GOVERNOR, IGovernor::tokenCall {});
    match command {
        GovCommand::Info { user } => {
            let g: Value = client.call("sheaf_governance", json!([]))?;
            out!(
                "GOV {}  supply {}  emission {} a block to SHF stakers ({} SHF staked)",
                g["govToken"].as_str().unwrap_or("?"),
                gov_units(&g["govSupply"]),
                gov_units(&g["govPerBlock"]),
                format_units(wallet::base_units(&g["totalStaked"]), 18)
            );
            for p in g["params"].as_array().into_iter().flatten() {
                out!(
                    "  {:<18} {:>28}   [{}..{}] {}",
                    p["name"].as_str().unwrap_or(""),
                    p["value"].as_str().unwrap_or(""),
                    p["min"].as_str().unwrap_or(""),
                    p["max"].as_str().unwrap_or(""),
                    p["doc"].as_str().unwrap_or("")
                );
            }
            out!("treasury ({}):", g["governor"].as_str().unwrap_or("?"));
            for entry in g["treasury"].as_array().into_iter().flatten() {
                out!(
                    "  {} {}",
                    format_units(wallet::base_units(&entry[1]), 18),
                    entry[0].as_str().unwrap_or("")
                );
            }
            if let Some(user) = user {
                let who = keys::address(&keystore, &user)?;
                let gov = gov_token()?;
                let balance = wallet::view(&client, gov, IERC20::balanceOfCall { account: who })?;
                let votes = wallet::view(&client, gov, IVotes::getVotesCall { account: who })?;
                let delegate = wallet::view(&client, gov, IVotes::delegatesCall { account: who })?;
                let staked = wallet::view(
                    &client,
                    GOV_STAKING,
                    IGovStaking::stakedOfCall { user: who },
                )?;
                let pending = wallet::view(
                    &client,
                    GOV_STAKING,
                    IGovStaking::pendingGovCall { user: who },
                )?;
                let cooling = wallet::view(
                    &client,
                    GOV_STAKING,
                    IGovStaking::cooldownOfCall { user: who },
                )?;
                out!("{user} ({who}):");
                out!(
                    "  GOV {} (delegated to {delegate}), votes {}",
                    format_units(balance, 18),
                    format_units(votes, 18)
                );
                out!(
                    "  staked {} SHF, earning; pending {} GOV",
                    format_units(staked, 18),
                    format_units(pending, 18)
                );
                if !cooling.amount.is_zero() {
                    out!(
                        "  cooling {} SHF until block {}",
                        format_units(cooling.amount, 18),
                        cooling.cooldownEnd
                    );
                }
            }
            Ok(())
        }
        GovCommand::Stake { from, amount } => {
            let signer = keys::load(&keystore, &from)?;
            let token = shf()?;
            let amount = wallet::amount(&amount, &token.symbol, token.decimals)?;
            let held = wallet::view(
                &client,
                token.address,
                IERC20::balanceOfCall {
                    account: signer.address,
                },
            )?;
            if held < amount {
                bail!(
                    "{from} holds only {}",
                    wallet::show(held, &token.symbol, token.decimals)
                );
            }
            wallet::approve_exact(&client, &signer, &token, GOV_STAKING, amount)?;
            wallet::send_call(
                &client,
                &signer,
                GOV_STAKING,
                IGovStaking::stakeCall { amount },
            )?;
            Ok(())
        }
        GovCommand::Unstake { from, amount } => {
            let signer = keys::load(&keystore, &from)?;
            let token = shf()?;
            let amount = wallet::amount(&amount, &token.symbol, token.decimals)?;
            let call = IGovStaking::requestUnstakeCall { amount };
            wallet::send_call(&client, &signer, GOV_STAKING, call)?;
            let cooling = wallet::view(
                &client,
                GOV_STAKING,
                IGovStaking::cooldownOfCall {
                    user: signer.address,
                },
            )?;
            out!(
                "{} SHF cooling down; `sheaf gov withdraw` from block {}",
                format_units(cooling.amount, 18),
                cooling.cooldownEnd
            );
            Ok(())
        }
        GovCommand::Withdraw { from } => {
            let signer = keys::load(&keystore, &from)?;
            wallet::send_call(&client, &signer, GOV_STAKING, IGovStaking::withdrawCall {})?;
            Ok(())
        }
        GovCommand::Claim { from } => {
            let signer = keys::load(&keystore, &from)?;
            let call = IGovStaking::claimCall { to: signer.address };
            wallet::send_call(&client, &signer, GOV_STAKING, call)?;
            Ok(())
        }
        GovCommand::Delegate { from, to } => {
            let signer = keys::load(&keystore, &from)?;
            let delegatee = match to {
                Some(to) => keys::address(&keystore, &to)?,
                None => signer.address,
            };
            let gov = gov_token()?;
            wallet::send_call(&client, &signer, gov, IVotes::delegateCall { delegatee })?;
            Ok(())
        }
        GovCommand::Propose(args) => {
            let signer = keys::load(&keystore, &args.from)?;
            let actions = actions(&client, &keystore, &args)?;
            let request = ProposalRequest::new(&actions, args.description.clone());
            let call = IGovernor::proposeCall {
                targets: request.targets.clone(),
                values: request.values.clone(),
                calldatas: request.calldatas.clone(),
                description: request.description.clone(),
            };
            wallet::send_call(&client, &signer, GOVERNOR, call)?;
            let list = proposals(&client)?;
            let id = request.id().to_string();
            let index = list
                .iter()
                .position(|p| p["id"].as_str() == Some(id.as_str()))
                .context("the proposal is not listed")?;
            let p = &list[index];
            out!("proposal {index} (id {id})");
            for action in &actions {
                out!("  - {action}");
            }
            out!("  {}", next_step(p, head(&client)? + 1));
            Ok(())
        }
        GovCommand::Vote {
            from,
            id,
            support,
            reason,
        } => {
            let signer = keys::load(&keystore, &from)?;
            let p = find(&client, &id)?;
            let support = match support.to_ascii_lowercase().as_str() {
                "against" | "0" => 0,
                "for" | "1" => 1,
                "abstain" | "2" => 2,
                other => bail!("--support must be for, against or abstain, not '{other}'"),
            };
            let proposal_id = id_of(&p)?;
            let call = IGovernor::castVoteWithReasonCall {
                proposalId: proposal_id,
                support,
                reason: reason.unwrap_or_default(),
            };
            wallet::send_call(&client, &signer, GOVERNOR, call)?;
            let p = find(&client, &proposal_id.to_string())?;
            out!(
                "tally: for {}, against {}, abstain {}",
                gov_units(&p["forVotes"]),
                gov_units(&p["againstVotes"]),
                gov_units(&p["abstainVotes"])
            );
            Ok(())
        }
        GovCommand::Queue { from, id } => {
            let signer = keys::load(&keystore, &from)?;
            let proposal_id = id_of(&find(&client, &id)?)?;
            wallet::send_call(
                &client,
                &signer,
                GOVERNOR,
                IGovernor::queue_1Call {
                    proposalId: proposal_id,
                },
            )?;
            let p = find(&client, &proposal_id.to_string())?;
            out!("{}", next_step(&p, head(&client)? + 1));
            Ok(())
        }
        GovCommand::Execute { from, id } => {
            let signer = keys::load(&keystore, &from)?;
            let proposal_id = id_of(&find(&client, &id)?)?;
            let call = IGovernor::execute_1Call {
                proposalId: proposal_id,
            };
            wallet::send_call(&client, &signer, GOVERNOR, call)?;
            Ok(())
        }
        GovCommand::List => {
            let list = proposals(&client)?;
            if list.is_empty() {
                out!("no proposals yet; `sheaf gov propose --help` shows how to make one");
            }
            let next = head(&client)? + 1;
            for (index, p) in list.iter().enumerate() {
                let title = p["description"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("");
                out!(
                    "{index:>3}  {:<9} for {} / against {} / abstain {}  {title}",
                    p["state"].as_str().unwrap_or("?"),
                    gov_units(&p["forVotes"]),
                    gov_units(&p["againstVotes"]),
                    gov_units(&p["abstainVotes"]),
                );
                out!("     {}", next_step(p, next));
            }
            Ok(())
        }
        GovCommand::Show { id } => {
            let p = find(&client, &id)?;
            out!("id        {}", p["id"].as_str().unwrap_or(""));
            out!("proposer  {}", p["proposer"].as_str().unwrap_or(""));
            out!("state     {}", p["state"].as_str().unwrap_or(""));
            out!(
                "votes     blocks {}..={} (snapshot {})",
                p["snapshot"].as_u64().unwrap_or(0) + 1,
                p["deadline"],
                p["snapshot"]
            );
            out!(
                "tally     for {}, against {}, abstain {}; quorum {}",
                gov_units(&p["forVotes"]),
                gov_units(&p["againstVotes"]),
                gov_units(&p["abstainVotes"]),
                if p["quorum"].is_null() {
                    "set at the snapshot".into()
                } else {
                    gov_units(&p["quorum"])
                }
            );
            out!("actions:");
            for action in p["actions"].as_array().into_iter().flatten() {
                out!("  - {}", action.as_str().unwrap_or(""));
            }
            out!("next      {}", next_step(&p, head(&client)? + 1));
            out!("\n{}", p["description"].as_str().unwrap_or(""));
            Ok(())
        }
    }
}
