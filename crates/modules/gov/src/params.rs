//! Governance-set numeric parameters. Each is declared here with the module that owns it and its
//! valid range; a proposal to set one outside its range is rejected at `propose`.

use alloy_primitives::{Address, U256};
use sheaf_abi::system::{GOV_STAKING, GOVERNOR};
use sheaf_state::{StateRead, StateReadExt, StateWrite, StateWriteExt};

use crate::state_key;

#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    /// The system address a `setParameter` action for it must target.
    pub module: Address,
    pub min: u128,
    pub max: u128,
    pub doc: &'static str,
}

/// 10^27 base units: one billion GOV.
const BILLION_TOKENS: u128 = 1_000_000_000 * 10u128.pow(18);

pub const VOTING_DELAY: &str = "votingDelay";
pub const VOTING_PERIOD: &str = "votingPeriod";
pub const PROPOSAL_THRESHOLD: &str = "proposalThreshold";
pub const QUORUM_NUMERATOR: &str = "quorumNumerator";
pub const TIMELOCK_DELAY: &str = "timelockDelay";
pub const GRACE_PERIOD: &str = "gracePeriod";
pub const COOLDOWN_BLOCKS: &str = "cooldownBlocks";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: VOTING_DELAY,
        module: GOVERNOR,
        // At least 1: the snapshot must be a block that is over before anyone can vote.
        min: 1,
        max: 50_400,
        doc: "blocks from propose to the snapshot; voting opens after it",
    },
    ParamSpec {
        name: VOTING_PERIOD,
        module: GOVERNOR,
        min: 2,
        max: 201_600,
        doc: "blocks voting stays open after the snapshot",
    },
    ParamSpec {
        name: PROPOSAL_THRESHOLD,
        module: GOVERNOR,
        min: 0,
        max: BILLION_TOKENS,
        doc: "GOV votes (base units) a proposer needs at the previous block",
    },
    ParamSpec {
        name: QUORUM_NUMERATOR,
        module: GOVERNOR,
        min: 1,
        max: 100,
        doc: "percent of GOV supply at the snapshot that For + Abstain must reach",
    },
    ParamSpec {
        name: TIMELOCK_DELAY,
        module: GOVERNOR,
        // At least 1: queueing and executing can never share a block.
        min: 1,
        max: 201_600,
        doc: "blocks a queued proposal waits before it can execute",
    },
    ParamSpec {
        name: GRACE_PERIOD,
        module: GOVERNOR,
        min: 1,
        max: 1_000_000,
        doc: "blocks after its eta a queued proposal can still execute before it expires",
    },
    ParamSpec {
        name: COOLDOWN_BLOCKS,
        module: GOV_STAKING,
        min: 0,
        max: 1_000_000,
        doc: "blocks between requesting an unstake and withdrawing the SHF",
    },
];

pub fn spec(name: &str) -> Option<&'static ParamSpec> {
    PARAMS.iter().find(|p| p.name == name)
}

/// Checks that `name` is a parameter of `module` and `value` is within its range.
pub fn check(module: &Address, name: &str, value: U256) -> Result<(), String> {
    let spec = spec(name).ok_or_else(|| format!("unknown parameter {name:?}"))?;
    if spec.module != *module {
        return Err(format!("parameter {name} belongs to {}", spec.module));
    }
    if value < U256::from(spec.min) || value > U256::from(spec.max) {
        return Err(format!(
            "{name} must be between {} and {}, not {value}",
            spec.min, spec.max
        ));
    }
    Ok(())
}

pub fn get<S: StateRead + ?Sized>(state: &S, name: &str) -> U256 {
    state.get_u256(&state_key::param(name))
}

/// A parameter that is a block count (every one but the threshold).
pub fn blocks<S: StateRead + ?Sized>(state: &S, name: &str) -> u64 {
    u64::try_from(get(state, name)).unwrap_or(u64::MAX)
}

/// Sets a parameter after checking its range (genesis and executed proposals both come here).
pub fn set<S: StateWrite + ?Sized>(state: &mut S, name: &str, value: U256) -> Result<(), String> {
    let spec = spec(name).ok_or_else(|| format!("unknown parameter {name:?}"))?;
    check(&spec.module, name, value)?;
    state.put_u256(state_key::param(name), value);
    Ok(())
}
