//! Validator lifecycles driven through `finalize_block` on the dev genesis (10-block epochs,
//! withdrawals from height 300): deposit → active → rewards; offline → penalties → jail →
//! unjail; double sign → slashed, forced exit, correlation penalty, withdrawn only after the delay;
//! voluntary exit → withdrawal after the upgrade. ETH is conserved at every block.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use sheaf_abi::{IDepositContract, IStaking, system::DEPOSIT_CONTRACT};
use sheaf_app::{Genesis, Misbehavior, MisbehaviorKind, genesis::DEV_KEYS, test_node::TestNode};
use sheaf_bank::BankRead;
use sheaf_primitives::ETHER;
use sheaf_staking::{GWEI_PER_ETH, RegistryRead, Validator, deposit};
use sheaf_tx::sign::Signer;

const CHAIN: u64 = 24239;
const T0: u64 = 1_700_000_000;

struct Chain {
    node: TestNode,
    genesis_supply: U256,
}

impl Chain {
    fn new() -> Self {
        let node = TestNode::new(&Genesis::dev(T0));
        let genesis_supply = node.snapshot().eth_supply();
        Chain {
            node,
            genesis_supply,
        }
    }

    fn send<C: SolCall>(
        &mut self,
        from: usize,
        to: Address,
        value: U256,
        call: C,
    ) -> (bool, String) {
        let signer = Signer::new(DEV_KEYS[from].1).expect("key");
        let outcome = self
            .node
            .execute_one(&signer, to, value, call.abi_encode(), 500_000);
        self.check_books();
        outcome
    }

    /// Produces empty blocks, checking the books after each.
    fn blocks(&mut self, n: u64) {
        for _ in 0..n {
            self.node.produce_block(vec![]);
            self.check_books();
        }
    }

    fn until_height(&mut self, height: u64) {
        let now = self.node.height();
        if height > now {
            self.blocks(height - now);
        }
    }

    /// ETH is conserved exactly: supply = genesis + issued − burned, and the deposit contract
    /// holds exactly the validators' balances.
    fn check_books(&self) {
        let s = self.node.snapshot();
        assert_eq!(
            s.eth_supply(),
            self.genesis_supply + s.eth_issued() - s.eth_burned()
        );
        let staked: u64 = s.validators().iter().map(|v| v.balance).sum();
        assert_eq!(
            s.eth_balance(&DEPOSIT_CONTRACT),
            U256::from(staked) * U256::from(GWEI_PER_ETH)
        );
    }

    fn validator(&self, pubkey: &B256) -> Validator {
        self.node
            .snapshot()
            .validator_by_pubkey(pubkey)
            .expect("registered")
    }

    fn status(&mut self, pubkey: &B256) -> IStaking::Status {
        let s = self.node.snapshot();
        let v = s.validator_by_pubkey(pubkey).expect("registered");
        let p = sheaf_staking::params(&s);
        sheaf_staking::calls::status(&v, &p, (self.node.height() + 1) / p.epoch_blocks)
    }

    /// Deposits `eth` for the key with seed `seed`, withdrawal address dev `owner`.
    fn deposit(&mut self, seed: u8, owner: usize, eth: u64) -> (B256, (bool, String)) {
        let credentials = deposit::address_credentials(&DEV_KEYS[owner].0);
        let gwei = eth * GWEI_PER_ETH;
        let (pubkey, signature) = deposit::sign_deposit(CHAIN, &[seed; 32], &credentials, gwei);
        let root = deposit::deposit_data_root(&pubkey, &credentials, gwei, &signature);
        let call = IDepositContract::depositCall {
            pubkey: Bytes::copy_from_slice(pubkey.as_slice()),
            withdrawal_credentials: Bytes::copy_from_slice(credentials.as_slice()),
            signature: Bytes::copy_from_slice(&signature),
            deposit_data_root: B256::from(root),
        };
        let outcome = self.send(owner, DEPOSIT_CONTRACT, U256::from(eth) * ETHER, call);
        (pubkey, outcome)
    }

