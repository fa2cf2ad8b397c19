//! Sheaf on a real CometBFT (v0.38): `sheaf init`, the app over ABCI, a transfer sent to Sheaf's
//! JSON-RPC and carried by CometBFT's mempool, the app hash agreeing with CometBFT's, and a
//! restart of both processes resuming through the ABCI handshake.
//!
//! It needs the `cometbft` binary, so it is ignored by a plain `cargo test`; `scripts/test.sh`
//! installs CometBFT with `go install` and runs it with `--ignored`.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use common::{free_port, sheaf, stderr, stdout};

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cometbft() -> PathBuf {
    if let Some(path) = std::env::var_os("SHEAF_COMETBFT") {
        return PathBuf::from(path);
    }
    let in_go_bin = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join("go/bin/cometbft"))
        .filter(|p| p.exists());
    in_go_bin.unwrap_or_else(|| PathBuf::from("cometbft"))
}

struct Ports {
    p2p: u16,
    comet_rpc: u16,
    abci: u16,
    rpc: u16,
}

fn start(home: &Path, ports: &Ports) -> (Process, Process) {
    let app = Command::new(env!("CARGO_BIN_EXE_sheaf"))
        .args(["node", "--home"])
        .arg(home)
        .args(["--abci-port", &ports.abci.to_string()])
        .args([
            "--comet-rpc",
            &format!("http://127.0.0.1:{}", ports.comet_rpc),
        ])
        .args(["--rpc-port", &ports.rpc.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sheaf node");
    thread::sleep(Duration::from_millis(300));
    let consensus = Command::new(cometbft())
        .arg("start")
        .arg("--home")
        .arg(home.join("cometbft"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cometbft");
    (Process(app), Process(consensus))
}

fn comet_status(port: u16) -> Option<(u64, String)> {
    let out = Command::new("curl")
        .args(["-s", &format!("http://127.0.0.1:{port}/status")])
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let info = &v["result"]["sync_info"];
    Some((
        info["latest_block_height"].as_str()?.parse().ok()?,
        info["latest_app_hash"].as_str()?.to_lowercase(),
    ))
}

fn eth_state_root(rpc: &str, keystore: &Path, height: u64) -> Option<String> {
    let out = sheaf(&["query", "block", &height.to_string()], rpc, keystore);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).ok()?;
    Some(
        v["stateRoot"]
            .as_str()?
            .trim_start_matches("0x")
            .to_lowercase(),
    )
}

fn wait_for_height(ports: &Ports, at_least: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((h, _)) = comet_status(ports.comet_rpc)
            && h >= at_least
        {
            return h;
        }
        assert!(
            Instant::now() < deadline,
            "CometBFT did not reach height {at_least}"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[ignore = "needs the cometbft binary; scripts/test.sh installs it and runs this"]
fn one_validator_network_on_cometbft() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("node");
    let keystore = dir.path().join("keys");
    let ports = Ports {
        p2p: free_port(),
        comet_rpc: free_port(),
        abci: free_port(),
        rpc: free_port(),
    };
    let rpc = format!("http://127.0.0.1:{}", ports.rpc);
    let init = Command::new(env!("CARGO_BIN_EXE_sheaf"))
        .args(["init", "--home"])
        .arg(&home)
        .arg("--cometbft")
        .arg(cometbft())
        .args(["--p2p-port", &ports.p2p.to_string()])
        .args(["--comet-rpc-port", &ports.comet_rpc.to_string()])
        .args(["--abci-port", &ports.abci.to_string()])
        .args(["--block-time", "300ms"])
        .output()
        .expect("sheaf init");
    assert!(init.status.success(), "{}", stderr(&init));
    assert!(stdout(&init).contains("sheaf-24239"), "{}", stdout(&init));

    let (app, consensus) = start(&home, &ports);
    wait_for_height(&ports, 3);

    // A transfer through Sheaf's JSON-RPC rides CometBFT's mempool into a block.
    let sent = sheaf(
        &[
            "tx", "transfer", "--from", "dev0", "--to", "dev3", "--amount", "1.5 ETH",
        ],
        &rpc,
        &keystore,
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert!(
        stdout(&sent).contains("succeeded in block"),
        "{}",
        stdout(&sent)
    );
    let balance = stdout(&sheaf(&["query", "balance", "dev3"], &rpc, &keystore));
    assert!(balance.lines().any(|l| l == "10001.5 ETH"), "{balance}");

    // CometBFT's latest header carries the app hash of the block before it: Sheaf's state root
    // at that height.
    let (height, comet_hash) = comet_status(ports.comet_rpc).expect("status");
    assert_eq!(
        eth_state_root(&rpc, &keystore, height - 1).as_deref(),
        Some(comet_hash.as_str())
    );

    // Kill both; on restart the handshake finds the app at its last commit and blocks go on.
    drop(consensus);
    drop(app);
    let (_app, _consensus) = start(&home, &ports);
    let resumed = wait_for_height(&ports, height + 3);
    let (_, hash) = comet_status(ports.comet_rpc).expect("status");
    let (now, _) = comet_status(ports.comet_rpc).expect("status");
    assert!(now >= resumed);
    assert!(!hash.is_empty());
    let again = sheaf(
        &[
            "tx", "transfer", "--from", "dev0", "--to", "dev3", "--amount", "1 ETH",
        ],
        &rpc,
        &keystore,
    );
    assert!(again.status.success(), "{}", stderr(&again));
    let balance = stdout(&sheaf(&["query", "balance", "dev3"], &rpc, &keystore));
    assert!(balance.lines().any(|l| l == "10002.5 ETH"), "{balance}");
}
