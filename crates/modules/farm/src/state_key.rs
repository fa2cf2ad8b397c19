//! Every key the farm module writes.

use alloy_primitives::Address;

pub fn reward_token() -> Vec<u8> {
    b"farm/reward_token".to_vec()
}

pub fn reward_per_block() -> Vec<u8> {
    b"farm/reward_per_block".to_vec()
}

pub fn total_alloc_point() -> Vec<u8> {
    b"farm/total_alloc".to_vec()
}

pub fn farm_count() -> Vec<u8> {
    b"farm/count".to_vec()
}

pub fn farm(pid: u64) -> Vec<u8> {
    [b"farm/pool/".as_slice(), &pid.to_be_bytes()].concat()
}

pub fn farm_by_token(token: &Address) -> Vec<u8> {
    [b"farm/by_token/".as_slice(), token.as_slice()].concat()
}

pub fn stake(pid: u64, user: &Address) -> Vec<u8> {
    [
        b"farm/stake/".as_slice(),
        &pid.to_be_bytes(),
        user.as_slice(),
    ]
    .concat()
}
