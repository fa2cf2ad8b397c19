use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{B256, Bytes, TxKind, U256, address};

use super::*;
use crate::sign::{Signer, eip1559};

const CHAIN: u64 = 24239;

fn signer() -> Signer {
    // Hardhat/Anvil dev account 0 (mnemonic "test test … junk", m/44'/60'/0'/0/0).
    let secret: B256 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        .parse()
        .expect("hex");
    Signer::new(secret).expect("valid key")
}

fn transfer(nonce: u64) -> TxEip1559 {
    eip1559(
        CHAIN,
        nonce,
        address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        U256::from(1),
        Bytes::new(),
        21_000,
        2_000_000_000,
        1,
    )
}

#[test]
fn known_key_derives_known_address() {
    assert_eq!(
        signer().address,
        address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );
}

#[test]
fn decodes_and_recovers_1559_and_legacy() {
    let s = signer();
    let raw = s.sign_1559(transfer(0));
    let tx = decode(&raw, CHAIN).expect("valid");
    assert_eq!(tx.sender, s.address);
    assert_eq!(tx.nonce(), 0);
    assert_eq!(tx.hash, alloy_primitives::keccak256(&raw));
    // The hash is taken from the received bytes; alloy computes it by encoding again.
    assert_eq!(tx.hash, *tx.envelope.tx_hash());

    let legacy = TxLegacy {
        chain_id: Some(CHAIN),
        nonce: 1,
        gas_price: 2_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(s.address),
        value: U256::ZERO,
        input: Bytes::new(),
    };
    let raw = s.sign_legacy(legacy);
    let tx = decode(&raw, CHAIN).expect("valid legacy");
    assert_eq!(tx.sender, s.address);
    assert_eq!(tx.hash, alloy_primitives::keccak256(&raw));
    assert_eq!(tx.hash, *tx.envelope.tx_hash());
    assert_eq!(tx.max_priority_fee_per_gas(), 2_000_000_000);
}

#[test]
fn refuses_what_geth_refuses() {
    let s = signer();
    let raw = s.sign_1559(transfer(0));

    let mut trailing = raw.to_vec();
    trailing.push(0);
    assert_eq!(
        decode(&trailing, CHAIN).unwrap_err(),
        TxError::TrailingBytes(1)
    );

    assert!(matches!(
        decode(&raw[..raw.len() - 3], CHAIN),
        Err(TxError::Rlp(_))
    ));
    assert!(matches!(
        decode(&[0xde, 0xad], CHAIN),
        Err(TxError::Rlp(_)) | Err(TxError::UnsupportedType(_))
    ));
    assert_eq!(
        decode(&raw, 1).unwrap_err(),
        TxError::WrongChainId {
            expected: 1,
            found: CHAIN
        }
    );

    let unprotected = TxLegacy {
        chain_id: None,
        gas_limit: 21_000,
        gas_price: 1,
        ..Default::default()
    };
    let raw_unprotected = s.sign_legacy(TxLegacy {
        to: TxKind::Call(s.address),
        ..unprotected
    });
    assert_eq!(
        decode(&raw_unprotected, CHAIN).unwrap_err(),
        TxError::Unprotected
    );

    let create = TxEip1559 {
        to: TxKind::Create,
        ..transfer(0)
    };
    assert_eq!(
        decode(&s.sign_1559(create), CHAIN).unwrap_err(),
        TxError::ContractCreation
    );

    let greedy_tip = TxEip1559 {
        max_priority_fee_per_gas: 3_000_000_000,
        ..transfer(0)
    };
    assert_eq!(
        decode(&s.sign_1559(greedy_tip), CHAIN).unwrap_err(),
        TxError::TipAboveFeeCap
    );

    let huge = vec![0u8; MAX_TX_BYTES + 1];
    assert!(matches!(
        decode(&huge, CHAIN),
        Err(TxError::Oversized { .. })
    ));
}

#[test]
fn high_s_signature_is_refused() {
    let s = signer();
    let tx = transfer(0);
    let sig = s.sign_hash(tx.signature_hash());
    // The same signature with s' = n - s and the parity flipped is valid on the curve but
    // malleable; EIP-2 forbids it.
    let n = U256::from_be_slice(&alloy_primitives::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let flipped = alloy_primitives::Signature::new(sig.r(), n - sig.s(), !sig.v());
    let raw: Bytes = TxEnvelope::from(tx.into_signed(flipped))
        .encoded_2718()
        .into();
    assert_eq!(decode(&raw, CHAIN).unwrap_err(), TxError::HighS);
}

#[test]
fn parallel_decode_matches_sequential() {
    let s = signer();
    let raws: Vec<Bytes> = (0..64).map(|n| s.sign_1559(transfer(n))).collect();
    let results = decode_all(&raws, CHAIN);
    for (n, result) in results.into_iter().enumerate() {
        let tx = result.expect("valid");
        assert_eq!(tx.nonce(), n as u64);
        assert_eq!(tx.sender, s.address);
    }
}
