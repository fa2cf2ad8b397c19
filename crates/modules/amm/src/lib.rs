//! # amm
//!
//! Constant-product pools with exactly Uniswap V2's integer math (Uniswap/v2-core
//! `contracts/UniswapV2Pair.sol`). A pool's tokens are its bank balances at the pool's address;
//! like V2's pair, it works by balance difference: tokens are moved to the pool first, then
//! `mint`, `burn` or `swap` reads how much arrived. The LP token is an ERC-20 at the same address,
//! minted and burned only by this module.
//!
//! Invariants, checked by the tests after every operation: reserves equal the pool's token
//! holdings (until someone donates; `skim`/`sync` reconcile), `k = reserve0 * reserve1` never
//! falls in a swap, and LP supply only changes through `mint`, `burn` and the protocol fee.
//!
//! The Factory, Pair and Router02 ABIs are Uniswap V2's, unchanged (`calls`, `router`); ETH pairs
//! hold WETH (`weth`), which the router wraps and unwraps.

pub mod calls;
pub mod math;
mod pair;
pub mod router;
pub mod state_key;
pub mod weth;

use alloy_primitives::{Address, B256, Log, U256, keccak256};
use alloy_sol_types::SolValue;
use sheaf_abi::system::UNISWAP_V2_FACTORY;
use sheaf_bank::{BankRead, BankWrite, TokenMeta};
use sheaf_module_api::Revert;
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

pub use pair::{MINIMUM_LIQUIDITY, burn, mint, skim, swap, sync};

/// A pool's bookkeeping (what UniswapV2Pair keeps in storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    pub token0: Address,
    pub token1: Address,
    pub reserve0: U256,
    pub reserve1: U256,
    /// `block.timestamp mod 2^32` of the last reserve update.
    pub block_timestamp_last: u32,
    pub price0_cumulative_last: U256,
    pub price1_cumulative_last: U256,
    /// `reserve0 * reserve1` after the last liquidity event while the protocol fee is on.
    pub k_last: U256,
}

impl Pool {
    fn encode(&self) -> Vec<u8> {
        (
            self.token0,
            self.token1,
            self.reserve0,
            self.reserve1,
            U256::from(self.block_timestamp_last),
            self.price0_cumulative_last,
            self.price1_cumulative_last,
            self.k_last,
        )
            .abi_encode_params()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        type Fields = (Address, Address, U256, U256, U256, U256, U256, U256);
        let (token0, token1, reserve0, reserve1, ts, p0, p1, k_last) =
            <Fields>::abi_decode_params(bytes).ok()?;
        Some(Pool {
            token0,
            token1,
            reserve0,
            reserve1,
            block_timestamp_last: u32::try_from(ts).ok()?,
            price0_cumulative_last: p0,
            price1_cumulative_last: p1,
            k_last,
        })
    }
}

/// Orders two tokens as Uniswap does (by address), refusing identical or zero addresses.
pub fn sort_tokens(a: Address, b: Address) -> Result<(Address, Address), Revert> {
    if a == b {
        return Err(Revert::reason("UniswapV2: IDENTICAL_ADDRESSES"));
    }
    let (token0, token1) = if a < b { (a, b) } else { (b, a) };
    if token0 == Address::ZERO {
        return Err(Revert::reason("UniswapV2: ZERO_ADDRESS"));
    }
    Ok((token0, token1))
}

/// The pool address for a token pair, fixed before the pool exists: a CREATE2-style address of the
/// factory, salted with the sorted pair (as Uniswap's `pairFor`), so clients can compute it.
///
/// Every swap derives the address of each pool on its path, and the two keccaks that takes were a
/// fifth of a one-hop swap's execution; so each thread remembers the pairs it has derived. The
/// address is a pure function of the pair, so remembering it cannot change what any call does.
pub fn pair_address(token0: Address, token1: Address) -> Address {
    /// Pairs each thread remembers before it starts over; far more than the pools a block uses.
    const REMEMBERED: usize = 4096;
    thread_local! {
        static DERIVED: std::cell::RefCell<alloy_primitives::map::HashMap<(Address, Address), Address>> =
            std::cell::RefCell::default();
    }
    DERIVED.with_borrow_mut(|derived| {
        if let Some(pair) = derived.get(&(token0, token1)) {
            return *pair;
        }
        if derived.len() >= REMEMBERED {
            derived.clear();
        }
        let pair = derive_pair_address(token0, token1);
        derived.insert((token0, token1), pair);
        pair
    })
}

fn derive_pair_address(token0: Address, token1: Address) -> Address {
    let salt = keccak256([token0.as_slice(), token1.as_slice()].concat());
    UNISWAP_V2_FACTORY.create2(salt, POOL_INIT_CODE_HASH)
}

/// `keccak256("sheaf amm pool v1")`, the "init code hash" in pool addresses; a constant, because
/// every swap derives its pools' addresses and this hash was a third of that work.
pub const POOL_INIT_CODE_HASH: alloy_primitives::B256 =
    alloy_primitives::b256!("3d22e4b6c650ec91d38a76fdef9eccb5a05d2f70956b0455544e4d6772b3f64f");

