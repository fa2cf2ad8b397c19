//! Validator staking end to end on the dev node, only through the CLI (which speaks JSON-RPC):
//! a second validator deposits 32 ETH, waits in the queue, becomes active, exits, and after the
//! withdrawals upgrade at height 300 its ETH arrives at the withdrawal address.

mod common;

use std::time::Duration;

use common::{DevNode, stderr};

const WAIT: Duration = Duration::from_secs(120);

fn eth_of(node: &DevNode, who: &str) -> f64 {
    let out = node.ok(&["query", "balance", who]);
    out.lines()
        .find_map(|l| l.strip_suffix(" ETH"))
        .and_then(|n| n.parse().ok())
        .expect("ETH line")
}

#[test]
fn deposit_activate_exit_and_withdraw_after_the_upgrade() {
    let node = DevNode::start(&["--block-time", "0.1"]);
    let listed = node.ok(&["validator", "list"]);
    assert!(
        listed.contains("withdrawals locked until block 300"),
        "{listed}"
    );

    let keygen = node.ok(&[
        "validator",
        "keygen",
        "--name",
        "v1",
        "--withdrawal-address",
        "dev7",
    ]);
    assert!(keygen.contains("\"deposit_data_root\""), "{keygen}");
    // The key stays inside the keystore the CLI was given.
    let key_file = node.keystore.join("validators").join("v1.json");
    assert!(key_file.exists(), "no {}", key_file.display());
    // A deposit below 1 ETH is refused before anything is sent.
    let small = node.run(&[
        "validator",
        "deposit",
        "--from",
        "dev7",
        "--key",
        "v1",
        "--amount",
        "0.5 ETH",
    ]);
    assert!(
        !small.status.success() && stderr(&small).contains("minimum deposit"),
        "{}",
        stderr(&small)
    );

    let before = eth_of(&node, "dev7");
    let deposited = node.ok(&["validator", "deposit", "--from", "dev7", "--key", "v1"]);
    assert!(
        deposited.contains("is Eligible") || deposited.contains("is Pending"),
        "{deposited}"
    );
    assert!(eth_of(&node, "dev7") < before - 32.0);

    node.wait_for(&["validator", "status", "v1"], WAIT, |s| {
        s.contains("status            Active")
    });
    let listed = node.ok(&["validator", "list"]);
    assert!(listed.contains("total active 64 ETH"), "{listed}");

    // Only the withdrawal address may exit it, unless the consensus key signs the exit; either
    // way only after one epoch of service.
    let wrong = node.run(&["validator", "exit", "--from", "dev6", "--key", "v1"]);
    assert!(
        !wrong.status.success(),
        "dev6 may not exit dev7's validator"
    );
    node.wait_for(&["validator", "list"], WAIT, |_| {
        node.run(&[
            "validator",
            "exit",
            "--from",
            "dev6",
            "--key",
            "v1",
            "--signed",
        ])
        .status
        .success()
    });
    node.wait_for(&["validator", "status", "v1"], WAIT, |s| {
        s.contains("status            Withdrawable") || s.contains("status            Withdrawn")
    });
    let locked = node.ok(&["validator", "status", "v1"]);
    let head: serde_json::Value =
        serde_json::from_str(&node.ok(&["query", "block", "latest"])).expect("block json");
    let height_now = u64::from_str_radix(
        head["number"]
            .as_str()
            .expect("number")
            .trim_start_matches("0x"),
        16,
    )
    .expect("hex");
    if height_now < 295 {
        assert!(
            locked.contains("withdrawals are locked until block 300"),
            "{locked}"
        );
    }
    let held = eth_of(&node, "dev7");
    node.wait_for(&["validator", "status", "v1"], WAIT, |s| {
        s.contains("status            Withdrawn")
    });
    let after = eth_of(&node, "dev7");
    assert!(after > held + 31.9, "the stake came back: {held} → {after}");
    let events = node.ok(&["validator", "events", "--from-block", "250"]);
    assert!(events.contains("Withdrawal"), "{events}");
}
