// Swaps through JSON-RPC: a Sheaf dev node running Router02 swaps natively, next to anvil running
// the same constant-product swap in Solidity (crates/evm-bench/solidity/ConstantProduct.sol,
// compiled by npm's solc), both with --block-time 1 and the same pre-signed load shape: each
// sender swaps 1 token of A for B `perSender` times. Setup (funding, deploys, approvals) is untimed;
// the timed part runs from the first send to the last inclusion, and every swap must succeed.
// Usage: [IN_FLIGHT=n] node bench-rpc-swaps.mjs [senders] [perSender] [blockGasLimit]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeAbiParameters, encodeFunctionData, getContractAddress, keccak256, maxUint256, parseAbi, parseEther, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DEV_KEYS, rpc, batch, childCpuSeconds, waitReady, waitNonces, waitNextBlock, sendAll, spawnAnvil, spawnSheaf, sideBySide } from './node.mjs';

const SENDERS = Number(process.argv[2] ?? 200);
const PER_SENDER = Number(process.argv[3] ?? 25);
const GAS_LIMIT = process.argv[4]; // both chains' block gas limit; default: each one's own (30M)
const CHAIN_ID = 24239;
// Each sender starts with enough of the input token for its swaps and no more than the dev
// accounts can hand out (100,000 DAI each) to 9,000 senders.
const FUNDED = parseEther(String(Math.max(100, PER_SENDER)));
const FEES = { maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n };
const ARTIFACTS = resolve(import.meta.dirname, '../../crates/evm-bench/artifacts');
const bin = (name) => `0x${readFileSync(join(ARTIFACTS, `${name}.bin`), 'utf8').trim()}`;

const erc20 = parseAbi(['function balanceOf(address) view returns (uint256)', 'function approve(address, uint256) returns (bool)', 'function transfer(address, uint256) returns (bool)', 'function mint(address, uint256)']);
const pairAbi = parseAbi(['function sync()', 'function swapExactTokensForTokens(uint256, uint256, address, address, uint256) returns (uint256)']);
const routerAbi = parseAbi(['function swapExactTokensForTokens(uint256, uint256, address[], address, uint256) returns (uint256[])']);

const senders = Array.from({ length: SENDERS }, (_, i) => privateKeyToAccount(keccak256(toHex(`sheaf-rpc-swap-bench-${i}`))));
const dev = privateKeyToAccount(DEV_KEYS[0]);
// Ten funders, so no account queues more than Sheaf's mempool allows ahead (64 nonces).
const funders = DEV_KEYS.slice(0, 10).map((k) => privateKeyToAccount(k));
const nonces = (url) => Promise.all(funders.map(async (f) => Number((await rpc(url, 'eth_getTransactionCount', [f.address, 'latest'])).result)));
/**
 * Signs one transaction per sender, sender i's from funder i % 10; waits for all to be mined. In
 * rounds of 600 senders, so that no funder queues more than 60 nonces ahead.
 */
async function fromFunders(url, name, make) {
  for (let round = 0; round < senders.length; round += 600) {
    const group = senders.slice(round, round + 600);
    const start = await nonces(url);
    const raws = await Promise.all(group.map((s, i) => make(funders[i % 10], start[i % 10] + Math.floor(i / 10), s)));
    await sendAll(url, name, raws, 1);
    for (const [j, f] of funders.entries()) await waitNonces(url, [f], start[j] + group.filter((_, i) => i % 10 === j).length);
  }
}
const sign = (account, nonce, to, data, gas, value = 0n) =>
  account.signTransaction({ type: 'eip1559', chainId: CHAIN_ID, nonce, to, data, value, gas, ...FEES });

/**
 * Checks that every swap succeeded: each one takes exactly 1 token in, a failed one takes none, so
 * every sender must hold exactly what it was given less one per swap. (Not by receipts: anvil
 * answers each receipt lookup in time proportional to its block, and a block's receipts at once
 * outgrow a response limit.)
 */
async function swapsSucceeded(url, token) {
  const expected = FUNDED - BigInt(PER_SENDER) * parseEther('1');
  for (let i = 0; i < senders.length; i += 500) {
    const calls = senders.slice(i, i + 500).map((s) => ['eth_call', [{ to: token, data: encodeFunctionData({ abi: erc20, functionName: 'balanceOf', args: [s.address] }) }, 'latest']]);
    for (const [j, answer] of (await batch(url, calls)).entries()) {
      if (answer.error || BigInt(answer.result) !== expected) {
        throw new Error(`sender ${i + j} did not swap ${PER_SENDER} times: ${JSON.stringify(answer)}`);
      }
    }
  }
}

