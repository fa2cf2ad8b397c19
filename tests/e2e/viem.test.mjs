// Acceptance: viem reads the chain id and a balance, sends an ETH transfer and an ERC-20
// transfer, waits for receipts and reads the logs back with eth_getLogs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPublicClient, createWalletClient, defineChain, http, parseEther, parseAbi, parseAbiItem,
  BaseError, ContractFunctionRevertedError,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startNode, rpc, DEV_KEYS } from './node.mjs';

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
