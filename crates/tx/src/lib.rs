//! Stateless transaction checks: everything that can be decided from the bytes alone (decoding,
//! type, chain id, signature, sizes) happens here, in parallel across cores, before execution.
//! Stateful checks (nonce, balance, base fee) happen inside execution, so nothing can change
//! between the check and the effect.

use alloy_consensus::{
    Transaction, TxEnvelope, crypto::SECP256K1N_HALF, transaction::SignerRecoverable,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use rayon::prelude::*;

/// geth's legacy pool limit on one transaction's encoded size.
pub const MAX_TX_BYTES: usize = 128 * 1024;

/// Why a transaction was refused before execution. The messages are geth's where geth has one,
/// because viem and ethers classify node errors by matching them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("oversized data: transaction size {size}, limit {limit}")]
    Oversized { size: usize, limit: usize },
    #[error("rlp: {0}")]
    Rlp(String),
    #[error("rlp: input contains more than one value ({0} trailing bytes)")]
    TrailingBytes(usize),
    #[error("transaction type not supported: {0}")]
    UnsupportedType(u8),
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    #[error("invalid chain id for signer: have {found} want {expected}")]
    WrongChainId { expected: u64, found: u64 },
    #[error("invalid transaction v, r, s values: s is above secp256k1n/2 (EIP-2)")]
    HighS,
    #[error("invalid sender: signature does not recover")]
    BadSignature,
    #[error(
        "contract creation is not supported: Sheaf has no EVM, send calls to a module's system address"
    )]
    ContractCreation,
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
}

/// A decoded transaction whose sender has been recovered and whose stateless rules hold.
#[derive(Debug, Clone)]
pub struct SignedTx {
    pub hash: B256,
    pub sender: Address,
    pub envelope: TxEnvelope,
    pub raw: Bytes,
}

impl SignedTx {
    pub fn nonce(&self) -> u64 {
        self.envelope.nonce()
    }
    pub fn gas_limit(&self) -> u64 {
        self.envelope.gas_limit()
    }
    /// The fee cap per gas: `maxFeePerGas`, or `gasPrice` for a legacy transaction.
    pub fn max_fee_per_gas(&self) -> u128 {
        self.envelope.max_fee_per_gas()
    }
    /// The tip cap per gas; a legacy transaction offers its whole gas price as tip.
    pub fn max_priority_fee_per_gas(&self) -> u128 {
        self.envelope
            .max_priority_fee_per_gas()
            .unwrap_or_else(|| self.envelope.max_fee_per_gas())
    }
    /// What the sender pays per gas at `base_fee`: base fee plus as much tip as the cap allows.
    pub fn effective_gas_price(&self, base_fee: u64) -> u128 {
        let base = base_fee as u128;
        let tip = self
            .max_priority_fee_per_gas()
            .min(self.max_fee_per_gas().saturating_sub(base));
        base + tip
    }
    /// The recipient; contract creation is refused at decode, so there always is one.
    pub fn to(&self) -> Address {
        match self.envelope.kind() {
            TxKind::Call(to) => to,
            TxKind::Create => Address::ZERO,
        }
    }
    pub fn value(&self) -> U256 {
        self.envelope.value()
    }
    pub fn input(&self) -> &Bytes {
        self.envelope.input()
    }
    pub fn tx_type(&self) -> u8 {
        self.envelope.tx_type() as u8
    }
    /// The most the transaction can cost its sender: `gas_limit * fee cap + value`.
    pub fn max_cost(&self) -> U256 {
        U256::from(self.gas_limit()) * U256::from(self.max_fee_per_gas()) + self.value()
    }
}

/// Decodes and checks one raw transaction (the bytes `eth_sendRawTransaction` receives).
pub fn decode(raw: &[u8], chain_id: u64) -> Result<SignedTx, TxError> {
    decode_hashed(raw, keccak256(raw), chain_id)
}

/// [`decode`] for a caller that has already hashed `raw`, as a cache lookup by hash must.
///
/// A transaction's hash is the keccak of its EIP-2718 encoding. The RLP decoder accepts only
/// canonical encodings and trailing bytes are refused, so `raw` is that encoding and its hash
/// is the transaction hash, without encoding the transaction again to hash it.
pub fn decode_hashed(raw: &[u8], hash: B256, chain_id: u64) -> Result<SignedTx, TxError> {
    if raw.len() > MAX_TX_BYTES {
        return Err(TxError::Oversized {
            size: raw.len(),
            limit: MAX_TX_BYTES,
        });
    }
    let mut buf = raw;
    let envelope = TxEnvelope::decode_2718(&mut buf).map_err(|e| TxError::Rlp(e.to_string()))?;
    if !buf.is_empty() {
        return Err(TxError::TrailingBytes(buf.len()));
    }
    match &envelope {
        TxEnvelope::Legacy(_) | TxEnvelope::Eip1559(_) => {}
        other => return Err(TxError::UnsupportedType(other.tx_type() as u8)),
    }
    match envelope.chain_id() {
        None => return Err(TxError::Unprotected),
        Some(found) if found != chain_id => {
            return Err(TxError::WrongChainId {
                expected: chain_id,
                found,
            });
        }
        Some(_) => {}
    }
    if envelope.kind().is_create() {
        return Err(TxError::ContractCreation);
    }
    if let Some(tip) = envelope.max_priority_fee_per_gas()
        && tip > envelope.max_fee_per_gas()
    {
        return Err(TxError::TipAboveFeeCap);
    }
    if envelope.signature().s() > SECP256K1N_HALF {
        return Err(TxError::HighS);
    }
    let sender = envelope
        .recover_signer()
        .map_err(|_| TxError::BadSignature)?;
    Ok(SignedTx {
        hash,
        sender,
        envelope,
        raw: Bytes::copy_from_slice(raw),
    })
}

/// Decodes many transactions, recovering senders on every core.
pub fn decode_all(raws: &[Bytes], chain_id: u64) -> Vec<Result<SignedTx, TxError>> {
    raws.par_iter()
        .with_max_len(RECOVERY_PIECE)
        .map(|raw| decode(raw, chain_id))
        .collect()
}

/// The most transactions one thread recovers without letting another steal part of them.
/// Left to itself rayon cuts a slice into a few large pieces, and a core that finishes early
/// idles while another works through a thousand recoveries (about 40 µs each) on its own.
pub const RECOVERY_PIECE: usize = 16;

#[cfg(test)]
mod tests;

pub mod sign;
