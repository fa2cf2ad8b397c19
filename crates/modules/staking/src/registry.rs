//! The validator registry in state: records by index, lookups by consensus key and by CometBFT
//! address, the epoch's participation tally, and the slashings vector.

use alloy_primitives::{Address, B256};
use alloy_sol_types::SolValue;
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

use crate::{
    params::{FAR_FUTURE, StakingParams},
    state_key,
};

/// A validator: the spec's `Validator` plus its balance, jail state and this epoch's tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    pub index: u64,
    /// The ed25519 consensus key.
    pub pubkey: B256,
    /// From the 0x01 withdrawal credentials.
    pub withdrawal_address: Address,
    /// Where its priority fees go when it proposes (the withdrawal address unless genesis said
    /// otherwise).
    pub fee_recipient: Address,
    /// Gwei.
    pub balance: u64,
    /// Gwei, a whole number of increments.
    pub effective_balance: u64,
    pub slashed: bool,
    pub activation_eligibility_epoch: u64,
    pub activation_epoch: u64,
    pub exit_epoch: u64,
    pub withdrawable_epoch: u64,
    /// Jailed for downtime until this height (0: not jailed).
    pub jailed_until: u64,
    /// Voting power last handed to consensus.
    pub power: u64,
    /// Missed votes in the downtime window.
    pub missed_in_window: u64,
    /// This epoch: the first and last block whose commit counts its vote.
    pub tally_from: u64,
    pub tally_until: u64,
    /// This epoch: votes missed, and the signing increments of the blocks it missed.
    pub missed_blocks: u64,
    pub missed_weight: u64,
    /// This epoch: signing increments in the commits it included as proposer.
    pub proposed_weight: u64,
}

type Fields = (
    (u64, B256, Address, u64, u64, bool),
    (u64, u64, u64, u64, u64, u64),
    (u64, u64, u64, u64, u64, u64, Address),
);

impl Validator {
    pub fn new(index: u64, pubkey: B256, withdrawal_address: Address) -> Self {
        Self {
            index,
            pubkey,
            withdrawal_address,
            fee_recipient: withdrawal_address,
            balance: 0,
            effective_balance: 0,
            slashed: false,
            activation_eligibility_epoch: FAR_FUTURE,
            activation_epoch: FAR_FUTURE,
            exit_epoch: FAR_FUTURE,
            withdrawable_epoch: FAR_FUTURE,
            jailed_until: 0,
            power: 0,
            missed_in_window: 0,
            tally_from: FAR_FUTURE,
            tally_until: FAR_FUTURE,
            missed_blocks: 0,
            missed_weight: 0,
            proposed_weight: 0,
        }
    }

    fn encode(&self) -> Vec<u8> {
        let fields: Fields = (
            (
                self.index,
                self.pubkey,
                self.withdrawal_address,
                self.balance,
                self.effective_balance,
                self.slashed,
            ),
            (
                self.activation_eligibility_epoch,
                self.activation_epoch,
                self.exit_epoch,
                self.withdrawable_epoch,
                self.jailed_until,
                self.power,
            ),
            (
                self.missed_in_window,
                self.tally_from,
                self.tally_until,
                self.missed_blocks,
                self.missed_weight,
                self.proposed_weight,
                self.fee_recipient,
            ),
        );
        fields.abi_encode_params()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (a, b, c) = <Fields>::abi_decode_params(bytes).ok()?;
        Some(Self {
            index: a.0,
            pubkey: a.1,
            withdrawal_address: a.2,
            balance: a.3,
            effective_balance: a.4,
            slashed: a.5,
            activation_eligibility_epoch: b.0,
            activation_epoch: b.1,
            exit_epoch: b.2,
            withdrawable_epoch: b.3,
            jailed_until: b.4,
            power: b.5,
            missed_in_window: c.0,
            tally_from: c.1,
            tally_until: c.2,
            missed_blocks: c.3,
            missed_weight: c.4,
            proposed_weight: c.5,
            fee_recipient: c.6,
        })
    }

    /// `is_active_validator`.
    pub fn is_active(&self, epoch: u64) -> bool {
        self.activation_epoch <= epoch && epoch < self.exit_epoch
    }

    pub fn is_jailed(&self) -> bool {
        self.jailed_until > 0
    }

