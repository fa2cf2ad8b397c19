//! `sheaf bench farm`: what one farm deposit and one harvest cost as the number of stakers grows,
//! against a real committed store. MasterChef's accounting promises O(1) per action; this checks
//! it end to end, including the Merkle update of what the action wrote.

use std::time::Instant;

use alloy_primitives::{Address, U256, keccak256};
use alloy_sol_types::SolCall;
use sheaf_abi::{IMasterChef, system::MASTER_CHEF};
use sheaf_bank::{BankWrite, TokenMeta};
use sheaf_module_api::{BlockContext, CallEnv, clock};
use sheaf_state::{Delta, EmptyState, StateRead, StateWrite, Storage};

const SHF: Address = Address::repeat_byte(0x5f);
const LP: Address = Address::repeat_byte(0x11);
const STAKE: u64 = 1_000;
/// Stakers written per committed version while building the state.
const BATCH: usize = 50_000;

fn staker(i: u64) -> Address {
    Address::from_slice(&keccak256(i.to_be_bytes())[12..])
}

fn env(caller: Address, height: u64) -> CallEnv {
    CallEnv {
        caller,
        to: MASTER_CHEF,
        value: U256::ZERO,
        block: BlockContext {
            height,
            timestamp: height,
            proposer: Address::ZERO,
            base_fee: 0,
        },
    }
}

/// Gives `who` LP tokens approved for the farm and deposits them, as a user would.
fn deposit<S: StateWrite>(state: &mut S, who: Address, height: u64) -> anyhow::Result<()> {
    state.genesis_mint_token(&LP, &who, U256::from(STAKE))?;
    state.set_allowance(&LP, &who, &MASTER_CHEF, U256::from(STAKE));
    let call = IMasterChef::depositCall {
        pid: U256::ZERO,
        amount: U256::from(STAKE),
        to: who,
    };
    sheaf_farm::call(state, &env(who, height), &call.abi_encode(), &mut vec![])
        .map_err(|e| anyhow::anyhow!("deposit: {e}"))?;
    Ok(())
}

fn commit<S: StateRead>(storage: &Storage, version: u64, delta: Delta<S>) -> anyhow::Result<()> {
    let prepared = storage.prepare(version, delta.changes())?;
    storage.commit(prepared, vec![])?;
    Ok(())
}

/// Counts the reads that reach the committed store, to show the work per action is a constant
/// number of key accesses whatever the number of stakers.
struct Counting<'a, S> {
    inner: &'a S,
    reads: std::cell::Cell<u64>,
}

impl<S: StateRead> StateRead for Counting<'_, S> {
    fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.reads.set(self.reads.get() + 1);
        self.inner.get_raw(key)
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

pub struct Row {
    pub stakers: u64,
    pub deposit_us: f64,
    pub harvest_us: f64,
    pub merkle_us: f64,
    /// Store reads and keys written by one deposit plus one harvest (the same in every sample).
    pub reads: u64,
    pub writes: usize,
}

fn measure(stakers: u64, ops: usize) -> anyhow::Result<Row> {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(&dir.path().join("farm.redb"))?;
    let mut genesis = Delta::new(EmptyState);
    let meta = |minter| TokenMeta {
        name: "T".into(),
        symbol: "T".into(),
        decimals: 18,
        minter,
    };
    genesis.create_token(
        SHF,
        meta(MASTER_CHEF),
        &Address::ZERO,
        U256::ZERO,
        &mut vec![],
    );
    genesis.create_token(
        LP,
        meta(Address::ZERO),
        &Address::ZERO,
        U256::ZERO,
        &mut vec![],
    );
    sheaf_farm::init(&mut genesis, SHF, U256::from(10u64).pow(U256::from(19u64)));
    sheaf_farm::add_farm(&mut genesis, LP, 100, 0, &mut vec![])
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    commit(&storage, 0, genesis)?;

    let mut height = 0u64;
    let mut next = 0u64;
    let started = Instant::now();
    while next < stakers {
        height += 1;
        let snapshot = storage.snapshot(height - 1)?;
        let mut block = Delta::new(&snapshot);
        clock::set_height(&mut block, height);
        let end = (next + BATCH as u64).min(stakers);
        for i in next..end {
            deposit(&mut block, staker(i), height)?;
        }
        next = end;
        commit(&storage, height, block)?;
        eprint!(
            "\r  {stakers} stakers: {next} deposited ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();

    let snapshot = storage.snapshot(height)?;
    let counted = Counting {
        inner: &snapshot,
        reads: std::cell::Cell::new(0),
    };
    let (mut deposits, mut harvests, mut merkle) = (vec![], vec![], vec![]);
    let (mut reads, mut writes) = (0, 0);
    for k in 0..ops as u64 {
        // Each sample is the next block, so the farm's update mints and moves the accumulator.
        let at = height + 1 + k;
        let mut block = Delta::new(&counted);
        clock::set_height(&mut block, at);
        let newcomer = staker(stakers + k);
        block.genesis_mint_token(&LP, &newcomer, U256::from(STAKE))?;
        block.set_allowance(&LP, &newcomer, &MASTER_CHEF, U256::from(STAKE));
        let call = IMasterChef::depositCall {
            pid: U256::ZERO,
            amount: U256::from(STAKE),
            to: newcomer,
        };
        let setup_writes = block.changes().len();
        counted.reads.set(0);
        let t = Instant::now();
        sheaf_farm::call(
            &mut block,
            &env(newcomer, at),
            &call.abi_encode(),
            &mut vec![],
        )
        .map_err(|e| anyhow::anyhow!("deposit: {e}"))?;
        deposits.push(t.elapsed().as_secs_f64() * 1e6);

        // An existing staker spread over the whole set.
        let veteran = staker(k.wrapping_mul(2_654_435_761) % stakers);
        let call = IMasterChef::harvestCall {
            pid: U256::ZERO,
            to: veteran,
        };
        let t = Instant::now();
        sheaf_farm::call(
            &mut block,
            &env(veteran, at),
            &call.abi_encode(),
            &mut vec![],
        )
        .map_err(|e| anyhow::anyhow!("harvest: {e}"))?;
        harvests.push(t.elapsed().as_secs_f64() * 1e6);
        reads = counted.reads.get();
        writes = block.changes().len() - setup_writes;

        let t = Instant::now();
        storage.prepare(height + 1, block.changes())?;
        merkle.push(t.elapsed().as_secs_f64() * 1e6);
    }
    Ok(Row {
        stakers,
        deposit_us: median(deposits),
        harvest_us: median(harvests),
        merkle_us: median(merkle),
        reads,
        writes,
    })
}

pub fn run(stakers: &[u64], ops: usize) -> anyhow::Result<()> {
    let mut rows = vec![];
    for &n in stakers {
        rows.push(measure(n.max(1), ops.max(1))?);
    }
    out!(
        "stakers      deposit µs  harvest µs  Merkle update µs  store reads  keys written  (medians of {ops} samples)"
    );
    for r in &rows {
        out!(
            "{:>9}  {:>10.1}  {:>10.1}  {:>16.1}  {:>11}  {:>12}",
            r.stakers,
            r.deposit_us,
            r.harvest_us,
            r.merkle_us,
            r.reads,
            r.writes
        );
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        out!(
            "ratio {}→{} stakers: deposit {:.2}×, harvest {:.2}×, Merkle {:.2}×",
            first.stakers,
            last.stakers,
            last.deposit_us / first.deposit_us,
            last.harvest_us / first.harvest_us,
            last.merkle_us / first.merkle_us
        );
    }
    Ok(())
}
