//! Native verification of a double sign reported by a whistleblower: two CometBFT votes by one
//! consensus key for the same height, round and type, with different block IDs.
//!
//! A vote's sign bytes are CometBFT's `CanonicalVote` protobuf, length-delimited
//! (`proto/tendermint/types/canonical.proto`, `types.VoteSignBytes`):
//! `type = 1 (varint)`, `height = 2 (sfixed64)`, `round = 3 (sfixed64)`,
//! `block_id = 4 (CanonicalBlockID{hash = 1, part_set_header = 2{total = 1, hash = 2}})`,
//! `timestamp = 5`, `chain_id = 6 (string)`. Only what the check needs is decoded; the signature
//! covers the exact bytes, so nothing else can be altered.

use alloy_primitives::B256;

/// The CometBFT chain id of a Sheaf network, which every vote signs.
pub fn consensus_chain_id(chain_id: u64) -> String {
    format!("sheaf-{chain_id}")
}

/// The fields of a `CanonicalVote` that decide whether two votes conflict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CanonicalVote {
    /// 1 prevote, 2 precommit.
    pub vote_type: u64,
    pub height: i64,
    pub round: i64,
    /// The encoded `CanonicalBlockID` (empty for a nil vote).
    pub block_id: Vec<u8>,
    pub chain_id: String,
}

fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Decodes length-delimited `CanonicalVote` sign bytes; `None` if they are not exactly that.
pub fn decode_sign_bytes(bytes: &[u8]) -> Option<CanonicalVote> {
    let mut at = 0;
    let len = usize::try_from(varint(bytes, &mut at)?).ok()?;
    if at.checked_add(len)? != bytes.len() {
        return None;
    }
    let mut vote = CanonicalVote::default();
    while at < bytes.len() {
        let key = varint(bytes, &mut at)?;
        let (field, wire) = (key >> 3, key & 7);
        match (field, wire) {
            (1, 0) => vote.vote_type = varint(bytes, &mut at)?,
            (2, 1) | (3, 1) => {
                let raw: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
                at += 8;
                let value = i64::from_le_bytes(raw);
                if field == 2 {
                    vote.height = value;
                } else {
                    vote.round = value;
                }
            }
            (4, 2) | (5, 2) | (6, 2) => {
                let n = usize::try_from(varint(bytes, &mut at)?).ok()?;
                let body = bytes.get(at..at.checked_add(n)?)?;
                at += n;
                match field {
                    4 => vote.block_id = body.to_vec(),
                    6 => vote.chain_id = String::from_utf8(body.to_vec()).ok()?,
                    _ => {}
                }
            }
            _ => return None,
        }
    }
    Some(vote)
}

/// Why a reported double sign is not proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotADoubleSign {
    #[error("vote {0} is not CometBFT CanonicalVote sign bytes")]
    Malformed(char),
    #[error("vote {0}'s signature is not by this key")]
    BadSignature(char),
    #[error("the votes are for different heights, rounds or types")]
    DifferentSlots,
    #[error("the votes are for the same block: no conflict")]
    SameBlock,
    #[error("the votes were signed for chain {found:?}, not {expected:?}")]
    WrongChain { found: String, expected: String },
    #[error("vote type {0} is neither a prevote nor a precommit")]
    NotAVote(u64),
}

fn verify(pubkey: &B256, sign_bytes: &[u8], signature: &[u8]) -> bool {
    let (Ok(key), Ok(signature)) = (
        ed25519_dalek::VerifyingKey::from_bytes(&pubkey.0),
        <[u8; 64]>::try_from(signature),
    ) else {
        return false;
    };
    key.verify_strict(
        sign_bytes,
        &ed25519_dalek::Signature::from_bytes(&signature),
    )
    .is_ok()
}

/// Checks that `(a, sig_a)` and `(b, sig_b)` prove `pubkey` signed two conflicting votes on
/// `chain_id`. Returns the height of the offence.
pub fn verify_double_sign(
    pubkey: &B256,
    chain_id: &str,
    a: &[u8],
    sig_a: &[u8],
    b: &[u8],
    sig_b: &[u8],
) -> Result<u64, NotADoubleSign> {
    let va = decode_sign_bytes(a).ok_or(NotADoubleSign::Malformed('A'))?;
    let vb = decode_sign_bytes(b).ok_or(NotADoubleSign::Malformed('B'))?;
    for v in [&va, &vb] {
        if v.chain_id != chain_id {
            return Err(NotADoubleSign::WrongChain {
                found: v.chain_id.clone(),
                expected: chain_id.to_string(),
            });
        }
        if !matches!(v.vote_type, 1 | 2) {
            return Err(NotADoubleSign::NotAVote(v.vote_type));
        }
    }
    if (va.vote_type, va.height, va.round) != (vb.vote_type, vb.height, vb.round) {
        return Err(NotADoubleSign::DifferentSlots);
    }
    if va.block_id == vb.block_id {
        return Err(NotADoubleSign::SameBlock);
    }
    if !verify(pubkey, a, sig_a) {
        return Err(NotADoubleSign::BadSignature('A'));
    }
    if !verify(pubkey, b, sig_b) {
        return Err(NotADoubleSign::BadSignature('B'));
    }
    u64::try_from(va.height).map_err(|_| NotADoubleSign::Malformed('A'))
}

