//! Every key the bank module writes. Addresses are raw 20 bytes and numbers big-endian, so keys
//! sort by address and numeric order.

use alloy_primitives::Address;

fn key(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// An account's nonce and ETH balance, kept in one record because a transaction nearly always
/// changes both: one Merkle leaf per account instead of two.
pub fn account(account: &Address) -> Vec<u8> {
    key(&[b"bank/acct/", account.as_slice()])
}

pub fn eth_supply() -> Vec<u8> {
    b"bank/eth_supply".to_vec()
}

pub fn eth_issued() -> Vec<u8> {
    b"bank/eth_issued".to_vec()
}

pub fn eth_burned() -> Vec<u8> {
    b"bank/eth_burned".to_vec()
}

pub fn token_meta(token: &Address) -> Vec<u8> {
    key(&[b"bank/tok/", token.as_slice(), b"/meta"])
}

pub fn token_supply(token: &Address) -> Vec<u8> {
    key(&[b"bank/tok/", token.as_slice(), b"/supply"])
}

pub fn token_balance(token: &Address, holder: &Address) -> Vec<u8> {
    key(&[b"bank/tok/", token.as_slice(), b"/bal/", holder.as_slice()])
}

pub fn allowance(token: &Address, owner: &Address, spender: &Address) -> Vec<u8> {
    key(&[
        b"bank/tok/",
        token.as_slice(),
        b"/allow/",
        owner.as_slice(),
        spender.as_slice(),
    ])
}

pub fn token_count() -> Vec<u8> {
    b"bank/tok_count".to_vec()
}

pub fn token_at(index: u64) -> Vec<u8> {
    key(&[b"bank/tok_index/", &index.to_be_bytes()])
}

/// Present when the token tracks delegated votes (ERC20Votes).
pub fn votes_enabled(token: &Address) -> Vec<u8> {
    key(&[b"bank/tok/", token.as_slice(), b"/votes"])
}

pub fn delegate(token: &Address, account: &Address) -> Vec<u8> {
    key(&[b"bank/tok/", token.as_slice(), b"/dlg/", account.as_slice()])
}

/// How many vote checkpoints `account` has (`account` zero: the total-supply history).
pub fn checkpoint_count(token: &Address, account: &Address) -> Vec<u8> {
    key(&[b"bank/tok/", token.as_slice(), b"/ckn/", account.as_slice()])
}

pub fn checkpoint(token: &Address, account: &Address, index: u64) -> Vec<u8> {
    key(&[
        b"bank/tok/",
        token.as_slice(),
        b"/ck/",
        account.as_slice(),
        &index.to_be_bytes(),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn index_keys_sort_numerically() {
        let mut keys: Vec<_> = [300u64, 2, 70_000, 1]
            .iter()
            .map(|i| super::token_at(*i))
            .collect();
        keys.sort();
        let expected: Vec<_> = [1u64, 2, 300, 70_000]
            .iter()
            .map(|i| super::token_at(*i))
            .collect();
        assert_eq!(keys, expected);
    }
}
