//! The app driven block by block through the Application trait: fees, nonces, reverts,
//! conservation, restart and deterministic replay.

use alloy_primitives::{Address, Bytes, U256, address, keccak256};
use alloy_sol_types::SolCall;
use sheaf_abi::{IERC20, ISheafTokenFactory, system::TOKEN_FACTORY};
use sheaf_app::{
    Application, Genesis, TxOutcome,
    genesis::{DEV_FEE_RECIPIENT, DEV_KEYS},
    test_node::TestNode,
};
use sheaf_bank::BankRead;
use sheaf_primitives::{ETHER, GWEI};
use sheaf_tx::sign::{Signer, eip1559};

const CHAIN: u64 = 24239;

fn dev(i: usize) -> Signer {
    Signer::new(DEV_KEYS[i].1).expect("dev key")
}

fn genesis() -> Genesis {
    Genesis::dev(1_700_000_000)
}

fn send(from: &Signer, nonce: u64, to: Address, value: U256, data: Vec<u8>, gas: u64) -> Bytes {
    from.sign_1559(eip1559(
        CHAIN,
        nonce,
        to,
        value,
        data.into(),
        gas,
        10 * GWEI as u128,
        GWEI as u128,
    ))
}

fn dai(node: &TestNode) -> Address {
    node.snapshot()
        .token_at(2)
        .expect("DAI is the third genesis token")
}

fn all_eth(node: &TestNode) -> U256 {
    let s = node.snapshot();
    DEV_KEYS.iter().map(|(a, _)| s.eth_balance(a)).sum::<U256>()
        + s.eth_balance(&DEV_FEE_RECIPIENT)
        + s.eth_balance(&address!("00000000000000000000000000000000000000b0"))
        + s.eth_balance(&sheaf_abi::system::WETH)
        + s.eth_balance(&sheaf_abi::system::DEPOSIT_CONTRACT)
}

#[test]
fn transfer_pays_base_fee_and_tip_and_conserves_eth() {
    let mut node = TestNode::new(&genesis());
    let supply0 = node.snapshot().eth_supply();
    // Ten dev accounts and the dev validator's 32 ETH deposit.
    assert_eq!(supply0, U256::from(100_032u64) * ETHER);
    let base_fee = sheaf_app::pending_base_fee(&node.snapshot());
    let (alice, bob) = (dev(1), address!("00000000000000000000000000000000000000b0"));

    let response = node.produce_block(vec![send(&alice, 0, bob, ETHER, vec![], 21_000)]);
    assert!(matches!(
        response.tx_results[0],
        TxOutcome::Executed {
            success: true,
            gas_used: 21_000,
            ..
        }
    ));

    let s = node.snapshot();
    let burned = U256::from(21_000u64) * U256::from(base_fee);
    let tip = U256::from(21_000u64) * U256::from(GWEI);
    assert_eq!(s.eth_balance(&bob), ETHER);
    assert_eq!(s.eth_balance(&DEV_FEE_RECIPIENT), tip);
    assert_eq!(
        s.eth_balance(&alice.address),
        U256::from(10_000u64) * ETHER - ETHER - burned - tip
    );
    assert_eq!(s.nonce(&alice.address), 1);
    assert_eq!(s.eth_supply(), supply0 - burned);
    assert_eq!(all_eth(&node), s.eth_supply());
}

#[test]
fn reverted_call_keeps_fee_and_nonce_and_nothing_else() {
    let mut node = TestNode::new(&genesis());
    let token = dai(&node);
    let poor = dev(5);
    let before = node.snapshot();
    // Account 5 holds 100,000 DAI; asking to move a million reverts inside the token.
    let call = IERC20::transferCall {
        to: dev(6).address,
        value: U256::from(1_000_000u64) * ETHER,
    };
    let response = node.produce_block(vec![send(
        &poor,
        0,
        token,
        U256::ZERO,
        call.abi_encode(),
        100_000,
    )]);
    let TxOutcome::Executed {
        success,
        gas_used,
        hash,
    } = response.tx_results[0].clone()
    else {
        panic!("expected execution, got {:?}", response.tx_results[0]);
    };
    assert!(!success);
    let after = node.snapshot();
    assert_eq!(after.nonce(&poor.address), 1);
    assert!(after.eth_balance(&poor.address) < before.eth_balance(&poor.address));
    assert_eq!(
        after.token_balance(&token, &poor.address),
        before.token_balance(&token, &poor.address)
    );
    assert_eq!(
        after.token_balance(&token, &dev(6).address),
        before.token_balance(&token, &dev(6).address)
    );

    let block = node
        .app
        .shared()
        .chain()
        .block(1)
        .expect("read")
        .expect("block 1");
    assert_eq!(block.txs[0].hash, hash);
    assert!(!block.receipts[0].success);
    assert!(block.receipts[0].logs.is_empty());
    assert_eq!(block.receipts[0].gas_used, gas_used);
    assert!(
        block.receipts[0]
            .revert_reason
            .as_deref()
            .unwrap_or("")
            .contains("ERC20InsufficientBalance")
    );
    // The revert data is kept: the ERC-6093 error's selector and arguments.
    assert_eq!(
        block.receipts[0].output.get(..4),
        Some(&keccak256("ERC20InsufficientBalance(address,uint256,uint256)")[..4])
    );
}

