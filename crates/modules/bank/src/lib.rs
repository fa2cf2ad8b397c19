//! # bank
//!
//! ETH balances, account nonces, and every ERC-20 token on Sheaf.
//!
//! - **ETH**: balances in wei and the total supply. ETH is created only at genesis and as
//!   validator rewards ([`BankWrite::issue_eth`]), and destroyed only by burning EIP-1559 base fees
//!   and validator penalties ([`BankWrite::burn_eth`]), so at every height
//!   `eth_supply == genesis supply + eth_issued - eth_burned`.
//! - **Tokens**: anyone creates one through the factory at [`sheaf_abi::system::TOKEN_FACTORY`];
//!   each answers the whole ERC-20 interface at its own address. A token may name a *minter*, the
//!   system address of the module that alone may mint and burn it (LP tokens by amm, SHF by farm);
//!   user-created tokens have none, so their supply never changes after creation.
//!
//! Other modules use the typed [`BankRead`] / [`BankWrite`] traits and never touch these keys.

mod erc20;
pub mod state_key;
pub mod votes;

use alloy_primitives::{Address, Log, U256};
use alloy_sol_types::{SolEvent, SolValue};
use sheaf_abi::IERC20;
use sheaf_module_api::Revert;
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

pub use erc20::{
    call_factory, call_token, create_user_token, gas_for_factory_call, gas_for_token_call,
    token_address,
};

/// A token's fixed description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMeta {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    /// The module allowed to mint and burn it, or `Address::ZERO` for none.
    pub minter: Address,
}

impl TokenMeta {
    fn encode(&self) -> Vec<u8> {
        (
            self.name.clone(),
            self.symbol.clone(),
            u16::from(self.decimals),
            self.minter,
        )
            .abi_encode_params()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (name, symbol, decimals, minter) =
            <(String, String, u16, Address)>::abi_decode_params(bytes).ok()?;
        Some(Self {
            name,
            symbol,
            decimals: u8::try_from(decimals).ok()?,
            minter,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("insufficient funds: {account} has {balance} wei, needs {needed}")]
    InsufficientEth {
        account: Address,
        balance: U256,
        needed: U256,
    },
    #[error("{0} is not a token")]
    NotAToken(Address),
    #[error("{module} may not mint or burn {token}")]
    NotMinter { module: Address, token: Address },
    #[error("supply overflow")]
    Overflow,
}

/// What the bank keeps per account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Account {
    pub nonce: u64,
    pub balance: U256,
}

impl Account {
    /// The nonce as 8 big-endian bytes, then the balance big-endian without leading zeros.
    fn encode(&self) -> Vec<u8> {
        let mut bytes = self.nonce.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.balance.to_be_bytes_trimmed_vec());
        bytes
    }

    fn decode(bytes: &[u8]) -> Self {
        let (nonce, balance) = bytes.split_at(8.min(bytes.len()));
        Self {
            nonce: <[u8; 8]>::try_from(nonce).map_or(0, u64::from_be_bytes),
            balance: U256::try_from_be_slice(balance).unwrap_or_default(),
        }
    }
}

/// Reads of bank state, for every module and for RPC.
pub trait BankRead: StateRead {
    fn account(&self, account: &Address) -> Account {
        self.read_raw(&state_key::account(account), |bytes| {
            bytes.map(Account::decode).unwrap_or_default()
        })
    }

    fn eth_balance(&self, account: &Address) -> U256 {
        self.account(account).balance
    }

    fn eth_supply(&self) -> U256 {
        self.get_u256(&state_key::eth_supply())
    }

    /// ETH created since genesis (validator rewards).
    fn eth_issued(&self) -> U256 {
        self.get_u256(&state_key::eth_issued())
    }

    /// ETH destroyed since genesis (base fees and validator penalties).
    fn eth_burned(&self) -> U256 {
        self.get_u256(&state_key::eth_burned())
    }

    fn nonce(&self, account: &Address) -> u64 {
        self.account(account).nonce
    }

    fn token_meta(&self, token: &Address) -> Option<TokenMeta> {
        self.get_raw(&state_key::token_meta(token))
            .and_then(|bytes| TokenMeta::decode(&bytes))
    }

