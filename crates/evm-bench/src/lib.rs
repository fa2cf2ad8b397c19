//! One constant-product swap, two engines, the same run: Sheaf's amm module executing Router02's
//! `swapExactTokensForTokens` natively, and the same swap in Solidity (compiled by npm's solc
//! into `artifacts/`) executed by revm: `solidity/ConstantProduct.sol`'s single pair, or
//! `solidity/V2Shaped.sol`'s router and pair in Uniswap V2's shape. Both run in memory, one
//! transaction after another, each undone if it fails (natively a `BlockDelta` transaction over a
//! `ReadCache`, the layers `finalize_block` uses; on revm its journal over a `CacheDB`); neither
//! side recovers signatures, charges fees or hashes state, so the ratio is execution against
//! execution.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, sol};
use revm::{
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
    context::{TxEnv, result::ExecutionResult},
    database::{CacheDB, EmptyDB},
    primitives::TxKind,
    state::AccountInfo,
};
use sheaf_app::{
    Application, Genesis, SheafApp,
    genesis::{GenesisAccount, GenesisPool, GenesisToken},
};
use sheaf_module_api::{BlockContext, CallEnv};
use sheaf_primitives::ETHER;
use sheaf_state::{BlockDelta, ReadCache, Snapshot, StateRead};

sol! {
    function mint(address to, uint256 amount);
    function approve(address spender, uint256 amount) returns (bool);
    function transfer(address to, uint256 amount) returns (bool);
    function sync();
    function token0() returns (address);
    function swapExactTokensForTokens(uint256 amountIn, uint256 amountOutMin, address tokenIn, address to, uint256 deadline) returns (uint256 amountOut);
    function register(address pair);
}

const TOKEN_BIN: &str = include_str!("../artifacts/BenchToken.bin");
const PAIR_BIN: &str = include_str!("../artifacts/BenchPair.bin");
const V2_PAIR_BIN: &str = include_str!("../artifacts/V2Pair.bin");
const V2_ROUTER_BIN: &str = include_str!("../artifacts/V2Router.bin");

/// Which Solidity the EVM side runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SolidityShape {
    /// `BenchPair`: one contract that prices, pulls, pays and updates the reserves. The least
    /// work the EVM can do for this swap.
    SinglePair,
    /// `V2Router` calling `V2Pair`: Uniswap V2's shape, with the lock, the packed reserves and
    /// timestamp, the price accumulators and the fee-adjusted invariant check, as the native
    /// module keeps them.
    UniswapV2,
}

/// Each side's pool: 5,000,000 of each token; each swapper holds 1,000,000 of each.
pub const POOL_SIDE: u64 = 5_000_000;
pub const SWAPPER_BALANCE: u64 = 1_000_000;

/// Swapper `i`'s address on both sides.
pub fn swapper(i: usize) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xbe;
    bytes[12..20].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    Address::from(bytes)
}

/// The Solidity pair on revm.
pub struct EvmSwaps {
    evm: revm::handler::MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>,
    shape: SolidityShape,
    pair: Address,
    /// The V2 router; unused by the single pair.
    router: Address,
    /// Token A and token B, as the native side names them.
    tokens: [Address; 2],
}

fn hex_code(text: &str) -> anyhow::Result<Bytes> {
    Ok(alloy_primitives::hex::decode(text.trim())?.into())
}

