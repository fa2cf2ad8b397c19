//! Every key the gov module writes: governance staking under `gov/stk/`, the governor under
//! `gov/gvn/`.

use alloy_primitives::{Address, U256};

pub fn staking_token() -> Vec<u8> {
    b"gov/stk/staking_token".to_vec()
}

pub fn gov_token() -> Vec<u8> {
    b"gov/stk/gov_token".to_vec()
}

pub fn gov_per_block() -> Vec<u8> {
    b"gov/stk/gov_per_block".to_vec()
}

/// The single staking pool's accumulator, last update and total stake.
pub fn pool() -> Vec<u8> {
    b"gov/stk/pool".to_vec()
}

pub fn stake(user: &Address) -> Vec<u8> {
    [b"gov/stk/stake/".as_slice(), user.as_slice()].concat()
}

pub fn cooldown(user: &Address) -> Vec<u8> {
    [b"gov/stk/cool/".as_slice(), user.as_slice()].concat()
}

/// A numeric parameter by name (governor and staking parameters alike).
pub fn param(name: &str) -> Vec<u8> {
    [b"gov/param/".as_slice(), name.as_bytes()].concat()
}

pub fn proposal(id: &U256) -> Vec<u8> {
    [b"gov/gvn/prop/".as_slice(), &id.to_be_bytes::<32>()].concat()
}

pub fn proposal_count() -> Vec<u8> {
    b"gov/gvn/count".to_vec()
}

pub fn proposal_at(index: u64) -> Vec<u8> {
    [b"gov/gvn/index/".as_slice(), &index.to_be_bytes()].concat()
}

pub fn receipt(id: &U256, voter: &Address) -> Vec<u8> {
    [
        b"gov/gvn/vote/".as_slice(),
        &id.to_be_bytes::<32>(),
        voter.as_slice(),
    ]
    .concat()
}
