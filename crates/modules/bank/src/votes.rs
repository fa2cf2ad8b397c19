//! Delegated voting power for tokens that track it (GOV), with OpenZeppelin v5 ERC20Votes semantics:
//! a holder's balance counts as votes only for the account it delegated to; every balance move
//! moves delegated votes; each change is checkpointed at the current block so any past block's
//! votes and total supply can be read back. The clock is the block number
//! (`sheaf_module_api::clock`).
//!
//! Reading the past, never the present, is what makes governance safe against flash loans: a
//! proposal weighs votes at its snapshot block, and `getPastVotes` refuses any block that is not
//! yet over (`ERC5805FutureLookup`).

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use sheaf_abi::IVotes::{self, IVotesCalls};
use sheaf_module_api::{CallEnv, Revert, clock, decode_call, selector};
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

use crate::state_key;

/// One entry of a vote history: from block `block` on, the value was `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub block: u64,
    pub value: U256,
}

impl Checkpoint {
    fn encode(&self) -> Vec<u8> {
        let mut out = self.block.to_be_bytes().to_vec();
        out.extend_from_slice(&self.value.to_be_bytes::<32>());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let block = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let value = U256::try_from_be_slice(bytes.get(8..)?)?;
        Some(Self { block, value })
    }
}

/// The account whose checkpoints record a token's total supply. No one can delegate to it.
const SUPPLY: Address = Address::ZERO;

pub fn has_votes<S: StateRead + ?Sized>(state: &S, token: &Address) -> bool {
    state.read_raw(&state_key::votes_enabled(token), |bytes| bytes.is_some())
}

/// Whom `account` delegates its votes to (zero: nobody, so its balance does not vote).
pub fn delegates<S: StateRead + ?Sized>(state: &S, token: &Address, account: &Address) -> Address {
    state
        .get_raw(&state_key::delegate(token, account))
        .map(|b| Address::from_slice(&b))
        .unwrap_or_default()
}

pub fn num_checkpoints<S: StateRead + ?Sized>(
    state: &S,
    token: &Address,
    account: &Address,
) -> u64 {
    state.get_u64(&state_key::checkpoint_count(token, account))
}

pub fn checkpoint_at<S: StateRead + ?Sized>(
    state: &S,
    token: &Address,
    account: &Address,
    index: u64,
) -> Option<Checkpoint> {
    state
        .get_raw(&state_key::checkpoint(token, account, index))
        .and_then(|b| Checkpoint::decode(&b))
}

fn latest<S: StateRead + ?Sized>(state: &S, token: &Address, account: &Address) -> U256 {
    match num_checkpoints(state, token, account) {
        0 => U256::ZERO,
        n => checkpoint_at(state, token, account, n - 1).map_or(U256::ZERO, |c| c.value),
    }
}

