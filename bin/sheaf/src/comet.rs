//! Sheaf on CometBFT: `sheaf init --home DIR` writes a Sheaf genesis and the matching CometBFT
//! home (its genesis carries the Sheaf genesis as app state, the validator set is the staked
//! genesis validators), and `sheaf node --home DIR` serves the app over ABCI with JSON-RPC in
//! front of CometBFT's mempool.

use std::{net::SocketAddr, path::Path, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use clap::Args;
use serde_json::{Value, json};
use sheaf_app::{
    Genesis, GenesisValidator, SheafApp, consensus_chain_id,
    genesis::{DEV_FEE_RECIPIENT, DEV_VALIDATOR_WITHDRAWALS},
};

#[derive(Args)]
pub struct InitArgs {
    /// Where the Sheaf genesis, state and the CometBFT home (`DIR/cometbft`) go.
    #[arg(long)]
    home: PathBuf,
    /// The CometBFT binary (v0.38).
    #[arg(long, default_value = "cometbft", env = "SHEAF_COMETBFT")]
    cometbft: String,
    #[arg(long, default_value_t = 26656)]
    p2p_port: u16,
    #[arg(long, default_value_t = 26657)]
    comet_rpc_port: u16,
    #[arg(long, default_value_t = 26658)]
    abci_port: u16,
    /// CometBFT's `timeout_commit`: the pause between blocks.
    #[arg(long, default_value = "1s")]
    block_time: String,
}

/// Reads the ed25519 public key from a CometBFT `priv_validator_key.json`.
pub fn validator_pubkey(home: &Path) -> anyhow::Result<[u8; 32]> {
    let path = home.join("config/priv_validator_key.json");
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
    )?;
    let key = STANDARD
        .decode(file["pub_key"]["value"].as_str().unwrap_or_default())
        .with_context(|| format!("{} has no readable pub_key", path.display()))?;
    key.try_into()
        .map_err(|_| anyhow::anyhow!("{} does not hold an ed25519 key", path.display()))
}

/// Sets `key = value` in the first line of a TOML section that assigns `key`.
fn set_toml(text: &str, section: &str, key: &str, value: &str) -> anyhow::Result<String> {
    let mut in_section = section.is_empty();
    let mut done = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_section = trimmed == format!("[{section}]");
        }
        if in_section && !done && trimmed.starts_with(&format!("{key} =")) {
            out.push(format!("{key} = {value}"));
            done = true;
        } else {
            out.push(line.to_string());
        }
    }
    if !done {
        bail!("config.toml has no {key} in [{section}]");
    }
    Ok(out.join("\n") + "\n")
}

pub fn init(args: InitArgs) -> anyhow::Result<()> {
    let comet_home = args.home.join("cometbft");
    if comet_home.join("config/genesis.json").exists() {
        bail!("{} is already initialised", args.home.display());
    }
    let status = std::process::Command::new(&args.cometbft)
        .args(["init", "--home"])
        .arg(&comet_home)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| {
            format!(
                "cannot run {} (install it: go install github.com/cometbft/cometbft/cmd/cometbft@v0.38.25)",
                args.cometbft
            )
        })?;
    if !status.success() {
        bail!("`{} init` failed", args.cometbft);
    }
    let pubkey = validator_pubkey(&comet_home)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut genesis = Genesis::dev(now);
    genesis.validators = vec![GenesisValidator {
        name: "validator-0".into(),
        pub_key: pubkey.into(),
        power: 32,
        fee_recipient: DEV_FEE_RECIPIENT,
        withdrawal_address: Some(DEV_VALIDATOR_WITHDRAWALS),
    }];
    genesis
        .validate()
        .map_err(|e| anyhow::anyhow!("genesis: {e}"))?;
    std::fs::write(
        args.home.join("genesis.json"),
        serde_json::to_string_pretty(&genesis)?,
    )?;

    let path = comet_home.join("config/genesis.json");
    let mut comet: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    comet["chain_id"] = json!(consensus_chain_id(genesis.chain_id));
    comet["initial_height"] = json!("1");
    comet["validators"] = json!(genesis
        .validators
        .iter()
        .map(|v| json!({
            "address": alloy_primitives::hex::encode_upper(v.consensus_address()),
            "pub_key": { "type": "tendermint/PubKeyEd25519", "value": STANDARD.encode(v.pub_key) },
            "power": v.power.to_string(),
            "name": v.name,
        }))
        .collect::<Vec<_>>());
    comet["app_state"] = serde_json::to_value(&genesis)?;
    std::fs::write(&path, serde_json::to_string_pretty(&comet)?)?;

    let config = comet_home.join("config/config.toml");
    let mut text = std::fs::read_to_string(&config)?;
    text = set_toml(
        &text,
        "",
        "proxy_app",
        &format!("\"tcp://127.0.0.1:{}\"", args.abci_port),
    )?;
    text = set_toml(
        &text,
        "rpc",
        "laddr",
        &format!("\"tcp://127.0.0.1:{}\"", args.comet_rpc_port),
    )?;
    text = set_toml(
        &text,
        "p2p",
        "laddr",
        &format!("\"tcp://127.0.0.1:{}\"", args.p2p_port),
    )?;
    text = set_toml(
        &text,
        "consensus",
        "timeout_commit",
        &format!("\"{}\"", args.block_time),
    )?;
    std::fs::write(&config, text)?;

    println!(
        "initialised {} (chain {})",
        args.home.display(),
        consensus_chain_id(genesis.chain_id)
    );
    println!(
        "  start the app:      sheaf node --home {}",
        args.home.display()
    );
    println!(
        "  start consensus:    {} start --home {}",
        args.cometbft,
        comet_home.display()
    );
    Ok(())
}

/// `sheaf node --home DIR`: the app over ABCI and JSON-RPC; CometBFT runs beside it.
pub fn run(
    home: &Path,
    abci_port: u16,
    comet_rpc: &str,
    rpc: sheaf_rpc::RpcConfig,
) -> anyhow::Result<()> {
    let app = SheafApp::open(&home.join("state.redb"))
        .with_context(|| format!("cannot open the chain in {}", home.display()))?;
    let shared = app.shared();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let abci_addr = SocketAddr::from(([127, 0, 0, 1], abci_port));
        let abci = tokio::spawn(async move { sheaf_abci::serve(app, abci_addr).await });
        tracing::info!(%abci_addr, "serving ABCI; waiting for CometBFT's InitChain");
        // JSON-RPC answers from committed state, so it starts once there is some.
        while shared.storage().latest()?.is_none() {
            if abci.is_finished() {
                bail!("the ABCI server stopped before the chain started");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let pool = Arc::new(sheaf_abci::pool::CometPool::new(shared.clone(), comet_rpc));
        let (addr, handle) = sheaf_rpc::serve(shared.clone(), pool, None, &rpc)
            .await
            .with_context(|| format!("cannot serve JSON-RPC on {}", rpc.addr))?;
        println!("Sheaf node on CometBFT");
        println!("  JSON-RPC: http://{addr}");
        println!("  ABCI:     tcp://{abci_addr}");
        println!("  chain id: {}", shared.chain_id()?);
        tokio::select! {
            result = abci => {
                handle.stop().ok();
                match result {
                    Ok(Ok(())) => bail!("the ABCI server stopped"),
                    Ok(Err(e)) => bail!("ABCI: {e}"),
                    Err(e) => bail!("ABCI task: {e}"),
                }
            }
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("shutting down");
                handle.stop().ok();
                Ok(())
            }
        }
    })
}
