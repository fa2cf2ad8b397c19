//! Sheaf on a real CometBFT (v0.38): `sheaf init`, the app over ABCI, a transfer sent to Sheaf's
//! JSON-RPC and carried by CometBFT's mempool, the app hash agreeing with CometBFT's, and a
//! restart of both processes resuming through the ABCI handshake.
//!
//! It needs the `cometbft` binary, so it is ignored by a plain `cargo test`; `scripts/test.sh`
//! installs CometBFT with `go install` and runs it with `--ignored`.

mod common;

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use common::{cometbft, free_port, sheaf, stderr, stdout};

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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

fn get(port: u16, path: &str) -> Option<serde_json::Value> {
    let out = Command::new("curl")
        .args(["-s", &format!("http://127.0.0.1:{port}{path}")])
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(v["result"].clone())
}

/// Unix seconds of an RFC 3339 UTC time as CometBFT prints it ("2026-11-28T12:36:00.117Z").
fn unix_seconds(time: &str) -> u64 {
    let (date, clock) = time.split_once('T').expect("RFC 3339");
    let d: Vec<i64> = date.split('-').map(|p| p.parse().expect("date")).collect();
    let c: Vec<f64> = clock
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.parse().expect("time"))
        .collect();
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400) as u64 + (c[0] as u64) * 3600 + (c[1] as u64) * 60 + c[2].floor() as u64
}

/// Replays the blocks CometBFT committed (same transactions, heights, times, proposers and
/// commit info) into a fresh app through the in-process path, comparing app hashes.
fn replay_matches(home: &Path, comet_rpc: u16, rpc: &str, keystore: &Path, up_to: u64) {
    use sheaf_app::{Application, CommitInfo, FinalizeBlock, Genesis, SheafApp, VoteInfo};
    let dir = tempfile::tempdir().expect("tempdir");
    let genesis: Genesis =
        serde_json::from_str(&std::fs::read_to_string(home.join("genesis.json")).expect("genesis"))
            .expect("genesis json");
    let mut app = SheafApp::open(&dir.path().join("replay.redb")).expect("open");
    app.init_chain(&genesis).expect("init");
    let hex20 = |s: &str| -> [u8; 20] {
        let bytes = alloy_primitives::hex::decode(s).expect("hex");
        bytes.try_into().expect("20 bytes")
    };
    for h in 1..=up_to {
        let block = get(comet_rpc, &format!("/block?height={h}")).expect("block");
        let header = &block["block"]["header"];
        let txs = block["block"]["data"]["txs"]
            .as_array()
            .map(|txs| {
                txs.iter()
                    .map(|t| {
                        use base64::Engine;
                        let raw = base64::engine::general_purpose::STANDARD
                            .decode(t.as_str().expect("tx"))
                            .expect("base64");
                        alloy_primitives::Bytes::from(raw)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let last_commit = &block["block"]["last_commit"];
        let mut votes = vec![];
        if h > 1 {
            let set = get(comet_rpc, &format!("/validators?height={}", h - 1)).expect("set");
            for sig in last_commit["signatures"].as_array().expect("signatures") {
                let address = sig["validator_address"].as_str().unwrap_or("");
                if address.is_empty() {
                    continue;
                }
                let power = set["validators"]
                    .as_array()
                    .and_then(|vs| vs.iter().find(|v| v["address"] == address))
                    .and_then(|v| v["voting_power"].as_str()?.parse().ok())
                    .unwrap_or(0);
                votes.push(VoteInfo {
                    validator: hex20(address),
                    power,
                    signed: sig["block_id_flag"] == 2,
                });
            }
        }
        let request = FinalizeBlock {
            height: h,
            time: unix_seconds(header["time"].as_str().expect("time")),
            proposer: hex20(header["proposer_address"].as_str().expect("proposer")),
            decided_last_commit: CommitInfo {
                round: last_commit["round"].as_u64().unwrap_or(0) as u32,
                votes,
            },
            misbehavior: vec![],
            txs,
        };
        let replayed = app.finalize_block(request).expect("finalize");
        app.commit().expect("commit");
        let original = eth_state_root(rpc, keystore, h).expect("original root");
        assert_eq!(
            alloy_primitives::hex::encode(replayed.app_hash),
            original,
            "height {h}"
        );
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

    // Acceptance 6: CometBFT's blocks, replayed through the in-process path into a fresh app,
    // give the same app hash at every height.
    replay_matches(&home, ports.comet_rpc, &rpc, &keystore, height - 1);

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