/** Funds senders with ETH from dev0, then runs `setup` (untimed) and the timed swaps. */
async function run(name, start, setup) {
  const { url, child, cleanup } = await start();
  try {
    await waitReady(url, child);
    await fromFunders(url, name, (f, nonce, s) => sign(f, nonce, s.address, '0x', 21000n, parseEther('10')));
    const { swaps, input } = await setup(url);
    const raws = await Promise.all(swaps);
    await waitNextBlock(url);
    const started = performance.now();
    const cpuBefore = [process.cpuUsage(), childCpuSeconds(child)];
    await sendAll(url, name, raws);
    const sendSeconds = (performance.now() - started) / 1000;
    const clientCpu = process.cpuUsage(cpuBefore[0]);
    const cpu = { client: (clientCpu.user + clientCpu.system) / 1e6, node: childCpuSeconds(child) - cpuBefore[1] };
    await waitNonces(url, senders, 1 + PER_SENDER);
    const seconds = (performance.now() - started) / 1000;
    await swapsSucceeded(url, input);
    return { name, count: raws.length, sendSeconds, seconds, cpu, perSecond: raws.length / seconds };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
    cleanup();
  }
}

// anvil: dev0 deploys two tokens and the pair, seeds it, mints to every sender; each approves.
async function anvilSetup(url) {
  const nonce = Number((await rpc(url, 'eth_getTransactionCount', [dev.address, 'latest'])).result);
  const [a, b] = [0, 1].map((i) => getContractAddress({ from: dev.address, nonce: BigInt(nonce + i) }));
  const pair = getContractAddress({ from: dev.address, nonce: BigInt(nonce + 2) });
  const deploys = [
    sign(dev, nonce, null, bin('BenchToken'), 2_000_000n),
    sign(dev, nonce + 1, null, bin('BenchToken'), 2_000_000n),
    sign(dev, nonce + 2, null, bin('BenchPair') + encodeAbiParameters([{ type: 'address' }, { type: 'address' }], [a, b]).slice(2), 3_000_000n),
  ];
  let n = nonce + 3;
  const mint = (token, to, amount) => sign(dev, n++, token, encodeFunctionData({ abi: erc20, functionName: 'mint', args: [to, amount] }), 100_000n);
  const seeding = [mint(a, pair, parseEther('5000000')), mint(b, pair, parseEther('5000000')), ...senders.map((s) => mint(a, s.address, FUNDED))];
  seeding.push(sign(dev, n++, pair, encodeFunctionData({ abi: pairAbi, functionName: 'sync' }), 100_000n));
  await sendAll(url, 'anvil', await Promise.all([...deploys, ...seeding]), 1);
  await waitNonces(url, [dev], n);
  await sendAll(url, 'anvil', await Promise.all(senders.map((s) => sign(s, 0, a, encodeFunctionData({ abi: erc20, functionName: 'approve', args: [pair, maxUint256] }), 60_000n))), 1);
  await waitNonces(url, senders, 1);
  const data = (s) => encodeFunctionData({ abi: pairAbi, functionName: 'swapExactTokensForTokens', args: [parseEther('1'), 0n, a, s.address, maxUint256] });
  const gas = (BigInt((await rpc(url, 'eth_estimateGas', [{ from: senders[0].address, to: pair, data: data(senders[0]) }])).result) * 12n) / 10n;
  const swaps = [];
  for (let k = 0; k < PER_SENDER; k++) for (const s of senders) swaps.push(sign(s, 1 + k, pair, data(s), gas));
  console.error(`anvil: ${swaps.length} swaps at ${gas} gas each`);
  return { swaps, input: a };
}

// Sheaf: the genesis DAI/WETH pool; the dev accounts pay each sender DAI; each approves the router.
async function sheafSetup(url) {
  const addresses = (await rpc(url, 'sheaf_systemAddresses')).result;
  const [dai, weth, router] = [addresses.DAI, addresses.WETH, addresses.uniswapV2Router02];
  await fromFunders(url, 'sheaf', (f, nonce, s) => sign(f, nonce, dai, encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [s.address, FUNDED] }), 100_000n));
  await sendAll(url, 'sheaf', await Promise.all(senders.map((s) => sign(s, 0, dai, encodeFunctionData({ abi: erc20, functionName: 'approve', args: [router, maxUint256] }), 100_000n))), 1);
  await waitNonces(url, senders, 1);
  const data = (s) => encodeFunctionData({ abi: routerAbi, functionName: 'swapExactTokensForTokens', args: [parseEther('1'), 0n, [dai, weth], s.address, maxUint256] });
  const gas = (BigInt((await rpc(url, 'eth_estimateGas', [{ from: senders[0].address, to: router, data: data(senders[0]) }])).result) * 12n) / 10n;
  const swaps = [];
  for (let k = 0; k < PER_SENDER; k++) for (const s of senders) swaps.push(sign(s, 1 + k, router, data(s), gas));
  console.error(`sheaf: ${swaps.length} swaps at ${gas} gas each`);
  return { swaps, input: dai };
}

const anvil = () => spawnAnvil(GAS_LIMIT);
const sheaf = () => spawnSheaf(GAS_LIMIT);

await sideBySide(
  { anvil: () => run('anvil', anvil, anvilSetup), sheaf: () => run('sheaf', sheaf, sheafSetup) },
  { noun: 'swaps', rate: 'swaps/s', gasLimit: GAS_LIMIT },
);