#[test]
fn token_factory_and_erc20_through_transactions() {
    let mut node = TestNode::new(&genesis());
    let alice = dev(1);
    let create = ISheafTokenFactory::createTokenCall {
        name: "Acme".into(),
        symbol: "ACME".into(),
        decimals: 6,
        initialSupply: U256::from(1_000_000u64),
    };
    let token = sheaf_bank::token_address(node.snapshot().token_count());
    node.produce_block(vec![
        send(
            &alice,
            0,
            TOKEN_FACTORY,
            U256::ZERO,
            create.abi_encode(),
            200_000,
        ),
        send(
            &alice,
            1,
            token,
            U256::ZERO,
            IERC20::transferCall {
                to: dev(2).address,
                value: U256::from(250u64),
            }
            .abi_encode(),
            60_000,
        ),
    ]);
    let s = node.snapshot();
    assert_eq!(s.token_meta(&token).expect("created").symbol, "ACME");
    assert_eq!(s.token_balance(&token, &dev(2).address), U256::from(250u64));
    assert_eq!(
        s.token_balance(&token, &alice.address),
        U256::from(999_750u64)
    );
    let block = node
        .app
        .shared()
        .chain()
        .block(1)
        .expect("read")
        .expect("block");
    assert!(block.receipts.iter().all(|r| r.success));
    assert_eq!(block.receipts[1].logs.len(), 1, "one Transfer event");
    // createToken returned the token's address and transfer returned true; as on Ethereum, a
    // receipt does not keep what a call returned.
    assert!(block.receipts.iter().all(|r| r.output.is_empty()));
}

#[test]
fn invalid_transactions_are_skipped_and_cost_nothing() {
    let mut node = TestNode::new(&genesis());
    let alice = dev(0);
    let to = dev(1).address;
    let response = node.produce_block(vec![
        send(&alice, 1, to, ETHER, vec![], 21_000), // nonce gap
        send(&alice, 0, to, ETHER, vec![], 20_000), // below intrinsic gas
        Bytes::from_static(&[0xc0, 0x01]),          // junk
        send(&alice, 0, to, U256::from(10_001u64) * ETHER, vec![], 21_000), // cannot pay
        send(&alice, 0, to, ETHER, vec![], 21_000), // fine
        send(&alice, 0, to, ETHER, vec![], 21_000), // replay of a used nonce
    ]);
    let kinds: Vec<bool> = response
        .tx_results
        .iter()
        .map(|r| matches!(r, TxOutcome::Executed { .. }))
        .collect();
    assert_eq!(kinds, vec![false, false, false, false, true, false]);
    assert_eq!(node.snapshot().nonce(&alice.address), 1);
}