    fn in_consensus(&self, pubkey: &B256) -> bool {
        self.node
            .set_at(self.node.height() + 1)
            .contains_key(pubkey)
    }

    /// Deposits 32 ETH and runs blocks until the validator is in the consensus set.
    fn active_validator(&mut self, seed: u8, owner: usize) -> B256 {
        let (pubkey, (ok, why)) = self.deposit(seed, owner, 32);
        assert!(ok, "{why}");
        for _ in 0..60 {
            if self.in_consensus(&pubkey) {
                return pubkey;
            }
            self.blocks(1);
        }
        panic!("never activated: {:?}", self.validator(&pubkey));
    }
}

#[test]
fn deposit_activates_and_earns() {
    let mut c = Chain::new();
    // A bad proof of possession reverts: the ETH stays with the sender.
    let credentials = deposit::address_credentials(&DEV_KEYS[3].0);
    let (pubkey, mut signature) =
        deposit::sign_deposit(CHAIN, &[1; 32], &credentials, 32 * GWEI_PER_ETH);
    signature[0] ^= 1;
    let root = deposit::deposit_data_root(&pubkey, &credentials, 32 * GWEI_PER_ETH, &signature);
    let bad = IDepositContract::depositCall {
        pubkey: Bytes::copy_from_slice(pubkey.as_slice()),
        withdrawal_credentials: Bytes::copy_from_slice(credentials.as_slice()),
        signature: Bytes::copy_from_slice(&signature),
        deposit_data_root: B256::from(root),
    };
    let (ok, why) = c.send(3, DEPOSIT_CONTRACT, U256::from(32u64) * ETHER, bad);
    assert!(!ok && why.contains("proof of possession"), "{why}");
    assert!(c.node.snapshot().validator_by_pubkey(&pubkey).is_none());

    // 16 ETH: registered, pending; a top-up of 16 makes it eligible, then active.
    let (pubkey, (ok, why)) = c.deposit(2, 3, 16);
    assert!(ok, "{why}");
    assert_eq!(c.status(&pubkey), IStaking::Status::Pending);
    let (_, (ok, why)) = c.deposit(2, 3, 16);
    assert!(ok, "{why}");
    assert_eq!(c.validator(&pubkey).balance, 32 * GWEI_PER_ETH);
    assert_eq!(c.node.snapshot().deposit_count(), 2);
    for _ in 0..40 {
        if c.in_consensus(&pubkey) {
            break;
        }
        c.blocks(1);
    }
    assert!(c.in_consensus(&pubkey), "{:?}", c.validator(&pubkey));
    assert_eq!(c.status(&pubkey), IStaking::Status::Active);
    assert_eq!(c.node.set_at(c.node.height() + 1)[&pubkey], 32);
    // Two full epochs online earn rewards.
    c.blocks(20);
    assert!(c.validator(&pubkey).balance > 32 * GWEI_PER_ETH);
}

