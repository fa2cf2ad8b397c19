// The Uniswap V2 surfaces through viem with the unchanged V2 ABIs: the dev ETH/DAI pool, a swap
// of ETH for DAI through Router02, adding liquidity with an exact approval, removing it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, createWalletClient, defineChain, http, parseAbi, parseEther, parseEventLogs } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startNode, rpc, DEV_KEYS } from './node.mjs';

const routerAbi = parseAbi([
  'function WETH() pure returns (address)',
  'function factory() pure returns (address)',
  'function getAmountsOut(uint amountIn, address[] path) view returns (uint[] amounts)',
  'function swapExactETHForTokens(uint amountOutMin, address[] path, address to, uint deadline) payable returns (uint[] amounts)',
  'function swapExactTokensForETH(uint amountIn, uint amountOutMin, address[] path, address to, uint deadline) returns (uint[] amounts)',
  'function addLiquidityETH(address token, uint amountTokenDesired, uint amountTokenMin, uint amountETHMin, address to, uint deadline) payable returns (uint amountToken, uint amountETH, uint liquidity)',
  'function removeLiquidityETH(address token, uint liquidity, uint amountTokenMin, uint amountETHMin, address to, uint deadline) returns (uint amountToken, uint amountETH)',
  'function addLiquidity(address tokenA, address tokenB, uint amountADesired, uint amountBDesired, uint amountAMin, uint amountBMin, address to, uint deadline) returns (uint amountA, uint amountB, uint liquidity)',
  'function removeLiquidity(address tokenA, address tokenB, uint liquidity, uint amountAMin, uint amountBMin, address to, uint deadline) returns (uint amountA, uint amountB)',
  'function swapExactTokensForTokens(uint amountIn, uint amountOutMin, address[] path, address to, uint deadline) returns (uint[] amounts)',
]);
const factoryAbi = parseAbi(['function getPair(address, address) view returns (address)', 'function allPairsLength() view returns (uint)', 'function createPair(address, address) returns (address)', 'event PairCreated(address indexed token0, address indexed token1, address pair, uint length)']);
const pairAbi = parseAbi([
  'function getReserves() view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)',
  'function token0() view returns (address)',
  'function totalSupply() view returns (uint)',
  'function balanceOf(address) view returns (uint)',
  'function approve(address, uint) returns (bool)',
  'event Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out, uint amount1Out, address indexed to)',
]);
const erc20 = parseAbi(['function approve(address, uint) returns (bool)', 'function balanceOf(address) view returns (uint)']);

let node, pub, wallet, a;
const trader = privateKeyToAccount(DEV_KEYS[4]);