#[test]
fn transactions_that_may_fit_a_later_block_are_deferred_not_invalid() {
    let mut node = TestNode::new(&genesis());
    let (alice, bob) = (dev(0), dev(1));
    let to = dev(2).address;
    let block_gas = sheaf_app::chain_params(&node.snapshot()).block_gas_limit;
    let response = node.produce_block(vec![
        send(&alice, 0, to, ETHER, vec![], 21_000),
        // Fits the block's limit alone, but not after the first transfer used 21,000.
        send(&bob, 0, to, ETHER, vec![], block_gas),
        // Its sender's nonce 0 was deferred, so this one cannot run either, for now.
        send(&bob, 1, to, ETHER, vec![], 21_000),
        // Nothing later can make a used nonce valid.
        send(&alice, 0, to, ETHER, vec![], 21_000),
    ]);
    let kinds: Vec<&str> = response
        .tx_results
        .iter()
        .map(|r| match r {
            TxOutcome::Executed { .. } => "executed",
            TxOutcome::Deferred { .. } => "deferred",
            TxOutcome::Invalid { .. } => "invalid",
        })
        .collect();
    assert_eq!(kinds, vec!["executed", "deferred", "deferred", "invalid"]);
    assert_eq!(
        node.snapshot().nonce(&bob.address),
        0,
        "deferred costs nothing"
    );

    let next = node.produce_block(vec![send(&bob, 0, to, ETHER, vec![], block_gas)]);
    assert!(matches!(
        next.tx_results[0],
        TxOutcome::Executed { success: true, .. }
    ));
}

#[test]
fn restart_resumes_from_last_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.redb");
    let g = genesis();
    let hash_at_2 = {
        let mut node = TestNode::open(&path, &g).expect("open");
        node.produce_block(vec![send(
            &dev(0),
            0,
            dev(1).address,
            ETHER,
            vec![],
            21_000,
        )]);
        node.produce_block(vec![]);
        node.app.info().expect("info").last_block_app_hash
    };
    let mut node = TestNode::open(&path, &g).expect("reopen");
    let info = node.app.info().expect("info");
    assert_eq!(
        (info.last_block_height, info.last_block_app_hash),
        (2, hash_at_2)
    );
    node.produce_block(vec![send(
        &dev(0),
        1,
        dev(1).address,
        ETHER,
        vec![],
        21_000,
    )]);
    assert_eq!(node.snapshot().nonce(&dev(0).address), 2);
    // Old heights stay readable, as wallets that pin `latest` to a number need.
    let old = node
        .app
        .shared()
        .storage()
        .snapshot(1)
        .expect("snapshot at 1");
    assert_eq!(old.nonce(&dev(0).address), 1);
}

#[test]
fn replay_gives_identical_app_hashes_whatever_the_thread_count() {
    let g = genesis();
    let mut blocks = vec![];
    for round in 0..6u64 {
        let mut txs = vec![];
        for i in 0..5usize {
            let data = if i % 2 == 0 { vec![] } else { vec![1, 2, 3] };
            txs.push(send(
                &dev(i),
                round,
                dev((i + 1) % 10).address,
                U256::from(round * 1000 + i as u64),
                data,
                50_000,
            ));
        }
        blocks.push(txs);
    }
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let mut node = TestNode::new(&g);
            blocks
                .iter()
                .map(|txs| node.produce_block(txs.clone()).app_hash)
                .collect::<Vec<_>>()
        })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(4));
    assert_eq!(one.len(), 6);
}

#[test]
fn a_chain_with_another_state_layout_is_refused_with_a_way_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.redb");
    {
        let node = TestNode::open(&path, &genesis()).expect("new chain");
        // Pretend an older Sheaf made it: rewrite the layout version in a later version.
        let storage = node.app.shared().storage().clone();
        let mut changes = sheaf_state::Changes::new();
        changes.insert(
            b"app/state_version".to_vec(),
            Some(1u64.to_be_bytes().to_vec()),
        );
        let prepared = storage.prepare(1, &changes).expect("prepare");
        storage.commit(prepared, vec![]).expect("commit");
    }
    let Err(err) = sheaf_app::SheafApp::open(&path) else {
        panic!("an old layout must be refused");
    };
    let message = err.to_string();
    assert!(
        message.contains("layout version 1") && message.contains("--reset"),
        "{message}"
    );
}

#[test]
fn proposals_put_each_senders_transactions_in_nonce_order_and_stop_at_gaps() {
    use sheaf_app::Application;
    let node = TestNode::new(&genesis());
    let (a, b) = (dev(1), dev(2));
    let to = address!("00000000000000000000000000000000000000b0");
    let tx = |s: &Signer, n: u64| send(s, n, to, U256::from(1u64), vec![], 21_000);
    // As gossip may deliver them: a's out of order, b's with a gap and a duplicate nonce.
    let arrived = vec![
        tx(&a, 1),
        tx(&b, 2),
        tx(&a, 0),
        tx(&b, 0),
        tx(&b, 0),
        tx(&a, 2),
    ];
    let proposal = node.app.prepare_proposal(arrived.clone(), 1 << 20);
    assert_eq!(
        proposal,
        vec![
            arrived[2].clone(),
            arrived[0].clone(),
            arrived[5].clone(),
            arrived[3].clone()
        ]
    );
    // The byte limit holds too.
    let small = node
        .app
        .prepare_proposal(arrived.clone(), arrived[2].len() + 1);
    assert_eq!(small, vec![arrived[2].clone()]);
}

