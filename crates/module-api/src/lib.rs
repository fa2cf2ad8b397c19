//! The contract between the app and its modules. A module is called with a [`CallEnv`] (who, with
//! how much ETH, in which block), an overlay it may write to, the ABI calldata and a log sink; it
//! returns ABI-encoded output or a [`Revert`]. The app owns the overlay: on a revert it throws the
//! module's writes and logs away, so a module never has to undo anything itself.

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{Revert as SolRevert, SolError, SolInterface};

/// Facts about the block being executed, the same for every transaction in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockContext {
    pub height: u64,
    /// Seconds since the Unix epoch, as decided by consensus (never read from a local clock).
    pub timestamp: u64,
    /// Where the proposer's priority fees go.
    pub proposer: Address,
    pub base_fee: u64,
}

/// One call into a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallEnv {
    /// `msg.sender`: the transaction's recovered signer.
    pub caller: Address,
    /// The address called (a token, or a module's system address).
    pub to: Address,
    /// `msg.value`, already moved from the caller to `to` before the module runs.
    pub value: U256,
    pub block: BlockContext,
}

/// A failed call. Its ABI encoding is what `eth_call` returns as revert data (error code 3) and
/// what a receipt's status 0 stands for; its `Display` is the person-readable reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Revert {
    /// Solidity's `Error(string)`.
    #[error("{0}")]
    Reason(String),
    /// A custom Solidity error from one of the `contracts/` interfaces.
    #[error("{message}")]
    Custom { data: Bytes, message: String },
}

impl Revert {
    pub fn reason(message: impl Into<String>) -> Self {
        Revert::Reason(message.into())
    }

    /// A custom error, with its Rust debug form as the readable message.
    pub fn custom<E: SolError + std::fmt::Debug>(error: E) -> Self {
        Revert::Custom {
            message: format!("{error:?}"),
            data: error.abi_encode().into(),
        }
    }

    /// The ABI-encoded revert data.
    pub fn data(&self) -> Bytes {
        match self {
            Revert::Reason(reason) => SolRevert::from(reason.as_str()).abi_encode().into(),
            Revert::Custom { data, .. } => data.clone(),
        }
    }
}

/// The 4-byte function selector that starts `data`, if there is one.
pub fn selector(data: &[u8]) -> Option<[u8; 4]> {
    data.get(..4).and_then(|s| s.try_into().ok())
}

/// Decodes calldata against an interface, turning an unknown selector or bad encoding into a
/// revert that says which.
pub fn decode_call<I: SolInterface>(data: &[u8]) -> Result<I, Revert> {
    if data.len() < 4 {
        return Err(Revert::reason(
            "calldata too short: expected a 4-byte function selector",
        ));
    }
    I::abi_decode(data).map_err(|_| {
        let selector = alloy_primitives::hex::encode_prefixed(&data[..4]);
        if I::valid_selector(data[..4].try_into().unwrap_or_default()) {
            Revert::reason(format!("malformed arguments for function {selector}"))
        } else {
            Revert::reason(format!("unknown function selector {selector}"))
        }
    })
}

/// Where a call's events go. The app assigns block-wide log indexes afterwards.
pub type Logs = Vec<Log>;

/// Ethereum's intrinsic gas (EIP-2028 calldata pricing): 21,000 plus 16 per non-zero and 4 per
/// zero byte of input.
pub fn intrinsic_gas(input: &[u8]) -> u64 {
    let zero = zero_bytes(input);
    let nonzero = input.len() as u64 - zero;
    21_000 + nonzero * 16 + zero * 4
}

/// Counted in byte-wide lanes, at most 255 bytes a run so a lane cannot overflow: counted into a
/// `usize` per byte, the count took a tenth of a swap's execution.
fn zero_bytes(input: &[u8]) -> u64 {
    input
        .chunks(255)
        .map(|run| run.iter().fold(0u8, |zeros, &b| zeros + u8::from(b == 0)) as u64)
        .sum()
}

/// The chain's clock in state: the height of the block being executed. The app sets it at the
/// start of every block; modules read it where no [`CallEnv`] reaches (a token transfer that
/// must checkpoint voting power). It is the only key outside any one module's namespace.
pub mod clock {
    use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

    fn key() -> Vec<u8> {
        b"chain/height".to_vec()
    }

    pub fn height<S: StateRead + ?Sized>(state: &S) -> u64 {
        state.get_u64(&key())
    }

    pub fn set_height<S: StateWrite + ?Sized>(state: &mut S, height: u64) {
        state.put_u64(key(), height);
    }
}

#[cfg(test)]
mod intrinsic_gas_tests {
    use super::*;

    /// The lane-wise count gives the plain count at every length around a run's end (255) and
    /// with every byte zero, none zero, or mixed.
    #[test]
    fn zero_bytes_are_counted_exactly() {
        for len in [0usize, 1, 31, 254, 255, 256, 510, 511, 1_000] {
            for fill in [|_: usize| 0u8, |_: usize| 7u8, |i: usize| (i % 3) as u8] {
                let input: Vec<u8> = (0..len).map(fill).collect();
                let zeros = input.iter().filter(|b| **b == 0).count() as u64;
                let want = 21_000 + zeros * 4 + (len as u64 - zeros) * 16;
                assert_eq!(intrinsic_gas(&input), want, "length {len}");
            }
        }
    }
}
