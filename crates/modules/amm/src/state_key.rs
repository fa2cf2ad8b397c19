//! Every key the amm module writes.

use alloy_primitives::Address;

pub fn pool(pair: &Address) -> Vec<u8> {
    [b"amm/pool/".as_slice(), pair.as_slice()].concat()
}

pub fn pair_count() -> Vec<u8> {
    b"amm/pair_count".to_vec()
}

pub fn pair_at(index: u64) -> Vec<u8> {
    [b"amm/pair_at/".as_slice(), &index.to_be_bytes()].concat()
}

pub fn fee_to() -> Vec<u8> {
    b"amm/fee_to".to_vec()
}
