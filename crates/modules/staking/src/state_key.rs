//! Every key the staking module writes.

use alloy_primitives::B256;

pub fn params() -> Vec<u8> {
    b"staking/params".to_vec()
}

pub fn validator_count() -> Vec<u8> {
    b"staking/count".to_vec()
}

pub fn validator(index: u64) -> Vec<u8> {
    [b"staking/v/".as_slice(), &index.to_be_bytes()].concat()
}

pub fn by_pubkey(pubkey: &B256) -> Vec<u8> {
    [b"staking/pk/".as_slice(), pubkey.as_slice()].concat()
}

pub fn by_consensus_address(address: &[u8; 20]) -> Vec<u8> {
    [b"staking/addr/".as_slice(), address.as_slice()].concat()
}

/// The downtime window's missed-vote bits of one validator.
pub fn window(index: u64) -> Vec<u8> {
    [b"staking/window/".as_slice(), &index.to_be_bytes()].concat()
}

pub fn epoch_weights() -> Vec<u8> {
    b"staking/epoch_weights".to_vec()
}

pub fn slashings(slot: u64) -> Vec<u8> {
    [b"staking/slashings/".as_slice(), &slot.to_be_bytes()].concat()
}

pub fn deposit_count() -> Vec<u8> {
    b"staking/deposit_count".to_vec()
}

/// The incremental deposit tree's branch node at `level`.
pub fn deposit_branch(level: u64) -> Vec<u8> {
    [b"staking/deposit_branch/".as_slice(), &level.to_be_bytes()].concat()
}

pub fn next_withdrawal_validator() -> Vec<u8> {
    b"staking/next_withdrawal_validator".to_vec()
}

pub fn withdrawals_height() -> Vec<u8> {
    b"staking/withdrawals_height".to_vec()
}

/// The chain id, which every deposit's signing domain commits to.
pub fn chain_id() -> Vec<u8> {
    b"staking/chain_id".to_vec()
}

/// Gwei burned as validator penalties since genesis.
pub fn penalties_burned() -> Vec<u8> {
    b"staking/penalties_burned".to_vec()
}

/// How many withdrawals have been paid since genesis (the next one's EIP-4895 index).
pub fn next_withdrawal_index() -> Vec<u8> {
    b"staking/next_withdrawal_index".to_vec()
}

/// The consensus address of the block's proposer (set in `begin_block`).
pub fn proposer() -> Vec<u8> {
    b"staking/proposer".to_vec()
}

/// Keys whose power a transaction took away this block, for `end_block` to report.
pub fn pending_removals() -> Vec<u8> {
    b"staking/pending_removals".to_vec()
}