before(async () => {
  node = await startNode({ blockTime: 0 });
  const chain = defineChain({ id: 24239, name: 'Sheaf dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [node.url] } } });
  pub = createPublicClient({ chain, transport: http(node.url), pollingInterval: 100 });
  wallet = createWalletClient({ chain, transport: http(node.url), account: trader });
  a = (await rpc(node.url, 'sheaf_systemAddresses')).result;
});
after(async () => node?.stop());

const deadline = () => BigInt(Math.floor(Date.now() / 1000) + 600);
async function write(request) {
  const hash = await wallet.writeContract(request);
  const receipt = await pub.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
  return receipt;
}

test('the dev ETH/DAI pool answers the V2 factory, pair and router views', async () => {
  assert.equal(await pub.readContract({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'WETH' }), a.WETH);
  assert.equal(await pub.readContract({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'factory' }), a.uniswapV2Factory);
  assert.equal(await pub.readContract({ address: a.uniswapV2Factory, abi: factoryAbi, functionName: 'allPairsLength' }), 2n); // ETH/DAI and ETH/SHF
  const pair = await pub.readContract({ address: a.uniswapV2Factory, abi: factoryAbi, functionName: 'getPair', args: [a.DAI, a.WETH] });
  const [r0, r1] = await pub.readContract({ address: pair, abi: pairAbi, functionName: 'getReserves' });
  const token0 = await pub.readContract({ address: pair, abi: pairAbi, functionName: 'token0' });
  const [eth, dai] = token0 === a.WETH ? [r0, r1] : [r1, r0];
  assert.equal(eth, parseEther('100'));
  assert.equal(dai, parseEther('300000'));
});

test('swap ETH for DAI and back through Router02, with slippage limits', async () => {
  const path = [a.WETH, a.DAI];
  const [, quoted] = await pub.readContract({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'getAmountsOut', args: [parseEther('1'), path] });
  const daiBefore = await pub.readContract({ address: a.DAI, abi: erc20, functionName: 'balanceOf', args: [trader.address] });
  await assert.rejects(
    pub.simulateContract({ account: trader, address: a.uniswapV2Router02, abi: routerAbi, functionName: 'swapExactETHForTokens', args: [quoted + 1n, path, trader.address, deadline()], value: parseEther('1') }),
    /INSUFFICIENT_OUTPUT_AMOUNT/,
  );
  const receipt = await write({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'swapExactETHForTokens', args: [quoted, path, trader.address, deadline()], value: parseEther('1') });
  const daiAfter = await pub.readContract({ address: a.DAI, abi: erc20, functionName: 'balanceOf', args: [trader.address] });
  assert.equal(daiAfter - daiBefore, quoted);
  // 1 ETH into 100 ETH / 300,000 DAI: getAmountOut(1e18, 100e18, 300000e18).
  assert.equal(quoted, (parseEther('1') * 997n * parseEther('300000')) / (parseEther('100') * 1000n + parseEther('1') * 997n));
  assert.ok(receipt.logs.some((l) => l.topics[0] === '0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822'), 'a V2 Swap event');

  await write({ address: a.DAI, abi: erc20, functionName: 'approve', args: [a.uniswapV2Router02, quoted] });
  const ethBefore = await pub.getBalance({ address: trader.address });
  const [, back] = await pub.readContract({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'getAmountsOut', args: [quoted, [a.DAI, a.WETH]] });
  const sell = await write({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'swapExactTokensForETH', args: [quoted, back, [a.DAI, a.WETH], trader.address, deadline()] });
  const fee = sell.gasUsed * sell.effectiveGasPrice;
  assert.equal(await pub.getBalance({ address: trader.address }), ethBefore + back - fee);
  assert.ok(back < parseEther('1'), 'a round trip pays the fee twice');
});

test('add and remove ETH/DAI liquidity with an exact approval', async () => {
  const pair = await pub.readContract({ address: a.uniswapV2Factory, abi: factoryAbi, functionName: 'getPair', args: [a.DAI, a.WETH] });
  const daiAmount = parseEther('3000');
  await write({ address: a.DAI, abi: erc20, functionName: 'approve', args: [a.uniswapV2Router02, daiAmount] });
  const supplyBefore = await pub.readContract({ address: pair, abi: pairAbi, functionName: 'totalSupply' });
  await write({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'addLiquidityETH', args: [a.DAI, daiAmount, 0n, 0n, trader.address, deadline()], value: parseEther('2') });
  const lp = await pub.readContract({ address: pair, abi: pairAbi, functionName: 'balanceOf', args: [trader.address] });
  assert.ok(lp > 0n);
  assert.ok((await pub.readContract({ address: pair, abi: pairAbi, functionName: 'totalSupply' })) === supplyBefore + lp);

  await write({ address: pair, abi: pairAbi, functionName: 'approve', args: [a.uniswapV2Router02, lp] });
  await write({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'removeLiquidityETH', args: [a.DAI, lp, 0n, 0n, trader.address, deadline()] });
  assert.equal(await pub.readContract({ address: pair, abi: pairAbi, functionName: 'balanceOf', args: [trader.address] }), 0n);
  assert.equal(await pub.readContract({ address: pair, abi: pairAbi, functionName: 'totalSupply' }), supplyBefore);
});

test('create a token/token pool, add, swap with events matching the quote, remove', async () => {
  const owner = privateKeyToAccount(DEV_KEYS[0]);
  const w = createWalletClient({ chain: pub.chain, transport: http(node.url), account: owner });
  const send = async (request) => {
    const receipt = await pub.waitForTransactionReceipt({ hash: await w.writeContract(request) });
    assert.equal(receipt.status, 'success');
    return receipt;
  };
  const created = await send({ address: a.uniswapV2Factory, abi: factoryAbi, functionName: 'createPair', args: [a.SHF, a.DAI] });
  const pairCreated = parseEventLogs({ abi: factoryAbi, logs: created.logs, eventName: 'PairCreated' });
  assert.equal(pairCreated.length, 1);
  const pair = pairCreated[0].args.pair;
  assert.equal(await pub.readContract({ address: a.uniswapV2Factory, abi: factoryAbi, functionName: 'getPair', args: [a.DAI, a.SHF] }), pair);

  for (const token of [a.SHF, a.DAI]) {
    await send({ address: token, abi: erc20, functionName: 'approve', args: [a.uniswapV2Router02, parseEther('20000')] });
  }
  await send({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'addLiquidity', args: [a.SHF, a.DAI, parseEther('10000'), parseEther('5000'), 0n, 0n, owner.address, deadline()] });

  const [, quoted] = await pub.readContract({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'getAmountsOut', args: [parseEther('100'), [a.SHF, a.DAI]] });
  const daiBefore = await pub.readContract({ address: a.DAI, abi: erc20, functionName: 'balanceOf', args: [owner.address] });
  const swapped = await send({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'swapExactTokensForTokens', args: [parseEther('100'), quoted, [a.SHF, a.DAI], owner.address, deadline()] });
  const [event] = parseEventLogs({ abi: pairAbi, logs: swapped.logs, eventName: 'Swap' });
  const shfIs0 = (await pub.readContract({ address: pair, abi: pairAbi, functionName: 'token0' })) === a.SHF;
  assert.equal(shfIs0 ? event.args.amount0In : event.args.amount1In, parseEther('100'));
  assert.equal(shfIs0 ? event.args.amount1Out : event.args.amount0Out, quoted, 'executed exactly what getAmountsOut quoted');
  assert.equal(await pub.readContract({ address: a.DAI, abi: erc20, functionName: 'balanceOf', args: [owner.address] }), daiBefore + quoted);

  const lp = await pub.readContract({ address: pair, abi: pairAbi, functionName: 'balanceOf', args: [owner.address] });
  await send({ address: pair, abi: pairAbi, functionName: 'approve', args: [a.uniswapV2Router02, lp] });
  await send({ address: a.uniswapV2Router02, abi: routerAbi, functionName: 'removeLiquidity', args: [a.SHF, a.DAI, lp, 0n, 0n, owner.address, deadline()] });
  assert.equal(await pub.readContract({ address: pair, abi: pairAbi, functionName: 'totalSupply' }), 1000n, 'only the locked minimum remains');

  const pools = (await rpc(node.url, 'sheaf_pools', ['DAI'])).result;
  const listed = pools.find((p) => p.address === pair);
  assert.ok(listed, 'sheaf_pools lists the new pool');
  assert.ok(BigInt(listed.volume24h) > 0n, 'its swap counts as volume');
});