    fn is_token(&self, token: &Address) -> bool {
        self.read_raw(&state_key::token_meta(token), |bytes| bytes.is_some())
    }

    fn token_supply(&self, token: &Address) -> U256 {
        self.get_u256(&state_key::token_supply(token))
    }

    fn token_balance(&self, token: &Address, holder: &Address) -> U256 {
        self.get_u256(&state_key::token_balance(token, holder))
    }

    fn allowance(&self, token: &Address, owner: &Address, spender: &Address) -> U256 {
        self.get_u256(&state_key::allowance(token, owner, spender))
    }

    fn token_count(&self) -> u64 {
        self.get_u64(&state_key::token_count())
    }

    fn token_at(&self, index: u64) -> Option<Address> {
        self.get_raw(&state_key::token_at(index))
            .map(|bytes| Address::from_slice(&bytes))
    }

    /// All tokens in creation order.
    fn tokens(&self) -> Vec<Address> {
        (0..self.token_count())
            .filter_map(|i| self.token_at(i))
            .collect()
    }
}

impl<T: StateRead + ?Sized> BankRead for T {}

/// Writes to bank state. Every function either does all of its effect or none.
pub trait BankWrite: StateWrite {
    /// An account with neither nonce nor balance leaves no record, so histories that end in the
    /// same balances end in the same app hash.
    fn put_account(&mut self, address: &Address, account: Account) {
        if account == Account::default() {
            self.delete(state_key::account(address));
        } else {
            self.put_raw(state_key::account(address), account.encode());
        }
    }

    /// Takes `amount` of ETH from `address`, reading its account once: this runs for every
    /// transaction, for its fee and for any value it carries.
    fn debit_eth(&mut self, address: &Address, amount: U256) -> Result<(), BankError> {
        let account = self.account(address);
        if account.balance < amount {
            return Err(BankError::InsufficientEth {
                account: *address,
                balance: account.balance,
                needed: amount,
            });
        }
        self.put_account(
            address,
            Account {
                balance: account.balance - amount,
                ..account
            },
        );
        Ok(())
    }

    /// Adds `amount` of ETH to `address`, reading its account once. Cannot overflow: every
    /// balance is part of the total supply, which is below 2^256.
    fn credit_eth(&mut self, address: &Address, amount: U256) {
        let account = self.account(address);
        self.put_account(
            address,
            Account {
                balance: account.balance + amount,
                ..account
            },
        );
    }

    fn transfer_eth(
        &mut self,
        from: &Address,
        to: &Address,
        amount: U256,
    ) -> Result<(), BankError> {
        if amount.is_zero() || from == to {
            return self.require_eth(from, amount);
        }
        self.debit_eth(from, amount)?;
        self.credit_eth(to, amount);
        Ok(())
    }

    /// Settles a transaction's gas: burns the base fee part and pays the tip to the block's
    /// proposer, reading the payer's account once (this runs for every transaction). Either
    /// both happen or neither.
    fn pay_gas(
        &mut self,
        payer: &Address,
        burned: U256,
        tip: U256,
        proposer: &Address,
    ) -> Result<(), BankError> {
        let total = burned.checked_add(tip).ok_or(BankError::Overflow)?;
        self.debit_eth(payer, total)?;
        if !burned.is_zero() {
            record_burn(self, burned);
        }
        if !tip.is_zero() {
            self.credit_eth(proposer, tip);
        }
        Ok(())
    }

    /// Destroys ETH (burned base fees, validator penalties), lowering the total supply with the
    /// balance.
    fn burn_eth(&mut self, from: &Address, amount: U256) -> Result<(), BankError> {
        self.debit_eth(from, amount)?;
        record_burn(self, amount);
        Ok(())
    }

    /// Creates ETH as validator rewards. The staking module is the only caller: together with
    /// genesis and [`BankWrite::burn_eth`] it is the whole of ETH's supply policy, so
    /// `eth_supply == genesis + eth_issued - eth_burned` at every height.
    fn issue_eth(&mut self, to: &Address, amount: U256) -> Result<(), BankError> {
        let supply = self
            .eth_supply()
            .checked_add(amount)
            .ok_or(BankError::Overflow)?;
        self.put_u256(state_key::eth_supply(), supply);
        let issued = self.get_u256(&state_key::eth_issued());
        self.put_u256(state_key::eth_issued(), issued + amount);
        self.credit_eth(to, amount);
        Ok(())
    }