impl EvmSwaps {
    pub fn new(swappers: usize, shape: SolidityShape) -> anyhow::Result<Self> {
        let deployer = Address::repeat_byte(0xde);
        let mut db = CacheDB::new(EmptyDB::default());
        db.insert_account_info(
            deployer,
            AccountInfo::from_balance(U256::from(1u64) * ETHER),
        );
        let evm = Context::mainnet()
            .with_db(db)
            // Swappers never pay fees here, as on the native side.
            .modify_cfg_chained(|cfg| cfg.disable_nonce_check = true)
            .build_mainnet();
        let mut this = Self {
            evm,
            shape,
            pair: Address::ZERO,
            router: Address::ZERO,
            tokens: [Address::ZERO; 2],
        };
        let a = this.create(deployer, hex_code(TOKEN_BIN)?)?;
        let b = this.create(deployer, hex_code(TOKEN_BIN)?)?;
        let pair_bin = match shape {
            SolidityShape::SinglePair => PAIR_BIN,
            SolidityShape::UniswapV2 => V2_PAIR_BIN,
        };
        let mut pair_code = hex_code(pair_bin)?.to_vec();
        pair_code.extend_from_slice(&alloy_sol_types::SolValue::abi_encode(&(a, b)));
        this.pair = this.create(deployer, pair_code.into())?;
        this.tokens = [a, b];
        // Swappers approve whoever pulls their input: the pair itself, or V2's router.
        let spender = match shape {
            SolidityShape::SinglePair => this.pair,
            SolidityShape::UniswapV2 => {
                this.router = this.create(deployer, hex_code(V2_ROUTER_BIN)?)?;
                let register = registerCall { pair: this.pair };
                this.call(deployer, this.router, register.abi_encode())?;
                this.router
            }
        };
        let side = U256::from(POOL_SIDE) * ETHER;
        for token in [a, b] {
            this.call(
                deployer,
                token,
                mintCall {
                    to: this.pair,
                    amount: side,
                }
                .abi_encode(),
            )?;
            for i in 0..swappers {
                let amount = U256::from(SWAPPER_BALANCE) * ETHER;
                this.call(
                    deployer,
                    token,
                    mintCall {
                        to: swapper(i),
                        amount,
                    }
                    .abi_encode(),
                )?;
                let approve = approveCall {
                    spender,
                    amount: U256::MAX,
                };
                this.call(swapper(i), token, approve.abi_encode())?;
            }
        }
        this.call(deployer, this.pair, syncCall {}.abi_encode())?;
        Ok(this)
    }

    fn transact(
        &mut self,
        caller: Address,
        kind: TxKind,
        data: Bytes,
    ) -> anyhow::Result<ExecutionResult> {
        let tx = TxEnv::builder()
            .caller(caller)
            .kind(kind)
            .data(data)
            .gas_price(0)
            .gas_priority_fee(None)
            .gas_limit(5_000_000)
            .build()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        self.evm
            .transact_commit(tx)
            .map_err(|e| anyhow::anyhow!("revm: {e:?}"))
    }

    fn create(&mut self, caller: Address, code: Bytes) -> anyhow::Result<Address> {
        match self.transact(caller, TxKind::Create, code)? {
            ExecutionResult::Success { output, .. } => output
                .address()
                .copied()
                .ok_or_else(|| anyhow::anyhow!("no address created")),
            other => anyhow::bail!("deployment failed: {other:?}"),
        }
    }

    fn call(&mut self, caller: Address, to: Address, data: Vec<u8>) -> anyhow::Result<Bytes> {
        match self.transact(caller, TxKind::Call(to), data.into())? {
            ExecutionResult::Success { output, .. } => Ok(output.into_data()),
            other => anyhow::bail!("call to {to} failed: {other:?}"),
        }
    }

    /// One swap of `amount_in` of token A (or B when `a_to_b` is false); returns the amount out.
    pub fn swap(&mut self, who: usize, a_to_b: bool, amount_in: U256) -> anyhow::Result<U256> {
        let token_in = self.tokens[usize::from(!a_to_b)];
        if self.shape == SolidityShape::UniswapV2 {
            let call = router02_swap(amount_in, self.tokens, a_to_b, who);
            let out = self.call(swapper(who), self.router, call)?;
            return router02_amount_out(&out);
        }
        let call = swapExactTokensForTokensCall {
            amountIn: amount_in,
            amountOutMin: U256::ZERO,
            tokenIn: token_in,
            to: swapper(who),
            deadline: U256::MAX,
        };
        let out = self.call(swapper(who), self.pair, call.abi_encode())?;
        Ok(swapExactTokensForTokensCall::abi_decode_returns(&out)?)
    }
}

/// Adds the market both swap benchmarks trade in: tokens TKA and TKB (the genesis tokens after
/// SHF, GOV and DAI), `SWAPPER_BALANCE` of each for every holder, and a TKA/TKB pool of
/// `POOL_SIDE` each that dev account 0 provides.
pub fn add_swap_market(genesis: &mut Genesis, holders: impl Iterator<Item = Address>) {
    let provider = sheaf_app::genesis::DEV_KEYS[0].0;
    let balances: Vec<GenesisAccount> = holders
        .map(|address| GenesisAccount {
            address,
            balance: U256::from(SWAPPER_BALANCE) * ETHER,
        })
        .chain([GenesisAccount {
            address: provider,
            balance: U256::from(POOL_SIDE) * ETHER,
        }])
        .collect();
    for symbol in ["TKA", "TKB"] {
        genesis.tokens.push(GenesisToken {
            name: symbol.into(),
            symbol: symbol.into(),
            decimals: 18,
            balances: balances.clone(),
        });
    }
    genesis.pools.push(GenesisPool {
        token_a: "TKA".into(),
        token_b: "TKB".into(),
        amount_a: U256::from(POOL_SIDE) * ETHER,
        amount_b: U256::from(POOL_SIDE) * ETHER,
        provider,
    });
}

