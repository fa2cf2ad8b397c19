use alloy_primitives::U256;

use crate::{StateRead, StateWrite};

/// Typed reads every module uses. Integers are stored big-endian so that byte order is numeric
/// order, and a missing number reads as zero (the same convention as EVM storage).
pub trait StateReadExt: StateRead {
    fn get_u256(&self, key: &[u8]) -> U256 {
        self.read_raw(key, |bytes| {
            bytes.map(U256::from_be_slice).unwrap_or_default()
        })
    }

    fn get_u64(&self, key: &[u8]) -> u64 {
        self.read_raw(key, |bytes| {
            bytes
                .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
                .map(u64::from_be_bytes)
                .unwrap_or_default()
        })
    }
}

impl<T: StateRead + ?Sized> StateReadExt for T {}

/// Typed writes. Writing zero deletes the key, so an emptied balance leaves no trace in the tree
/// and two histories that end in the same balances end in the same app hash.
pub trait StateWriteExt: StateWrite {
    fn put_u256(&mut self, key: Vec<u8>, value: U256) {
        if value.is_zero() {
            self.delete(key);
        } else {
            self.put_raw(key, value.to_be_bytes_trimmed_vec());
        }
    }

    fn put_u64(&mut self, key: Vec<u8>, value: u64) {
        if value == 0 {
            self.delete(key);
        } else {
            self.put_raw(key, value.to_be_bytes().to_vec());
        }
    }
}

impl<T: StateWrite + ?Sized> StateWriteExt for T {}