#[test]
fn offline_validator_is_penalised_jailed_and_can_unjail() {
    let mut c = Chain::new();
    let pubkey = c.active_validator(4, 4);
    c.blocks(10);
    let before = c.validator(&pubkey).balance;
    c.node.set_offline(pubkey, true);
    // Threshold 10 of a 20-block window: nine misses do not jail.
    c.blocks(9);
    assert!(!c.validator(&pubkey).is_jailed());
    c.node.set_offline(pubkey, false);
    c.blocks(20);
    assert!(!c.validator(&pubkey).is_jailed());
    assert!(
        c.validator(&pubkey).balance < before + 20_000_000,
        "missed blocks cost"
    );

    c.node.set_offline(pubkey, true);
    c.blocks(10);
    let v = c.validator(&pubkey);
    assert!(v.is_jailed(), "ten misses jail: {v:?}");
    assert_eq!(v.power, 0);
    // The jailing is recorded with the block it happened in, for `sheaf_systemEvents`.
    let jailed_events = (c.node.height() - 10..=c.node.height())
        .filter_map(|h| c.node.app.shared().chain().block(h).expect("read"))
        .flat_map(|b| b.system_logs)
        .filter_map(|log| {
            <IStaking::ValidatorJailed as alloy_sol_types::SolEvent>::decode_log_data(&log.data)
                .ok()
        })
        .filter(|e| e.index == v.index)
        .count();
    assert_eq!(jailed_events, 1);
    c.blocks(2);
    assert!(!c.in_consensus(&pubkey));
    assert_eq!(c.status(&pubkey), IStaking::Status::Jailed);

    // Unjail waits for the jail time, and only the withdrawal address may ask.
    let unjail = IStaking::unjailCall { pubkey };
    let (ok, why) = c.send(4, DEPOSIT_CONTRACT, U256::ZERO, unjail.clone());
    assert!(!ok && why.contains("jailed until"), "{why}");
    let (ok, why) = c.send(5, DEPOSIT_CONTRACT, U256::ZERO, unjail.clone());
    assert!(!ok && why.contains("NotWithdrawalAddress"), "{why}");
    c.until_height(v.jailed_until);
    c.node.set_offline(pubkey, false);
    let (ok, why) = c.send(4, DEPOSIT_CONTRACT, U256::ZERO, unjail);
    assert!(ok, "{why}");
    c.blocks(12);
    assert!(c.in_consensus(&pubkey), "back after the next epoch");
}

#[test]
fn double_sign_slashes_once_and_withdraws_only_after_the_delay() {
    let mut c = Chain::new();
    // Five validators of 32 ETH, so one slashing alone is a fifth of the stake: the correlation
    // penalty (3 x 32 ETH over what is still active) takes most but not all of it.
    let pubkey = c.active_validator(5, 5);
    for (seed, owner) in [(7, 7), (8, 8), (9, 9)] {
        c.active_validator(seed, owner);
    }
    c.blocks(5);
    let address = sheaf_staking::consensus_address(&pubkey);
    let evidence = |height| Misbehavior {
        kind: MisbehaviorKind::DuplicateVote,
        validator: address,
        height,
        time: T0,
        total_voting_power: 64,
    };
    let before = c.validator(&pubkey);
    let h = c.node.height();
    let commit = c.node.full_commit();
    c.node
        .produce_block_with(vec![], commit, vec![evidence(h)])
        .expect("block");
    c.check_books();
    let slashed = c.validator(&pubkey);
    assert!(slashed.slashed);
    assert_eq!(slashed.power, 0);
    assert_eq!(
        before.balance - slashed.balance,
        before.effective_balance / 4096
    );
    assert_ne!(slashed.exit_epoch, sheaf_staking::FAR_FUTURE);
    let epoch = (h + 1) / 10;
    assert_eq!(slashed.withdrawable_epoch, epoch + 8);

    // The same offence again, expired, future or unknown evidence: nothing happens.
    let unknown = Misbehavior {
        validator: [9; 20],
        ..evidence(h)
    };
    let commit = c.node.full_commit();
    let height = c.node.height();
    c.node
        .produce_block_with(
            vec![],
            commit,
            vec![evidence(height), unknown, evidence(height + 5)],
        )
        .expect("block");
    assert_eq!(c.validator(&pubkey).balance, slashed.balance);
    c.blocks(2);
    assert!(!c.in_consensus(&pubkey));

    // Correlation penalty at the midpoint of the window, epoch withdrawable - 4.
    let midpoint_end = (slashed.withdrawable_epoch - 4) * 10 + 9;
    c.until_height(midpoint_end - 1);
    let before_midpoint = c.validator(&pubkey).balance;
    c.blocks(1);
    let correlation = before_midpoint - c.validator(&pubkey).balance;
    assert!(correlation > 20 * GWEI_PER_ETH, "{correlation}");

    // Withdrawable only at its epoch, and only once withdrawals are on (height 300).
    let owner = DEV_KEYS[5].0;
    let withdrawable_height = slashed.withdrawable_epoch * 10;
    c.until_height(withdrawable_height.max(300) - 1);
    let remaining = c.validator(&pubkey).balance;
    assert!(remaining > 0);
    let owner_before = c.node.snapshot().eth_balance(&owner);
    c.blocks(2);
    assert_eq!(c.validator(&pubkey).balance, 0);
    assert_eq!(
        c.node.snapshot().eth_balance(&owner) - owner_before,
        U256::from(remaining) * U256::from(GWEI_PER_ETH)
    );
    assert_eq!(c.status(&pubkey), IStaking::Status::Withdrawn);
}

