//! The same blocks, replayed by separate processes (so with different hash-map seeds) and with
//! different thread counts for sender recovery, end in the same app hash.

use std::process::Command;

fn replay(threads: &str) -> serde_json::Value {
    replay_over(threads, 0)
}

/// The benchmark's blocks over a genesis state that already holds `state_accounts` accounts.
fn replay_over(threads: &str, state_accounts: usize) -> serde_json::Value {
    let state_accounts = state_accounts.to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_sheaf"))
        .args([
            "bench",
            "transfers",
            "--txs",
            "3000",
            "--senders",
            "70",
            "--block-size",
            "250",
            "--state-accounts",
            &state_accounts,
            "--json",
        ])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("run sheaf bench");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON line")
}

#[test]
fn replays_agree_across_processes_and_thread_counts() {
    let one = replay("1");
    let two = replay("2");
    let four = replay("4");
    assert_eq!(one["threads"], 1);
    assert_eq!(four["threads"], 4);
    let hash = one["app_hash"].as_str().expect("app hash");
    assert_eq!(hash.len(), 66);
    assert_eq!(two["app_hash"], one["app_hash"]);
    assert_eq!(four["app_hash"], one["app_hash"]);
}

/// A larger genesis state is written the same way whatever the thread count, and it is in the
/// state: the app hash differs from the same blocks over the plain genesis.
#[test]
fn a_larger_genesis_state_replays_alike() {
    let one = replay_over("1", 2_000);
    let two = replay_over("2", 2_000);
    assert_eq!(one["state_accounts"], 2_000);
    assert_eq!(two["app_hash"], one["app_hash"]);
    assert_ne!(one["app_hash"], replay("2")["app_hash"]);
}

/// The swap benchmark refuses to report a rate unless every swap succeeded, whether senders are
/// recovered inside the blocks or admitted beforehand.
#[test]
fn swap_benchmark_executes_every_swap() {
    for (admitted, label) in [(false, "end to end"), (true, "block path alone")] {
        let mut args = vec![
            "bench",
            "swaps",
            "--txs",
            "300",
            "--senders",
            "30",
            "--block-size",
            "100",
        ];
        if admitted {
            args.push("--admitted");
        }
        let output = Command::new(env!("CARGO_BIN_EXE_sheaf"))
            .args(&args)
            .output()
            .expect("run sheaf bench swaps");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(label) && stdout.contains("swaps/s"),
            "{stdout}"
        );
    }
}
