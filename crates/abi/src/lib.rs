//! The ABI is the API: every call a wallet or script makes to Sheaf is a Solidity-ABI call against
//! one of the interfaces in `contracts/`, decoded here with alloy's `sol!` from those same files.

use alloy_primitives::{Address, address};

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IERC20.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/ISheafTokenFactory.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IUniswapV2Pair.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IUniswapV2Factory.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IUniswapV2Router02.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IWETH9.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IVotes.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IMasterChef.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IGovStaking.sol"
);

/// `ProposalCreated` has nine fields, so its generated constructor does too.
#[allow(clippy::too_many_arguments)]
mod governor {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../contracts/IGovernor.sol"
    );
}
pub use governor::*;

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../../contracts/IDepositContract.sol"
);

/// Fixed addresses of the system modules. `eth_getCode` answers a one-byte stub at each, so
/// wallets treat calls to them as contract interactions.
pub mod system {
    use super::*;

    /// The bank module's token factory.
    pub const TOKEN_FACTORY: Address = address!("5eaf000000000000000000000000000000000001");

    /// The amm module's Uniswap V2 factory: it creates pools and mints and burns their LP tokens.
    pub const UNISWAP_V2_FACTORY: Address = address!("5eaf000000000000000000000000000000000002");

    /// The amm module's Uniswap V2 Router02.
    pub const UNISWAP_V2_ROUTER: Address = address!("5eaf000000000000000000000000000000000003");

    /// Wrapped ETH (WETH9-compatible), the pool token for ETH pairs.
    pub const WETH: Address = address!("5eaf000000000000000000000000000000000004");

    /// The farm module (MasterChef V2 ABI): stake LP tokens, earn SHF.
    pub const MASTER_CHEF: Address = address!("5eaf000000000000000000000000000000000005");

    /// Governance staking: stake SHF, earn GOV.
    pub const GOV_STAKING: Address = address!("5eaf000000000000000000000000000000000006");

    /// The governor (OpenZeppelin Governor ABI shape). Its balances are the treasury.
    pub const GOVERNOR: Address = address!("5eaf000000000000000000000000000000000007");

    /// The deposit contract and validator staking.
    pub const DEPOSIT_CONTRACT: Address = address!("5eaf000000000000000000000000000000000008");

    /// Every system address by the name `sheaf_systemAddresses` reports it under.
    pub const ALL: &[(&str, Address)] = &[
        ("tokenFactory", TOKEN_FACTORY),
        ("uniswapV2Factory", UNISWAP_V2_FACTORY),
        ("uniswapV2Router02", UNISWAP_V2_ROUTER),
        ("WETH", WETH),
        ("masterChef", MASTER_CHEF),
        ("govStaking", GOV_STAKING),
        ("governor", GOVERNOR),
        ("depositContract", DEPOSIT_CONTRACT),
    ];

    pub fn is_system(addr: &Address) -> bool {
        ALL.iter().any(|(_, a)| a == addr)
    }
}

/// The code `eth_getCode` returns for system addresses and tokens: `INVALID` (0xfe), which no
/// one can execute but which marks the address as a contract.
pub const STUB_CODE: &[u8] = &[0xfe];