    /// Creates ETH. Only genesis calls this.
    fn genesis_mint_eth(&mut self, to: &Address, amount: U256) -> Result<(), BankError> {
        let supply = self
            .eth_supply()
            .checked_add(amount)
            .ok_or(BankError::Overflow)?;
        self.put_u256(state_key::eth_supply(), supply);
        self.credit_eth(to, amount);
        Ok(())
    }

    fn require_eth(&self, account: &Address, needed: U256) -> Result<(), BankError> {
        let balance = self.eth_balance(account);
        if balance < needed {
            return Err(BankError::InsufficientEth {
                account: *account,
                balance,
                needed,
            });
        }
        Ok(())
    }

    fn set_nonce(&mut self, address: &Address, nonce: u64) {
        let account = self.account(address);
        self.put_account(address, Account { nonce, ..account });
    }

    /// Registers a new token at `token` and mints `initial_supply` to `holder`. Returns the
    /// token's index. The caller (the factory, or a module creating its own token) picks the
    /// address; it must be unused.
    fn create_token(
        &mut self,
        token: Address,
        meta: TokenMeta,
        holder: &Address,
        initial_supply: U256,
        logs: &mut Vec<Log>,
    ) -> u64 {
        let index = self.token_count();
        self.put_raw(state_key::token_meta(&token), meta.encode());
        self.put_raw(state_key::token_at(index), token.to_vec());
        self.put_u64(state_key::token_count(), index + 1);
        self.put_u256(state_key::token_supply(&token), initial_supply);
        self.put_u256(state_key::token_balance(&token, holder), initial_supply);
        if !initial_supply.is_zero() {
            logs.push(transfer_log(token, Address::ZERO, *holder, initial_supply));
        }
        index
    }

    /// Moves tokens between holders (ERC-20 `transfer` semantics, without the calldata).
    fn transfer_token(
        &mut self,
        token: &Address,
        from: &Address,
        to: &Address,
        amount: U256,
        logs: &mut Vec<Log>,
    ) -> Result<(), Revert> {
        if *from == Address::ZERO {
            return Err(Revert::custom(IERC20::ERC20InvalidSender { sender: *from }));
        }
        if *to == Address::ZERO {
            return Err(Revert::custom(IERC20::ERC20InvalidReceiver {
                receiver: *to,
            }));
        }
        let from_balance = self.token_balance(token, from);
        if from_balance < amount {
            return Err(Revert::custom(IERC20::ERC20InsufficientBalance {
                sender: *from,
                balance: from_balance,
                needed: amount,
            }));
        }
        if from != to {
            self.put_u256(state_key::token_balance(token, from), from_balance - amount);
            let to_balance = self.token_balance(token, to);
            self.put_u256(state_key::token_balance(token, to), to_balance + amount);
            votes::after_balance_move(self, token, from, to, amount, logs);
        }
        logs.push(transfer_log(*token, *from, *to, amount));
        Ok(())
    }

    /// Lowers `owner`'s allowance to `spender` by `amount`. As in OpenZeppelin's ERC20, an
    /// allowance of `type(uint256).max` is unlimited and never decreases.
    fn spend_allowance(
        &mut self,
        token: &Address,
        owner: &Address,
        spender: &Address,
        amount: U256,
    ) -> Result<(), Revert> {
        let allowance = self.allowance(token, owner, spender);
        if allowance == U256::MAX {
            return Ok(());
        }
        if allowance < amount {
            return Err(Revert::custom(IERC20::ERC20InsufficientAllowance {
                spender: *spender,
                allowance,
                needed: amount,
            }));
        }
        self.set_allowance(token, owner, spender, allowance - amount);
        Ok(())
    }

    /// ERC-20 `transferFrom`: `spender` moves `owner`'s tokens within its allowance.
    fn transfer_from(
        &mut self,
        token: &Address,
        owner: &Address,
        spender: &Address,
        to: &Address,
        amount: U256,
        logs: &mut Vec<Log>,
    ) -> Result<(), Revert> {
        self.spend_allowance(token, owner, spender, amount)?;
        self.transfer_token(token, owner, to, amount, logs)
    }

