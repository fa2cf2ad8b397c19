//! The genesis file: accounts, tokens, parameters and validators, as JSON.

use alloy_primitives::{Address, B256, U256, address, b256};
use serde::{Deserialize, Serialize};
use sheaf_primitives::{ETHER, GWEI};

/// The dev chain's id (also the default for `sheaf init`).
pub const DEV_CHAIN_ID: u64 = 24239;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Genesis {
    pub chain_id: u64,
    /// Unix seconds of block 0.
    pub genesis_time: u64,
    pub params: ChainParams,
    pub accounts: Vec<GenesisAccount>,
    #[serde(default)]
    pub tokens: Vec<GenesisToken>,
    /// Pools seeded at genesis, after the tokens.
    #[serde(default)]
    pub pools: Vec<GenesisPool>,
    /// SHF emission and the farms that start with the chain.
    #[serde(default)]
    pub farm: Option<GenesisFarms>,
    /// Governance staking and the governor's parameters.
    #[serde(default)]
    pub gov: Option<GenesisGov>,
    /// Validator staking's parameters (`StakingParams::mainnet()` when absent). Each genesis
    /// validator starts active with `power` ETH deposited and its fee recipient as withdrawal
    /// address.
    #[serde(default)]
    pub staking: Option<sheaf_staking::StakingParams>,
    pub validators: Vec<GenesisValidator>,
}

/// The farm module at genesis. Its reward token becomes mintable by the farm alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesisFarms {
    /// A genesis token's symbol (SHF).
    pub reward_token: String,
    /// Base units minted per block across all farms.
    pub reward_per_block: U256,
    pub farms: Vec<GenesisFarm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesisFarm {
    /// A genesis token's symbol, or a genesis pool as "A/B" for its LP token ("ETH/DAI").
    pub staked: String,
    pub alloc_point: u64,
}

/// Governance at genesis. The GOV token becomes mintable by governance staking alone and tracks
/// votes; its genesis holders start self-delegated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesisGov {
    /// Symbol of the token staked for GOV (SHF).
    pub staking_token: String,
    /// Symbol of the governance token (GOV).
    pub gov_token: String,
    /// GOV base units minted per block to SHF stakers.
    pub gov_per_block: U256,
    pub voting_delay: u64,
    pub voting_period: u64,
    pub proposal_threshold: U256,
    pub quorum_numerator: u64,
    pub timelock_delay: u64,
    pub grace_period: u64,
    pub cooldown_blocks: u64,
}

impl GenesisGov {
    /// Every governance parameter by its name in `sheaf_gov::params`.
    pub fn params(&self) -> [(&'static str, U256); 7] {
        use sheaf_gov::params::*;
        [
            (VOTING_DELAY, U256::from(self.voting_delay)),
            (VOTING_PERIOD, U256::from(self.voting_period)),
            (PROPOSAL_THRESHOLD, self.proposal_threshold),
            (QUORUM_NUMERATOR, U256::from(self.quorum_numerator)),
            (TIMELOCK_DELAY, U256::from(self.timelock_delay)),
            (GRACE_PERIOD, U256::from(self.grace_period)),
            (COOLDOWN_BLOCKS, U256::from(self.cooldown_blocks)),
        ]
    }
}

/// A Uniswap-V2 pool with initial liquidity, paid by `provider`, who receives the LP tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesisPool {
    /// A genesis token's symbol, or "ETH" (held by the pool as WETH).
    pub token_a: String,
    pub token_b: String,
    /// Base units (wei for ETH).
    pub amount_a: U256,
    pub amount_b: U256,
    pub provider: Address,
}

/// Chain-wide parameters of the fee market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChainParams {
    /// Gas per block; half of it is the EIP-1559 target.
    pub block_gas_limit: u64,
    /// Base fee of block 1, in wei per gas.
    pub initial_base_fee: u64,
    /// The floor the base fee never falls below, in wei per gas. Ethereum has none (its floor is
    /// effectively 7 wei); a floor keeps fees meaningful on a chain that is mostly idle.
    pub min_base_fee: u64,
}

