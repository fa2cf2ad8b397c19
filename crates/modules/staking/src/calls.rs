//! The deposit contract's and the staking views' ABI at `depositContract`.

use alloy_primitives::{Address, B256, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolInterface};
use sheaf_abi::{
    IDepositContract::{self, IDepositContractCalls},
    IStaking,
};
use sheaf_module_api::{CallEnv, Revert, decode_call, selector};
use sheaf_state::{StateReadExt, StateWrite};

use crate::{
    FAR_FUTURE, GWEI_PER_ETH, Validator, deposit, epoch, epoch_of, event, params,
    registry::{self, RegistryRead},
    state_key,
};

pub fn gas(data: &[u8]) -> u64 {
    match selector(data) {
        Some(IDepositContract::depositCall::SELECTOR) => 120_000,
        Some(IStaking::exitCall::SELECTOR) | Some(IStaking::unjailCall::SELECTOR) => 40_000,
        Some(IStaking::exitSignedCall::SELECTOR) => 45_000,
        Some(IStaking::reportDoubleSignCall::SELECTOR) => 100_000,
        _ => 0,
    }
}

fn invalid(reason: impl Into<String>) -> Revert {
    Revert::custom(IStaking::InvalidDeposit {
        reason: reason.into(),
    })
}

/// Where a validator is in its life at `epoch`.
pub fn status(v: &Validator, p: &crate::StakingParams, epoch: u64) -> IStaking::Status {
    use IStaking::Status::*;
    if v.slashed && v.balance > 0 {
        return Slashed;
    }
    if v.withdrawable_epoch <= epoch {
        return if v.balance == 0 {
            Withdrawn
        } else {
            Withdrawable
        };
    }
    if v.exit_epoch <= epoch {
        return Exited;
    }
    if v.is_jailed() {
        return Jailed;
    }
    if v.is_active(epoch) {
        return if v.exit_epoch != FAR_FUTURE {
            Exiting
        } else {
            Active
        };
    }
    if v.activation_eligibility_epoch != FAR_FUTURE
        || v.effective_balance >= p.max_effective_balance
    {
        Eligible
    } else {
        Pending
    }
}

pub fn info(v: &Validator, p: &crate::StakingParams, epoch: u64) -> IStaking::ValidatorInfo {
    IStaking::ValidatorInfo {
        index: v.index,
        pubkey: v.pubkey,
        withdrawalAddress: v.withdrawal_address,
        status: status(v, p, epoch),
        balanceGwei: v.balance,
        effectiveBalanceGwei: v.effective_balance,
        slashed: v.slashed,
        activationEligibilityEpoch: v.activation_eligibility_epoch,
        activationEpoch: v.activation_epoch,
        exitEpoch: v.exit_epoch,
        withdrawableEpoch: v.withdrawable_epoch,
        jailedUntilBlock: v.jailed_until,
    }
}

fn known<S: StateWrite>(state: &S, pubkey: B256) -> Result<Validator, Revert> {
    state
        .validator_by_pubkey(&pubkey)
        .ok_or_else(|| Revert::custom(IStaking::UnknownValidator { pubkey }))
}

fn owner_only(v: &Validator, caller: &Address) -> Result<(), Revert> {
    if v.withdrawal_address != *caller {
        return Err(Revert::custom(IStaking::NotWithdrawalAddress {
            caller: *caller,
            withdrawalAddress: v.withdrawal_address,
        }));
    }
    Ok(())
}

