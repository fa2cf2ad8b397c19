// Acceptance: viem reads the chain id and a balance, sends an ETH transfer and an ERC-20
// transfer, waits for receipts and reads the logs back with eth_getLogs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPublicClient, createWalletClient, defineChain, http, parseEther, parseAbi, parseAbiItem,
  BaseError, ContractFunctionRevertedError, encodeFunctionData, keccak256,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startNode, rpc, batch, DEV_KEYS } from './node.mjs';

const erc20 = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
]);

let node, chain, pub, wallet, addresses;
const alice = privateKeyToAccount(DEV_KEYS[1]);
const bob = privateKeyToAccount(DEV_KEYS[7]).address;

before(async () => {
  node = await startNode({ blockTime: 1 });
  chain = defineChain({
    id: 24239, name: 'Sheaf dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [node.url] } }, blockTime: 1000,
  });
  pub = createPublicClient({ chain, transport: http(node.url), pollingInterval: 250 });
  wallet = createWalletClient({ chain, transport: http(node.url), account: alice });
  addresses = (await rpc(node.url, 'sheaf_systemAddresses')).result;
});
after(async () => node?.stop());

test('chain id and balances', async () => {
  assert.equal(await pub.getChainId(), 24239);
  assert.equal(await pub.getBalance({ address: alice.address }), parseEther('10000'));
  const block = await pub.getBlock();
  assert.equal(typeof block.baseFeePerGas, 'bigint', 'EIP-1559 chain: blocks carry baseFeePerGas');
  const fees = await pub.estimateFeesPerGas();
  assert.ok(fees.maxFeePerGas >= block.baseFeePerGas);
});

test('ETH transfer, receipt and exact balances', async () => {
  const before = await pub.getBalance({ address: bob });
  const hash = await wallet.sendTransaction({ to: bob, value: parseEther('1.25') });
  const receipt = await pub.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.gasUsed, 21000n);
  assert.equal(await pub.getBalance({ address: bob }), before + parseEther('1.25'));
  const tx = await pub.getTransaction({ hash });
  assert.equal(tx.from.toLowerCase(), alice.address.toLowerCase());
  const block = await pub.getBlock({ blockNumber: receipt.blockNumber });
  assert.ok(block.transactions.includes(hash));
});

test('ERC-20 transfer, Transfer log through eth_getLogs, revert decoded', async () => {
  const dai = addresses.DAI;
  assert.equal(await pub.readContract({ address: dai, abi: erc20, functionName: 'symbol' }), 'DAI');
  const amount = parseEther('250');
  const hash = await wallet.writeContract({ address: dai, abi: erc20, functionName: 'transfer', args: [bob, amount] });
  const receipt = await pub.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
  assert.equal(await pub.readContract({ address: dai, abi: erc20, functionName: 'balanceOf', args: [bob] }), parseEther('100250'));

  const logs = await pub.getLogs({
    address: dai,
    event: parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)'),
    args: { to: bob },
    fromBlock: 0n,
    toBlock: 'latest',
  });
  const ours = logs.filter((l) => l.transactionHash === hash);
  assert.equal(ours.length, 1);
  assert.equal(ours[0].args.from.toLowerCase(), alice.address.toLowerCase());
  assert.equal(ours[0].args.value, amount);
  assert.equal(ours[0].blockNumber, receipt.blockNumber);

  await assert.rejects(
    pub.simulateContract({ account: alice, address: dai, abi: erc20, functionName: 'transfer', args: [bob, parseEther('1000000000')] }),
    (error) => {
      assert.ok(error instanceof BaseError);
      const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
      assert.ok(revert, `expected a decoded revert, got ${error.shortMessage}`);
      assert.equal(revert.data?.errorName, 'ERC20InsufficientBalance');
      return true;
    },
  );
});

