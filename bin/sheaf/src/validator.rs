//! `sheaf validator …`: consensus keys, 32 ETH deposits, status, exits and unjailing.
//!
//! Consensus keys are written in CometBFT's `priv_validator_key.json` format, so the same file
//! can later run a CometBFT validator. They stay on this machine; only the deposit (public key,
//! credentials, amount, proof of possession) goes on chain.

use std::path::{Path, PathBuf};

use alloy_primitives::{B256, Bytes, U256};
use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use clap::Subcommand;
use serde_json::{Value, json};
use sheaf_abi::{IDepositContract, IStaking, system::DEPOSIT_CONTRACT};
use sheaf_primitives::amount::format_units;
use sheaf_staking::{GWEI_PER_ETH, deposit};

use crate::{Common, client::Client, keys, wallet};

#[derive(Subcommand)]
pub enum ValidatorCommand {
    /// Create a consensus key (`<keystore>/validators/<name>.json`, CometBFT's format) and print
    /// its deposit data.
    Keygen {
        #[arg(long)]
        name: String,
        /// Who may exit the validator and receives its withdrawals (a key name or address).
        #[arg(long)]
        withdrawal_address: String,
        /// The deposit to sign for.
        #[arg(long, default_value = "32 ETH")]
        amount: String,
    },
    /// Deposit for a consensus key: `sheaf validator deposit --from dev3 --key v1`.
    Deposit {
        #[arg(long)]
        from: String,
        /// A key made by `validator keygen`, or a CometBFT priv_validator_key.json path.
        #[arg(long)]
        key: String,
        #[arg(long, default_value = "32 ETH")]
        amount: String,
        /// Default: the sender.
        #[arg(long)]
        withdrawal_address: Option<String>,
    },
    /// Where a validator is in its life, and what comes next.
    Status {
        /// A key name or a 0x public key.
        validator: String,
    },
    /// Every validator, the queues and the current APR.
    List,
    /// Jailings, slashings and withdrawals the chain recorded (default: the last 1,000 blocks).
    Events {
        #[arg(long)]
        from_block: Option<u64>,
        #[arg(long)]
        to_block: Option<u64>,
    },
    /// Voluntary exit: sent by the withdrawal address, or with --signed by any account, signed
    /// by the consensus key file.
    Exit {
        #[arg(long)]
        from: String,
        #[arg(long)]
        key: String,
        /// Sign the exit with the consensus key (the sender only pays the fee).
        #[arg(long)]
        signed: bool,
    },
    /// Leave jail after the jail time, sent by the withdrawal address.
    Unjail {
        #[arg(long)]
        from: String,
        #[arg(long)]
        key: String,
    },
}

/// Consensus keys live inside the keystore the user chose (`<keystore>/validators/`), so a
/// `--keystore` of one's own keeps everything in that one place; they used to go beside it,
/// into whatever directory contained the keystore.
fn key_dir(keystore: &Path) -> PathBuf {
    keystore.join("validators")
}

fn key_path(keystore: &Path, name: &str) -> anyhow::Result<PathBuf> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("'{name}' is not a valid key name (letters, digits, - and _)");
    }
    Ok(key_dir(keystore).join(format!("{name}.json")))
}

/// Reads a consensus key file: (secret, public key).
fn load(keystore: &Path, name: &str) -> anyhow::Result<([u8; 32], B256)> {
    // A path to any CometBFT priv_validator_key.json works too.
    let path = if name.ends_with(".json") {
        PathBuf::from(name)
    } else {
        key_path(keystore, name)?
    };
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no consensus key '{name}' (looked for {}; make one with `sheaf validator keygen`)",
            path.display()
        )
    })?;
    let file: Value = serde_json::from_str(&text)?;
    let private = STANDARD
        .decode(file["priv_key"]["value"].as_str().unwrap_or_default())
        .with_context(|| format!("{} has no readable priv_key", path.display()))?;
    let secret: [u8; 32] = private
        .get(..32)
        .and_then(|s| s.try_into().ok())
        .with_context(|| format!("{} holds a malformed ed25519 key", path.display()))?;
    let public = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
    Ok((secret, B256::from(public.to_bytes())))
}

