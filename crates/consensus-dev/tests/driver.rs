//! The dev driver with `--block-time 0`: it mines as transactions arrive, and a burst of them
//! from several threads wakes it once without losing any.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use sheaf_app::{Application, Genesis, SheafApp, genesis::DEV_KEYS};
use sheaf_bank::BankRead;
use sheaf_consensus_dev::{DevConfig, DevDriver};
use sheaf_mempool::TxPool;
use sheaf_primitives::GWEI;
use sheaf_tx::sign::{Signer, eip1559};

fn transfer(signer: &Signer, chain_id: u64, nonce: u64) -> Vec<u8> {
    let to = Address::with_last_byte(0xb0);
    signer
        .sign_1559(eip1559(
            chain_id,
            nonce,
            to,
            U256::from(1),
            Default::default(),
            21_000,
            100 * GWEI as u128,
            GWEI as u128,
        ))
        .to_vec()
}

fn mined_nonce(app: &sheaf_app::Shared, who: Address) -> u64 {
    app.latest_snapshot().expect("snapshot").nonce(&who)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn mining_on_arrival_takes_every_transaction_of_concurrent_bursts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut app = SheafApp::open(&dir.path().join("state.redb")).expect("open");
    app.init_chain(&Genesis::dev(0)).expect("genesis");
    let shared = app.shared();
    let chain_id = shared.chain_id().expect("chain id");
    let driver = DevDriver::start(
        app,
        DevConfig {
            block_time: Duration::ZERO,
            ..Default::default()
        },
    )
    .expect("start driver");
    let signers: Vec<Signer> = DEV_KEYS[..4]
        .iter()
        .map(|(_, key)| Signer::new(*key).expect("dev key"))
        .collect();

    // Rounds alternate between an idle driver (asleep on its channel) and a burst while it may
    // be mining the previous one; one lost wake-up leaves a round unmined and times out.
    let mut sent = 0u64;
    for round in 0..20u64 {
        let burst = 1 + round % 5;
        std::thread::scope(|s| {
            for signer in &signers {
                let pool = driver.pool.clone();
                s.spawn(move || {
                    for nonce in sent..sent + burst {
                        pool.submit(&transfer(signer, chain_id, nonce))
                            .expect("admitted");
                    }
                });
            }
        });
        sent += burst;
        if round % 2 == 0 {
            wait_for(&format!("round {round} is mined"), || {
                signers
                    .iter()
                    .all(|s| mined_nonce(&shared, s.address) == sent)
            });
        }
    }
    wait_for("every round is mined", || {
        signers
            .iter()
            .all(|s| mined_nonce(&shared, s.address) == sent)
    });
    assert_eq!(driver.pool.pending_count(), 0);
    driver.stop().expect("stop");
}