test('eth_getBlockReceipts and the by-position lookups give what the by-hash lookups give', async () => {
  // One sender, four transactions in one batch: with 1-second blocks they share a block, so log
  // indexes must run on across receipts (a transfer without logs sits between DAI transfers).
  const carol = privateKeyToAccount(DEV_KEYS[2]);
  const nonce = Number((await rpc(node.url, 'eth_getTransactionCount', [carol.address, 'pending'])).result);
  const fees = { type: 'eip1559', chainId: 24239, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 10n ** 9n };
  const daiTransfer = (value) => ({ to: addresses.DAI, gas: 100_000n, data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [bob, value] }) });
  const raws = await Promise.all([
    daiTransfer(1n), { to: bob, value: 5n, gas: 21_000n }, daiTransfer(2n), daiTransfer(3n),
  ].map((tx, i) => carol.signTransaction({ ...fees, ...tx, nonce: nonce + i })));
  const sent = await batch(node.url, raws.map((raw) => ['eth_sendRawTransaction', [raw]]));
  sent.forEach((a, i) => assert.equal(a.result, keccak256(raws[i]), JSON.stringify(a)));
  const receipts = [];
  for (const hash of sent.map((a) => a.result)) receipts.push(await pub.waitForTransactionReceipt({ hash }));

  const blocks = [...new Set(receipts.map((r) => r.blockNumber))];
  for (const number of blocks) {
    const block = (await rpc(node.url, 'eth_getBlockByNumber', [`0x${number.toString(16)}`, false])).result;
    const oneByOne = (await batch(node.url, block.transactions.map((h) => ['eth_getTransactionReceipt', [h]]))).map((a) => a.result);
    const byNumber = (await rpc(node.url, 'eth_getBlockReceipts', [block.number])).result;
    const byHash = (await rpc(node.url, 'eth_getBlockReceipts', [block.hash])).result;
    assert.deepEqual(byNumber, oneByOne);
    assert.deepEqual(byHash, oneByOne);
    // The same block's transactions by position, as explorers page through them.
    for (const [i, txHash] of block.transactions.entries()) {
      const byHashTx = (await rpc(node.url, 'eth_getTransactionByHash', [txHash])).result;
      assert.deepEqual((await rpc(node.url, 'eth_getTransactionByBlockNumberAndIndex', [block.number, `0x${i.toString(16)}`])).result, byHashTx);
      assert.deepEqual((await rpc(node.url, 'eth_getTransactionByBlockHashAndIndex', [block.hash, `0x${i.toString(16)}`])).result, byHashTx);
    }
    const pastEnd = `0x${block.transactions.length.toString(16)}`;
    assert.equal((await rpc(node.url, 'eth_getTransactionByBlockNumberAndIndex', [block.number, pastEnd])).result, null);
    const logIndexes = byNumber.flatMap((r) => r.logs.map((l) => Number(l.logIndex)));
    assert.deepEqual(logIndexes, logIndexes.map((_, i) => i), 'log indexes run on across the block');
  }
  const ours = receipts.filter((r) => r.blockNumber === blocks.at(-1));
  assert.ok(ours.length >= 2, `expected the batch to share a block, got blocks ${blocks}`);

  const latest = Number((await rpc(node.url, 'eth_blockNumber')).result);
  assert.equal((await rpc(node.url, 'eth_getBlockReceipts', [`0x${(latest + 1000).toString(16)}`])).result, null);
  assert.equal((await rpc(node.url, 'eth_getBlockReceipts', ['0xnotablock'])).error?.code, -32602);
});

test('polling filters report new logs and blocks since the last poll, as ethers and viem poll them', async () => {
  const transfer = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');
  const logFilter = await pub.createEventFilter({ address: addresses.DAI, event: transfer });
  const blockFilter = await pub.createBlockFilter();
  const hash = await wallet.writeContract({ address: addresses.DAI, abi: erc20, functionName: 'transfer', args: [bob, 7n] });
  const receipt = await pub.waitForTransactionReceipt({ hash });

  const changes = await pub.getFilterChanges({ filter: logFilter });
  assert.deepEqual(changes.map((l) => l.transactionHash), [hash]);
  assert.equal(changes[0].args.value, 7n);
  assert.deepEqual(await pub.getFilterChanges({ filter: logFilter }), [], 'a second poll reports nothing new');
  const blocks = await pub.getFilterChanges({ filter: blockFilter });
  assert.ok(blocks.includes(receipt.blockHash), `block filter saw ${blocks}`);

  // A filter installed now with an earlier fromBlock: nothing new yet, but its logs include the transfer.
  const since = await pub.createEventFilter({ address: addresses.DAI, event: transfer, fromBlock: receipt.blockNumber });
  assert.deepEqual(await pub.getFilterChanges({ filter: since }), []);
  assert.ok((await pub.getFilterLogs({ filter: since })).some((l) => l.transactionHash === hash));

  // Pending transactions: the hashes this node accepted since the last poll, in arrival order.
  const pending = await pub.createPendingTransactionFilter();
  const sends = [];
  for (const value of [1n, 2n]) sends.push(await wallet.sendTransaction({ to: bob, value }));
  assert.deepEqual(await pub.getFilterChanges({ filter: pending }), sends);
  assert.deepEqual(await pub.getFilterChanges({ filter: pending }), []);
  for (const h of sends) await pub.waitForTransactionReceipt({ hash: h });
  assert.equal(await pub.uninstallFilter({ filter: pending }), true);

  const notLogs = await rpc(node.url, 'eth_getFilterLogs', [blockFilter.id]);
  assert.equal(notLogs.error?.code, -32602, JSON.stringify(notLogs));
  assert.equal(await pub.uninstallFilter({ filter: logFilter }), true);
  assert.equal(await pub.uninstallFilter({ filter: logFilter }), false);
  const gone = await rpc(node.url, 'eth_getFilterChanges', [logFilter.id]);
  assert.equal(gone.error?.code, -32000);
  assert.match(gone.error.message, /filter not found/);
});