/// Reads of amm state.
pub trait AmmRead: StateRead {
    fn pool(&self, pair: &Address) -> Option<Pool> {
        self.read_raw(&state_key::pool(pair), |bytes| bytes.and_then(Pool::decode))
    }

    fn get_pair(&self, a: &Address, b: &Address) -> Option<Address> {
        let (token0, token1) = sort_tokens(*a, *b).ok()?;
        let pair = pair_address(token0, token1);
        self.pool(&pair).map(|_| pair)
    }

    fn all_pairs_length(&self) -> u64 {
        self.get_u64(&state_key::pair_count())
    }

    fn pair_at(&self, index: u64) -> Option<Address> {
        self.get_raw(&state_key::pair_at(index))
            .map(|bytes| Address::from_slice(&bytes))
    }

    /// Where the protocol fee goes; zero means the fee is off.
    fn fee_to(&self) -> Address {
        self.get_raw(&state_key::fee_to())
            .map(|b| Address::from_slice(&b))
            .unwrap_or_default()
    }
}

impl<T: StateRead + ?Sized> AmmRead for T {}

pub(crate) fn put_pool<S: StateWrite + ?Sized>(state: &mut S, pair: &Address, pool: &Pool) {
    state.put_raw(state_key::pool(pair), pool.encode());
}

/// Sets the protocol-fee recipient (governance's call to make; zero turns the fee off).
pub fn set_fee_to<S: StateWrite>(state: &mut S, fee_to: Address) {
    if fee_to == Address::ZERO {
        state.delete(state_key::fee_to());
    } else {
        state.put_raw(state_key::fee_to(), fee_to.to_vec());
    }
}

/// Creates the pool for two existing tokens and its LP token. Returns the pool's address.
pub fn create_pair<S: StateWrite>(
    state: &mut S,
    a: Address,
    b: Address,
    logs: &mut Vec<Log>,
) -> Result<Address, Revert> {
    let (token0, token1) = sort_tokens(a, b)?;
    for token in [token0, token1] {
        if !state.is_token(&token) {
            return Err(Revert::reason(format!("UniswapV2: {token} is not a token")));
        }
    }
    let pair = pair_address(token0, token1);
    if state.pool(&pair).is_some() {
        return Err(Revert::reason("UniswapV2: PAIR_EXISTS"));
    }
    let pool = Pool {
        token0,
        token1,
        reserve0: U256::ZERO,
        reserve1: U256::ZERO,
        block_timestamp_last: 0,
        price0_cumulative_last: U256::ZERO,
        price1_cumulative_last: U256::ZERO,
        k_last: U256::ZERO,
    };
    put_pool(state, &pair, &pool);
    let index = state.all_pairs_length();
    state.put_raw(state_key::pair_at(index), pair.to_vec());
    state.put_u64(state_key::pair_count(), index + 1);
    let meta = TokenMeta {
        name: "Sheaf V2 LP".into(),
        symbol: "SHF-V2".into(),
        decimals: 18,
        minter: UNISWAP_V2_FACTORY,
    };
    state.create_token(pair, meta, &Address::ZERO, U256::ZERO, logs);
    logs.push(pair_created_log(token0, token1, pair, index + 1));
    Ok(pair)
}

/// `PairCreated(address indexed token0, address indexed token1, address pair, uint)`, as
/// Uniswap/v2-core's IUniswapV2Factory declares it.
fn pair_created_log(token0: Address, token1: Address, pair: Address, length: u64) -> Log {
    let signature = keccak256("PairCreated(address,address,address,uint256)");
    Log::new_unchecked(
        UNISWAP_V2_FACTORY,
        vec![
            signature,
            B256::left_padding_from(token0.as_slice()),
            B256::left_padding_from(token1.as_slice()),
        ],
        (pair, U256::from(length)).abi_encode_params().into(),
    )
}

#[cfg(test)]
mod pool_address_tests {
    use super::*;

    #[test]
    fn the_init_code_hash_constant_is_the_hash_of_its_label() {
        assert_eq!(POOL_INIT_CODE_HASH, keccak256(b"sheaf amm pool v1"));
    }

    /// Remembered addresses are the derived ones, on the first ask, the second, and after the
    /// thread has started over.
    #[test]
    fn remembered_pair_addresses_are_the_derived_ones() {
        let pair = |i: u32| {
            let token = |tag: u8| {
                let mut bytes = [tag; 20];
                bytes[16..].copy_from_slice(&i.to_be_bytes());
                Address::from(bytes)
            };
            (token(1), token(2))
        };
        let by_formula = |(token0, token1): (Address, Address)| {
            let salt = keccak256([token0.as_slice(), token1.as_slice()].concat());
            UNISWAP_V2_FACTORY.create2(salt, keccak256(b"sheaf amm pool v1"))
        };
        for round in 0..2 {
            for i in 0..5_000 {
                let (token0, token1) = pair(i);
                assert_eq!(
                    pair_address(token0, token1),
                    by_formula((token0, token1)),
                    "pair {i}, round {round}"
                );
            }
        }
    }
}
