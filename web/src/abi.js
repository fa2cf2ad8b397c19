import { parseAbi } from 'viem'

// The same interfaces as contracts/*.sol, in viem's human-readable form.

export const erc20 = parseAbi([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function totalSupply() view returns (uint256)',
  'function balanceOf(address) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function approve(address spender, uint256 amount) returns (bool)',
  'function transfer(address to, uint256 amount) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
])

export const pair = parseAbi([
  'function getReserves() view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)',
  'event Sync(uint112 reserve0, uint112 reserve1)',
  'event Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to)',
  'event Mint(address indexed sender, uint256 amount0, uint256 amount1)',
  'event Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to)',
])

export const router = parseAbi([
  'function WETH() view returns (address)',
  'function getAmountsOut(uint256 amountIn, address[] path) view returns (uint256[] amounts)',
  'function quote(uint256 amountA, uint256 reserveA, uint256 reserveB) pure returns (uint256 amountB)',
  'function addLiquidity(address tokenA, address tokenB, uint256 amountADesired, uint256 amountBDesired, uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline) returns (uint256 amountA, uint256 amountB, uint256 liquidity)',
  'function addLiquidityETH(address token, uint256 amountTokenDesired, uint256 amountTokenMin, uint256 amountETHMin, address to, uint256 deadline) payable returns (uint256 amountToken, uint256 amountETH, uint256 liquidity)',
  'function removeLiquidity(address tokenA, address tokenB, uint256 liquidity, uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline) returns (uint256 amountA, uint256 amountB)',
  'function removeLiquidityETH(address token, uint256 liquidity, uint256 amountTokenMin, uint256 amountETHMin, address to, uint256 deadline) returns (uint256 amountToken, uint256 amountETH)',
  'function swapExactTokensForTokens(uint256 amountIn, uint256 amountOutMin, address[] path, address to, uint256 deadline) returns (uint256[] amounts)',
  'function swapExactETHForTokens(uint256 amountOutMin, address[] path, address to, uint256 deadline) payable returns (uint256[] amounts)',
  'function swapExactTokensForETH(uint256 amountIn, uint256 amountOutMin, address[] path, address to, uint256 deadline) returns (uint256[] amounts)',
])

export const masterChef = parseAbi([
  'function deposit(uint256 pid, uint256 amount, address to)',
  'function withdraw(uint256 pid, uint256 amount, address to)',
  'function harvest(uint256 pid, address to)',
  'event Deposit(address indexed user, uint256 indexed pid, uint256 amount, address indexed to)',
  'event Withdraw(address indexed user, uint256 indexed pid, uint256 amount, address indexed to)',
  'event Harvest(address indexed user, uint256 indexed pid, uint256 amount)',
])

export const govStaking = parseAbi([
  'function stakedOf(address user) view returns (uint256)',
  'function pendingGov(address user) view returns (uint256)',
  'function cooldownOf(address user) view returns (uint256 amount, uint256 cooldownEnd)',
  'function stake(uint256 amount)',
  'function requestUnstake(uint256 amount)',
  'function withdraw()',
  'function claim(address to)',
  'event Staked(address indexed user, uint256 amount)',
  'event UnstakeRequested(address indexed user, uint256 amount, uint256 cooldownEnd)',
  'event Withdrawn(address indexed user, uint256 amount)',
  'event Claimed(address indexed user, address indexed to, uint256 amount)',
])

export const votes = parseAbi([
  'function delegates(address account) view returns (address)',
  'function getVotes(address account) view returns (uint256)',
  'function getPastVotes(address account, uint256 timepoint) view returns (uint256)',
  'function delegate(address delegatee)',
  'event DelegateChanged(address indexed delegator, address indexed fromDelegate, address indexed toDelegate)',
  'event DelegateVotesChanged(address indexed delegate, uint256 previousVotes, uint256 newVotes)',
])

export const governor = parseAbi([
  'function hasVoted(uint256 proposalId, address account) view returns (bool)',
  'function castVote(uint256 proposalId, uint8 support) returns (uint256)',
  'function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) returns (uint256)',
  'function queue(uint256 proposalId)',
  'function execute(uint256 proposalId) payable',
  'event VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason)',
  'event ProposalQueued(uint256 proposalId, uint256 etaSeconds)',
  'event ProposalExecuted(uint256 proposalId)',
])

/** ISheafGovernanceActions: the typed calls a proposal may carry (contracts/IGovernor.sol). */
export const governanceActions = parseAbi([
  'function setFarmAllocation(uint256 pid, uint64 allocPoint)',
  'function setRewardPerBlock(uint256 rewardPerBlock)',
  'function setGovPerBlock(uint256 govPerBlock)',
  'function setParameter(string name, uint256 value)',
  'function enableWithdrawals()',
])

export const depositContract = parseAbi([
  'function deposit(bytes pubkey, bytes withdrawal_credentials, bytes signature, bytes32 deposit_data_root) payable',
  'function exit(bytes32 pubkey)',
  'function unjail(bytes32 pubkey)',
  'event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index)',
  'event ValidatorExitRequested(uint64 indexed index, uint64 exitEpoch, uint64 withdrawableEpoch)',
  'event ValidatorUnjailed(uint64 indexed index)',
  'event ValidatorJailed(uint64 indexed index, uint64 untilBlock, uint64 penaltyGwei)',
  'event ValidatorSlashed(uint64 indexed index, uint64 penaltyGwei, uint64 withdrawableEpoch)',
  'event Withdrawal(uint64 indexed index, address indexed to, uint64 amountGwei)',
  'struct ValidatorInfo { uint64 index; bytes32 pubkey; address withdrawalAddress; uint8 status; uint64 balanceGwei; uint64 effectiveBalanceGwei; bool slashed; uint64 activationEligibilityEpoch; uint64 activationEpoch; uint64 exitEpoch; uint64 withdrawableEpoch; uint64 jailedUntilBlock; }',
  'function validatorAt(uint256 index) view returns (ValidatorInfo)',
])

/** Every event the dashboard can put into words in a receipt. */
export const allEvents = [erc20, pair, masterChef, govStaking, votes, governor, depositContract].flatMap((abi) =>
  abi.filter((item) => item.type === 'event'),
)
