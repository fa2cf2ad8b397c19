//! Crash safety of the real binary: SIGKILL the dev node at pseudo-random moments while
//! transactions stream in, restart it, and check that nothing committed was lost or changed and
//! that every wei is accounted for.

use std::{
    collections::BTreeMap,
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::{Value, json};
use sheaf_app::genesis::{DEV_FEE_RECIPIENT, DEV_KEYS};
use sheaf_primitives::{ETHER, GWEI};
use sheaf_tx::sign::{Signer, eip1559};

const CHAIN: u64 = 24239;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct Node {
    child: Child,
    url: String,
}

impl Node {
    fn start(data_dir: &Path, failpoint: Option<&str>) -> Node {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sheaf"));
        command
            .args([
                "node",
                "--dev",
                "--block-time",
                "0",
                "--rpc-port",
                &port.to_string(),
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(failpoint) = failpoint {
            command.env("SHEAF_FAILPOINT", failpoint);
        }
        let child = command.spawn().expect("spawn sheaf");
        let node = Node {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while call(&node.url, "eth_blockNumber", json!([])).is_err() {
            assert!(Instant::now() < deadline, "node did not start");
            thread::sleep(Duration::from_millis(50));
        }
        node
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

fn call(url: &str, method: &str, params: Value) -> Result<Value, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .into();
    let body: Value = agent
        .post(url)
        .send_json(json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }))
        .map_err(|e| e.to_string())?
        .body_mut()
        .read_json()
        .map_err(|e| e.to_string())?;
    match body.get("error") {
        Some(error) => Err(error.to_string()),
        None => Ok(body["result"].clone()),
    }
}

fn quantity(v: &Value) -> U256 {
    v.as_str()
        .and_then(|s| U256::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .expect("quantity")
}

fn latest(url: &str) -> (u64, B256) {
    let block = call(url, "eth_getBlockByNumber", json!(["latest", false])).expect("latest block");
    (
        quantity(&block["number"]).to(),
        block["stateRoot"]
            .as_str()
            .expect("root")
            .parse()
            .expect("hash"),
    )
}

fn recipients() -> Vec<Address> {
    (1..=5u8)
        .map(|i| Address::with_last_byte(0xa0 + i))
        .collect()
}

/// Sends transfers from dev accounts 0..4 until told to stop; errors (the node dying) are fine.
fn stream(url: String, stop: Arc<AtomicBool>, seed: u64) {
    let signers: Vec<Signer> = DEV_KEYS[..5]
        .iter()
        .map(|(_, k)| Signer::new(*k).expect("key"))
        .collect();
    let to = recipients();
    let mut i = seed as usize;
    while !stop.load(Ordering::SeqCst) {
        let signer = &signers[i % signers.len()];
        let Ok(nonce) = call(
            &url,
            "eth_getTransactionCount",
            json!([signer.address, "pending"]),
        ) else {
            return;
        };
        let value = U256::from(1_000 + i as u64) * U256::from(GWEI);
        let raw = signer.sign_1559(eip1559(
            CHAIN,
            quantity(&nonce).to(),
            to[i % to.len()],
            value,
            Bytes::new(),
            21_000,
            50 * GWEI as u128,
            (i % 3) as u128 * GWEI as u128,
        ));
        let _ = call(&url, "eth_sendRawTransaction", json!([raw]));
        i += 1;
    }
}

/// A small deterministic generator, so a failing run can be repeated.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn survives_sigkill_while_transactions_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("chain");
    let mut rng = 0x5eaf_u64;
    let mut committed: Vec<(u64, B256)> = vec![];

    for round in 0..20u64 {
        let node = Node::start(&data, None);
        for (height, root) in &committed {
            let block = call(
                &node.url,
                "eth_getBlockByNumber",
                json!([format!("{height:#x}"), false]),
            )
            .expect("block");
            assert!(
                !block.is_null(),
                "round {round}: committed block {height} is gone"
            );
            let found: B256 = block["stateRoot"]
                .as_str()
                .expect("root")
                .parse()
                .expect("hash");
            assert_eq!(
                &found, root,
                "round {round}: app hash of block {height} changed"
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let streamer = {
            let (url, stop) = (node.url.clone(), stop.clone());
            thread::spawn(move || stream(url, stop, round * 7))
        };
        thread::sleep(Duration::from_millis(150 + next_random(&mut rng) % 600));
        let seen = latest(&node.url);
        node.kill();
        stop.store(true, Ordering::SeqCst);
        streamer.join().expect("streamer");
        committed.push(seen);
    }

    let node = Node::start(&data, None);
    let (head, _) = latest(&node.url);
    assert!(head >= committed.iter().map(|(h, _)| *h).max().unwrap_or(0));
    assert!(
        head > 20,
        "transactions were committed between kills (head {head})"
    );

    // Replay every receipt: balances must match, and total ETH must be genesis minus burned fees.
    let mut expected: BTreeMap<Address, U256> = BTreeMap::new();
    // Genesis balances as block 0 reports them (the dev genesis pool holds some ETH as WETH).
    for address in DEV_KEYS
        .iter()
        .map(|(a, _)| *a)
        .chain([sheaf_abi::system::WETH])
    {
        let balance =
            call(&node.url, "eth_getBalance", json!([address, "0x0"])).expect("genesis balance");
        expected.insert(address, quantity(&balance));
    }
    let genesis_total: U256 = expected.values().copied().sum();
    assert_eq!(
        genesis_total,
        U256::from(100_000u64) * ETHER,
        "the dev genesis mints 100,000 ETH"
    );
    let mut burned = U256::ZERO;
    let mut transactions = 0;
    for number in 1..=head {
        let block = call(
            &node.url,
            "eth_getBlockByNumber",
            json!([format!("{number:#x}"), true]),
        )
        .expect("block");
        let base_fee = quantity(&block["baseFeePerGas"]);
        let proposer: Address = block["miner"]
            .as_str()
            .expect("miner")
            .parse()
            .expect("address");
        for tx in block["transactions"].as_array().expect("txs") {
            transactions += 1;
            let receipt =
                call(&node.url, "eth_getTransactionReceipt", json!([tx["hash"]])).expect("receipt");
            let gas = quantity(&receipt["gasUsed"]);
            let price = quantity(&receipt["effectiveGasPrice"]);
            let from: Address = tx["from"].as_str().expect("from").parse().expect("address");
            let to: Address = tx["to"].as_str().expect("to").parse().expect("address");
            let value = quantity(&tx["value"]);
            *expected.entry(from).or_default() -= gas * price;
            *expected.entry(proposer).or_default() += gas * (price - base_fee);
            burned += gas * base_fee;
            if receipt["status"] == "0x1" {
                *expected.entry(from).or_default() -= value;
                *expected.entry(to).or_default() += value;
            }
        }
    }
    assert!(
        transactions > 20,
        "only {transactions} transactions were committed"
    );
    let accounts: std::collections::BTreeSet<Address> = expected
        .keys()
        .copied()
        .chain(recipients())
        .chain([DEV_FEE_RECIPIENT])
        .collect();
    let mut total = U256::ZERO;
    for address in accounts {
        let balance = quantity(
            &call(&node.url, "eth_getBalance", json!([address, "latest"])).expect("balance"),
        );
        assert_eq!(
            balance,
            expected.get(&address).copied().unwrap_or_default(),
            "balance of {address}"
        );
        total += balance;
    }
    assert_eq!(
        total,
        U256::from(100_000u64) * ETHER - burned,
        "total ETH = genesis - burned base fees"
    );
    node.kill();
}

#[test]
fn crash_between_finalize_and_commit_loses_only_that_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("chain");
    let node = Node::start(&data, None);
    let signer = Signer::new(DEV_KEYS[0].1).expect("key");
    let send = |url: &str, nonce: u64| {
        let raw = signer.sign_1559(eip1559(
            CHAIN,
            nonce,
            Address::with_last_byte(0xb1),
            ETHER,
            Bytes::new(),
            21_000,
            50 * GWEI as u128,
            GWEI as u128,
        ));
        // The doomed node may abort before its answer is written, so the hash is computed here
        // and only a node that survives must have answered.
        let answer = call(url, "eth_sendRawTransaction", json!([raw]));
        (json!(alloy_primitives::keccak256(&raw)), answer)
    };
    let (hash, answer) = send(&node.url, 0);
    assert_eq!(answer.expect("accepted"), hash);
    let deadline = Instant::now() + Duration::from_secs(10);
    while call(&node.url, "eth_getTransactionReceipt", json!([hash]))
        .expect("receipt")
        .is_null()
    {
        assert!(Instant::now() < deadline, "first tx not mined");
        thread::sleep(Duration::from_millis(20));
    }
    let before = latest(&node.url);
    node.kill();

    // The failpoint aborts the process after finalize_block, before commit writes anything.
    let mut doomed = Node::start(&data, Some("before-commit"));
    let (lost, _maybe_answered) = send(&doomed.url, 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = doomed.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the node did not reach the failpoint"
        );
        thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());

    let node = Node::start(&data, None);
    assert_eq!(
        latest(&node.url),
        before,
        "height and app hash are those of the last commit"
    );
    assert!(
        call(&node.url, "eth_getTransactionReceipt", json!([lost]))
            .expect("receipt")
            .is_null()
    );
    let nonce = call(
        &node.url,
        "eth_getTransactionCount",
        json!([signer.address, "latest"]),
    )
    .expect("nonce");
    assert_eq!(quantity(&nonce), U256::from(1));
    // The chain goes on from there.
    let (again, answer) = send(&node.url, 1);
    assert_eq!(answer.expect("accepted"), again);
    let deadline = Instant::now() + Duration::from_secs(10);
    while call(&node.url, "eth_getTransactionReceipt", json!([again]))
        .expect("receipt")
        .is_null()
    {
        assert!(Instant::now() < deadline, "tx after restart not mined");
        thread::sleep(Duration::from_millis(20));
    }
    node.kill();
}
