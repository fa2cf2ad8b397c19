//! `sheaf bench`: throughput of the whole transaction path, next to the machine's ecrecover rate
//! measured in the same run.

use std::time::Instant;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use clap::Subcommand;
use rayon::prelude::*;
use sheaf_app::{
    Application, FinalizeBlock, Genesis, SheafApp, TxOutcome,
    genesis::{DEV_CHAIN_ID, GenesisAccount},
};
use sheaf_primitives::{ETHER, GWEI};
use sheaf_tx::sign::{Signer, eip1559};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Drive signed ETH transfers through decode, recover, execute and commit.
    Transfers {
        /// Transfers to run.
        #[arg(long, default_value_t = 50_000)]
        txs: usize,
        /// Distinct senders (each sends txs/senders transfers in nonce order).
        #[arg(long, default_value_t = 1_000)]
        senders: usize,
        /// Transactions per block.
        #[arg(long, default_value_t = 5_000)]
        block_size: usize,
        /// Print one JSON line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Transfers {
            txs,
            senders,
            block_size,
            json,
        } => transfers(txs, senders.max(1), block_size.max(1), json),
    }
}

/// Deterministic bench keys, so runs are comparable.
pub fn bench_signers(count: usize) -> Vec<Signer> {
    (0..count)
        .into_par_iter()
        .map(|i| {
            let mut seed = keccak256(format!("sheaf-bench-{i}"));
            loop {
                if let Ok(signer) = Signer::new(seed) {
                    return signer;
                }
                seed = keccak256(seed);
            }
        })
        .collect()
}

/// `count` transfers signed round-robin by `signers`, in nonce order per sender.
pub fn signed_transfers(signers: &[Signer], count: usize, chain_id: u64) -> Vec<Bytes> {
    (0..count)
        .into_par_iter()
        .map(|i| {
            let signer = &signers[i % signers.len()];
            let nonce = (i / signers.len()) as u64;
            let to = Address::from_word(keccak256((i as u64).to_be_bytes()));
            signer.sign_1559(eip1559(
                chain_id,
                nonce,
                to,
                U256::from(1_000),
                Bytes::new(),
                21_000,
                100 * GWEI as u128,
                GWEI as u128,
            ))
        })
        .collect()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn transfers(count: usize, senders: usize, block_size: usize, json: bool) -> anyhow::Result<()> {
    eprintln!("signing {count} transfers from {senders} senders…");
    let signers = bench_signers(senders);
    let raws = signed_transfers(&signers, count, DEV_CHAIN_ID);

    // The machine's recovery rate on these very transactions: one core, then all cores.
    let sample = &raws[..raws.len().min(20_000)];
    let rate = |f: &dyn Fn()| {
        let runs: Vec<f64> = (0..3)
            .map(|_| {
                let t = Instant::now();
                f();
                sample.len() as f64 / t.elapsed().as_secs_f64()
            })
            .collect();
        median(runs)
    };
    let one_core = rate(&|| {
        for raw in sample {
            sheaf_tx::decode(raw, DEV_CHAIN_ID).expect("bench tx is valid");
        }
    });
    let all_cores = rate(&|| {
        sheaf_tx::decode_all(sample, DEV_CHAIN_ID);
    });

    let mut genesis = Genesis::dev(1_700_000_000);
    genesis.params.block_gas_limit = (block_size as u64 * 21_000).max(30_000_000);
    genesis
        .accounts
        .extend(signers.iter().map(|s| GenesisAccount {
            address: s.address,
            balance: U256::from(1_000u64) * ETHER,
        }));
    let dir = tempfile::tempdir()?;
    let mut app = SheafApp::open(&dir.path().join("bench.redb"))?;
    app.init_chain(&genesis)?;
    let proposer = genesis.validators[0].consensus_address();

    eprintln!("running {count} transfers in blocks of {block_size}…");
    let started = Instant::now();
    let mut executed = 0usize;
    for (i, chunk) in raws.chunks(block_size).enumerate() {
        let response = app.finalize_block(FinalizeBlock {
            height: i as u64 + 1,
            time: 1_700_000_000 + i as u64,
            proposer,
            decided_last_commit: Default::default(),
            misbehavior: vec![],
            txs: chunk.to_vec(),
        })?;
        app.commit()?;
        executed += response
            .tx_results
            .iter()
            .filter(|r| matches!(r, TxOutcome::Executed { success: true, .. }))
            .count();
    }
    let elapsed = started.elapsed().as_secs_f64();
    if executed != count {
        anyhow::bail!("only {executed} of {count} transfers executed: the benchmark is invalid");
    }
    let end_to_end = count as f64 / elapsed;
    let ratio = end_to_end / all_cores;
    let root: B256 = app.info()?.last_block_app_hash.into();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "txs": count, "senders": senders, "block_size": block_size,
                "ecrecover_one_core_per_s": one_core.round(), "ecrecover_all_cores_per_s": all_cores.round(),
                "end_to_end_tx_per_s": end_to_end.round(), "ratio_to_all_core_ecrecover": (ratio * 1000.0).round() / 1000.0,
                "threads": rayon::current_num_threads(),
            })
        );
    } else {
        println!(
            "transfers                {count} ({senders} senders, {block_size} per block, {} threads)",
            rayon::current_num_threads()
        );
        println!("ecrecover, one core      {one_core:>10.0} /s");
        println!("ecrecover, all cores     {all_cores:>10.0} /s");
        println!(
            "end to end               {end_to_end:>10.0} tx/s  (decode, recover, execute, commit)"
        );
        println!("end to end / all-core ecrecover = {:.0}%", ratio * 100.0);
        println!("final app hash           {root}");
    }
    Ok(())
}
