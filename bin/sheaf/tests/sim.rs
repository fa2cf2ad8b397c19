//! `sheaf sim staking` runs the module's epoch transition and writes its CSV and plots; with
//! every validator online, its APR is Ethereum's for the same stake.

use std::process::Command;

#[test]
fn staking_simulation_writes_results_on_ethereums_curve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_sheaf"))
        .args([
            "sim",
            "staking",
            "--validators",
            "5000",
            "--epochs",
            "4",
            "--slash",
            "1:10",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .expect("run sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let epochs = std::fs::read_to_string(dir.path().join("epochs.csv")).expect("epochs.csv");
    assert_eq!(epochs.lines().count(), 5, "a header and one row per epoch");
    let apr = std::fs::read_to_string(dir.path().join("apr.csv")).expect("apr.csv");
    let mut rows = 0;
    for line in apr.lines().skip(1) {
        let cols: Vec<f64> = line
            .split(',')
            .map(|c| c.parse().expect("number"))
            .collect();
        let (sim, ethereum) = (cols[1], cols[2]);
        assert!((sim / ethereum - 1.0).abs() < 1e-3, "{line}");
        rows += 1;
    }
    assert!(rows >= 2);
    for plot in ["apr_vs_stake.svg", "balances.svg"] {
        let svg = std::fs::read_to_string(dir.path().join(plot)).expect("plot");
        assert!(
            svg.starts_with("<svg") && svg.contains("polyline"),
            "{plot}"
        );
    }
    let burned: f64 = epochs
        .lines()
        .nth(2)
        .expect("epoch 1")
        .split(',')
        .nth(3)
        .expect("burned")
        .parse()
        .expect("number");
    assert!(burned > 0.0, "the slashing at epoch 1 burned ETH");
}