/// Sheaf's amm module through Router02, on an overlay over a committed genesis.
pub struct NativeSwaps {
    // Dropped in this order: the snapshot before the store it reads, the store before its files.
    snapshot: Snapshot,
    _app: SheafApp,
    _dir: tempfile::TempDir,
    tokens: [Address; 2],
    block: BlockContext,
}

impl NativeSwaps {
    pub fn new(swappers: usize) -> anyhow::Result<Self> {
        let mut genesis = Genesis::dev(1_700_000_000);
        add_swap_market(&mut genesis, (0..swappers).map(swapper));
        let dir = tempfile::tempdir()?;
        let mut app = SheafApp::open(&dir.path().join("bench.redb"))?;
        app.init_chain(&genesis)?;
        let snapshot = app.shared().latest_snapshot()?;
        let tokens = sheaf_app::genesis_tokens(&snapshot);
        Ok(Self {
            snapshot,
            _app: app,
            _dir: dir,
            tokens: [tokens[3], tokens[4]],
            block: BlockContext {
                height: 1,
                timestamp: 1_700_000_001,
                proposer: Address::ZERO,
                base_fee: 0,
            },
        })
    }

    /// An overlay for one block, with every swapper's router approvals already in it: a hash
    /// map over a read cache over the committed snapshot, the layers `finalize_block` runs a
    /// block's transactions on.
    pub fn block(&self, swappers: usize) -> anyhow::Result<BlockDelta<ReadCache<&Snapshot>>> {
        let mut block = BlockDelta::new(ReadCache::new(&self.snapshot));
        for i in 0..swappers {
            for token in self.tokens {
                let approve = approveCall {
                    spender: sheaf_abi::system::UNISWAP_V2_ROUTER,
                    amount: U256::MAX,
                };
                self.run(&mut block, swapper(i), token, &approve.abi_encode())?;
            }
        }
        Ok(block)
    }

    /// One call as `finalize_block` runs a transaction's, its writes kept only if it succeeds.
    fn run<P: StateRead>(
        &self,
        block: &mut BlockDelta<P>,
        caller: Address,
        to: Address,
        data: &[u8],
    ) -> anyhow::Result<Bytes> {
        let env = CallEnv {
            caller,
            to,
            value: U256::ZERO,
            block: self.block,
        };
        block
            .transaction(|tx| sheaf_app::execute::dispatch(tx, &env, data, &mut vec![]))
            .map_err(|e| anyhow::anyhow!("{to}: {e}"))
    }

    /// One Router02 swap of `amount_in` of token A (or B); returns the amount out.
    pub fn swap<P: StateRead>(
        &self,
        block: &mut BlockDelta<P>,
        who: usize,
        a_to_b: bool,
        amount_in: U256,
    ) -> anyhow::Result<U256> {
        let call = router02_swap(amount_in, self.tokens, a_to_b, who);
        let out = self.run(
            block,
            swapper(who),
            sheaf_abi::system::UNISWAP_V2_ROUTER,
            &call,
        )?;
        router02_amount_out(&out)
    }
}

/// Router02's `swapExactTokensForTokens` of `amount_in` along `tokens` (A to B, or B to A), paid
/// to swapper `who`, with no minimum and no deadline: the call both Router02s (Sheaf's and
/// `V2Shaped.sol`'s) are given.
fn router02_swap(amount_in: U256, tokens: [Address; 2], a_to_b: bool, who: usize) -> Vec<u8> {
    let path = if a_to_b {
        tokens.to_vec()
    } else {
        vec![tokens[1], tokens[0]]
    };
    sheaf_abi::IUniswapV2Router02::swapExactTokensForTokensCall {
        amountIn: amount_in,
        amountOutMin: U256::ZERO,
        path,
        to: swapper(who),
        deadline: U256::MAX,
    }
    .abi_encode()
}

/// The last hop's amount out, from a Router02 swap's returned amounts.
fn router02_amount_out(output: &[u8]) -> anyhow::Result<U256> {
    let amounts =
        sheaf_abi::IUniswapV2Router02::swapExactTokensForTokensCall::abi_decode_returns(output)?;
    amounts
        .last()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no amounts"))
}
