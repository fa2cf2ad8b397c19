//! 4-validator CometBFT networks on loopback (`sheaf localnet start|stop`):
//! - 200 transfers sent round-robin to the four nodes' JSON-RPC are all included, even when
//!   gossip delivers a sender's transactions out of order, and all nodes report the same app
//!   hash at every height;
//! - a deposited fifth validator joins CometBFT's set, signs, and leaves after its exit;
//! - a killed validator is jailed, recovers from a crash mid-block, and rejoins after unjail;
//! - a double signer's evidence, injected through `broadcast_evidence`, slashes it exactly once.
//!
//! Needs the `cometbft` binary: ignored by a plain `cargo test`, run by `scripts/test.sh`.

mod common;

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
    thread,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, Bytes, U256};
use serde_json::{Value, json};
use sheaf_app::genesis::DEV_KEYS;
use sheaf_tx::sign::{Signer, eip1559};

use common::{cometbft, stderr, stdout};

/// A base port with 120 free ports above it.
fn free_range() -> u16 {
    let seed = std::process::id() as u16;
    for attempt in 0..200u16 {
        let base = 20_000 + (seed.wrapping_add(attempt * 137) % 400) * 100;
        if (base..base + 120).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range");
}

fn rpc(url: &str, method: &str, params: Value) -> Option<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let mut response = ureq::post(url).send_json(&body).ok()?;
    let value: Value = response.body_mut().read_json().ok()?;
    value.get("result").cloned()
}

/// The block number a node's JSON-RPC reports.
fn height(url: &str) -> Option<u64> {
    hex_u64(&rpc(url, "eth_blockNumber", json!([]))?)
}

/// A JSON-RPC quantity (`"0x1a"`) as a number.
fn hex_u64(quantity: &Value) -> Option<u64> {
    u64::from_str_radix(quantity.as_str()?.trim_start_matches("0x"), 16).ok()
}

/// Waits up to 90 s until `url` reports `at_least`, failing with `what`.
fn wait_height(url: &str, at_least: u64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while height(url).is_none_or(|h| h < at_least) {
        assert!(Instant::now() < deadline, "{what}");
        thread::sleep(Duration::from_millis(200));
    }
}

/// A localnet of four validators with 300 ms blocks in a temporary directory, on a free port
/// range; stopped when dropped.
struct Localnet {
    home: PathBuf,
    keystore: PathBuf,
    base: u16,
    _dir: tempfile::TempDir,
}