/// `deposit(pubkey, withdrawal_credentials, signature, deposit_data_root)` with `env.value`
/// already held by the deposit contract.
fn process_deposit<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    c: IDepositContract::depositCall,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let p = params(state);
    let pubkey: [u8; 32] = c
        .pubkey
        .as_ref()
        .try_into()
        .map_err(|_| invalid("pubkey must be 32 bytes (ed25519)"))?;
    let credentials: [u8; 32] = c
        .withdrawal_credentials
        .as_ref()
        .try_into()
        .map_err(|_| invalid("withdrawal_credentials must be 32 bytes"))?;
    let signature: [u8; 64] = c
        .signature
        .as_ref()
        .try_into()
        .map_err(|_| invalid("signature must be 64 bytes (ed25519)"))?;
    let (pubkey, credentials) = (B256::from(pubkey), B256::from(credentials));
    let gwei = U256::from(GWEI_PER_ETH);
    if env.value < U256::from(p.min_deposit) * gwei {
        return Err(invalid("deposit value too low"));
    }
    if !(env.value % gwei).is_zero() {
        return Err(invalid("deposit value not multiple of gwei"));
    }
    let amount = u64::try_from(env.value / gwei).map_err(|_| invalid("deposit value too high"))?;
    if deposit::deposit_data_root(&pubkey, &credentials, amount, &signature)
        != c.deposit_data_root.0
    {
        return Err(invalid(
            "reconstructed DepositData does not match supplied deposit_data_root",
        ));
    }
    let mut v = match state.validator_by_pubkey(&pubkey) {
        // A top-up: no signature needed, and the credentials stay what they were.
        Some(v) => v,
        None => {
            let address = deposit::credentials_address(&credentials).ok_or_else(|| {
                invalid(
                    "withdrawal_credentials must be 0x01 followed by 11 zero bytes and an address",
                )
            })?;
            let chain_id = state.get_u64(&state_key::chain_id());
            if !deposit::verify_proof_of_possession(
                chain_id,
                &pubkey,
                &credentials,
                amount,
                &signature,
            ) {
                return Err(invalid(
                    "the signature is not a valid proof of possession of pubkey",
                ));
            }
            registry::register(state, pubkey, address)
        }
    };
    v.balance = v
        .balance
        .checked_add(amount)
        .ok_or_else(|| invalid("balance overflow"))?;
    if v.activation_epoch == FAR_FUTURE && v.effective_balance < p.max_effective_balance {
        // Before activation the effective balance follows deposits directly (`apply_deposit`
        // sets it for a new validator); hysteresis applies from the next epoch.
        v.effective_balance =
            (v.balance - v.balance % p.effective_balance_increment).min(p.max_effective_balance);
    }
    registry::put_validator(state, &v);
    let index = state.deposit_count();
    deposit::insert_leaf(
        state,
        deposit::deposit_data_root(&pubkey, &credentials, amount, &signature),
    );
    logs.push(event(IDepositContract::DepositEvent {
        pubkey: Bytes::copy_from_slice(pubkey.as_slice()),
        withdrawal_credentials: Bytes::copy_from_slice(credentials.as_slice()),
        amount: Bytes::copy_from_slice(&amount.to_le_bytes()),
        signature: Bytes::copy_from_slice(&signature),
        index: Bytes::copy_from_slice(&index.to_le_bytes()),
    }));
    Ok(())
}

/// `process_voluntary_exit`'s checks, then the exit queue.
fn initiate_voluntary_exit<S: StateWrite>(
    state: &mut S,
    p: &crate::StakingParams,
    mut v: Validator,
    epoch: u64,
    logs: &mut Vec<Log>,
) -> Result<(), Revert> {
    let cannot = |why: &str| Revert::custom(IStaking::CannotExit { reason: why.into() });
    if !v.is_active(epoch) {
        return Err(cannot("the validator is not active"));
    }
    if v.exit_epoch != FAR_FUTURE {
        return Err(cannot("the validator is already exiting"));
    }
    if epoch < v.activation_epoch + p.min_active_before_exit {
        return Err(cannot(
            "the validator has not been active long enough to exit",
        ));
    }
    epoch::ExitQueue::new(p, &state.validators(), epoch).initiate_exit(p, &mut v, epoch);
    registry::put_validator(state, &v);
    logs.push(event(IStaking::ValidatorExitRequested {
        index: v.index,
        exitEpoch: v.exit_epoch,
        withdrawableEpoch: v.withdrawable_epoch,
    }));
    Ok(())
}

