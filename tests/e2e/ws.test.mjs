// WebSocket on the same port: eth_subscribe newHeads and logs, as viem/wagmi watchers use them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, createWalletClient, defineChain, webSocket, http, parseAbi, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startNode, rpc, DEV_KEYS } from './node.mjs';

let node, chain;
before(async () => {
  node = await startNode({ blockTime: 1 });
  chain = defineChain({ id: 24239, name: 'Sheaf dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [node.url] } } });
});
after(async () => node?.stop());

test('newHeads and logs subscriptions over WebSocket', async () => {
  const ws = createPublicClient({ chain, transport: webSocket(node.url.replace('http', 'ws'), { reconnect: false, keepAlive: false }) });
  const heads = [];
  const unwatchBlocks = ws.watchBlocks({ onBlock: (block) => heads.push(block.number) });

  const dai = (await rpc(node.url, 'sheaf_systemAddresses')).result.DAI;
  const transfer = parseAbi(['event Transfer(address indexed from, address indexed to, uint256 value)', 'function transfer(address,uint256) returns (bool)']);
  const seen = [];
  const unwatchLogs = ws.watchContractEvent({ address: dai, abi: transfer, eventName: 'Transfer', onLogs: (logs) => seen.push(...logs) });

  const wallet = createWalletClient({ chain, transport: http(node.url), account: privateKeyToAccount(DEV_KEYS[4]) });
  const to = '0x00000000000000000000000000000000000000e1';
  const hash = await wallet.writeContract({ address: dai, abi: transfer, functionName: 'transfer', args: [to, parseEther('3')] });

  const deadline = Date.now() + 15_000;
  while ((seen.length === 0 || heads.length < 2) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  unwatchBlocks();
  unwatchLogs();
  await ws.transport.getRpcClient().then((c) => c.close());

  assert.ok(heads.length >= 2, `expected new heads, got ${heads.length}`);
  assert.ok(heads.every((n, i) => i === 0 || n > heads[i - 1]), 'heads arrive in order');
  const ours = seen.find((log) => log.transactionHash === hash);
  assert.ok(ours, 'the Transfer log arrived over the subscription');
  assert.equal(ours.args.to.toLowerCase(), to.toLowerCase());
  assert.equal(ours.args.value, parseEther('3'));
});

test('CORS preflight is answered for browser dapps', async () => {
  const response = await fetch(node.url, {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  assert.ok(response.status < 300, `preflight status ${response.status}`);
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
});
