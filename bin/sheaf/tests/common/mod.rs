//! Running the `sheaf` binary from tests: a dev node on a free port that dies with the test, and
//! CLI calls against it.

#![allow(dead_code)]

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    thread,
    time::{Duration, Instant},
};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A dev node process, killed when dropped.
pub struct DevNode {
    child: Child,
    pub rpc: String,
    pub keystore: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DevNode {
    /// Starts `sheaf node --dev` with `extra` arguments in a fresh directory and waits for RPC.
    pub fn start(extra: &[&str]) -> DevNode {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_sheaf"))
            .args(["node", "--dev", "--rpc-port", &port.to_string()])
            .args(extra)
            .arg("--data-dir")
            .arg(dir.path().join("chain"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn node");
        let node = DevNode {
            child,
            rpc: format!("http://127.0.0.1:{port}"),
            keystore: dir.path().join("keys"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !node.run(&["query", "addresses"]).status.success() {
            assert!(Instant::now() < deadline, "node did not start");
            thread::sleep(Duration::from_millis(100));
        }
        node
    }

    /// Runs a CLI command against this node.
    pub fn run(&self, args: &[&str]) -> Output {
        sheaf(args, &self.rpc, &self.keystore)
    }

    /// Runs a CLI command that must succeed, and returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            stderr(&output)
        );
        stdout(&output)
    }

    /// Polls a command until its stdout satisfies `done`, for at most `timeout`.
    pub fn wait_for(
        &self,
        args: &[&str],
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.ok(args);
            if done(&out) {
                return out;
            }
            assert!(Instant::now() < deadline, "{args:?} never got there: {out}");
            thread::sleep(Duration::from_millis(100));
        }
    }
}

pub fn sheaf(args: &[&str], rpc: &str, keystore: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sheaf"))
        .args(args)
        .env("SHEAF_RPC", rpc)
        .env("SHEAF_KEYSTORE", keystore)
        .output()
        .expect("run sheaf")
}

/// The CometBFT binary: `SHEAF_COMETBFT`, else `~/go/bin/cometbft` (where `go install` puts
/// it), else `cometbft` on PATH.
pub fn cometbft() -> PathBuf {
    if let Some(path) = std::env::var_os("SHEAF_COMETBFT") {
        return PathBuf::from(path);
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join("go/bin/cometbft"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("cometbft"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}