/// A validator by key name or public key.
fn pubkey(keystore: &Path, reference: &str) -> anyhow::Result<B256> {
    if reference.starts_with("0x") && reference.len() == 66 {
        return reference.parse().context("not a 32-byte public key");
    }
    Ok(load(keystore, reference)?.1)
}

fn chain_id(client: &Client) -> anyhow::Result<u64> {
    let id: String = client.call("eth_chainId", json!([]))?;
    Ok(u64::from_str_radix(id.trim_start_matches("0x"), 16)?)
}

fn amount_gwei(input: &str) -> anyhow::Result<u64> {
    let wei = wallet::amount(input, "ETH", 18)?;
    let gwei = wei / U256::from(GWEI_PER_ETH);
    if gwei * U256::from(GWEI_PER_ETH) != wei {
        bail!("a deposit must be a whole number of gwei");
    }
    if gwei < U256::from(GWEI_PER_ETH) {
        bail!("the minimum deposit is 1 ETH");
    }
    u64::try_from(gwei).context("deposit too large")
}

/// The deposit data for `secret`, as Ethereum's deposit-cli prints it.
fn deposit_data(
    chain: u64,
    secret: &[u8; 32],
    withdrawal: alloy_primitives::Address,
    gwei: u64,
) -> Value {
    let credentials = deposit::address_credentials(&withdrawal);
    let (pubkey, signature) = deposit::sign_deposit(chain, secret, &credentials, gwei);
    let root = deposit::deposit_data_root(&pubkey, &credentials, gwei, &signature);
    json!({
        "pubkey": pubkey.to_string(),
        "withdrawal_credentials": credentials.to_string(),
        "amount": gwei,
        "signature": alloy_primitives::hex::encode_prefixed(signature),
        "deposit_data_root": B256::from(root).to_string(),
        "chain_id": chain,
    })
}

fn validators(client: &Client) -> anyhow::Result<Value> {
    client.call("sheaf_validators", json!([]))
}

fn find(view: &Value, pubkey: &B256) -> Option<Value> {
    view["validators"]
        .as_array()?
        .iter()
        .find(|v| v["pubkey"].as_str() == Some(&pubkey.to_string()))
        .cloned()
}

fn eth(gwei: &Value) -> String {
    let g: u128 = gwei
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    format!(
        "{} ETH",
        format_units(U256::from(g) * U256::from(GWEI_PER_ETH), 18)
    )
}

/// What the status means and what happens next.
fn explain(v: &Value, view: &Value) -> String {
    let epoch = view["epoch"].as_u64().unwrap_or_default();
    let blocks = view["epochBlocks"].as_u64().unwrap_or(1);
    let at = |field: &str| v[field].as_u64();
    match v["status"].as_str().unwrap_or("") {
        "Pending" => {
            "waiting for its balance to reach 32 ETH (top it up with another deposit)".into()
        }
        "Eligible" => match at("activationEpoch") {
            Some(e) => format!("activates at epoch {e} (block {})", e * blocks),
            None => format!(
                "in the activation queue ({} waiting, {} activate per epoch)",
                view["activationQueue"], view["activationChurn"]
            ),
        },
        "Active" => "signing blocks and earning".into(),
        "Exiting" => format!(
            "active until epoch {}, withdrawable from epoch {}",
            at("exitEpoch").unwrap_or(epoch),
            at("withdrawableEpoch").unwrap_or(epoch)
        ),
        "Exited" => format!(
            "out of the set; withdrawable from epoch {}",
            at("withdrawableEpoch").unwrap_or(epoch)
        ),
        "Withdrawable" if !view["withdrawalsEnabled"].as_bool().unwrap_or(false) => format!(
            "withdrawable, but withdrawals are locked until block {}",
            view["withdrawalsHeight"]
        ),
        "Withdrawable" => "the withdrawals sweep pays it out shortly".into(),
        "Withdrawn" => format!(
            "withdrawn: the ETH went to {}",
            v["withdrawalAddress"].as_str().unwrap_or("?")
        ),
        "Jailed" => format!(
            "jailed for missing blocks until block {}; then `sheaf validator unjail`",
            v["jailedUntil"]
        ),
        "Slashed" => format!(
            "slashed for signing twice; forced out, withdrawable from epoch {}",
            at("withdrawableEpoch").unwrap_or(epoch)
        ),
        other => other.to_string(),
    }
}