/// Encodes sign bytes for a vote, as CometBFT does (for tests and tools; no timestamp).
pub fn encode_sign_bytes(
    vote_type: u64,
    height: i64,
    round: i64,
    block_hash: &[u8],
    chain_id: &str,
) -> Vec<u8> {
    let mut body = vec![0x08];
    let push_varint = |out: &mut Vec<u8>, mut v: u64| loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    };
    push_varint(&mut body, vote_type);
    body.push(0x11);
    body.extend_from_slice(&height.to_le_bytes());
    body.push(0x19);
    body.extend_from_slice(&round.to_le_bytes());
    if !block_hash.is_empty() {
        let mut block_id = vec![0x0a];
        push_varint(&mut block_id, block_hash.len() as u64);
        block_id.extend_from_slice(block_hash);
        body.push(0x22);
        push_varint(&mut body, block_id.len() as u64);
        body.extend_from_slice(&block_id);
    }
    body.push(0x32);
    push_varint(&mut body, chain_id.len() as u64);
    body.extend_from_slice(chain_id.as_bytes());
    let mut out = vec![];
    push_varint(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go-generated `types.VoteSignBytes("test_chain_id", vote)` for a prevote at height 12345,
    /// round 2, BlockID{"DEADBEEF…", PartSetHeader{1000000, "0022…"}} (tendermint-rs's vote
    /// sign-bytes compatibility test, generated from CometBFT's Go code).
    const GO_VECTOR: &[u8] = &[
        124, 8, 1, 17, 57, 48, 0, 0, 0, 0, 0, 0, 25, 2, 0, 0, 0, 0, 0, 0, 0, 34, 74, 10, 32, 68,
        69, 65, 68, 66, 69, 69, 70, 68, 69, 65, 68, 66, 69, 69, 70, 66, 65, 70, 66, 65, 70, 66, 65,
        70, 66, 65, 70, 66, 65, 70, 65, 18, 38, 8, 192, 132, 61, 18, 32, 48, 48, 50, 50, 52, 52,
        54, 54, 56, 56, 65, 65, 67, 67, 69, 69, 49, 49, 51, 51, 53, 53, 55, 55, 57, 57, 66, 66, 68,
        68, 70, 70, 42, 11, 8, 177, 211, 129, 210, 5, 16, 128, 157, 202, 111, 50, 13, 116, 101,
        115, 116, 95, 99, 104, 97, 105, 110, 95, 105, 100,
    ];

    #[test]
    fn decodes_cometbft_sign_bytes() {
        let v = decode_sign_bytes(GO_VECTOR).expect("decodes");
        assert_eq!((v.vote_type, v.height, v.round), (1, 12345, 2));
        assert_eq!(v.chain_id, "test_chain_id");
        assert_eq!(&v.block_id[2..34], b"DEADBEEFDEADBEEFBAFBAFBAFBAFBAFA");
        // Trailing or missing bytes are not sign bytes.
        assert!(decode_sign_bytes(&GO_VECTOR[..GO_VECTOR.len() - 1]).is_none());
        assert!(decode_sign_bytes(&[GO_VECTOR, &[0]].concat()).is_none());
    }

    #[test]
    fn encoder_round_trips() {
        let bytes = encode_sign_bytes(2, 77, 0, &[9; 32], "sheaf-1");
        let v = decode_sign_bytes(&bytes).expect("decodes");
        assert_eq!(
            (v.vote_type, v.height, v.round, v.chain_id.as_str()),
            (2, 77, 0, "sheaf-1")
        );
    }

    #[test]
    fn only_conflicting_votes_by_the_key_on_this_chain_prove_a_double_sign() {
        use ed25519_dalek::Signer;
        let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        let pubkey = B256::from(key.verifying_key().to_bytes());
        let sign = |bytes: &[u8]| key.sign(bytes).to_bytes().to_vec();
        let a = encode_sign_bytes(2, 10, 0, &[1; 32], "sheaf-1");
        let b = encode_sign_bytes(2, 10, 0, &[2; 32], "sheaf-1");
        assert_eq!(
            verify_double_sign(&pubkey, "sheaf-1", &a, &sign(&a), &b, &sign(&b)),
            Ok(10)
        );
        assert_eq!(
            verify_double_sign(&pubkey, "sheaf-1", &a, &sign(&a), &a, &sign(&a)),
            Err(NotADoubleSign::SameBlock)
        );
        let later = encode_sign_bytes(2, 11, 0, &[2; 32], "sheaf-1");
        assert_eq!(
            verify_double_sign(&pubkey, "sheaf-1", &a, &sign(&a), &later, &sign(&later)),
            Err(NotADoubleSign::DifferentSlots)
        );
        assert!(matches!(
            verify_double_sign(&pubkey, "sheaf-2", &a, &sign(&a), &b, &sign(&b)),
            Err(NotADoubleSign::WrongChain { .. })
        ));
        let other = ed25519_dalek::SigningKey::from_bytes(&[6; 32]);
        assert_eq!(
            verify_double_sign(
                &pubkey,
                "sheaf-1",
                &a,
                &sign(&a),
                &b,
                &other.sign(&b).to_bytes()
            ),
            Err(NotADoubleSign::BadSignature('B'))
        );
    }
}
