//! `sheaf node`: open (or create) the chain, start the dev driver and the JSON-RPC server.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use clap::Args;
use sheaf_app::{Application, Genesis, SheafApp, genesis::DEV_KEYS};
use sheaf_consensus_dev::{DevConfig, DevDriver};
use sheaf_rpc::RpcConfig;

#[derive(Args)]
pub struct NodeArgs {
    /// Run the embedded single-validator dev chain.
    #[arg(long, conflicts_with = "home")]
    dev: bool,
    /// Run as an ABCI application for CometBFT, from a home made by `sheaf init`.
    #[arg(long)]
    home: Option<PathBuf>,
    /// With --home: the ABCI port CometBFT's proxy_app connects to.
    #[arg(long, default_value_t = 26658)]
    abci_port: u16,
    /// With --home: CometBFT's RPC, where transactions are broadcast.
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    comet_rpc: String,
    /// Seconds between blocks; 0 mines as soon as a transaction arrives.
    #[arg(long, default_value_t = 1.0)]
    block_time: f64,
    #[arg(long, default_value_t = 8545)]
    rpc_port: u16,
    #[arg(long, default_value = "127.0.0.1")]
    rpc_addr: std::net::IpAddr,
    /// Allowed browser origins for JSON-RPC ("*" for any, "none" to send no CORS headers).
    #[arg(long, default_value = "*", value_delimiter = ',')]
    rpc_cors: Vec<String>,
    /// Largest JSON-RPC response, in bytes, for one call or a whole batch (geth's default,
    /// 25 MB). A larger answer is refused with an error that says so.
    #[arg(long, default_value_t = 25_000_000)]
    rpc_max_response_bytes: u32,
    /// Where the chain is stored.
    #[arg(long, env = "SHEAF_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Delete the data dir first and start a fresh chain.
    #[arg(long)]
    reset: bool,
    /// Block gas limit of a new dev chain (default 30,000,000, Ethereum's). Only used when the
    /// chain is created.
    #[arg(long)]
    block_gas_limit: Option<u64>,
    /// A genesis JSON file (default: the dev genesis).
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// The built dashboard (`web/dist`), served at the RPC port's `/`. Default: `web/dist` under
    /// the current directory or the checkout this binary was built in.
    #[arg(long, env = "SHEAF_WEB_DIR")]
    web_dir: Option<PathBuf>,
}

/// The dashboard's build output, if it was built.
fn web_dir(explicit: Option<&PathBuf>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.clone());
    }
    let built_here = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .nth(3)
            .map(|checkout| checkout.join("web/dist"))
    });
    [Some(PathBuf::from("web/dist")), built_here]
        .into_iter()
        .flatten()
        .find(|dir| dir.join("index.html").exists())
}

fn web_config(args: &NodeArgs, dev_accounts: bool) -> sheaf_rpc::web::WebConfig {
    let root = web_dir(args.web_dir.as_ref());
    match &root {
        Some(dir) => tracing::info!(dir = %dir.display(), "serving the dashboard"),
        None => tracing::warn!("the dashboard is not built (npm ci && npm run build in web/)"),
    }
    sheaf_rpc::web::WebConfig { root, dev_accounts }
}

fn default_data_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".sheaf")
        .join("dev")
}

pub fn run(args: NodeArgs) -> anyhow::Result<()> {
    if !args.dev && args.home.is_none() {
        bail!("say which node: `sheaf node --dev`, or `sheaf node --home DIR` after `sheaf init`");
    }
    if !(args.block_time >= 0.0 && args.block_time <= 3600.0) {
        bail!("--block-time must be between 0 and 3600 seconds");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    // The dev accounts are offered in the page only on the dev genesis.
    let rpc_config = |args: &NodeArgs, dev_accounts: bool| RpcConfig {
        addr: SocketAddr::new(args.rpc_addr, args.rpc_port),
        cors: if args.rpc_cors.iter().any(|o| o == "none") {
            None
        } else {
            Some(args.rpc_cors.clone())
        },
        web: Some(web_config(args, dev_accounts)),
        max_response_bytes: args.rpc_max_response_bytes,
        ..Default::default()
    };
    if let Some(home) = &args.home {
        return crate::comet::run(
            home,
            args.abci_port,
            &args.comet_rpc,
            rpc_config(&args, false),
        );
    }
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    if args.reset && data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| format!("cannot remove {}", data_dir.display()))?;
    }
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let mut app = SheafApp::open(&data_dir.join("state.redb")).with_context(|| {
        format!(
            "cannot open the chain in {} (is another node using it?)",
            data_dir.display()
        )
    })?;
    let info = app.info()?;
    if app.shared().storage().latest()?.is_none() {
        let genesis = match &args.genesis {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                serde_json::from_str::<Genesis>(&text)
                    .with_context(|| format!("{} is not a valid genesis", path.display()))?
            }
            None => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_secs();
                let mut genesis = Genesis::dev(now);
                if let Some(limit) = args.block_gas_limit {
                    genesis.params.block_gas_limit = limit;
                }
                genesis
            }
        };
        app.init_chain(&genesis)?;
        tracing::info!(chain_id = genesis.chain_id, dir = %data_dir.display(), "created a new chain");
    } else {
        tracing::info!(height = info.last_block_height, dir = %data_dir.display(), "resuming the chain");
    }
    let shared = app.shared();
    let chain_id = shared.chain_id()?;

    let config = DevConfig {
        block_time: Duration::from_secs_f64(args.block_time),
        ..Default::default()
    };
    let driver = DevDriver::start(app, config)?;
    let rpc = rpc_config(&args, args.genesis.is_none());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let pool = driver.pool.clone();
        let heads = pool.heads_sender();
        let (addr, handle) = sheaf_rpc::serve(
            shared,
            pool as Arc<dyn sheaf_mempool::TxPool>,
            Some(heads),
            &rpc,
        )
        .await
        .with_context(|| format!("cannot serve JSON-RPC on {}", rpc.addr))?;
        print_banner(addr, chain_id);
        tokio::signal::ctrl_c().await?;
        tracing::info!("shutting down");
        handle.stop().ok();
        anyhow::Ok(())
    });
    driver.stop()?;
    result
}

fn print_banner(addr: SocketAddr, chain_id: u64) {
    out!("Sheaf dev node");
    out!("  JSON-RPC (HTTP + WebSocket): http://{addr}");
    out!("  chain id: {chain_id} ({chain_id:#x})");
    out!("  dev accounts (10,000 ETH each; public keys, dev only):");
    for (i, (address, secret)) in DEV_KEYS.iter().enumerate() {
        out!("    dev{i} {address} {secret}");
    }
    out!("  `sheaf query addresses` lists the system addresses and tokens.");
}
