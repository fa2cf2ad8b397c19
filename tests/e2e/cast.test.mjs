// Acceptance: the same flow with Foundry's cast (the binary npm's @foundry-rs/cast ships).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { startNode, rpc, DEV_KEYS } from './node.mjs';

const CAST = resolve(import.meta.dirname, 'node_modules/@foundry-rs/cast-linux-amd64/bin/cast');
let node, addresses;
const cast = (...args) => execFileSync(CAST, [...args, '--rpc-url', node.url], { encoding: 'utf8', timeout: 60_000 }).trim();
const BOB = '0x00000000000000000000000000000000000000C5';

before(async () => {
  node = await startNode({ blockTime: 1 });
  addresses = (await rpc(node.url, 'sheaf_systemAddresses')).result;
});
after(async () => node?.stop());

test('cast reads, sends ETH and ERC-20, and reads logs', () => {
  assert.equal(cast('chain-id'), '24239');
  assert.equal(cast('balance', '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', '--ether'), '10000.000000000000000000');

  const sent = JSON.parse(cast('send', '--private-key', DEV_KEYS[2], BOB, '--value', '2ether', '--json'));
  assert.equal(sent.status, '0x1');
  assert.equal(cast('balance', BOB), '2000000000000000000');

  const legacy = JSON.parse(cast('send', '--legacy', '--private-key', DEV_KEYS[2], BOB, '--value', '1ether', '--json'));
  assert.equal(legacy.status, '0x1');
  assert.equal(legacy.type, '0x0', 'an EIP-155 legacy transaction');
  assert.equal(cast('balance', BOB), '3000000000000000000');

  const dai = addresses.DAI;
  const tokenTx = JSON.parse(cast('send', '--private-key', DEV_KEYS[2], dai, 'transfer(address,uint256)', BOB, '7000000000000000000', '--json'));
  assert.equal(tokenTx.status, '0x1');
  assert.equal(cast('call', dai, 'balanceOf(address)(uint256)', BOB).split(' ')[0], '7000000000000000000');

  const receipt = JSON.parse(cast('receipt', tokenTx.transactionHash, '--json'));
  assert.equal(receipt.logs.length, 1);

  const logs = JSON.parse(cast('logs', '--from-block', '0', '--address', dai, 'Transfer(address,address,uint256)', '--json'));
  const ours = logs.filter((l) => l.transactionHash === tokenTx.transactionHash);
  assert.equal(ours.length, 1);
  assert.equal(BigInt(ours[0].data), 7000000000000000000n);
  assert.equal(ours[0].topics[2].slice(-40).toLowerCase(), BOB.slice(2).toLowerCase());
});