    fn set_allowance(&mut self, token: &Address, owner: &Address, spender: &Address, amount: U256) {
        self.put_u256(state_key::allowance(token, owner, spender), amount);
    }

    /// Mints a module-owned token. Only the token's minter module may.
    fn mint_token(
        &mut self,
        module: &Address,
        token: &Address,
        to: &Address,
        amount: U256,
        logs: &mut Vec<Log>,
    ) -> Result<(), BankError> {
        self.require_minter(module, token)?;
        increase_supply(self, token, to, amount)?;
        logs.push(transfer_log(*token, Address::ZERO, *to, amount));
        votes::after_balance_move(self, token, &Address::ZERO, to, amount, logs);
        Ok(())
    }

    /// Credits genesis balances of a token. Only genesis calls this: it is the one place a
    /// token without a minter gains supply after creation.
    fn genesis_mint_token(
        &mut self,
        token: &Address,
        to: &Address,
        amount: U256,
    ) -> Result<(), BankError> {
        if !self.is_token(token) {
            return Err(BankError::NotAToken(*token));
        }
        increase_supply(self, token, to, amount)?;
        votes::after_balance_move(self, token, &Address::ZERO, to, amount, &mut vec![]);
        Ok(())
    }

    /// Burns a module-owned token from `from`. Only the token's minter module may.
    fn burn_token(
        &mut self,
        module: &Address,
        token: &Address,
        from: &Address,
        amount: U256,
        logs: &mut Vec<Log>,
    ) -> Result<(), Revert> {
        self.require_minter(module, token)
            .map_err(|e| Revert::reason(e.to_string()))?;
        let balance = self.token_balance(token, from);
        if balance < amount {
            return Err(Revert::custom(IERC20::ERC20InsufficientBalance {
                sender: *from,
                balance,
                needed: amount,
            }));
        }
        self.put_u256(state_key::token_balance(token, from), balance - amount);
        // Cannot underflow: the supply includes this balance.
        let supply = self.token_supply(token);
        self.put_u256(state_key::token_supply(token), supply - amount);
        logs.push(transfer_log(*token, *from, Address::ZERO, amount));
        votes::after_balance_move(self, token, from, &Address::ZERO, amount, logs);
        Ok(())
    }

    fn require_minter(&self, module: &Address, token: &Address) -> Result<(), BankError> {
        let meta = self.token_meta(token).ok_or(BankError::NotAToken(*token))?;
        if meta.minter == Address::ZERO || meta.minter != *module {
            return Err(BankError::NotMinter {
                module: *module,
                token: *token,
            });
        }
        Ok(())
    }
}

impl<T: StateWrite + ?Sized> BankWrite for T {}

/// Takes `amount`, already removed from some balance, out of the supply and adds it to the
/// burned total. Not part of [`BankWrite`]: on its own it would unbalance the books.
fn record_burn<S: StateWrite + ?Sized>(state: &mut S, amount: U256) {
    let supply = state.eth_supply();
    state.put_u256(state_key::eth_supply(), supply - amount);
    let burned = state.eth_burned();
    state.put_u256(state_key::eth_burned(), burned + amount);
}

/// Adds `amount` to a token's supply and to `to`'s balance; the callers decide who may.
fn increase_supply<S: StateWrite + ?Sized>(
    state: &mut S,
    token: &Address,
    to: &Address,
    amount: U256,
) -> Result<(), BankError> {
    let supply = state
        .token_supply(token)
        .checked_add(amount)
        .ok_or(BankError::Overflow)?;
    state.put_u256(state_key::token_supply(token), supply);
    // Cannot overflow: the balance is part of the supply just checked.
    let balance = state.token_balance(token, to);
    state.put_u256(state_key::token_balance(token, to), balance + amount);
    Ok(())
}

pub(crate) fn transfer_log(token: Address, from: Address, to: Address, value: U256) -> Log {
    Log {
        address: token,
        data: IERC20::Transfer { from, to, value }.encode_log_data(),
    }
}