#[test]
fn a_double_signer_proposing_its_own_evidence_still_loses_the_initial_penalty() {
    let mut c = Chain::new();
    let pubkey = c.active_validator(5, 5);
    c.blocks(5);
    // Everyone else offline for a block makes the offender the proposer of its own evidence.
    let others: Vec<B256> = c
        .node
        .set_at(c.node.height() + 1)
        .into_keys()
        .filter(|k| *k != pubkey)
        .collect();
    for key in &others {
        c.node.set_offline(*key, true);
    }
    let before = c.validator(&pubkey);
    let h = c.node.height();
    let commit = c.node.full_commit();
    let evidence = Misbehavior {
        kind: MisbehaviorKind::DuplicateVote,
        validator: sheaf_staking::consensus_address(&pubkey),
        height: h,
        time: T0,
        total_voting_power: 64,
    };
    c.node
        .produce_block_with(vec![], commit, vec![evidence])
        .expect("block");
    for key in &others {
        c.node.set_offline(*key, false);
    }
    c.check_books();
    let slashed = c.validator(&pubkey);
    assert!(slashed.slashed);
    assert_eq!(
        before.balance - slashed.balance,
        before.effective_balance / 4096,
        "no proposer reward flows back to the offender"
    );
}

#[test]
fn voluntary_exit_withdraws_after_the_upgrade_and_not_before() {
    let mut c = Chain::new();
    let pubkey = c.active_validator(6, 6);
    c.blocks(10);
    let (ok, why) = c.send(
        7,
        DEPOSIT_CONTRACT,
        U256::ZERO,
        IStaking::exitCall { pubkey },
    );
    assert!(!ok && why.contains("NotWithdrawalAddress"), "{why}");
    let (ok, why) = c.send(
        6,
        DEPOSIT_CONTRACT,
        U256::ZERO,
        IStaking::exitCall { pubkey },
    );
    assert!(ok, "{why}");
    let (ok, why) = c.send(
        6,
        DEPOSIT_CONTRACT,
        U256::ZERO,
        IStaking::exitCall { pubkey },
    );
    assert!(!ok && why.contains("already exiting"), "{why}");
    let v = c.validator(&pubkey);
    c.until_height(v.exit_epoch * 10 + 3);
    assert!(!c.in_consensus(&pubkey));

    // Withdrawable well before height 300, but nothing leaves until then.
    assert!(v.withdrawable_epoch * 10 < 299);
    let owner = DEV_KEYS[6].0;
    c.until_height(299);
    let owner_before = c.node.snapshot().eth_balance(&owner);
    let balance = c.validator(&pubkey).balance;
    assert!(balance >= 32 * GWEI_PER_ETH - GWEI_PER_ETH, "{balance}");
    assert_eq!(c.status(&pubkey), IStaking::Status::Withdrawable);
    c.blocks(1);
    assert_eq!(c.validator(&pubkey).balance, 0);
    assert_eq!(
        c.node.snapshot().eth_balance(&owner) - owner_before,
        U256::from(balance) * U256::from(GWEI_PER_ETH)
    );
    // The block records the payment as an EIP-4895 withdrawal.
    let block = c
        .node
        .app
        .shared()
        .chain()
        .block(c.node.height())
        .expect("read")
        .expect("block");
    let paid = block
        .withdrawals
        .iter()
        .find(|w| w.address == owner)
        .expect("a withdrawal to the owner");
    assert_eq!(paid.amount, balance);
    assert_eq!(paid.validator_index, c.validator(&pubkey).index);
    assert_eq!(
        block.header.withdrawals_root,
        Some(alloy_consensus::proofs::calculate_withdrawals_root(
            &block.withdrawals
        ))
    );
}

