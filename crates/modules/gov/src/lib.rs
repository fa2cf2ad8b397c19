//! # gov
//!
//! Governance, in three parts:
//! - **[`staking`]** at `govStaking`: stake SHF, earn GOV each block (the farm's reward-per-share
//!   accounting), unstake through a cooldown.
//! - **GOV's votes**: GOV is a bank token with ERC20Votes semantics (`sheaf_bank::votes`), minted
//!   only by governance staking; its per-block checkpoints are what the governor weighs votes by.
//! - **[`governor`]** at `governor`: OpenZeppelin Governor's lifecycle (pending → active →
//!   defeated / succeeded → queued → executed, or canceled / expired) with typed, bounds-checked
//!   [`actions`] instead of arbitrary calls, and governance-set [`params`].
//!
//! Safety against flash loans and double voting rests on reading votes at the proposal's snapshot
//! block, which is always in the past when a vote is cast (`votingDelay >= 1`), and on a timelock
//! of at least one block between queueing and execution: proposing, voting and executing can
//! never share a block.

pub mod actions;
pub mod governor;
pub mod params;
pub mod staking;
pub mod state_key;

pub use actions::Action;
pub use governor::{GovernorRead, Proposal, ProposalRequest};
pub use staking::GovStakingRead;