impl Default for ChainParams {
    fn default() -> Self {
        Self {
            block_gas_limit: 30_000_000,
            initial_base_fee: GWEI,
            min_base_fee: GWEI / 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    pub address: Address,
    /// Wei.
    pub balance: U256,
}

/// A token created by the factory at genesis, in list order (so addresses are predictable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesisToken {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    /// Base units per holder.
    pub balances: Vec<GenesisAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesisValidator {
    pub name: String,
    /// The ed25519 consensus public key (32 bytes).
    pub pub_key: B256,
    /// Voting power handed to consensus.
    pub power: u64,
    /// Where this validator's priority fees go when it proposes.
    pub fee_recipient: Address,
    /// Where its stake is withdrawn to (default: the fee recipient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_address: Option<Address>,
}

impl GenesisValidator {
    /// CometBFT's validator address: the first 20 bytes of sha256(pubkey).
    pub fn consensus_address(&self) -> [u8; 20] {
        consensus_address(&self.pub_key)
    }
}

pub fn consensus_address(pub_key: &B256) -> [u8; 20] {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(pub_key.as_slice());
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest[..20]);
    out
}

/// The ten accounts of the mnemonic "test test test test test test test test test test test
/// junk" at m/44'/60'/0'/0/{0..9}, as Hardhat and Anvil print them. The keys are public: never
/// use them outside a dev chain.
pub const DEV_KEYS: [(Address, B256); 10] = [
    (
        address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    ),
    (
        address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    ),
    (
        address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    ),
    (
        address!("90F79bf6EB2c4f870365E785982E1f101E93b906"),
        b256!("7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    ),
    (
        address!("15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
        b256!("47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    ),
    (
        address!("9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
        b256!("8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
    ),
    (
        address!("976EA74026E726554dB657fA54763abd0C3a0aa9"),
        b256!("92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
    ),
    (
        address!("14dC79964da2C08b23698B3D3cc7Ca32193d9955"),
        b256!("4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"),
    ),
    (
        address!("23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"),
        b256!("dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"),
    ),
    (
        address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720"),
        b256!("2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"),
    ),
];

/// The dev validator's consensus key. The dev driver signs nothing, so only its identity matters.
pub const DEV_VALIDATOR_KEY: B256 =
    b256!("5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf5eaf");
/// Where the dev validator's priority fees go: an address no dev key controls, so fee income
/// never blurs the dev accounts' balances.
pub const DEV_FEE_RECIPIENT: Address = address!("5eaf00000000000000000000000000000000fee0");
/// Where the dev validator's rewards above 32 ETH are withdrawn to once withdrawals start.
pub const DEV_VALIDATOR_WITHDRAWALS: Address = address!("5eaf00000000000000000000000000000000fee1");

impl Genesis {
    /// The dev chain: ten funded accounts, SHF, GOV and DAI, ETH/DAI and ETH/SHF pools, a farm
    /// on each pool's LP token, governance staking and a governor, one validator.
    pub fn dev(genesis_time: u64) -> Self {
        let ether = |n: u64| U256::from(n) * ETHER;
        let accounts = DEV_KEYS
            .iter()
            .map(|(address, _)| GenesisAccount {
                address: *address,
                balance: ether(10_000),
            })
            .collect();
        let to_account0 = |amount: U256| {
            vec![GenesisAccount {
                address: DEV_KEYS[0].0,
                balance: amount,
            }]
        };
        // Account 0 also seeds the ETH/DAI pool, so it starts with more DAI.
        let dai_for_everyone = DEV_KEYS
            .iter()
            .enumerate()
            .map(|(i, (address, _))| GenesisAccount {
                address: *address,
                balance: if i == 0 {
                    ether(1_000_000)
                } else {
                    ether(100_000)
                },
            })
            .collect();
        // GOV: 60,000 with account 0 (enough to propose alone), 10,000 with each of 1-4.
        let gov_holders = DEV_KEYS[..5]
            .iter()
            .enumerate()
            .map(|(i, (address, _))| GenesisAccount {
                address: *address,
                balance: ether(if i == 0 { 60_000 } else { 10_000 }),
            })
            .collect();
        Genesis {
            chain_id: DEV_CHAIN_ID,
            genesis_time,
            params: ChainParams::default(),
            accounts,
            tokens: vec![
                GenesisToken {
                    name: "Sheaf".into(),
                    symbol: "SHF".into(),
                    decimals: 18,
                    balances: to_account0(ether(1_000_000)),
                },
                GenesisToken {
                    name: "Sheaf Governance".into(),
                    symbol: "GOV".into(),
                    decimals: 18,
                    balances: gov_holders,
                },
                GenesisToken {
                    name: "Dai Stablecoin (test)".into(),
                    symbol: "DAI".into(),
                    decimals: 18,
                    balances: dai_for_everyone,
                },
            ],
            // 100 ETH against 300,000 DAI: 3,000 DAI per ETH.
            // ETH/SHF prices SHF (10,000 SHF per ETH, so 0.30 DAI), which farm APRs need.
            pools: vec![
                GenesisPool {
                    token_a: "ETH".into(),
                    token_b: "DAI".into(),
                    amount_a: ether(100),
                    amount_b: ether(300_000),
                    provider: DEV_KEYS[0].0,
                },
                GenesisPool {
                    token_a: "ETH".into(),
                    token_b: "SHF".into(),
                    amount_a: ether(50),
                    amount_b: ether(500_000),
                    provider: DEV_KEYS[0].0,
                },
            ],
            farm: Some(GenesisFarms {
                reward_token: "SHF".into(),
                reward_per_block: ether(10),
                farms: vec![
                    GenesisFarm {
                        staked: "ETH/DAI".into(),
                        alloc_point: 100,
                    },
                    GenesisFarm {
                        staked: "ETH/SHF".into(),
                        alloc_point: 50,
                    },
                ],
            }),
            // Short windows so a proposal can go from idea to execution in under a minute of
            // 1-second blocks.
            gov: Some(GenesisGov {
                staking_token: "SHF".into(),
                gov_token: "GOV".into(),
                gov_per_block: ether(1),
                voting_delay: 1,
                voting_period: 20,
                proposal_threshold: ether(1_000),
                quorum_numerator: 4,
                timelock_delay: 5,
                grace_period: 1_000,
                cooldown_blocks: 10,
            }),
            staking: Some(sheaf_staking::StakingParams::dev()),
            validators: vec![GenesisValidator {
                name: "dev".into(),
                pub_key: DEV_VALIDATOR_KEY,
                power: 32,
                fee_recipient: DEV_FEE_RECIPIENT,
                withdrawal_address: Some(DEV_VALIDATOR_WITHDRAWALS),
            }],
        }
    }

    /// Checks what serde cannot: the rules a chain must start from.
    pub fn validate(&self) -> Result<(), String> {
        if self.chain_id == 0 {
            return Err("chainId must be non-zero".into());
        }
        if self.validators.is_empty() {
            return Err("at least one validator is required".into());
        }
        if self.validators.iter().any(|v| v.power == 0) {
            return Err("every genesis validator needs power above zero".into());
        }
        let staking = self
            .staking
            .unwrap_or_else(sheaf_staking::StakingParams::mainnet);
        staking.validate()?;
        let full = staking.max_effective_balance / staking.effective_balance_increment;
        if let Some(v) = self.validators.iter().find(|v| v.power != full) {
            return Err(format!(
                "validator {} has power {}; genesis validators start with a full deposit, power {full}",
                v.name, v.power
            ));
        }
        let p = &self.params;
        if p.block_gas_limit < 21_000 * 2 {
            return Err("blockGasLimit must fit at least two transfers".into());
        }
        if p.initial_base_fee < p.min_base_fee {
            return Err("initialBaseFee must be at least minBaseFee".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for account in &self.accounts {
            if !seen.insert(account.address) {
                return Err(format!("account {} is listed twice", account.address));
            }
        }
        let symbols: std::collections::BTreeSet<&str> =
            self.tokens.iter().map(|t| t.symbol.as_str()).collect();
        if symbols.len() != self.tokens.len() {
            return Err("genesis token symbols must be unique".into());
        }
        let require_token = |symbol: &str, role: &str| {
            if symbols.contains(symbol) {
                Ok(())
            } else {
                Err(format!("{role} {symbol:?} is not a genesis token"))
            }
        };
        if let Some(farm) = &self.farm {
            require_token(&farm.reward_token, "farm.rewardToken")?;
        }
        if let Some(gov) = &self.gov {
            require_token(&gov.staking_token, "gov.stakingToken")?;
            require_token(&gov.gov_token, "gov.govToken")?;
            if self
                .farm
                .as_ref()
                .is_some_and(|f| f.reward_token == gov.gov_token)
            {
                return Err("GOV cannot also be the farm's reward token".into());
            }
            for (name, value) in gov.params() {
                let spec = sheaf_gov::params::spec(name).ok_or("unknown parameter")?;
                sheaf_gov::params::check(&spec.module, name, value)
                    .map_err(|e| format!("gov: {e}"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_keys_derive_their_addresses() {
        for (address, secret) in DEV_KEYS {
            let signer = sheaf_tx::sign::Signer::new(secret).expect("valid key");
            assert_eq!(signer.address, address);
        }
    }

    #[test]
    fn dev_genesis_is_valid_and_round_trips_json() {
        let genesis = Genesis::dev(1_700_000_000);
        genesis.validate().expect("valid");
        let json = serde_json::to_string_pretty(&genesis).expect("json");
        assert_eq!(
            serde_json::from_str::<Genesis>(&json).expect("parse"),
            genesis
        );
    }
}
