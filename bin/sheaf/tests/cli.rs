//! The CLI against a running dev node, as a person would use it: human amounts in, one-line
//! errors and non-zero exits on bad input.

mod common;

use common::{DevNode, stderr, stdout};

#[test]
fn cli_moves_eth_and_tokens_and_refuses_bad_input() {
    let node = DevNode::start(&["--block-time", "0"]);
    let sheaf = |args: &[&str], _rpc: &str, _keystore: &std::path::Path| node.run(args);
    let (rpc, keystore) = (node.rpc.clone(), node.keystore.clone());
    let created = sheaf(&["keys", "new", "alice"], &rpc, &keystore);
    assert!(created.status.success(), "{}", stderr(&created));
    let listed = stdout(&sheaf(&["keys", "list"], &rpc, &keystore));
    assert!(
        listed.contains("dev0") && listed.contains("alice"),
        "{listed}"
    );

    let sent = sheaf(
        &[
            "tx", "transfer", "--from", "dev0", "--to", "alice", "--amount", "1.5 ETH",
        ],
        &rpc,
        &keystore,
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert!(stdout(&sent).contains("succeeded in block"));

    let dai = sheaf(
        &[
            "token", "transfer", "--from", "dev0", "--token", "DAI", "--to", "alice", "--amount",
            "250 DAI",
        ],
        &rpc,
        &keystore,
    );
    assert!(dai.status.success(), "{}", stderr(&dai));

    let balance = stdout(&sheaf(&["query", "balance", "alice"], &rpc, &keystore));
    assert!(balance.lines().any(|l| l == "1.5 ETH"), "{balance}");
    assert!(balance.lines().any(|l| l == "250 DAI"), "{balance}");

    let acme = sheaf(
        &[
            "token",
            "create",
            "--from",
            "alice",
            "--name",
            "Acme",
            "--symbol",
            "ACME",
            "--decimals",
            "6",
            "--supply",
            "1000",
        ],
        &rpc,
        &keystore,
    );
    assert!(acme.status.success(), "{}", stderr(&acme));
    let token = stdout(&acme)
        .lines()
        .find_map(|l| l.strip_prefix("token address ").map(str::to_string))
        .expect("token address printed");
    let approve = sheaf(
        &[
            "token",
            "approve",
            "--from",
            "alice",
            "--token",
            &token,
            "--spender",
            "dev3",
            "--amount",
            "10.5 ACME",
        ],
        &rpc,
        &keystore,
    );
    assert!(approve.status.success(), "{}", stderr(&approve));
    let acme_balance = stdout(&sheaf(
        &["query", "balance", "alice", "--token", &token],
        &rpc,
        &keystore,
    ));
    assert_eq!(acme_balance.trim(), "1000 ACME");

    // Bad input: a clear one-line error, a non-zero exit, and nothing sent.
    for args in [
        vec![
            "tx", "transfer", "--from", "dev0", "--to", "alice", "--amount", "1.5 DAI",
        ],
        vec![
            "tx", "transfer", "--from", "dev0", "--to", "alice", "--amount", "lots",
        ],
        vec![
            "tx", "transfer", "--from", "nobody", "--to", "alice", "--amount", "1",
        ],
        vec![
            "tx", "transfer", "--from", "dev0", "--to", "0x1234", "--amount", "1",
        ],
        vec![
            "token", "transfer", "--from", "alice", "--token", "DAI", "--to", "dev1", "--amount",
            "251 DAI",
        ],
        vec![
            "token", "transfer", "--from", "alice", "--token", "NOPE", "--to", "dev1", "--amount",
            "1",
        ],
        vec![
            "token",
            "transfer",
            "--from",
            "alice",
            "--token",
            "DAI",
            "--to",
            "dev1",
            "--amount",
            "0.0000000000000000001",
        ],
    ] {
        let output = sheaf(&args, &rpc, &keystore);
        assert!(!output.status.success(), "{args:?} should fail");
        let err = stderr(&output);
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{args:?}: one line, got {err}"
        );
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
    let after = stdout(&sheaf(&["query", "balance", "alice"], &rpc, &keystore));
    assert!(
        after.lines().any(|l| l == "250 DAI"),
        "failed commands moved nothing: {after}"
    );

    let down = common::sheaf(
        &["query", "balance", "dev0"],
        "http://127.0.0.1:1",
        &keystore,
    );
    assert!(!down.status.success());
    assert!(
        stderr(&down).contains("cannot reach the node"),
        "{}",
        stderr(&down)
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let node = DevNode::start(&["--block-time", "0"]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sheaf"))
        .args(["query", "balance", "dev0"])
        .env("SHEAF_RPC", &node.rpc)
        .env("SHEAF_KEYSTORE", &node.keystore)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run sheaf");
    // Closed before the command has asked the node anything, so its first line finds no reader,
    // as with `| head -1` once head has exited.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait for sheaf");
    let stderr = stderr(&output);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}
