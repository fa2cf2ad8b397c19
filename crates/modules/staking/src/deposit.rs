//! The deposit contract: Ethereum's SSZ deposit roots and incremental Merkle tree, with ed25519
//! consensus keys (see `contracts/IDepositContract.sol` for the exact differences).

use alloy_primitives::{Address, B256};
use sha2::{Digest, Sha256};
use sheaf_state::{StateRead, StateWrite, StateWriteExt};

use crate::{registry::RegistryRead, state_key};

/// DEPOSIT_CONTRACT_TREE_DEPTH.
pub const TREE_DEPTH: u64 = 32;
/// DOMAIN_DEPOSIT.
pub const DOMAIN_DEPOSIT: [u8; 4] = [3, 0, 0, 0];
/// The 0x01 withdrawal-credential prefix (ETH1_ADDRESS_WITHDRAWAL_PREFIX).
pub const ADDRESS_CREDENTIAL_PREFIX: u8 = 1;

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `amount` as an SSZ uint64 chunk: little-endian, zero-padded to 32 bytes.
fn amount_chunk(amount_gwei: u64) -> [u8; 32] {
    let mut chunk = [0u8; 32];
    chunk[..8].copy_from_slice(&amount_gwei.to_le_bytes());
    chunk
}

/// hash_tree_root(DepositMessage{pubkey: Bytes32, withdrawal_credentials, amount}).
pub fn deposit_message_root(pubkey: &B256, credentials: &B256, amount_gwei: u64) -> [u8; 32] {
    let left = sha256(&[pubkey.as_slice(), credentials.as_slice()]);
    let right = sha256(&[&amount_chunk(amount_gwei), &[0u8; 32]]);
    sha256(&[&left, &right])
}

/// hash_tree_root(DepositData{pubkey: Bytes32, withdrawal_credentials, amount, signature: Bytes64}),
/// the value `deposit_data_root` must equal (deposit_contract.sol recomputes the same with
/// Ethereum's 48- and 96-byte fields).
pub fn deposit_data_root(
    pubkey: &B256,
    credentials: &B256,
    amount_gwei: u64,
    signature: &[u8; 64],
) -> [u8; 32] {
    let signature_root = sha256(&[&signature[..32], &signature[32..]]);
    let left = sha256(&[pubkey.as_slice(), credentials.as_slice()]);
    let right = sha256(&[&amount_chunk(amount_gwei), &signature_root]);
    sha256(&[&left, &right])
}

/// `compute_domain(DOMAIN_DEPOSIT, …)` made chain-specific: the domain type followed by the first
/// 28 bytes of sha256("sheaf" || chain id), so a deposit signed for one Sheaf chain is not valid
/// on another.
pub fn deposit_domain(chain_id: u64) -> [u8; 32] {
    chain_domain(DOMAIN_DEPOSIT, chain_id)
}

/// DOMAIN_VOLUNTARY_EXIT.
pub const DOMAIN_VOLUNTARY_EXIT: [u8; 4] = [4, 0, 0, 0];

/// A domain of `domain_type` for this chain (as [`deposit_domain`] for deposits).
fn chain_domain(domain_type: [u8; 4], chain_id: u64) -> [u8; 32] {
    let fork_data = sha256(&[b"sheaf", &chain_id.to_be_bytes()]);
    let mut domain = [0u8; 32];
    domain[..4].copy_from_slice(&domain_type);
    domain[4..].copy_from_slice(&fork_data[..28]);
    domain
}

/// hash_tree_root(VoluntaryExit{epoch, validator_index}).
pub fn voluntary_exit_root(epoch: u64, validator_index: u64) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[..8].copy_from_slice(&epoch.to_le_bytes());
    let mut i = [0u8; 32];
    i[..8].copy_from_slice(&validator_index.to_le_bytes());
    sha256(&[&e, &i])
}

/// Signs a voluntary exit with a consensus key.
pub fn sign_exit(chain_id: u64, secret: &[u8; 32], epoch: u64, validator_index: u64) -> [u8; 64] {
    use ed25519_dalek::Signer;
    let root = signing_root(
        &voluntary_exit_root(epoch, validator_index),
        &chain_domain(DOMAIN_VOLUNTARY_EXIT, chain_id),
    );
    ed25519_dalek::SigningKey::from_bytes(secret)
        .sign(&root)
        .to_bytes()
}

/// Checks a signed voluntary exit.
pub fn verify_exit(
    chain_id: u64,
    pubkey: &B256,
    epoch: u64,
    validator_index: u64,
    signature: &[u8; 64],
) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&pubkey.0) else {
        return false;
    };
    let root = signing_root(
        &voluntary_exit_root(epoch, validator_index),
        &chain_domain(DOMAIN_VOLUNTARY_EXIT, chain_id),
    );
    key.verify_strict(&root, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok()
}

/// `compute_signing_root`: hash_tree_root(SigningData{object_root, domain}).
pub fn signing_root(object_root: &[u8; 32], domain: &[u8; 32]) -> [u8; 32] {
    sha256(&[object_root, domain])
}

/// Checks the proof of possession: `signature` by `pubkey` over the deposit message.
pub fn verify_proof_of_possession(
    chain_id: u64,
    pubkey: &B256,
    credentials: &B256,
    amount_gwei: u64,
    signature: &[u8; 64],
) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&pubkey.0) else {
        return false;
    };
    let root = signing_root(
        &deposit_message_root(pubkey, credentials, amount_gwei),
        &deposit_domain(chain_id),
    );
    key.verify_strict(&root, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok()
}

