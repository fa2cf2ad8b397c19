//! The ABCI service in process, as CometBFT drives it: handshake info, InitChain with the Sheaf
//! genesis as app state (and the chain id it implies), CheckTx, FinalizeBlock, Commit, Info and
//! Query.

use alloy_primitives::{Address, Bytes as AlloyBytes, U256};
use bytes::Bytes;
use sheaf_abci::{AbciApp, consensus_chain_id};
use sheaf_app::{Genesis, SheafApp, genesis::DEV_KEYS};
use tendermint::{
    abci::{Code, types::CommitInfo},
    block::Height,
    consensus::{self, params::ValidatorParams},
    evidence,
    v0_38::abci::{Request, Response, request},
};

const T0: u64 = 1_700_000_000;

fn params() -> consensus::Params {
    consensus::Params {
        block: tendermint::block::Size {
            max_bytes: 22_020_096,
            max_gas: -1,
            time_iota_ms: 1000,
        },
        evidence: evidence::Params {
            max_age_num_blocks: 100_000,
            max_age_duration: evidence::Duration(std::time::Duration::from_secs(48 * 3600)),
            max_bytes: 1_048_576,
        },
        validator: ValidatorParams {
            pub_key_types: vec![tendermint::public_key::Algorithm::Ed25519],
        },
        version: None,
        abci: Default::default(),
    }
}

fn init(chain_id: &str, genesis: &Genesis) -> Request {
    Request::InitChain(request::InitChain {
        time: tendermint::Time::from_unix_timestamp(T0 as i64, 0).expect("time"),
        chain_id: chain_id.into(),
        consensus_params: params(),
        validators: vec![],
        app_state_bytes: serde_json::to_vec(genesis).expect("json").into(),
        initial_height: Height::from(1u32),
    })
}

fn info_request(abci_version: &str) -> Request {
    Request::Info(request::Info {
        version: "0.38".into(),
        block_version: 11,
        p2p_version: 8,
        abci_version: abci_version.into(),
    })
}

fn info(app: &AbciApp) -> tendermint::abci::response::Info {
    match app.handle(info_request("2.0.0")).expect("info") {
        Response::Info(info) => info,
        other => panic!("not an info response: {other:?}"),
    }
}

fn check(app: &AbciApp, tx: Bytes) -> tendermint::abci::response::CheckTx {
    let request = Request::CheckTx(request::CheckTx {
        tx,
        kind: request::CheckTxKind::New,
    });
    match app.handle(request).expect("check") {
        Response::CheckTx(r) => r,
        other => panic!("not a CheckTx response: {other:?}"),
    }
}

fn transfer(nonce: u64) -> Bytes {
    let signer = sheaf_tx::sign::Signer::new(DEV_KEYS[1].1).expect("key");
    let raw = signer.sign_1559(sheaf_tx::sign::eip1559(
        24239,
        nonce,
        Address::repeat_byte(0xb0),
        U256::from(1_000u64),
        AlloyBytes::new(),
        21_000,
        10 * sheaf_primitives::GWEI as u128,
        sheaf_primitives::GWEI as u128,
    ));
    Bytes::from(raw.to_vec())
}

#[test]
fn cometbft_requests_drive_the_same_app() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = AbciApp::new(SheafApp::open(&dir.path().join("state.redb")).expect("open"));
    let genesis = Genesis::dev(T0);
    assert_eq!(info(&app).last_block_height.value(), 0);
    // CometBFT v1.0.1 (ABCI 2.1.0) encodes validator keys differently: refused with a reason.
    let refused = app.handle(info_request("2.1.0")).expect_err("v1.0 refused");
    assert!(refused.to_string().contains("v0.38"), "{refused}");

    // The chain id must be the one the genesis implies.
    assert!(app.handle(init("some-other-chain", &genesis)).is_err());
    let started = match app
        .handle(init(&consensus_chain_id(24239), &genesis))
        .expect("init")
    {
        Response::InitChain(r) => r,
        other => panic!("not an InitChain response: {other:?}"),
    };
    assert_eq!(started.validators.len(), 1);
    assert_eq!(u64::from(started.validators[0].power), 32);

    // CheckTx admits a good transaction and refuses junk with a reason.
    let ok = check(&app, transfer(0));
    assert_eq!(ok.code, Code::Ok, "{}", ok.log);
    let bad = check(&app, Bytes::from_static(b"junk"));
    assert_ne!(bad.code, Code::Ok);
    assert!(!bad.log.is_empty());

    let proposer = sheaf_app::genesis::consensus_address(&genesis.validators[0].pub_key);
    let finalize = Request::FinalizeBlock(request::FinalizeBlock {
        txs: vec![transfer(0), transfer(5)],
        decided_last_commit: CommitInfo {
            round: 0u16.into(),
            votes: vec![],
        },
        misbehavior: vec![],
        hash: tendermint::Hash::None,
        height: Height::from(1u32),
        time: tendermint::Time::from_unix_timestamp(T0 as i64 + 1, 0).expect("time"),
        next_validators_hash: tendermint::Hash::None,
        proposer_address: tendermint::account::Id::new(proposer),
    });
    let done = match app.handle(finalize).expect("finalize") {
        Response::FinalizeBlock(r) => r,
        other => panic!("not a FinalizeBlock response: {other:?}"),
    };
    assert_eq!(done.tx_results[0].code, Code::Ok);
    assert_ne!(
        done.tx_results[1].code,
        Code::Ok,
        "a nonce gap cannot execute"
    );
    assert!(
        done.tx_results[1].log.contains("nonce too high"),
        "{}",
        done.tx_results[1].log
    );

    app.handle(Request::Commit).expect("commit");
    let after = info(&app);
    assert_eq!(after.last_block_height.value(), 1);
    assert_eq!(
        after.last_block_app_hash, done.app_hash,
        "the handshake reports what was committed"
    );

    let query = Request::Query(request::Query {
        data: Bytes::from_static(b"app/chain_id"),
        path: "/store".into(),
        height: Height::from(0u32),
        prove: false,
    });
    let answer = match app.handle(query).expect("query") {
        Response::Query(r) => r,
        other => panic!("not a Query response: {other:?}"),
    };
    assert_eq!(answer.value.as_ref(), 24239u64.to_be_bytes());
}
