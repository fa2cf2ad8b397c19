//! `sheaf`: the node (`sheaf node --dev`) and a command-line client for it.

/// `println!` for command output. Once stdout is closed (`sheaf query balance dev0 | head -1`
/// after `head` has exited) there is nobody left to tell anything, so the command ends with
/// the status a shell gives a process ended by SIGPIPE, instead of `println!`'s panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(141);
        }
    }};
}

mod bench;
mod bench_farm;
mod client;
mod comet;
mod farm;
mod gov;
mod keys;
mod node;
mod pool;
mod sim;
mod validator;
mod wallet;

use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};
use sheaf_abi::{IERC20, ISheafTokenFactory, system::TOKEN_FACTORY};
use sheaf_primitives::amount::{format_units, parse_units, split_unit};

use crate::client::Client;

#[derive(Parser)]
#[command(
    name = "sheaf",
    version,
    about = "Sheaf: every kind of staking on one Ethereum-native chain"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node (`--dev`: one in-process validator with demo state; `--home`: on CometBFT).
    Node(node::NodeArgs),
    /// Write a Sheaf genesis and the matching CometBFT home for a one-validator network.
    Init(comet::InitArgs),
    /// An N-validator CometBFT network on loopback: `sheaf localnet start|stop`.
    Localnet {
        #[command(subcommand)]
        command: comet::LocalnetCommand,
    },
    /// Manage local keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
        #[arg(long, global = true, env = "SHEAF_KEYSTORE")]
        keystore: Option<PathBuf>,
    },
    /// Send ETH.
    Tx {
        #[command(subcommand)]
        command: TxCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Create and move ERC-20 tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Liquidity pools (Uniswap V2): list, show, create, add, remove.
    Pool {
        #[command(subcommand)]
        command: pool::PoolCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Farms that pay SHF for staked LP tokens: list, deposit, withdraw, harvest.
    Farm {
        #[command(subcommand)]
        command: farm::FarmCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Governance: stake SHF for GOV, delegate, propose, vote, queue, execute.
    Gov {
        #[command(subcommand)]
        command: gov::GovCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Validators: keygen, deposit 32 ETH, status, list, exit, unjail.
    Validator {
        #[command(subcommand)]
        command: validator::ValidatorCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Swap through the Uniswap V2 router: `sheaf swap --from dev1 --sell "1 ETH" --buy DAI`.
    Swap(pool::SwapArgs),
    /// Read chain state.
    Query {
        #[command(subcommand)]
        command: QueryCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Simulate a module alone: `sheaf sim staking --validators 1000000 --epochs 10`.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Measure throughput.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(clap::Subcommand)]
enum SimCommand {
    /// The staking module's epoch transition over many validators: CSV and plots.
    Staking(sim::SimArgs),
}

#[derive(Args)]
struct Common {
    /// The node's JSON-RPC URL.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:8545",
        env = "SHEAF_RPC"
    )]
    rpc: String,
    #[arg(long, global = true, env = "SHEAF_KEYSTORE")]
    keystore: Option<PathBuf>,
}

impl Common {
    fn client(&self) -> Client {
        Client::new(&self.rpc)
    }
    fn keystore(&self) -> PathBuf {
        self.keystore.clone().unwrap_or_else(keys::default_dir)
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// List the dev keys and the keystore's keys with their addresses.
    List,
    /// Generate a new key.
    New { name: String },
    /// Import a 0x-prefixed hex secret key.
    Import { name: String, secret: String },
}

#[derive(Subcommand)]
enum TxCommand {
    /// Send ETH: `sheaf tx transfer --from dev0 --to 0x… --amount "1.5 ETH"`.
    Transfer {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an ERC-20 token; the whole supply goes to the creator.
    Create {
        #[arg(long)]
        from: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        symbol: String,
        #[arg(long, default_value_t = 18)]
        decimals: u8,
        /// Initial supply in whole tokens ("1000000" or "1000000 ACME").
        #[arg(long)]
        supply: String,
    },
    /// Send tokens: `--token DAI --amount "250 DAI"`.
    Transfer {
        #[arg(long)]
        from: String,
        #[arg(long)]
        token: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: String,
    },
    /// Allow `spender` to move up to `amount` of your tokens.
    Approve {
        #[arg(long)]
        from: String,
        #[arg(long)]
        token: String,
        #[arg(long)]
        spender: String,
        #[arg(long)]
        amount: String,
    },
}

#[derive(Subcommand)]
enum QueryCommand {
    /// ETH and genesis-token balances of an address or key name (or one token with --token).
    Balance {
        who: String,
        #[arg(long)]
        token: Option<String>,
    },
    /// A block by number, or the latest.
    Block {
        #[arg(default_value = "latest")]
        number: String,
    },
    /// A transaction and its receipt.
    Tx { hash: String },
    /// System addresses and genesis tokens.
    Addresses,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Node(args) => node::run(args),
        Command::Init(args) => comet::init(args),
        Command::Localnet { command } => comet::localnet(command),
        Command::Keys { command, keystore } => {
            run_keys(command, keystore.unwrap_or_else(keys::default_dir))
        }
        Command::Tx { command, common } => run_tx(command, &common),
        Command::Token { command, common } => run_token(command, &common),
        Command::Query { command, common } => run_query(command, &common),
        Command::Pool { command, common } => pool::run(command, &common),
        Command::Swap(args) => pool::run_swap(args),
        Command::Farm { command, common } => farm::run(command, &common),
        Command::Gov { command, common } => gov::run(command, &common),
        Command::Validator { command, common } => validator::run(command, &common),
        Command::Bench { command } => bench::run(command),
        Command::Sim {
            command: SimCommand::Staking(args),
        } => sim::run(args),
    };
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run_keys(command: KeysCommand, dir: PathBuf) -> anyhow::Result<()> {
    match command {
        KeysCommand::List => {
            for (name, address) in keys::list(&dir)? {
                out!("{name:<12} {address}");
            }
        }
        KeysCommand::New { name } => {
            let signer = sheaf_tx::sign::Signer::random();
            let path = keys::save(&dir, &name, &signer)?;
            out!("{name} {} (saved to {})", signer.address, path.display());
        }
        KeysCommand::Import { name, secret } => {
            let secret = secret
                .parse()
                .context("the secret must be 0x followed by 64 hex digits")?;
            let signer = sheaf_tx::sign::Signer::new(secret)?;
            let path = keys::save(&dir, &name, &signer)?;
            out!("{name} {} (saved to {})", signer.address, path.display());
        }
    }
    Ok(())
}

fn eth_amount(input: &str) -> anyhow::Result<U256> {
    let (number, unit) = split_unit(input);
    let decimals = match unit.map(str::to_ascii_lowercase).as_deref() {
        None | Some("eth") | Some("ether") => 18,
        Some("gwei") => 9,
        Some("wei") => 0,
        Some(other) => bail!("'{other}' is not an ETH unit (use ETH, gwei or wei)"),
    };
    Ok(parse_units(number, decimals)?)
}

fn run_tx(command: TxCommand, common: &Common) -> anyhow::Result<()> {
    let client = common.client();
    match command {
        TxCommand::Transfer { from, to, amount } => {
            let signer = keys::load(&common.keystore(), &from)?;
            let to = keys::address(&common.keystore(), &to)?;
            let value = eth_amount(&amount)?;
            wallet::report(&wallet::send(
                &client,
                &signer,
                to,
                value,
                Default::default(),
            )?)
        }
    }
}

fn run_token(command: TokenCommand, common: &Common) -> anyhow::Result<()> {
    let client = common.client();
    let dir = common.keystore();
    match command {
        TokenCommand::Create {
            from,
            name,
            symbol,
            decimals,
            supply,
        } => {
            let signer = keys::load(&dir, &from)?;
            let initial = wallet::amount(&supply, &symbol, decimals)?;
            let call = ISheafTokenFactory::createTokenCall {
                name,
                symbol,
                decimals,
                initialSupply: initial,
            };
            let receipt = wallet::send(
                &client,
                &signer,
                TOKEN_FACTORY,
                U256::ZERO,
                call.abi_encode().into(),
            )?;
            wallet::report(&receipt)?;
            // The factory's TokenCreated event names the new token in its first topic.
            let token = receipt["logs"]
                .as_array()
                .and_then(|logs| {
                    logs.iter().find(|l| {
                        l["address"]
                            .as_str()
                            .is_some_and(|a| a.eq_ignore_ascii_case(&TOKEN_FACTORY.to_string()))
                    })
                })
                .and_then(|l| l["topics"][1].as_str())
                .map(|t| format!("0x{}", &t[26..]))
                .context("no TokenCreated event in the receipt")?;
            out!("token address {token}");
            Ok(())
        }
        TokenCommand::Transfer {
            from,
            token,
            to,
            amount,
        } => {
            let signer = keys::load(&dir, &from)?;
            let token = wallet::token(&client, &token)?;
            let value = wallet::amount(&amount, &token.symbol, token.decimals)?;
            let to = keys::address(&dir, &to)?;
            let call = IERC20::transferCall { to, value };
            wallet::report(&wallet::send(
                &client,
                &signer,
                token.address,
                U256::ZERO,
                call.abi_encode().into(),
            )?)
        }
        TokenCommand::Approve {
            from,
            token,
            spender,
            amount,
        } => {
            let signer = keys::load(&dir, &from)?;
            let token = wallet::token(&client, &token)?;
            let value = wallet::amount(&amount, &token.symbol, token.decimals)?;
            let spender = keys::address(&dir, &spender)?;
            let call = IERC20::approveCall { spender, value };
            wallet::report(&wallet::send(
                &client,
                &signer,
                token.address,
                U256::ZERO,
                call.abi_encode().into(),
            )?)
        }
    }
}

fn run_query(command: QueryCommand, common: &Common) -> anyhow::Result<()> {
    let client = common.client();
    match command {
        QueryCommand::Balance { who, token } => {
            let address = keys::address(&common.keystore(), &who)?;
            let tokens: Vec<String> = match token {
                Some(token) => vec![token],
                None => {
                    let wei: U256 = client.call("eth_getBalance", json!([address, "latest"]))?;
                    out!("{} ETH", format_units(wei, 18));
                    let addresses: Value = client.call("sheaf_systemAddresses", json!([]))?;
                    let system: Vec<&str> =
                        sheaf_abi::system::ALL.iter().map(|(n, _)| *n).collect();
                    addresses
                        .as_object()
                        .map(|m| {
                            m.keys()
                                .filter(|k| !system.contains(&k.as_str()))
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default()
                }
            };
            for reference in tokens {
                let token = wallet::token(&client, &reference)?;
                let out = wallet::eth_call(
                    &client,
                    token.address,
                    IERC20::balanceOfCall { account: address }.abi_encode(),
                )?;
                let balance = IERC20::balanceOfCall::abi_decode_returns(&out)?;
                out!("{}", wallet::show(balance, &token.symbol, token.decimals));
            }
            Ok(())
        }
        QueryCommand::Block { number } => {
            let tag = if number == "latest" || number.starts_with("0x") {
                number
            } else {
                format!(
                    "0x{:x}",
                    number
                        .parse::<u64>()
                        .context("block number must be a number, hex, or 'latest'")?
                )
            };
            let block: Value = client.call("eth_getBlockByNumber", json!([tag, false]))?;
            if block.is_null() {
                bail!("no such block yet");
            }
            out!("{}", serde_json::to_string_pretty(&block)?);
            Ok(())
        }
        QueryCommand::Tx { hash } => {
            let tx: Value = client.call("eth_getTransactionByHash", json!([hash]))?;
            if tx.is_null() {
                bail!("unknown transaction {hash}");
            }
            let receipt: Value = client.call("eth_getTransactionReceipt", json!([hash]))?;
            out!(
                "{}",
                serde_json::to_string_pretty(&json!({ "transaction": tx, "receipt": receipt }))?
            );
            Ok(())
        }
        QueryCommand::Addresses => {
            let addresses: std::collections::BTreeMap<String, Address> =
                client.call("sheaf_systemAddresses", json!([]))?;
            for (name, address) in addresses {
                out!("{name:<16} {address}");
            }
            Ok(())
        }
    }
}