impl Localnet {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let net = Self {
            home: dir.path().join("net"),
            keystore: dir.path().join("keys"),
            base: free_range(),
            _dir: dir,
        };
        net.run(&["start", "--validators", "4"], false);
        net
    }

    /// Node `i`'s JSON-RPC.
    fn url(&self, i: u16) -> String {
        format!("http://127.0.0.1:{}", self.base + 100 + i)
    }

    /// Node 0's CometBFT RPC port.
    fn comet_port(&self) -> u16 {
        self.base + 1
    }

    /// `sheaf localnet ARGS` for this network, which must succeed; its stdout. `failpoint`
    /// makes the started app crash between finalize and commit.
    fn run(&self, args: &[&str], failpoint: bool) -> String {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sheaf"));
        command
            .arg("localnet")
            .args(args)
            .arg("--home")
            .arg(&self.home)
            .arg("--cometbft")
            .arg(cometbft())
            .args(["--rpc-port", &(self.base + 100).to_string()])
            .args(["--base-port", &self.base.to_string()])
            .args(["--block-time", "300ms"]);
        if failpoint {
            command.env("SHEAF_FAILPOINT", "before-commit");
        }
        let out = command.output().expect("localnet");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    }

    /// `sheaf localnet stop`'s output.
    fn stop(&self) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_sheaf"))
            .args(["localnet", "stop", "--home"])
            .arg(&self.home)
            .output()
            .expect("stop")
    }

    /// The pids `localnet` recorded, two per node (app, then CometBFT).
    fn pids(&self) -> Vec<String> {
        std::fs::read_to_string(self.home.join("pids"))
            .expect("pids")
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[test]
#[ignore = "needs the cometbft binary; scripts/test.sh installs it and runs this"]
fn four_validators_include_every_transfer_and_agree_on_the_app_hash() {
    let net = Localnet::start();
    let urls: Vec<String> = (0..4).map(|i| net.url(i)).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !urls.iter().all(|u| height(u).is_some_and(|h| h >= 3)) {
        assert!(Instant::now() < deadline, "the network did not start");
        thread::sleep(Duration::from_millis(200));
    }

    // 8 senders x 25 transfers, transfer k to node k % 4: a sender's transactions reach
    // different nodes, so gossip can deliver them out of nonce order.
    let to = Address::repeat_byte(0xb0);
    let mut hashes = vec![];
    for k in 0..200u64 {
        let sender = Signer::new(DEV_KEYS[1 + (k % 8) as usize].1).expect("key");
        let raw = sender.sign_1559(eip1559(
            24239,
            k / 8,
            to,
            U256::from(1_000u64),
            Bytes::new(),
            21_000,
            100 * sheaf_primitives::GWEI as u128,
            sheaf_primitives::GWEI as u128,
        ));
        let url = &urls[(k % 4) as usize];
        let hash = rpc(url, "eth_sendRawTransaction", json!([raw])).expect("accepted");
        hashes.push(hash);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last_inclusion = 0u64;
    for hash in &hashes {
        loop {
            let receipt = rpc(&urls[0], "eth_getTransactionReceipt", json!([hash]));
            if let Some(r) = receipt.filter(|r| !r.is_null()) {
                assert_eq!(r["status"], "0x1", "{r}");
                let number = hex_u64(&r["blockNumber"]).expect("hex block number");
                last_inclusion = last_inclusion.max(number);
                break;
            }
            assert!(Instant::now() < deadline, "{hash} was never included");
            thread::sleep(Duration::from_millis(200));
        }
    }
    // Node 0 answered the receipts; the others may be a block behind it, so every node is asked
    // at the height of the last inclusion once it has committed that height.
    for url in &urls {
        wait_height(
            url,
            last_inclusion,
            "a node did not reach the last inclusion",
        );
        let balance = rpc(
            url,
            "eth_getBalance",
            json!([to, format!("0x{last_inclusion:x}")]),
        )
        .expect("balance");
        assert_eq!(balance, json!("0x30d40"), "200 x 1,000 wei on {url}");
    }

    // Every node has the same state root at every height they all reached.
    let common_height = urls
        .iter()
        .map(|u| height(u).expect("height"))
        .min()
        .expect("nodes");
    for h in 1..=common_height {
        let roots: Vec<Value> = urls
            .iter()
            .map(|u| {
                rpc(
                    u,
                    "eth_getBlockByNumber",
                    json!([format!("0x{h:x}"), false]),
                )
                .expect("block")["stateRoot"]
                    .clone()
            })
            .collect();
        assert!(
            roots.iter().all(|r| *r == roots[0]),
            "height {h}: {roots:?}"
        );
    }
    let stopped = net.stop();
    assert!(stdout(&stopped).contains("stopped"), "{}", stderr(&stopped));
}

fn comet_validators(port: u16) -> Option<Vec<String>> {
    let set = comet_get(port, "validators?per_page=100").ok()?;
    Some(
        set["validators"]
            .as_array()?
            .iter()
            .filter_map(|v| v["address"].as_str().map(str::to_string))
            .collect(),
    )
}

/// Whether `address` signed the commit for `height`, as CometBFT recorded it.
fn signed_commit(port: u16, height: u64, address: &str) -> bool {
    comet_get(port, &format!("commit?height={height}")).is_ok_and(|commit| {
        commit["signed_header"]["commit"]["signatures"]
            .as_array()
            .is_some_and(|sigs| {
                sigs.iter()
                    .any(|s| s["validator_address"] == address && s["block_id_flag"] == 2)
            })
    })
}

#[test]
#[ignore = "needs the cometbft binary; scripts/test.sh installs it and runs this"]
fn a_deposited_validator_joins_cometbfts_set_signs_and_leaves_after_its_exit() {
    let net = Localnet::start();
    let comet_rpc = net.comet_port();
    let deadline = Instant::now() + Duration::from_secs(60);
    while comet_validators(comet_rpc).map(|v| v.len()) != Some(4) {
        assert!(Instant::now() < deadline, "the network did not start");
        thread::sleep(Duration::from_millis(200));
    }

    // A fifth node joins as a full node; its key deposits 32 ETH through node 4's JSON-RPC.
    let added = net.run(&["add-node"], false);
    assert!(added.contains("node4"), "{added}");
    let key = net
        .home
        .join("node4/cometbft/config/priv_validator_key.json");
    let address = serde_json::from_str::<Value>(&std::fs::read_to_string(&key).expect("key"))
        .expect("json")["address"]
        .as_str()
        .expect("address")
        .to_string();
    let node4 = net.url(4);
    let deadline = Instant::now() + Duration::from_secs(60);
    while rpc(&node4, "eth_blockNumber", json!([])).is_none() {
        assert!(Instant::now() < deadline, "node4 did not start");
        thread::sleep(Duration::from_millis(200));
    }
    // Wait until the new node has caught up, so it follows the chain it is about to join.
    let node0 = net.url(0);
    let deadline = Instant::now() + Duration::from_secs(90);
    while height(&node4).unwrap_or(0) + 2 < height(&node0).unwrap_or(u64::MAX) {
        assert!(Instant::now() < deadline, "node4 did not catch up");
        thread::sleep(Duration::from_millis(300));
    }
    let key_arg = key.to_string_lossy().to_string();
    let deposit = common::sheaf(
        &["validator", "deposit", "--from", "dev7", "--key", &key_arg],
        &node0,
        &net.keystore,
    );
    assert!(deposit.status.success(), "{}", stderr(&deposit));

    // After activation it is in CometBFT's set and signs blocks.
    let deadline = Instant::now() + Duration::from_secs(90);
    while !comet_validators(comet_rpc).is_some_and(|v| v.contains(&address)) {
        assert!(
            Instant::now() < deadline,
            "the deposited validator never joined CometBFT's set"
        );
        thread::sleep(Duration::from_millis(300));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let height = height(&node4).unwrap_or(0);
        if height > 2 && signed_commit(comet_rpc, height - 1, &address) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new validator never signed a block"
        );
        thread::sleep(Duration::from_millis(300));
    }

    // Its voluntary exit takes it out of the set again.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let exit = common::sheaf(
            &["validator", "exit", "--from", "dev7", "--key", &key_arg],
            &node0,
            &net.keystore,
        );
        if exit.status.success() {
            break;
        }
        assert!(Instant::now() < deadline, "exit refused: {}", stderr(&exit));
        thread::sleep(Duration::from_millis(500));
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    while comet_validators(comet_rpc).is_none_or(|v| v.contains(&address)) {
        assert!(
            Instant::now() < deadline,
            "the exited validator stayed in CometBFT's set"
        );
        thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(comet_validators(comet_rpc).map(|v| v.len()), Some(4));
}

fn pid_alive(pid: &str) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
#[ignore = "needs the cometbft binary; scripts/test.sh installs it and runs this"]
fn a_killed_validator_is_jailed_catches_up_after_a_crash_mid_block_and_rejoins() {
    let net = Localnet::start();
    let node0 = net.url(0);
    let node3 = net.url(3);
    wait_height(&node0, 5, "the network did not start");

    // SIGKILL node 3 (its app and its CometBFT): the other three keep committing.
    let pids = net.pids();
    for pid in &pids[6..8] {
        Command::new("kill")
            .args(["-9", pid])
            .status()
            .expect("kill");
    }
    let killed_at = height(&node0).expect("height");
    wait_height(
        &node0,
        killed_at + 15,
        "three validators stopped committing",
    );

    // Missing 10 of 20 blocks jailed it.
    let view = rpc(&node0, "sheaf_validators", json!([])).expect("validators");
    let status = view["validators"][3]["status"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(status, "Jailed", "{view}");
    let pubkey = view["validators"][3]["pubkey"]
        .as_str()
        .expect("pubkey")
        .to_string();
    let jailed_until = view["validators"][3]["jailedUntil"]
        .as_u64()
        .expect("until");

    // Restart it with a crash between finalize and commit: it dies on its first block…
    net.run(&["start-node", "--node", "3"], true);
    let restarted = net.pids();
    let app_pid = restarted[restarted.len() - 2].clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    while pid_alive(&app_pid)
        && !std::fs::read_to_string(format!("/proc/{app_pid}/stat"))
            .is_ok_and(|s| s.contains(" Z "))
    {
        assert!(Instant::now() < deadline, "the failpoint never fired");
        thread::sleep(Duration::from_millis(200));
    }
    for pid in &restarted[restarted.len() - 2..] {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
    // …and a normal restart recovers through the handshake and catches up.
    net.run(&["start-node", "--node", "3"], false);
    let target = height(&node0).expect("height");
    wait_height(&node3, target, "node 3 did not catch up");
    for h in [killed_at, target] {
        let root = |url: &str| {
            rpc(
                url,
                "eth_getBlockByNumber",
                json!([format!("0x{h:x}"), false]),
            )
            .expect("block")["stateRoot"]
                .clone()
        };
        assert_eq!(root(&node0), root(&node3), "height {h}");
    }

    // After the jail time its withdrawal address (dev3) unjails it, and it rejoins the set.
    wait_height(&node0, jailed_until, "the jail time never passed");
    let unjailed = common::sheaf(
        &["validator", "unjail", "--from", "dev3", "--key", &pubkey],
        &node0,
        &net.keystore,
    );
    assert!(unjailed.status.success(), "{}", stderr(&unjailed));
    let deadline = Instant::now() + Duration::from_secs(60);
    while comet_validators(net.comet_port()).map(|v| v.len()) != Some(4) {
        assert!(
            Instant::now() < deadline,
            "the unjailed validator did not rejoin"
        );
        thread::sleep(Duration::from_millis(300));
    }
}

/// A GET against CometBFT's RPC: its `result`, or its error in words.
fn comet_get(port: u16, path: &str) -> Result<Value, String> {
    let mut response = ureq::get(&format!("http://127.0.0.1:{port}/{path}"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .map_err(|e| e.to_string())?;
    let value: Value = response.body_mut().read_json().map_err(|e| e.to_string())?;
    match value.get("result") {
        Some(result) => Ok(result.clone()),
        None => Err(value["error"].to_string()),
    }
}

/// Two prevotes for different blocks at `height`, round 0, signed with the CometBFT key in
/// `key_file`: CometBFT's `DuplicateVoteEvidence` in its JSON form, as `broadcast_evidence` takes
/// it (what CometBFT's e2e runner injects). Power and time are read from the chain, which
/// CometBFT checks against its own records.
fn duplicate_vote_evidence(comet_port: u16, key_file: &Path, height: u64) -> Value {
    use base64::Engine;
    use ed25519_dalek::Signer as _;
    use tendermint::{Hash, Time, block, vote};

    let b64 = base64::engine::general_purpose::STANDARD;
    let key: Value =
        serde_json::from_str(&std::fs::read_to_string(key_file).expect("key file")).expect("json");
    let secret = b64
        .decode(key["priv_key"]["value"].as_str().expect("priv_key"))
        .expect("base64");
    let signing = ed25519_dalek::SigningKey::from_bytes(&secret[..32].try_into().expect("seed"));
    let address = key["address"].as_str().expect("address").to_string();

    let header = comet_get(comet_port, &format!("block?height={height}")).expect("block")["block"]
        ["header"]
        .clone();
    let chain_id = header["chain_id"].as_str().expect("chain id").to_string();
    let time = header["time"].as_str().expect("time").to_string();
    let set = comet_get(
        comet_port,
        &format!("validators?height={height}&per_page=100"),
    )
    .expect("validators")["validators"]
        .clone();
    let set = set.as_array().expect("validators");
    let power = |v: &Value| -> u64 {
        v["voting_power"]
            .as_str()
            .expect("power")
            .parse()
            .expect("int")
    };
    let total: u64 = set.iter().map(power).sum();
    let index = set
        .iter()
        .position(|v| v["address"] == address.as_str())
        .expect("the key is in the set at that height");

    let vote_for = |block_hash: [u8; 32]| -> Value {
        let parts_hash = [0x77; 32];
        let vote = vote::Vote {
            vote_type: vote::Type::Prevote,
            height: block::Height::try_from(height).expect("height"),
            round: block::Round::from(0u8),
            block_id: Some(block::Id {
                hash: Hash::Sha256(block_hash),
                part_set_header: block::parts::Header::new(1, Hash::Sha256(parts_hash))
                    .expect("parts"),
            }),
            timestamp: Some(Time::parse_from_rfc3339(&time).expect("time")),
            validator_address: address.parse().expect("address"),
            validator_index: vote::ValidatorIndex::try_from(index).expect("index"),
            signature: None,
            extension: vec![],
            extension_signature: None,
        };
        let sign_bytes = vote.into_signable_vec(chain_id.parse().expect("chain id"));
        let signature = signing.sign(&sign_bytes);
        json!({
            "type": 1,
            "height": height.to_string(),
            "round": 0,
            "block_id": {
                "hash": alloy_primitives::hex::encode_upper(block_hash),
                "parts": {"total": 1, "hash": alloy_primitives::hex::encode_upper(parts_hash)},
            },
            "timestamp": time,
            "validator_address": address,
            "validator_index": index,
            "signature": b64.encode(signature.to_bytes()),
        })
    };
    // CometBFT wants vote A's block ID to sort first.
    json!({
        "type": "tendermint/DuplicateVoteEvidence",
        "value": {
            "vote_a": vote_for([0x0a; 32]),
            "vote_b": vote_for([0x0b; 32]),
            "TotalVotingPower": total.to_string(),
            "ValidatorPower": power(&set[index]).to_string(),
            "Timestamp": time,
        },
    })
}

#[test]
#[ignore = "needs the cometbft binary; scripts/test.sh installs it and runs this"]
fn a_double_signer_is_slashed_once_through_cometbft_evidence_and_leaves_the_set() {
    let net = Localnet::start();
    let comet_port = net.comet_port();
    let node0 = net.url(0);
    let height = || height(&node0);
    wait_height(&node0, 5, "the network did not start");
    let before = rpc(&node0, "sheaf_validators", json!([])).expect("validators");
    assert_eq!(before["validators"][3]["status"], "Active", "{before}");
    let balance_before: u64 = before["validators"][3]["balanceGwei"]
        .as_str()
        .expect("balance")
        .parse()
        .expect("int");

    // Node 3's key signs two different blocks at one height.
    let key_file = net
        .home
        .join("node3/cometbft/config/priv_validator_key.json");
    let misbehaved_at = height().expect("height") - 1;
    let evidence = duplicate_vote_evidence(comet_port, &key_file, misbehaved_at);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "broadcast_evidence",
        "params": {"evidence": evidence}});
    let mut response = ureq::post(&format!("http://127.0.0.1:{comet_port}"))
        .send_json(&body)
        .expect("broadcast_evidence");
    let answer: Value = response.body_mut().read_json().expect("json");
    assert!(
        answer.get("result").is_some(),
        "CometBFT refused it: {answer}"
    );

    // CometBFT verifies it, commits it, and finalize_block hands it to staking, which slashes
    // and removes the validator from CometBFT's set.
    let deadline = Instant::now() + Duration::from_secs(60);
    while comet_validators(comet_port).map(|v| v.len()) != Some(3) {
        assert!(
            Instant::now() < deadline,
            "the double signer was not removed: {:?}",
            rpc(&node0, "sheaf_validators", json!([]))
        );
        thread::sleep(Duration::from_millis(300));
    }
    let address = std::fs::read_to_string(&key_file).expect("key");
    let address: Value = serde_json::from_str(&address).expect("json");
    let address = address["address"].as_str().expect("address");
    assert!(
        !comet_validators(comet_port)
            .expect("set")
            .iter()
            .any(|a| a == address)
    );

    let after = rpc(&node0, "sheaf_validators", json!([])).expect("validators");
    let slashed = &after["validators"][3];
    assert_eq!(slashed["slashed"], true, "{after}");
    assert_eq!(slashed["status"], "Slashed", "{after}");
    assert_eq!(slashed["power"], 0, "{after}");
    // Once, through RPC: one ValidatorSlashed event, for index 3, since the network started.
    let events = rpc(
        &node0,
        "sheaf_systemEvents",
        json!([1, height().expect("height")]),
    )
    .expect("events");
    let slashings: Vec<&Value> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["event"]
                .as_str()
                .is_some_and(|s| s.contains("ValidatorSlashed"))
        })
        .collect();
    assert_eq!(slashings.len(), 1, "{events}");
    assert!(
        slashings[0]["event"]
            .as_str()
            .is_some_and(|s| s.contains("index: 3")),
        "{slashings:?}"
    );
    let balance_after: u64 = slashed["balanceGwei"]
        .as_str()
        .expect("balance")
        .parse()
        .expect("int");
    assert!(balance_after < balance_before, "{before} {after}");

    // The same evidence again: CometBFT knows it is committed (it answers with the hash and
    // drops it), the chain keeps going with three validators, and nothing slashes twice.
    let again = ureq::post(&format!("http://127.0.0.1:{comet_port}"))
        .send_json(&body)
        .expect("broadcast_evidence")
        .body_mut()
        .read_json::<Value>()
        .expect("json");
    assert!(again.get("result").is_some(), "{again}");
    let now = height().expect("height");
    let deadline = Instant::now() + Duration::from_secs(30);
    while height().is_none_or(|h| h < now + 8) {
        assert!(Instant::now() < deadline, "three validators stopped");
        thread::sleep(Duration::from_millis(200));
    }
    let events = rpc(
        &node0,
        "sheaf_systemEvents",
        json!([1, height().expect("height")]),
    )
    .expect("events");
    let slashings = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["event"]
                .as_str()
                .is_some_and(|s| s.contains("ValidatorSlashed"))
        })
        .count();
    assert_eq!(slashings, 1, "{events}");
}