pub fn run(command: ValidatorCommand, common: &Common) -> anyhow::Result<()> {
    let client = common.client();
    let keystore = common.keystore();
    match command {
        ValidatorCommand::Keygen {
            name,
            withdrawal_address,
            amount,
        } => {
            let path = key_path(&keystore, &name)?;
            if path.exists() {
                bail!("{} already exists; pick another name", path.display());
            }
            let withdrawal = keys::address(&keystore, &withdrawal_address)?;
            let gwei = amount_gwei(&amount)?;
            let chain = chain_id(&client)?;
            let mut secret = [0u8; 32];
            getrandom::getrandom(&mut secret).context("no randomness for a key")?;
            let signing = ed25519_dalek::SigningKey::from_bytes(&secret);
            let public = signing.verifying_key().to_bytes();
            let pubkey = B256::from(public);
            let address = sheaf_staking::consensus_address(&pubkey);
            let file = json!({
                "address": alloy_primitives::hex::encode_upper(address),
                "pub_key": { "type": "tendermint/PubKeyEd25519", "value": STANDARD.encode(public) },
                "priv_key": { "type": "tendermint/PrivKeyEd25519", "value": STANDARD.encode([secret, public].concat()) },
            });
            std::fs::create_dir_all(key_dir(&keystore))?;
            std::fs::write(&path, serde_json::to_string_pretty(&file)?)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
            out!(
                "consensus key {name}: {pubkey} (saved to {})",
                path.display()
            );
            out!(
                "{}",
                serde_json::to_string_pretty(&deposit_data(chain, &secret, withdrawal, gwei))?
            );
            Ok(())
        }
        ValidatorCommand::Deposit {
            from,
            key,
            amount,
            withdrawal_address,
        } => {
            let signer = keys::load(&keystore, &from)?;
            let (secret, pubkey) = load(&keystore, &key)?;
            let withdrawal = match withdrawal_address {
                Some(a) => keys::address(&keystore, &a)?,
                None => signer.address,
            };
            let gwei = amount_gwei(&amount)?;
            let data = deposit_data(chain_id(&client)?, &secret, withdrawal, gwei);
            let hex = |field: &str| -> anyhow::Result<Bytes> {
                Ok(data[field].as_str().unwrap_or_default().parse()?)
            };
            let call = IDepositContract::depositCall {
                pubkey: hex("pubkey")?,
                withdrawal_credentials: hex("withdrawal_credentials")?,
                signature: hex("signature")?,
                deposit_data_root: data["deposit_data_root"]
                    .as_str()
                    .unwrap_or_default()
                    .parse()?,
            };
            let value = U256::from(gwei) * U256::from(GWEI_PER_ETH);
            let receipt = wallet::send(
                &client,
                &signer,
                DEPOSIT_CONTRACT,
                value,
                alloy_sol_types::SolCall::abi_encode(&call).into(),
            )?;
            wallet::report(&receipt)?;
            let view = validators(&client)?;
            if let Some(v) = find(&view, &pubkey) {
                out!(
                    "validator {} is {}: {}",
                    v["index"],
                    v["status"].as_str().unwrap_or("?"),
                    explain(&v, &view)
                );
            }
            Ok(())
        }
        ValidatorCommand::Status { validator } => {
            let pubkey = pubkey(&keystore, &validator)?;
            let view = validators(&client)?;
            let v =
                find(&view, &pubkey).with_context(|| format!("{pubkey} has made no deposit"))?;
            out!("validator {}  {}", v["index"], pubkey);
            out!("status            {}", v["status"].as_str().unwrap_or("?"));
            out!("                  {}", explain(&v, &view));
            out!("balance           {}", eth(&v["balanceGwei"]));
            out!(
                "effective balance {} (voting power {})",
                eth(&v["effectiveBalanceGwei"]),
                v["power"]
            );
            out!(
                "withdrawals to    {}",
                v["withdrawalAddress"].as_str().unwrap_or("?")
            );
            out!(
                "epoch now         {} ({} blocks each)",
                view["epoch"],
                view["epochBlocks"]
            );
            Ok(())
        }
        ValidatorCommand::List => {
            let view = validators(&client)?;
            let apr = view["aprBps"].as_u64().unwrap_or_default();
            out!(
                "epoch {}  total active {}  APR {}.{:02}% when online  activation queue {} ({} per epoch)  exiting {}",
                view["epoch"],
                eth(&view["totalActiveBalanceGwei"]),
                apr / 100,
                apr % 100,
                view["activationQueue"],
                view["activationChurn"],
                view["exitQueue"]
            );
            match view["withdrawalsHeight"].as_u64() {
                Some(h) if view["withdrawalsEnabled"].as_bool().unwrap_or(false) => {
                    out!("withdrawals enabled since block {h}")
                }
                Some(h) => out!("withdrawals locked until block {h}"),
                None => out!("withdrawals locked until governance enables them"),
            }
            for v in view["validators"].as_array().into_iter().flatten() {
                out!(
                    "{:>4}  {:<12} {:>14}  power {:>3}  {}",
                    v["index"],
                    v["status"].as_str().unwrap_or("?"),
                    eth(&v["balanceGwei"]),
                    v["power"],
                    v["pubkey"].as_str().unwrap_or("?")
                );
            }
            Ok(())
        }
        ValidatorCommand::Exit { from, key, signed } => {
            let signer = keys::load(&keystore, &from)?;
            let pubkey = pubkey(&keystore, &key)?;
            if signed {
                let (secret, _) = load(&keystore, &key)?;
                let view = validators(&client)?;
                let v = find(&view, &pubkey)
                    .with_context(|| format!("{pubkey} has made no deposit"))?;
                let index = v["index"].as_u64().context("validator index")?;
                let epoch = view["epoch"].as_u64().context("epoch")?;
                let signature = deposit::sign_exit(chain_id(&client)?, &secret, epoch, index);
                let call = IStaking::exitSignedCall {
                    pubkey,
                    epoch,
                    signature: Bytes::copy_from_slice(&signature),
                };
                wallet::send_call(&client, &signer, DEPOSIT_CONTRACT, call)?;
            } else {
                wallet::send_call(
                    &client,
                    &signer,
                    DEPOSIT_CONTRACT,
                    IStaking::exitCall { pubkey },
                )?;
            }
            let view = validators(&client)?;
            if let Some(v) = find(&view, &pubkey) {
                out!("{}", explain(&v, &view));
            }
            Ok(())
        }
        ValidatorCommand::Events {
            from_block,
            to_block,
        } => {
            let hex = |n: Option<u64>| n.map(|n| format!("0x{n:x}"));
            let events: Vec<Value> = client.call(
                "sheaf_systemEvents",
                json!([hex(from_block), hex(to_block)]),
            )?;
            if events.is_empty() {
                out!("no validator events in that range");
            }
            for e in events {
                out!(
                    "block {:>6}  {}",
                    e["blockNumber"],
                    e["event"].as_str().unwrap_or("(undecoded)")
                );
            }
            Ok(())
        }
        ValidatorCommand::Unjail { from, key } => {
            let signer = keys::load(&keystore, &from)?;
            let pubkey = pubkey(&keystore, &key)?;
            wallet::send_call(
                &client,
                &signer,
                DEPOSIT_CONTRACT,
                IStaking::unjailCall { pubkey },
            )?;
            out!("unjailed: back in the set from the next epoch");
            Ok(())
        }
    }
}