/// The value in force at the end of block `block`: the last checkpoint at or before it, found by
/// binary search (O(log n) reads).
fn at_block<S: StateRead + ?Sized>(
    state: &S,
    token: &Address,
    account: &Address,
    block: u64,
) -> U256 {
    let (mut low, mut high) = (0u64, num_checkpoints(state, token, account));
    while low < high {
        let mid = low + (high - low) / 2;
        let entry_block = checkpoint_at(state, token, account, mid).map_or(u64::MAX, |c| c.block);
        if entry_block > block {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    match high {
        0 => U256::ZERO,
        n => checkpoint_at(state, token, account, n - 1).map_or(U256::ZERO, |c| c.value),
    }
}

/// `account`'s current votes.
pub fn votes<S: StateRead + ?Sized>(state: &S, token: &Address, account: &Address) -> U256 {
    if *account == SUPPLY {
        return U256::ZERO;
    }
    latest(state, token, account)
}

/// Refuses a block that is not over yet: its votes may still change within it.
fn require_past(timepoint: u64, now: u64) -> Result<(), Revert> {
    if timepoint >= now {
        return Err(Revert::custom(IVotes::ERC5805FutureLookup {
            timepoint: U256::from(timepoint),
            clock: alloy_primitives::aliases::U48::saturating_from(now),
        }));
    }
    Ok(())
}

/// `account`'s votes at the end of block `timepoint`, which must be before `now`.
pub fn past_votes<S: StateRead + ?Sized>(
    state: &S,
    token: &Address,
    account: &Address,
    timepoint: u64,
    now: u64,
) -> Result<U256, Revert> {
    require_past(timepoint, now)?;
    if *account == SUPPLY {
        return Ok(U256::ZERO);
    }
    Ok(at_block(state, token, account, timepoint))
}

/// The token's total supply at the end of block `timepoint`, which must be before `now`.
pub fn past_total_supply<S: StateRead + ?Sized>(
    state: &S,
    token: &Address,
    timepoint: u64,
    now: u64,
) -> Result<U256, Revert> {
    require_past(timepoint, now)?;
    Ok(at_block(state, token, &SUPPLY, timepoint))
}

/// Records `value` for `account` at the current block: a second change in the same block
/// overwrites that block's checkpoint, so each block has at most one.
fn push<S: StateWrite + ?Sized>(state: &mut S, token: &Address, account: &Address, value: U256) {
    let block = clock::height(state);
    let n = num_checkpoints(state, token, account);
    let last = n
        .checked_sub(1)
        .and_then(|i| checkpoint_at(state, token, account, i));
    let index = match last {
        Some(c) if c.block == block => n - 1,
        _ => {
            state.put_u64(state_key::checkpoint_count(token, account), n + 1);
            n
        }
    };
    state.put_raw(
        state_key::checkpoint(token, account, index),
        Checkpoint { block, value }.encode(),
    );
}

/// Moves `amount` votes between two delegates (zero meaning none), checkpointing both.
fn move_votes<S: StateWrite + ?Sized>(
    state: &mut S,
    token: &Address,
    from: Address,
    to: Address,
    amount: U256,
    logs: &mut Vec<Log>,
) {
    if from == to || amount.is_zero() {
        return;
    }
    for (delegate, gains) in [(from, false), (to, true)] {
        if delegate == Address::ZERO {
            continue;
        }
        let previous = latest(state, token, &delegate);
        // Cannot wrap: a delegate's votes are part of the supply, which bank keeps below 2^256,
        // and it only loses votes it was given.
        let new = if gains {
            previous + amount
        } else {
            previous - amount
        };
        push(state, token, &delegate, new);
        logs.push(Log {
            address: *token,
            data: IVotes::DelegateVotesChanged {
                delegate,
                previousVotes: previous,
                newVotes: new,
            }
            .encode_log_data(),
        });
    }
}

/// Called by bank after every balance change of a token: `from`/`to` zero mean mint/burn.
pub(crate) fn after_balance_move<S: StateWrite + ?Sized>(
    state: &mut S,
    token: &Address,
    from: &Address,
    to: &Address,
    amount: U256,
    logs: &mut Vec<Log>,
) {
    if amount.is_zero() || !has_votes(state, token) {
        return;
    }
    if *from == Address::ZERO || *to == Address::ZERO {
        let supply = crate::BankRead::token_supply(state, token);
        push(state, token, &SUPPLY, supply);
    }
    let from_delegate = delegates(state, token, from);
    let to_delegate = delegates(state, token, to);
    move_votes(state, token, from_delegate, to_delegate, amount, logs);
}

/// Turns vote tracking on for a token. Safe at any time: no one can have delegated before, so
/// no votes exist yet, and the supply history starts here.
pub fn enable<S: StateWrite + ?Sized>(state: &mut S, token: &Address) {
    state.put_raw(state_key::votes_enabled(token), vec![1]);
    let supply = crate::BankRead::token_supply(state, token);
    push(state, token, &SUPPLY, supply);
}

/// `delegator` hands all of its current and future balance's votes to `delegatee`.
pub fn delegate<S: StateWrite + ?Sized>(
    state: &mut S,
    token: &Address,
    delegator: &Address,
    delegatee: &Address,
    logs: &mut Vec<Log>,
) {
    let previous = delegates(state, token, delegator);
    if *delegatee == Address::ZERO {
        state.delete(state_key::delegate(token, delegator));
    } else {
        state.put_raw(state_key::delegate(token, delegator), delegatee.to_vec());
    }
    logs.push(Log {
        address: *token,
        data: IVotes::DelegateChanged {
            delegator: *delegator,
            fromDelegate: previous,
            toDelegate: *delegatee,
        }
        .encode_log_data(),
    });
    let balance = crate::BankRead::token_balance(state, token, delegator);
    move_votes(state, token, previous, *delegatee, balance, logs);
}

/// True if `data` calls one of the IVotes functions (the rest of the token's calls are ERC-20).
pub fn is_votes_call(data: &[u8]) -> bool {
    selector(data).is_some_and(<IVotesCalls as SolInterface>::valid_selector)
}

pub fn gas(data: &[u8]) -> u64 {
    match selector(data) {
        Some(IVotes::delegateCall::SELECTOR) => 20_000,
        _ => 0,
    }
}

/// Executes an IVotes call at a token that tracks votes.
pub fn call<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    let token = env.to;
    if !env.value.is_zero() {
        return Err(Revert::reason("IVotes functions are not payable"));
    }
    let now = env.block.height;
    let to_u64 = |t: U256| u64::try_from(t).unwrap_or(u64::MAX);
    let output = match decode_call::<IVotesCalls>(data)? {
        IVotesCalls::getVotes(c) => {
            IVotes::getVotesCall::abi_encode_returns(&votes(state, &token, &c.account))
        }
        IVotesCalls::getPastVotes(c) => IVotes::getPastVotesCall::abi_encode_returns(&past_votes(
            state,
            &token,
            &c.account,
            to_u64(c.timepoint),
            now,
        )?),
        IVotesCalls::getPastTotalSupply(c) => IVotes::getPastTotalSupplyCall::abi_encode_returns(
            &past_total_supply(state, &token, to_u64(c.timepoint), now)?,
        ),
        IVotesCalls::delegates(c) => {
            IVotes::delegatesCall::abi_encode_returns(&delegates(state, &token, &c.account))
        }
        IVotesCalls::delegate(c) => {
            delegate(state, &token, &env.caller, &c.delegatee, logs);
            Vec::new()
        }
        IVotesCalls::numCheckpoints(c) => {
            let n = num_checkpoints(state, &token, &c.account);
            IVotes::numCheckpointsCall::abi_encode_returns(&u32::try_from(n).unwrap_or(u32::MAX))
        }
        IVotesCalls::checkpoints(c) => {
            let entry = (c.account != SUPPLY)
                .then(|| checkpoint_at(state, &token, &c.account, u64::from(c.pos)))
                .flatten()
                .ok_or_else(|| Revert::reason("checkpoint index out of range"))?;
            IVotes::checkpointsCall::abi_encode_returns(&IVotes::Checkpoint208 {
                _key: alloy_primitives::aliases::U48::saturating_from(entry.block),
                _value: alloy_primitives::aliases::U208::saturating_from(entry.value),
            })
        }
        IVotesCalls::clock(_) => IVotes::clockCall::abi_encode_returns(
            &alloy_primitives::aliases::U48::saturating_from(now),
        ),
        IVotesCalls::CLOCK_MODE(_) => {
            IVotes::CLOCK_MODECall::abi_encode_returns(&"mode=blocknumber&from=default".to_string())
        }
    };
    Ok(output.into())
}
