//! Batches of `eth_sendRawTransaction` are answered by a path of their own (`send_batch`); these
//! tests hold its answers byte for byte against jsonrpsee's, on two identical dev chains.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use alloy_primitives::{Address, B256, Bytes, U256};
use sheaf_app::{Application, Genesis, SheafApp, genesis::DEV_KEYS};
use sheaf_consensus_dev::{DevConfig, DevDriver};
use sheaf_rpc::RpcConfig;
use sheaf_tx::sign::{Signer, eip1559};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHAIN_ID: u64 = 24239;

struct Node {
    addr: SocketAddr,
    _handle: jsonrpsee::server::ServerHandle,
    driver: Option<DevDriver>,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(driver) = self.driver.take() {
            driver.stop().expect("driver stops");
        }
    }
}

/// A dev chain at genesis that makes no blocks during the test, so two of them stay identical.
async fn node(fast_send_batches: bool, max_response_bytes: u32) -> Node {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = SheafApp::open(&dir.path().join("state.redb")).expect("open");
    app.init_chain(&Genesis::dev(1_700_000_000))
        .expect("genesis");
    let shared = app.shared();
    let driver = DevDriver::start(
        app,
        DevConfig {
            block_time: Duration::from_secs(3600),
            ..Default::default()
        },
    )
    .expect("driver");
    let config = RpcConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        fast_send_batches,
        max_response_bytes,
        ..Default::default()
    };
    let pool = driver.pool.clone() as Arc<dyn sheaf_mempool::TxPool>;
    let (addr, handle) = sheaf_rpc::serve(shared, pool, None, &config)
        .await
        .expect("serve");
    Node {
        addr,
        _handle: handle,
        driver: Some(driver),
        _dir: dir,
    }
}

/// The HTTP status line and body of a JSON POST, over a plain connection.
async fn post(addr: SocketAddr, body: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    (
        head.lines().next().unwrap_or_default().to_string(),
        body.to_string(),
    )
}

fn transfer(key: usize, nonce: u64, chain_id: u64, value: u64) -> Bytes {
    let signer = Signer::new(DEV_KEYS[key].1).expect("dev key");
    signer.sign_1559(eip1559(
        chain_id,
        nonce,
        Address::repeat_byte(0x42),
        U256::from(value),
        Bytes::new(),
        21_000,
        10_000_000_000,
        1_000_000_000,
    ))
}

fn send(id: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_sendRawTransaction","params":{params}}}"#)
}

/// A transfer each test sends alone before the batch, so that it is already known in the batch.
/// (Sent twice within one batch, which of the two is admitted depends on how the concurrently
/// run calls interleave, on either path.)
fn known() -> Bytes {
    transfer(4, 0, CHAIN_ID, 1)
}