/// Signs a deposit message with a consensus key (what `sheaf validator deposit` does).
pub fn sign_deposit(
    chain_id: u64,
    secret: &[u8; 32],
    credentials: &B256,
    amount_gwei: u64,
) -> (B256, [u8; 64]) {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(secret);
    let pubkey = B256::from(key.verifying_key().to_bytes());
    let root = signing_root(
        &deposit_message_root(&pubkey, credentials, amount_gwei),
        &deposit_domain(chain_id),
    );
    (pubkey, key.sign(&root).to_bytes())
}

/// 0x01 credentials for `address`.
pub fn address_credentials(address: &Address) -> B256 {
    let mut out = [0u8; 32];
    out[0] = ADDRESS_CREDENTIAL_PREFIX;
    out[12..].copy_from_slice(address.as_slice());
    B256::from(out)
}

/// The address in 0x01 credentials, or `None` for any other form.
pub fn credentials_address(credentials: &B256) -> Option<Address> {
    if credentials[0] != ADDRESS_CREDENTIAL_PREFIX || credentials[1..12].iter().any(|b| *b != 0) {
        return None;
    }
    Some(Address::from_slice(&credentials[12..]))
}

fn zero_hashes() -> Vec<[u8; 32]> {
    let mut zero = vec![[0u8; 32]];
    for level in 0..TREE_DEPTH as usize {
        let next = sha256(&[&zero[level], &zero[level]]);
        zero.push(next);
    }
    zero
}

/// Appends a leaf to the incremental Merkle tree (deposit_contract.sol's `deposit` loop).
pub(crate) fn insert_leaf<S: StateWrite + ?Sized>(state: &mut S, leaf: [u8; 32]) {
    let count = state.deposit_count() + 1;
    let mut node = leaf;
    let mut size = count;
    for level in 0..TREE_DEPTH {
        if size % 2 == 1 {
            state.put_raw(state_key::deposit_branch(level), node.to_vec());
            break;
        }
        let branch = branch(state, level);
        node = sha256(&[&branch, &node]);
        size /= 2;
    }
    state.put_u64(state_key::deposit_count(), count);
}

fn branch<S: StateRead + ?Sized>(state: &S, level: u64) -> [u8; 32] {
    state
        .get_raw(&state_key::deposit_branch(level))
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0u8; 32])
}

/// `get_deposit_root`: the tree root mixed with the deposit count (SSZ list length).
pub fn deposit_root<S: StateRead + ?Sized>(state: &S) -> [u8; 32] {
    let zero = zero_hashes();
    let mut node = [0u8; 32];
    let mut size = state.deposit_count();
    for (level, zero_hash) in zero.iter().enumerate().take(TREE_DEPTH as usize) {
        node = if size % 2 == 1 {
            sha256(&[&branch(state, level as u64), &node])
        } else {
            sha256(&[&node, zero_hash])
        };
        size /= 2;
    }
    let mut count = [0u8; 32];
    count[..8].copy_from_slice(&state.deposit_count().to_le_bytes());
    sha256(&[&node, &count])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sheaf_state::{Delta, EmptyState};

    #[test]
    fn empty_deposit_root_matches_ethereum() {
        // get_deposit_root() of a fresh deposit contract on Ethereum (zero count):
        // 0xd70a234731285c6804c2a4f56711ddb8c82c99740f207854891028af34e27e5e.
        let state = Delta::new(EmptyState);
        assert_eq!(
            alloy_primitives::hex::encode(deposit_root(&state)),
            "d70a234731285c6804c2a4f56711ddb8c82c99740f207854891028af34e27e5e"
        );
    }

    #[test]
    fn incremental_tree_matches_a_full_recomputation() {
        let mut state = Delta::new(EmptyState);
        let leaves: Vec<[u8; 32]> = (0u8..5).map(|i| sha256(&[&[i]])).collect();
        for leaf in &leaves {
            insert_leaf(&mut state, *leaf);
        }
        // Recompute: pad to depth 32 with zero hashes.
        let zero = zero_hashes();
        let mut layer: Vec<[u8; 32]> = leaves.clone();
        for zero_hash in zero.iter().take(TREE_DEPTH as usize) {
            if layer.len() % 2 == 1 {
                layer.push(*zero_hash);
            }
            layer = layer.chunks(2).map(|p| sha256(&[&p[0], &p[1]])).collect();
        }
        let mut count = [0u8; 32];
        count[..8].copy_from_slice(&5u64.to_le_bytes());
        assert_eq!(deposit_root(&state), sha256(&[&layer[0], &count]));
    }

    #[test]
    fn proof_of_possession_binds_key_credentials_amount_and_chain() {
        let secret = [7u8; 32];
        let credentials = address_credentials(&Address::repeat_byte(0xab));
        let amount = 32_000_000_000;
        let (pubkey, signature) = sign_deposit(24239, &secret, &credentials, amount);
        assert!(verify_proof_of_possession(
            24239,
            &pubkey,
            &credentials,
            amount,
            &signature
        ));
        assert!(!verify_proof_of_possession(
            1,
            &pubkey,
            &credentials,
            amount,
            &signature
        ));
        assert!(!verify_proof_of_possession(
            24239,
            &pubkey,
            &credentials,
            amount + 1,
            &signature
        ));
        let other = address_credentials(&Address::repeat_byte(0xcd));
        assert!(!verify_proof_of_possession(
            24239, &pubkey, &other, amount, &signature
        ));
        assert_eq!(
            credentials_address(&credentials),
            Some(Address::repeat_byte(0xab))
        );
        assert_eq!(credentials_address(&B256::ZERO), None);
    }
}
