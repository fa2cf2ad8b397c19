// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The deposit contract, with Ethereum's ABI (ethereum/consensus-specs
/// solidity_deposit_contract/deposit_contract.sol), at `depositContract`. Differences, because
/// Sheaf's consensus keys are CometBFT's ed25519 keys:
/// - `pubkey` is the 32-byte ed25519 consensus key and `signature` a 64-byte ed25519 signature
///   over the deposit message's signing root (domain: DOMAIN_DEPOSIT 0x03000000 followed by the
///   first 28 bytes of sha256("sheaf" || chain id as uint64 big-endian)).
/// - `deposit_data_root` is the SSZ hash_tree_root of DepositData{pubkey: Bytes32,
///   withdrawal_credentials: Bytes32, amount: uint64 Gwei, signature: Bytes64}, checked as Ethereum
///   does.
/// - An invalid signature reverts (Ethereum keeps the ETH and drops the deposit).
/// - `withdrawal_credentials` must be 0x01 || 11 zero bytes || address. A top-up of an existing
///   key keeps the credentials it was created with, whatever it says.
/// Gas beyond the 21,000 + calldata intrinsic cost: deposit 120,000; views 0.
interface IDepositContract {
    event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index);

    function deposit(bytes calldata pubkey, bytes calldata withdrawal_credentials, bytes calldata signature, bytes32 deposit_data_root) external payable;
    function get_deposit_root() external view returns (bytes32);
    function get_deposit_count() external view returns (bytes memory);
}

/// Validator staking at the same address: views and the actions a validator's owner takes.
/// Gas: exit 40,000, exitSigned 45,000, unjail 40,000, reportDoubleSign 100,000; views 0.
interface IStaking {
    enum Status { Pending, Eligible, Active, Exiting, Exited, Withdrawable, Withdrawn, Jailed, Slashed }

    struct ValidatorInfo {
        uint64 index;
        bytes32 pubkey;
        address withdrawalAddress;
        Status status;
        uint64 balanceGwei;
        uint64 effectiveBalanceGwei;
        bool slashed;
        uint64 activationEligibilityEpoch;
        uint64 activationEpoch;
        uint64 exitEpoch;
        uint64 withdrawableEpoch;
        uint64 jailedUntilBlock;
    }

    event ValidatorExitRequested(uint64 indexed index, uint64 exitEpoch, uint64 withdrawableEpoch);
    event ValidatorJailed(uint64 indexed index, uint64 untilBlock, uint64 penaltyGwei);
    event ValidatorUnjailed(uint64 indexed index);
    event ValidatorSlashed(uint64 indexed index, uint64 penaltyGwei, uint64 withdrawableEpoch);
    event Withdrawal(uint64 indexed index, address indexed to, uint64 amountGwei);

    error UnknownValidator(bytes32 pubkey);
    error NotWithdrawalAddress(address caller, address withdrawalAddress);
    error CannotExit(string reason);
    error CannotUnjail(string reason);
    error InvalidDeposit(string reason);
    error NotADoubleSign(string reason);

    function getValidator(bytes32 pubkey) external view returns (ValidatorInfo memory);
    function validatorCount() external view returns (uint256);
    function validatorAt(uint256 index) external view returns (ValidatorInfo memory);
    function currentEpoch() external view returns (uint64);
    function totalActiveBalanceGwei() external view returns (uint64);
    function withdrawalsEnabled() external view returns (bool);
    function withdrawalsHeight() external view returns (uint64);

    /// Voluntary exit, sent by the validator's withdrawal address (as EIP-7002 lets it).
    function exit(bytes32 pubkey) external;
    /// Voluntary exit signed by the consensus key (phase0's SignedVoluntaryExit), sent by anyone:
    /// an ed25519 signature over the signing root of VoluntaryExit{epoch, validator_index}
    /// (SSZ) with domain DOMAIN_VOLUNTARY_EXIT 0x04000000 and the chain's fork data, valid from
    /// `epoch` on.
    function exitSigned(bytes32 pubkey, uint64 epoch, bytes calldata signature) external;
    /// Leave jail once the jail time is over, sent by the withdrawal address.
    function unjail(bytes32 pubkey) external;
    /// A whistleblower's proof that `pubkey` signed two conflicting CometBFT votes (the same
    /// height, round and type, different block IDs) on this chain: each vote's sign bytes
    /// (length-delimited CanonicalVote protobuf, chain id "sheaf-<chain id>") and ed25519
    /// signature. The validator is slashed once; the sender is paid the whistleblower reward
    /// less the proposer's 1/8, in ETH.
    function reportDoubleSign(bytes32 pubkey, bytes calldata signBytesA, bytes calldata signatureA, bytes calldata signBytesB, bytes calldata signatureB) external;
}