/// Admission reads one snapshot per height; it must move to the new state at every commit.
#[test]
fn admission_checks_against_the_state_of_the_last_commit() {
    let mut node = TestNode::new(&genesis());
    let shared = node.app.shared();
    let alice = dev(1);
    let newcomer = Signer::new(alloy_primitives::B256::repeat_byte(0x42)).expect("key");

    let first = send(&alice, 0, newcomer.address, ETHER, vec![], 21_000);
    shared
        .check_tx(&first)
        .expect("nonce 0 is admissible before the block");
    let spend = send(
        &newcomer,
        0,
        alice.address,
        ETHER / U256::from(2),
        vec![],
        21_000,
    );
    assert!(
        matches!(
            shared.check_tx(&spend),
            Err(sheaf_app::CheckTxError::Invalid(
                sheaf_app::execute::InvalidTx::InsufficientFunds { .. }
            ))
        ),
        "the newcomer has nothing yet"
    );

    node.produce_block(vec![first.clone()]);

    assert!(
        matches!(
            shared.check_tx(&first),
            Err(sheaf_app::CheckTxError::Invalid(
                sheaf_app::execute::InvalidTx::NonceTooLow {
                    expected: 1,
                    found: 0
                }
            ))
        ),
        "after the block, nonce 0 is spent"
    );
    shared
        .check_tx(&spend)
        .expect("the ETH received in the block is spendable at admission");
}

/// A block built by `finalize_block` has the transactions root alloy computes from its
/// transactions, the trie's leaves being the bytes each transaction arrived as; and the receipts
/// root too. Checked on a small block and on one large enough to build its tries on their own
/// thread, each with legacy and EIP-1559 transactions.
#[test]
fn finalized_blocks_have_the_roots_alloy_computes() {
    use alloy_consensus::{
        ReceiptEnvelope, ReceiptWithBloom, TxLegacy,
        proofs::{calculate_receipt_root, calculate_transaction_root},
    };
    let mut node = TestNode::new(&genesis());
    let alice = dev(1);
    let mut nonce = 0;
    for (height, size) in [(1u64, 5u64), (2, 300)] {
        let raws: Vec<Bytes> = (0..size)
            .map(|i| {
                let raw = if i % 3 == 0 {
                    alice.sign_legacy(TxLegacy {
                        chain_id: Some(CHAIN),
                        nonce,
                        gas_price: 10 * GWEI as u128,
                        gas_limit: 21_000,
                        to: alloy_primitives::TxKind::Call(dev(2).address),
                        value: U256::from(i + 1),
                        input: Bytes::new(),
                    })
                } else {
                    send(&alice, nonce, dev(3).address, U256::from(i), vec![], 21_000)
                };
                nonce += 1;
                raw
            })
            .collect();
        node.produce_block(raws);
        let block = node
            .app
            .shared()
            .chain()
            .block(height)
            .expect("read")
            .expect("block");
        assert_eq!(block.txs.len() as u64, size);
        let envelopes: Vec<_> = block.txs.iter().map(|tx| tx.envelope.clone()).collect();
        assert_eq!(
            block.header.transactions_root,
            calculate_transaction_root(&envelopes),
            "block of {size}"
        );
        let receipts: Vec<ReceiptEnvelope> = block
            .txs
            .iter()
            .zip(&block.receipts)
            .map(|(tx, r)| {
                let receipt = ReceiptWithBloom::from(alloy_consensus::Receipt {
                    status: r.success.into(),
                    cumulative_gas_used: r.cumulative_gas_used,
                    logs: r.logs.clone(),
                });
                match tx.envelope.tx_type() as u8 {
                    0 => ReceiptEnvelope::Legacy(receipt),
                    _ => ReceiptEnvelope::Eip1559(receipt),
                }
            })
            .collect();
        assert_eq!(
            block.header.receipts_root,
            calculate_receipt_root(&receipts),
            "block of {size}"
        );
    }
}
