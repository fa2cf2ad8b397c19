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

/// Makes a `cometbft init` genesis describe `genesis`: its chain id, its validators with their
/// power, and the Sheaf genesis itself as app state.
fn fill_comet_genesis(comet: &mut Value, genesis: &Genesis) -> anyhow::Result<()> {
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
    comet["app_state"] = serde_json::to_value(genesis)?;
    Ok(())
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
    fill_comet_genesis(&mut comet, &genesis)?;
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

    out!(
        "initialised {} (chain {})",
        args.home.display(),
        consensus_chain_id(genesis.chain_id)
    );
    out!(
        "  start the app:      sheaf node --home {}",
        args.home.display()
    );
    out!(
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
        out!("Sheaf node on CometBFT");
        out!("  JSON-RPC: http://{addr}");
        out!("  ABCI:     tcp://{abci_addr}");
        out!("  chain id: {}", shared.chain_id()?);
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

#[derive(clap::Subcommand)]
pub enum LocalnetCommand {
    /// Create (first time) and start an N-validator network on loopback, in the background.
    Start(LocalnetArgs),
    /// Start one node of an existing localnet again (after a crash or a kill).
    StartNode {
        #[command(flatten)]
        args: LocalnetArgs,
        /// Which node (node0, node1, …).
        #[arg(long)]
        node: usize,
    },
    /// Add a node (a full node until it deposits and activates) to a running localnet and start
    /// it; its consensus key is `DIR/nodeN/cometbft/config/priv_validator_key.json`.
    AddNode(LocalnetArgs),
    /// Stop every process of the network in `--home`.
    Stop {
        #[arg(long)]
        home: PathBuf,
    },
}

#[derive(Args)]
pub struct LocalnetArgs {
    #[arg(long, default_value_t = 4)]
    validators: usize,
    #[arg(long)]
    home: PathBuf,
    #[arg(long, default_value = "cometbft", env = "SHEAF_COMETBFT")]
    cometbft: String,
    /// Validator i serves JSON-RPC on this port + i.
    #[arg(long, default_value_t = 8545)]
    rpc_port: u16,
    /// Validator i uses ports base + 10i (p2p), + 1 (CometBFT RPC), + 2 (ABCI).
    #[arg(long, default_value_t = 26600)]
    base_port: u16,
    #[arg(long, default_value = "1s")]
    block_time: String,
}

struct NodePorts {
    p2p: u16,
    comet_rpc: u16,
    abci: u16,
    rpc: u16,
}

fn node_ports(args: &LocalnetArgs, i: usize) -> NodePorts {
    let base = args.base_port + 10 * i as u16;
    NodePorts {
        p2p: base,
        comet_rpc: base + 1,
        abci: base + 2,
        rpc: args.rpc_port + i as u16,
    }
}

fn cometbft_output(bin: &str, args: &[&str], home: &Path) -> anyhow::Result<String> {
    let out = std::process::Command::new(bin)
        .args(args)
        .arg("--home")
        .arg(home)
        .output()
        .with_context(|| format!("cannot run {bin} (install: go install github.com/cometbft/cometbft/cmd/cometbft@v0.38.25)"))?;
    if !out.status.success() {
        bail!(
            "`{bin} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Writes N validator homes sharing one genesis, each peered with all the others.
fn create_localnet(args: &LocalnetArgs) -> anyhow::Result<()> {
    let n = args.validators;
    if n == 0 {
        bail!("--validators must be at least 1");
    }
    let homes: Vec<PathBuf> = (0..n).map(|i| args.home.join(format!("node{i}"))).collect();
    let mut keys = vec![];
    let mut ids = vec![];
    for home in &homes {
        let comet = home.join("cometbft");
        cometbft_output(&args.cometbft, &["init"], &comet)?;
        keys.push(validator_pubkey(&comet)?);
        ids.push(cometbft_output(&args.cometbft, &["show-node-id"], &comet)?);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut genesis = Genesis::dev(now);
    genesis.validators = keys
        .iter()
        .enumerate()
        .map(|(i, key)| GenesisValidator {
            name: format!("validator-{i}"),
            pub_key: (*key).into(),
            power: 32,
            fee_recipient: DEV_FEE_RECIPIENT,
            // devN may exit or unjail validator N (dev keys: a test network only).
            withdrawal_address: Some(sheaf_app::genesis::DEV_KEYS[i % 10].0),
        })
        .collect();
    genesis
        .validate()
        .map_err(|e| anyhow::anyhow!("genesis: {e}"))?;
    let first = homes[0].join("cometbft/config/genesis.json");
    let mut comet: Value = serde_json::from_str(&std::fs::read_to_string(&first)?)?;
    fill_comet_genesis(&mut comet, &genesis)?;
    let comet_genesis = serde_json::to_string_pretty(&comet)?;
    for (i, home) in homes.iter().enumerate() {
        std::fs::write(
            home.join("genesis.json"),
            serde_json::to_string_pretty(&genesis)?,
        )?;
        std::fs::write(home.join("cometbft/config/genesis.json"), &comet_genesis)?;
        let peers: Vec<(String, u16)> = (0..n)
            .filter(|j| *j != i)
            .map(|j| (ids[j].clone(), node_ports(args, j).p2p))
            .collect();
        configure_node(args, i, home, &peers)?;
    }
    Ok(())
}

/// Ports, peers and block time in node `i`'s config.toml.
fn configure_node(
    args: &LocalnetArgs,
    i: usize,
    home: &Path,
    peers: &[(String, u16)],
) -> anyhow::Result<()> {
    let ports = node_ports(args, i);
    let peers: Vec<String> = peers
        .iter()
        .map(|(id, port)| format!("{id}@127.0.0.1:{port}"))
        .collect();
    let config = home.join("cometbft/config/config.toml");
    let mut text = std::fs::read_to_string(&config)?;
    text = set_toml(
        &text,
        "",
        "proxy_app",
        &format!("\"tcp://127.0.0.1:{}\"", ports.abci),
    )?;
    text = set_toml(
        &text,
        "rpc",
        "laddr",
        &format!("\"tcp://127.0.0.1:{}\"", ports.comet_rpc),
    )?;
    text = set_toml(
        &text,
        "p2p",
        "laddr",
        &format!("\"tcp://127.0.0.1:{}\"", ports.p2p),
    )?;
    text = set_toml(
        &text,
        "p2p",
        "persistent_peers",
        &format!("\"{}\"", peers.join(",")),
    )?;
    text = set_toml(&text, "p2p", "addr_book_strict", "false")?;
    text = set_toml(&text, "p2p", "allow_duplicate_ip", "true")?;
    text = set_toml(
        &text,
        "consensus",
        "timeout_commit",
        &format!("\"{}\"", args.block_time),
    )?;
    std::fs::write(&config, text)?;
    Ok(())
}

/// Starts node `i`'s app and CometBFT in the background. Returns their pids.
fn start_node(args: &LocalnetArgs, i: usize) -> anyhow::Result<[u32; 2]> {
    let home = args.home.join(format!("node{i}"));
    let ports = node_ports(args, i);
    let log = |name: &str| std::fs::File::create(home.join(name));
    let app = std::process::Command::new(std::env::current_exe()?)
        .args(["node", "--home"])
        .arg(&home)
        .args(["--abci-port", &ports.abci.to_string()])
        .args([
            "--comet-rpc",
            &format!("http://127.0.0.1:{}", ports.comet_rpc),
        ])
        .args(["--rpc-port", &ports.rpc.to_string()])
        .stdout(log("sheaf.log")?)
        .stderr(log("sheaf.err.log")?)
        .spawn()?;
    std::thread::sleep(Duration::from_millis(300));
    let consensus = std::process::Command::new(&args.cometbft)
        .arg("start")
        .arg("--home")
        .arg(home.join("cometbft"))
        .stdout(log("cometbft.log")?)
        .stderr(log("cometbft.err.log")?)
        .spawn()?;
    Ok([app.id(), consensus.id()])
}

fn record_pids(home: &Path, pids: &[u32]) -> anyhow::Result<()> {
    let path = home.join("pids");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    for pid in pids {
        text.push_str(&format!("{pid}\n"));
    }
    std::fs::write(path, text)?;
    Ok(())
}

pub fn localnet(command: LocalnetCommand) -> anyhow::Result<()> {
    match command {
        LocalnetCommand::Start(args) => {
            if !args.home.join("node0").exists() {
                create_localnet(&args)?;
            }
            let n = (0..)
                .take_while(|i| args.home.join(format!("node{i}")).exists())
                .count();
            for i in 0..n {
                record_pids(&args.home, &start_node(&args, i)?)?;
            }
            out!(
                "localnet of {n} validators in {} (chain sheaf-24239)",
                args.home.display()
            );
            for i in 0..n {
                let p = node_ports(&args, i);
                out!(
                    "  node{i}: JSON-RPC http://127.0.0.1:{}  CometBFT RPC http://127.0.0.1:{}",
                    p.rpc,
                    p.comet_rpc
                );
            }
            out!(
                "  stop with: sheaf localnet stop --home {}",
                args.home.display()
            );
            Ok(())
        }
        LocalnetCommand::StartNode { args, node } => {
            if !args.home.join(format!("node{node}")).exists() {
                bail!("there is no node{node} in {}", args.home.display());
            }
            record_pids(&args.home, &start_node(&args, node)?)?;
            out!("started node{node}");
            Ok(())
        }
        LocalnetCommand::AddNode(args) => {
            let n = (0..)
                .take_while(|i| args.home.join(format!("node{i}")).exists())
                .count();
            if n == 0 {
                bail!(
                    "no localnet in {}; `sheaf localnet start` makes one",
                    args.home.display()
                );
            }
            let home = args.home.join(format!("node{n}"));
            let comet = home.join("cometbft");
            cometbft_output(&args.cometbft, &["init"], &comet)?;
            let first = args.home.join("node0");
            std::fs::copy(first.join("genesis.json"), home.join("genesis.json"))?;
            std::fs::copy(
                first.join("cometbft/config/genesis.json"),
                comet.join("config/genesis.json"),
            )?;
            let mut peers = vec![];
            for j in 0..n {
                let id = cometbft_output(
                    &args.cometbft,
                    &["show-node-id"],
                    &args.home.join(format!("node{j}/cometbft")),
                )?;
                peers.push((id, node_ports(&args, j).p2p));
            }
            configure_node(&args, n, &home, &peers)?;
            record_pids(&args.home, &start_node(&args, n)?)?;
            let p = node_ports(&args, n);
            out!(
                "node{n}: JSON-RPC http://127.0.0.1:{}  CometBFT RPC http://127.0.0.1:{}",
                p.rpc,
                p.comet_rpc
            );
            let key = comet.join("config/priv_validator_key.json");
            out!("  consensus key: {}", key.display());
            out!(
                "  make it a validator: sheaf validator deposit --from <account> --key {}",
                key.display()
            );
            Ok(())
        }
        LocalnetCommand::Stop { home } => {
            let path = home.join("pids");
            let pids = std::fs::read_to_string(&path)
                .with_context(|| format!("no running localnet in {}", home.display()))?;
            for pid in pids.lines().filter(|l| !l.is_empty()) {
                let _ = std::process::Command::new("kill").arg(pid).status();
            }
            std::fs::remove_file(&path)?;
            out!("stopped the localnet in {}", home.display());
            Ok(())
        }
    }
}
