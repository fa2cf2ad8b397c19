//! Keys the app itself owns: chain identity, parameters and per-block bookkeeping.

pub fn chain_id() -> Vec<u8> {
    b"app/chain_id".to_vec()
}

pub fn params() -> Vec<u8> {
    b"app/params".to_vec()
}

/// The base fee the next block will charge.
pub fn base_fee() -> Vec<u8> {
    b"app/base_fee".to_vec()
}

/// How many tokens genesis created (they are the first ones in the factory's list).
pub fn genesis_token_count() -> Vec<u8> {
    b"app/genesis_token_count".to_vec()
}

/// The layout version of the state this chain was created with.
pub fn state_version() -> Vec<u8> {
    b"app/state_version".to_vec()
}
