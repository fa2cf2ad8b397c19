//! Types and integer math shared by every Sheaf crate. No I/O, no state.

pub mod amount;
pub mod math;

pub use alloy_primitives::{Address, B256, Bytes, U256, address, b256};

/// A block height. Height 0 is genesis.
pub type Height = u64;

/// 1 ETH in wei.
pub const ETHER: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
/// 1 gwei in wei.
pub const GWEI: u64 = 1_000_000_000;
