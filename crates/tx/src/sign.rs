//! Signing for the CLI, the benchmark and tests: the same libsecp256k1 backend alloy recovers with.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};

/// A secp256k1 secret key with its Ethereum address.
#[derive(Clone)]
pub struct Signer {
    secret: B256,
    pub address: Address,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid secret key: must be 32 bytes, non-zero and below the curve order")]
pub struct InvalidKey;

impl Signer {
    pub fn new(secret: B256) -> Result<Self, InvalidKey> {
        let key = secp256k1::SecretKey::from_slice(secret.as_slice()).map_err(|_| InvalidKey)?;
        let public = secp256k1::PublicKey::from_secret_key(secp256k1::SECP256K1, &key);
        let address = alloy_consensus::crypto::secp256k1::public_key_to_address(public);
        Ok(Self { secret, address })
    }

    /// A fresh key from the operating system's randomness.
    pub fn random() -> Self {
        loop {
            let key = secp256k1::SecretKey::new(&mut secp256k1::rand::thread_rng());
            if let Ok(signer) = Self::new(B256::from(key.secret_bytes())) {
                return signer;
            }
        }
    }

    pub fn secret(&self) -> B256 {
        self.secret
    }

    pub fn sign_hash(&self, hash: B256) -> alloy_primitives::Signature {
        // The secret was validated in `new`, so signing cannot fail.
        alloy_consensus::crypto::secp256k1::sign_message(self.secret, hash)
            .expect("secret key validated at construction")
    }

    /// Signs an EIP-1559 transaction and returns its EIP-2718 encoding.
    pub fn sign_1559(&self, tx: TxEip1559) -> Bytes {
        let signature = self.sign_hash(tx.signature_hash());
        TxEnvelope::from(tx.into_signed(signature))
            .encoded_2718()
            .into()
    }

    /// Signs an EIP-155 legacy transaction and returns its RLP encoding.
    pub fn sign_legacy(&self, tx: TxLegacy) -> Bytes {
        let signature = self.sign_hash(tx.signature_hash());
        TxEnvelope::from(tx.into_signed(signature))
            .encoded_2718()
            .into()
    }
}

/// Fields of a call, for building EIP-1559 transactions tersely.
#[allow(clippy::too_many_arguments)] // one argument per transaction field
pub fn eip1559(
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
    input: Bytes,
    gas_limit: u64,
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas,
        max_priority_fee_per_gas,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input,
    }
}