#[test]
fn an_exit_signed_by_the_consensus_key_may_be_sent_by_anyone() {
    let mut c = Chain::new();
    let pubkey = c.active_validator(7, 7);
    c.blocks(10);
    let index = c.validator(&pubkey).index;
    let epoch = (c.node.height() + 1) / 10;
    let signed = |secret: u8, epoch: u64| IStaking::exitSignedCall {
        pubkey,
        epoch,
        signature: Bytes::copy_from_slice(&deposit::sign_exit(CHAIN, &[secret; 32], epoch, index)),
    };
    let (ok, why) = c.send(9, DEPOSIT_CONTRACT, U256::ZERO, signed(8, epoch));
    assert!(!ok && why.contains("not the validator's"), "{why}");
    let (ok, why) = c.send(9, DEPOSIT_CONTRACT, U256::ZERO, signed(7, epoch + 5));
    assert!(!ok && why.contains("valid from epoch"), "{why}");
    let (ok, why) = c.send(9, DEPOSIT_CONTRACT, U256::ZERO, signed(7, epoch));
    assert!(ok, "{why}");
    assert_ne!(c.validator(&pubkey).exit_epoch, sheaf_staking::FAR_FUTURE);
}

#[test]
fn a_whistleblower_proves_a_double_sign_and_is_paid() {
    use ed25519_dalek::Signer;
    let mut c = Chain::new();
    let pubkey = c.active_validator(8, 8);
    c.blocks(3);
    let key = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let chain = sheaf_staking::double_sign::consensus_chain_id(CHAIN);
    let h = c.node.height() as i64;
    let vote =
        |block: u8| sheaf_staking::double_sign::encode_sign_bytes(2, h, 0, &[block; 32], &chain);
    let (a, b) = (vote(1), vote(2));
    let report = |a: &[u8], b: &[u8]| IStaking::reportDoubleSignCall {
        pubkey,
        signBytesA: Bytes::copy_from_slice(a),
        signatureA: Bytes::copy_from_slice(&key.sign(a).to_bytes()),
        signBytesB: Bytes::copy_from_slice(b),
        signatureB: Bytes::copy_from_slice(&key.sign(b).to_bytes()),
    };
    // The same vote twice proves nothing.
    let (ok, why) = c.send(9, DEPOSIT_CONTRACT, U256::ZERO, report(&a, &a));
    assert!(!ok && why.contains("same block"), "{why}");

    let whistleblower = DEV_KEYS[9].0;
    let before = c.node.snapshot().eth_balance(&whistleblower);
    let effective = c.validator(&pubkey).effective_balance;
    let (ok, why) = c.send(9, DEPOSIT_CONTRACT, U256::ZERO, report(&a, &b));
    assert!(ok, "{why}");
    assert!(c.validator(&pubkey).slashed);
    // Reward: effective / 4096, less the proposer's 1/8, minus the fee the report cost.
    let paid = c.node.snapshot().eth_balance(&whistleblower)
        + U256::from(10u64).pow(U256::from(16u64))
        - before;
    let (reward, proposer_share) =
        sheaf_staking::spec::whistleblower_reward(&sheaf_staking::StakingParams::dev(), effective);
    let expected = U256::from(reward - proposer_share) * U256::from(GWEI_PER_ETH);
    assert!(
        paid > expected && paid < expected + U256::from(10u64).pow(U256::from(16u64)),
        "{paid} vs {expected}"
    );
    c.blocks(2);
    assert!(!c.in_consensus(&pubkey), "removed from consensus");
    // Slashed once: the same proof again is refused.
    let (ok, why) = c.send(9, DEPOSIT_CONTRACT, U256::ZERO, report(&a, &b));
    assert!(!ok && why.contains("not slashable"), "{why}");
}