/// Two identical chains, one answering batches of sends past jsonrpsee and one through it, each
/// already holding [`known`].
async fn fast_and_slow(max_response_bytes: u32) -> (Node, Node) {
    let fast = node(true, max_response_bytes).await;
    let slow = node(false, max_response_bytes).await;
    for node in [&fast, &slow] {
        let (_, body) = post(node.addr, &send("0", &format!(r#"["{}"]"#, known()))).await;
        assert!(body.contains(r#""result""#), "{body}");
    }
    (fast, slow)
}

/// A batch of sends that succeed and sends refused for every reason admission has, under ids of
/// every kind jsonrpsee accepts.
fn mixed_batch() -> String {
    let raw = |tx: Bytes| format!(r#"["{tx}"]"#);
    let rich = Signer::new(B256::repeat_byte(7)).expect("key");
    let poor = rich.sign_1559(eip1559(
        CHAIN_ID,
        0,
        Address::ZERO,
        U256::from(1),
        Bytes::new(),
        21_000,
        10_000_000_000,
        1_000_000_000,
    ));
    let mut calls = vec![
        send("1", &raw(transfer(0, 0, CHAIN_ID, 1))),
        send(r#""two""#, &raw(transfer(0, 1, CHAIN_ID, 2))),
        send("null", &raw(transfer(1, 0, CHAIN_ID, 3))),
        send("4", &raw(known())), // already known: sent before the batch
        send("5", &raw(transfer(2, 0, 1, 1))), // another chain
        send("6", &raw(transfer(2, 500, CHAIN_ID, 1))), // too far ahead
        send("7", &raw(poor)),    // no funds
        send("8", r#"["0x01"]"#), // not RLP
        send("9", r#"["zz"]"#),   // not hex
        send("10", "[1]"),
        send("11", "[]"),
        send("12", "null"),
        send("13", r#"{"tx":"0x01"}"#),
    ];
    calls.push(r#"{"jsonrpc":"2.0","id":14,"method":"eth_sendRawTransaction"}"#.to_string());
    format!("[{}]", calls.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_sends_are_answered_as_jsonrpsee_answers_them() {
    let (fast, slow) = fast_and_slow(25_000_000).await;
    let batch = mixed_batch();
    // Twice: the second time every send is already known.
    for round in 0..2 {
        let (fast_status, fast_body) = post(fast.addr, &batch).await;
        let (slow_status, slow_body) = post(slow.addr, &batch).await;
        assert_eq!(fast_status, slow_status, "round {round}");
        assert_eq!(fast_body, slow_body, "round {round}");
        let answers: Vec<serde_json::Value> = serde_json::from_str(&fast_body).expect("JSON");
        assert_eq!(answers.len(), 14);
        let succeeded = answers.iter().filter(|a| a.get("result").is_some()).count();
        assert_eq!(succeeded, if round == 0 { 3 } else { 0 }, "{fast_body}");
    }
    // The sends happened once on each chain, in the pool.
    let pending = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":["{}","pending"]}}"#,
        DEV_KEYS[0].0
    );
    assert_eq!(
        post(fast.addr, &pending).await.1,
        post(slow.addr, &pending).await.1
    );
    assert!(
        post(fast.addr, &pending)
            .await
            .1
            .contains(r#""result":"0x2""#)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_limits_hold_on_batches_of_sends() {
    // 600 bytes: a few answers fit, fourteen do not.
    let (fast, slow) = fast_and_slow(600).await;
    let batch = mixed_batch();
    let (fast_status, fast_body) = post(fast.addr, &batch).await;
    let (slow_status, slow_body) = post(slow.addr, &batch).await;
    assert_eq!((fast_status, &fast_body), (slow_status, &slow_body));
    assert!(fast_body.contains("-32011"), "{fast_body}");
    // Two sends fit; each answer is checked against the limit too.
    let small = format!(
        "[{},{}]",
        send("1", &format!(r#"["{}"]"#, transfer(3, 0, CHAIN_ID, 1))),
        send("2", r#"["0x01"]"#)
    );
    let (fast_status, fast_body) = post(fast.addr, &small).await;
    let (slow_status, slow_body) = post(slow.addr, &small).await;
    assert_eq!((fast_status, &fast_body), (slow_status, &slow_body));
    assert!(fast_body.contains(r#""result":"0x"#), "{fast_body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_batches_and_bad_bodies_still_reach_jsonrpsee() {
    let fast = node(true, 25_000_000).await;
    let slow = node(false, 25_000_000).await;
    let chain_id = r#"{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}"#;
    for body in [
        format!("[{},{chain_id}]", send("1", r#"["0x01"]"#)),
        send("1", r#"["0x01"]"#),
        "[]".to_string(),
        "[1,".to_string(),
        format!("[{}]", send("1.5", r#"["0x01"]"#)),
        format!("[{}]", send(r#""a\"b""#, r#"["0x01"]"#)),
        "not json".to_string(),
    ] {
        let fast_answer = post(fast.addr, &body).await;
        let slow_answer = post(slow.addr, &body).await;
        assert_eq!(fast_answer, slow_answer, "{body}");
    }
}
