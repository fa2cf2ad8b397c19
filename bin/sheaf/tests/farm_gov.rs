//! Farming and governance end to end on the dev node, only through the CLI: stake LP in a farm,
//! stake SHF for GOV, and pass a proposal that changes the farm's allocation with dev accounts'
//! votes, after which the farm emits at the new rate.

mod common;

use std::time::Duration;

use common::{DevNode, stderr};

const WAIT: Duration = Duration::from_secs(60);

/// SHF held by `who`, in base units, from `sheaf query balance`.
fn shf_base_units(node: &DevNode, who: &str) -> u128 {
    let out = node.ok(&["query", "balance", who, "--token", "SHF"]);
    let amount = out.split_whitespace().next().expect("amount");
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let frac = format!("{frac:0<18}");
    whole.parse::<u128>().expect("whole") * 10u128.pow(18) + frac.parse::<u128>().expect("frac")
}

/// The block a CLI transaction landed in, from "… succeeded in block N …".
fn block_of(output: &str) -> u64 {
    let after = output
        .split("succeeded in block ")
        .last()
        .expect("a receipt line");
    after
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("block number")
}

fn state_of(node: &DevNode) -> String {
    let show = node.ok(&["gov", "show", "0"]);
    show.lines()
        .find_map(|l| l.strip_prefix("state     "))
        .expect("state line")
        .to_string()
}

#[test]
fn a_governance_proposal_changes_a_farms_emission_through_the_cli() {
    let node = DevNode::start(&["--block-time", "0.2"]);

    let farms = node.ok(&["farm", "list"]);
    assert!(
        farms.contains("farm 0  DAI/ETH LP  100/150 points  6.666666666666666666 SHF/block"),
        "{farms}"
    );

    // Farming: dev0 stakes its genesis ETH/DAI LP.
    node.ok(&[
        "farm", "deposit", "--from", "dev0", "--pid", "0", "--amount", "all",
    ]);
    let mine = node.ok(&["farm", "list", "--user", "dev0"]);
    assert!(
        mine.contains("you: staked 5477.225575051661133569"),
        "{mine}"
    );

    // Governance staking: dev5 gets SHF, stakes it, earns GOV, delegates to itself.
    node.ok(&[
        "token", "transfer", "--from", "dev0", "--token", "SHF", "--to", "dev5", "--amount",
        "100 SHF",
    ]);
    node.ok(&["gov", "stake", "--from", "dev5", "--amount", "100 SHF"]);
    node.ok(&["gov", "claim", "--from", "dev5"]);
    node.ok(&["gov", "delegate", "--from", "dev5"]);
    let info = node.ok(&["gov", "info", "--user", "dev5"]);
    assert!(info.contains("staked 100 SHF"), "{info}");
    assert!(
        !info.contains("votes 0\n"),
        "claimed GOV votes once delegated: {info}"
    );

    // Bad proposals are refused before anything is sent.
    for bad in [
        vec![
            "gov",
            "propose",
            "--from",
            "dev0",
            "--set-param",
            "quorumNumerator=0",
            "-d",
            "x",
        ],
        vec![
            "gov",
            "propose",
            "--from",
            "dev6",
            "--set-farm-alloc",
            "0=300",
            "-d",
            "no GOV",
        ],
        vec![
            "gov",
            "propose",
            "--from",
            "dev0",
            "--set-farm-alloc",
            "7=300",
            "-d",
            "no farm",
        ],
        vec!["gov", "propose", "--from", "dev0", "-d", "no actions"],
    ] {
        let out = node.run(&bad);
        assert!(!out.status.success(), "{bad:?} should fail");
        assert!(
            stderr(&out).starts_with("error: "),
            "{bad:?}: {}",
            stderr(&out)
        );
    }

    let proposed = node.ok(&[
        "gov",
        "propose",
        "--from",
        "dev0",
        "--set-farm-alloc",
        "0=300",
        "-d",
        "Raise the ETH/DAI farm to 300 points",
    ]);
    assert!(proposed.contains("proposal 0"), "{proposed}");
    assert!(
        proposed.contains("set farm 0's allocation to 300 points"),
        "{proposed}"
    );

    node.wait_for(&["gov", "show", "0"], WAIT, |out| {
        out.contains("state     Active")
    });
    for (who, support) in [("dev0", "for"), ("dev1", "for"), ("dev2", "against")] {
        node.ok(&[
            "gov",
            "vote",
            "--from",
            who,
            "--id",
            "0",
            "--support",
            support,
        ]);
    }
    let twice = node.run(&[
        "gov",
        "vote",
        "--from",
        "dev1",
        "--id",
        "0",
        "--support",
        "for",
    ]);
    assert!(!twice.status.success());
    assert!(
        stderr(&twice).contains("GovernorAlreadyCastVote"),
        "{}",
        stderr(&twice)
    );

    node.wait_for(&["gov", "show", "0"], WAIT, |out| {
        out.contains("state     Succeeded")
    });
    let show = node.ok(&["gov", "show", "0"]);
    assert!(
        show.contains("for 70000 GOV, against 10000 GOV, abstain 0 GOV"),
        "{show}"
    );
    node.ok(&["gov", "queue", "--from", "dev3", "--id", "0"]);
    let early = node.run(&["gov", "execute", "--from", "dev3", "--id", "0"]);
    assert!(!early.status.success(), "the timelock holds it");
    node.wait_for(&["gov", "show", "0"], WAIT, |out| {
        out.contains("anyone may execute")
    });
    node.ok(&["gov", "execute", "--from", "dev3", "--id", "0"]);
    assert_eq!(state_of(&node), "Executed");

    let farms = node.ok(&["farm", "list"]);
    assert!(
        farms.contains("farm 0  DAI/ETH LP  300/350 points  8.571428571428571428 SHF/block"),
        "{farms}"
    );

    // The farm really emits at the new rate: between two harvests dev0, its only staker, earns
    // 300/350 of 10 SHF a block (less at most one base unit of rounding).
    let first = block_of(&node.ok(&["farm", "harvest", "--from", "dev0", "--pid", "0"]));
    let before = shf_base_units(&node, "dev0");
    std::thread::sleep(Duration::from_secs(1));
    let second = block_of(&node.ok(&["farm", "harvest", "--from", "dev0", "--pid", "0"]));
    let earned = shf_base_units(&node, "dev0") - before;
    let minted = (second - first) as u128 * 10 * 10u128.pow(18) * 300 / 350;
    assert!(second > first);
    assert!(
        earned <= minted && earned + 1 >= minted,
        "earned {earned}, emitted {minted}"
    );
}