    /// The power consensus should give it in `epoch`: its effective balance in whole ETH while
    /// active, unslashed and not jailed.
    pub fn wanted_power(&self, p: &StakingParams, epoch: u64) -> u64 {
        if self.is_active(epoch) && !self.slashed && !self.is_jailed() {
            self.effective_balance / p.effective_balance_increment
        } else {
            0
        }
    }

    /// The CometBFT address of its consensus key: the first 20 bytes of sha256(pubkey).
    pub fn consensus_address(&self) -> [u8; 20] {
        consensus_address(&self.pubkey)
    }
}

pub fn consensus_address(pubkey: &B256) -> [u8; 20] {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(pubkey.as_slice());
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest[..20]);
    out
}

/// Reads of the registry.
pub trait RegistryRead: StateRead {
    fn staking_params(&self) -> Option<StakingParams> {
        self.get_raw(&state_key::params())
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    fn validator_count(&self) -> u64 {
        self.get_u64(&state_key::validator_count())
    }

    fn validator(&self, index: u64) -> Option<Validator> {
        self.get_raw(&state_key::validator(index))
            .and_then(|b| Validator::decode(&b))
    }

    fn validator_by_pubkey(&self, pubkey: &B256) -> Option<Validator> {
        let index = self.get_raw(&state_key::by_pubkey(pubkey))?;
        self.validator(u64::from_be_bytes(index.try_into().ok()?))
    }

    fn validator_by_address(&self, address: &[u8; 20]) -> Option<Validator> {
        let index = self.get_raw(&state_key::by_consensus_address(address))?;
        self.validator(u64::from_be_bytes(index.try_into().ok()?))
    }

    /// Every validator, in index order.
    fn validators(&self) -> Vec<Validator> {
        (0..self.validator_count())
            .filter_map(|i| self.validator(i))
            .collect()
    }

    /// Signing increments of each commit processed so far this epoch, in block order, starting
    /// at the epoch's first block.
    fn epoch_weights(&self) -> Vec<u64> {
        self.get_raw(&state_key::epoch_weights())
            .map(|b| {
                b.chunks_exact(8)
                    .map(|c| u64::from_be_bytes(c.try_into().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Effective balance slashed in each epoch of the slashings vector.
    fn slashings(&self, slot: u64) -> u64 {
        self.get_u64(&state_key::slashings(slot))
    }

    fn deposit_count(&self) -> u64 {
        self.get_u64(&state_key::deposit_count())
    }

    /// Where the withdrawals sweep resumes.
    fn next_withdrawal_validator(&self) -> u64 {
        self.get_u64(&state_key::next_withdrawal_validator())
    }

    /// Height from which withdrawals flow (governance may bring it forward).
    fn withdrawals_height(&self) -> u64 {
        match self.get_raw(&state_key::withdrawals_height()) {
            Some(b) => u64::from_be_bytes(b.try_into().unwrap_or([0xff; 8])),
            None => self
                .staking_params()
                .map_or(u64::MAX, |p| p.withdrawals_height),
        }
    }
}

impl<T: StateRead + ?Sized> RegistryRead for T {}

pub(crate) fn put_validator<S: StateWrite + ?Sized>(state: &mut S, v: &Validator) {
    state.put_raw(state_key::validator(v.index), v.encode());
}

/// Registers a new validator record (no balance yet) and its lookups.
pub(crate) fn register<S: StateWrite + ?Sized>(
    state: &mut S,
    pubkey: B256,
    withdrawal_address: Address,
) -> Validator {
    let index = state.validator_count();
    let v = Validator::new(index, pubkey, withdrawal_address);
    put_validator(state, &v);
    state.put_u64(state_key::validator_count(), index + 1);
    state.put_raw(state_key::by_pubkey(&pubkey), index.to_be_bytes().to_vec());
    state.put_raw(
        state_key::by_consensus_address(&v.consensus_address()),
        index.to_be_bytes().to_vec(),
    );
    v
}

pub(crate) fn put_epoch_weights<S: StateWrite + ?Sized>(state: &mut S, weights: &[u64]) {
    let bytes: Vec<u8> = weights.iter().flat_map(|w| w.to_be_bytes()).collect();
    if bytes.is_empty() {
        state.delete(state_key::epoch_weights());
    } else {
        state.put_raw(state_key::epoch_weights(), bytes);
    }
}

pub(crate) fn set_slashings<S: StateWrite + ?Sized>(state: &mut S, slot: u64, value: u64) {
    state.put_u64(state_key::slashings(slot), value);
}
