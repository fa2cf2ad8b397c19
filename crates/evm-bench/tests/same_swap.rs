//! Both engines run the same swap: from identical pools, the same sequence of swaps pays out
//! exactly the same amounts, so the benchmark compares like with like.

use alloy_primitives::U256;
use sheaf_evm_bench::{EvmSwaps, NativeSwaps, SolidityShape};
use sheaf_primitives::ETHER;

#[test]
fn the_solidity_pair_and_the_native_module_pay_the_same_amounts() -> anyhow::Result<()> {
    same_amounts(SolidityShape::SinglePair)
}

#[test]
fn the_v2_shaped_router_and_the_native_module_pay_the_same_amounts() -> anyhow::Result<()> {
    same_amounts(SolidityShape::UniswapV2)
}

fn same_amounts(shape: SolidityShape) -> anyhow::Result<()> {
    let swappers = 4;
    let mut evm = EvmSwaps::new(swappers, shape)?;
    let native = NativeSwaps::new(swappers)?;
    let mut block = native.block(swappers)?;
    for i in 0..40usize {
        let a_to_b = i % 3 != 0;
        let amount = U256::from(1 + i as u64 * 997) * ETHER / U256::from(7u64);
        let on_evm = evm.swap(i % swappers, a_to_b, amount)?;
        let on_sheaf = native.swap(&mut block, i % swappers, a_to_b, amount)?;
        assert_eq!(on_evm, on_sheaf, "{shape:?}, swap {i}");
        assert!(on_evm > U256::ZERO);
    }
    Ok(())
}