pub fn call<S: StateWrite>(
    state: &mut S,
    env: &CallEnv,
    data: &[u8],
    logs: &mut Vec<Log>,
) -> Result<Bytes, Revert> {
    let p = params(state);
    let height = env.block.height;
    let epoch = epoch_of(&p, height);
    if selector(data).is_some_and(<IDepositContractCalls as SolInterface>::valid_selector) {
        let output = match decode_call::<IDepositContractCalls>(data)? {
            IDepositContractCalls::deposit(c) => {
                process_deposit(state, env, c, logs)?;
                Vec::new()
            }
            IDepositContractCalls::get_deposit_root(_) => {
                IDepositContract::get_deposit_rootCall::abi_encode_returns(&B256::from(
                    deposit::deposit_root(state),
                ))
            }
            IDepositContractCalls::get_deposit_count(_) => {
                IDepositContract::get_deposit_countCall::abi_encode_returns(
                    &Bytes::copy_from_slice(&state.deposit_count().to_le_bytes()),
                )
            }
        };
        return Ok(output.into());
    }
    if !env.value.is_zero() {
        return Err(Revert::reason("only deposit() is payable"));
    }
    use IStaking::*;
    let output = match decode_call::<IStakingCalls>(data)? {
        IStakingCalls::getValidator(c) => {
            getValidatorCall::abi_encode_returns(&info(&known(state, c.pubkey)?, &p, epoch))
        }
        IStakingCalls::validatorCount(_) => {
            validatorCountCall::abi_encode_returns(&U256::from(state.validator_count()))
        }
        IStakingCalls::validatorAt(c) => {
            let v = u64::try_from(c.index)
                .ok()
                .and_then(|i| state.validator(i))
                .ok_or_else(|| Revert::reason("validator index out of range"))?;
            validatorAtCall::abi_encode_returns(&info(&v, &p, epoch))
        }
        IStakingCalls::currentEpoch(_) => currentEpochCall::abi_encode_returns(&epoch),
        IStakingCalls::totalActiveBalanceGwei(_) => {
            let total: u64 = state
                .validators()
                .iter()
                .filter(|v| v.is_active(epoch))
                .map(|v| v.effective_balance)
                .sum();
            totalActiveBalanceGweiCall::abi_encode_returns(&total)
        }
        IStakingCalls::withdrawalsEnabled(_) => {
            withdrawalsEnabledCall::abi_encode_returns(&(height >= state.withdrawals_height()))
        }
        IStakingCalls::withdrawalsHeight(_) => {
            withdrawalsHeightCall::abi_encode_returns(&state.withdrawals_height())
        }
        IStakingCalls::exit(c) => {
            let v = known(state, c.pubkey)?;
            owner_only(&v, &env.caller)?;
            initiate_voluntary_exit(state, &p, v, epoch, logs)?;
            Vec::new()
        }
        IStakingCalls::exitSigned(c) => {
            let v = known(state, c.pubkey)?;
            let signature: [u8; 64] = c.signature.as_ref().try_into().map_err(|_| {
                Revert::custom(CannotExit {
                    reason: "the signature must be 64 bytes (ed25519)".into(),
                })
            })?;
            let chain_id = state.get_u64(&state_key::chain_id());
            if !deposit::verify_exit(chain_id, &v.pubkey, c.epoch, v.index, &signature) {
                return Err(Revert::custom(CannotExit {
                    reason: "the signature is not the validator's over this exit".into(),
                }));
            }
            if epoch < c.epoch {
                return Err(Revert::custom(CannotExit {
                    reason: format!("the exit is valid from epoch {}", c.epoch),
                }));
            }
            initiate_voluntary_exit(state, &p, v, epoch, logs)?;
            Vec::new()
        }
        IStakingCalls::reportDoubleSign(c) => {
            let votes = [
                c.signBytesA.as_ref(),
                c.signatureA.as_ref(),
                c.signBytesB.as_ref(),
                c.signatureB.as_ref(),
            ];
            crate::report_double_sign(state, &c.pubkey, votes, env.caller, height, logs)?;
            Vec::new()
        }
        IStakingCalls::unjail(c) => {
            let mut v = known(state, c.pubkey)?;
            owner_only(&v, &env.caller)?;
            let cannot = |why: String| Revert::custom(CannotUnjail { reason: why });
            if !v.is_jailed() {
                return Err(cannot("the validator is not jailed".into()));
            }
            if v.slashed {
                return Err(cannot("a slashed validator cannot return".into()));
            }
            if height < v.jailed_until {
                return Err(cannot(format!("jailed until block {}", v.jailed_until)));
            }
            v.jailed_until = 0;
            registry::put_validator(state, &v);
            logs.push(event(ValidatorUnjailed { index: v.index }));
            Vec::new()
        }
    };
    Ok(output.into())
}
