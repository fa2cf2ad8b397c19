// Acceptance: bad input gets the right JSON-RPC error and changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseEther, serializeTransaction, keccak256, parseSignature, parseTransaction, toHex, hexToBigInt } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { startNode, rpc, DEV_KEYS } from './node.mjs';

let node;
const sender = privateKeyToAccount(DEV_KEYS[3]);
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

before(async () => { node = await startNode({ blockTime: 0 }); });
after(async () => node?.stop());

async function state() {
  const [balance, nonce, pendingNonce] = await Promise.all([
    rpc(node.url, 'eth_getBalance', [sender.address, 'latest']),
    rpc(node.url, 'eth_getTransactionCount', [sender.address, 'latest']),
    rpc(node.url, 'eth_getTransactionCount', [sender.address, 'pending']),
  ]);
  return { balance: balance.result, nonce: nonce.result, pendingNonce: pendingNonce.result };
}

async function transfer(overrides = {}, account = sender) {
  const base = {
    type: 'eip1559', chainId: 24239, nonce: 0, to: '0x00000000000000000000000000000000000000d1',
    value: parseEther('1'), gas: 21000n, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 10n ** 9n,
  };
  return account.signTransaction({ ...base, ...overrides });
}

// Sends `raw`, expects an error whose message matches `pattern`, and checks nothing changed.
async function rejected(raw, code, pattern) {
  const before = await state();
  const answer = await rpc(node.url, 'eth_sendRawTransaction', [raw]);
  assert.ok(answer.error, `expected an error, got ${JSON.stringify(answer)}`);
  assert.equal(answer.error.code, code);
  assert.match(answer.error.message, pattern);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await state(), before, 'state must not change');
}

test('malformed RLP', async () => {
  await rejected('0xf8deadbeef', -32000, /^rlp: /);
  await rejected('0x02c0', -32000, /^rlp: /);
});

test('trailing bytes', async () => {
  await rejected(`${await transfer()}00`, -32000, /^rlp: input contains more than one value/);
});

test('wrong chain id', async () => {
  await rejected(await transfer({ chainId: 1 }), -32000, /^invalid chain id for signer/);
});

test('high-s signature', async () => {
  const raw = await transfer();
  const tx = parseTransaction(raw);
  const sig = { r: tx.r, s: toHex(SECP256K1_N - hexToBigInt(tx.s), { size: 32 }), yParity: tx.yParity === 0 ? 1 : 0 };
  const { r, s, v, yParity, ...unsigned } = tx;
  const malleable = serializeTransaction(unsigned, sig);
  await rejected(malleable, -32000, /^invalid transaction v, r, s values/);
});

test('insufficient balance', async () => {
  const pauper = privateKeyToAccount(generatePrivateKey());
  const answer = await rpc(node.url, 'eth_sendRawTransaction', [await transfer({}, pauper)]);
  assert.equal(answer.error?.code, -32000);
  assert.match(answer.error.message, /^insufficient funds for gas \* price \+ value/);
  assert.equal((await rpc(node.url, 'eth_getTransactionCount', [pauper.address, 'latest'])).result, '0x0');
});

test('reused nonce', async () => {
  const first = await rpc(node.url, 'eth_sendRawTransaction', [await transfer({ nonce: 0 })]);
  assert.ok(first.result, JSON.stringify(first));
  for (let i = 0; i < 100; i++) {
    const receipt = await rpc(node.url, 'eth_getTransactionReceipt', [first.result]);
    if (receipt.result) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await state()).nonce, '0x1');
  await rejected(await transfer({ nonce: 0, value: 2n }), -32000, /^nonce too low/);
});

test('fee cap below base fee and intrinsic gas', async () => {
  const n = Number((await state()).nonce);
  await rejected(await transfer({ nonce: n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }), -32000, /^max fee per gas less than block base fee/);
  await rejected(await transfer({ nonce: n, gas: 20000n }), -32000, /^intrinsic gas too low/);
});

test('oversized body', async () => {
  // The server answers 413 as soon as it sees the size, then closes; a client still writing the
  // body gets EPIPE and loses the answer. So stream the body slowly over a raw socket and stop
  // writing once the answer is in.
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: ['a'.repeat(6 * 1024 * 1024)] });
  const { status, text } = await new Promise((ok, fail) => {
    const socket = net.connect(node.port, '127.0.0.1', () => {
      socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      let offset = 0;
      const pump = () => {
        if (received || socket.destroyed || offset >= body.length) return;
        socket.write(body.slice(offset, offset + 65536), () => setTimeout(pump, 5));
        offset += 65536;
      };
      setTimeout(pump, 100);
    });
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
      const split = received.indexOf('\r\n\r\n');
      if (split < 0) return;
      const head = received.slice(0, split);
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? -1);
      const rest = received.slice(split + 4);
      if (length >= 0 && rest.length >= length) {
        socket.destroy();
        ok({ status: Number(head.split(' ')[1]), text: rest.slice(0, length) });
      }
    });
    socket.on('error', (e) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? null : fail(e)));
    setTimeout(() => { socket.destroy(); fail(new Error(`no answer; got ${received.slice(0, 200)}`)); }, 10_000);
  });
  assert.equal(status, 413);
  assert.equal(JSON.parse(text).error.code, -32007);
});

test('too-long batch', async () => {
  const batch = Array.from({ length: 1001 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'eth_chainId', params: [] }));
  const response = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
  const answer = await response.json();
  assert.equal(answer.error?.code, -32010);
  assert.match(answer.error.message, /batch request was too large/);
  const ok = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch.slice(0, 1000)) });
  assert.equal((await ok.json()).length, 1000);
});

test('batch answers come in request order; one sender\'s nonces in one batch all land', async () => {
  const funder = privateKeyToAccount(DEV_KEYS[0]);
  const fresh = privateKeyToAccount(generatePrivateKey());
  const funding = await rpc(node.url, 'eth_sendRawTransaction', [await transfer({ to: fresh.address, nonce: Number((await rpc(node.url, 'eth_getTransactionCount', [funder.address, 'pending'])).result) }, funder)]);
  assert.ok(funding.result, JSON.stringify(funding));
  for (let i = 0; BigInt((await rpc(node.url, 'eth_getBalance', [fresh.address, 'latest'])).result) === 0n; i++) {
    assert.ok(i < 100, 'funding was not mined');
    await new Promise((r) => setTimeout(r, 50));
  }

  // The server runs a batch's calls concurrently; answers must still follow the request.
  const sends = await Promise.all(Array.from({ length: 30 }, (_, nonce) => transfer({ nonce, value: 1000n }, fresh)));
  const body = [
    { jsonrpc: '2.0', id: 'first', method: 'eth_chainId', params: [] },
    { jsonrpc: '2.0', method: 'eth_chainId', params: [] }, // a notification: no answer
    { jsonrpc: '2.0', id: 2, method: 'eth_mineTheMoon', params: [] },
    { id: 3, nonsense: true },
    ...sends.map((raw, i) => ({ jsonrpc: '2.0', id: 100 + i, method: 'eth_sendRawTransaction', params: [raw] })),
    { jsonrpc: '2.0', id: 'last', method: 'net_version', params: [] },
  ];
  const response = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answers = await response.json();
  assert.deepEqual(answers.map((a) => a.id), ['first', 2, 3, ...sends.map((_, i) => 100 + i), 'last']);
  assert.equal(answers[0].result, '0x5eaf');
  assert.equal(answers[1].error.code, -32601);
  assert.equal(answers[2].error.code, -32600);
  sends.forEach((raw, i) => assert.equal(answers[3 + i].result, keccak256(raw), `send ${i}: ${JSON.stringify(answers[3 + i])}`));
  assert.equal(answers.at(-1).result, '24239');

  for (let i = 0; Number((await rpc(node.url, 'eth_getTransactionCount', [fresh.address, 'latest'])).result) < 30; i++) {
    assert.ok(i < 200, 'the batch\'s transfers were not all mined');
    await new Promise((r) => setTimeout(r, 50));
  }
});

test('an answer over the response limit is refused with an error that names the limit', async () => {
  // A block object alone (its 256-byte logs bloom in hex) is over 600 bytes; eth_chainId is not.
  const small = await startNode({ blockTime: 0, extraArgs: ['--rpc-max-response-bytes', '600'] });
  try {
    const block = await rpc(small.url, 'eth_getBlockByNumber', ['0x0', false]);
    assert.equal(block.error?.code, -32008, JSON.stringify(block));
    assert.match(block.error.message, /response too large.*limit of 600 bytes.*--rpc-max-response-bytes/);
    assert.equal((await rpc(small.url, 'eth_chainId')).result, '0x5eaf');

    const calls = (n) => Array.from({ length: n }, (_, id) => ({ jsonrpc: '2.0', id, method: 'eth_chainId', params: [] }));
    const post = async (body) => (await fetch(small.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    assert.equal((await post(calls(5))).length, 5, 'a batch under the limit is answered');
    const tooMany = await post(calls(40));
    assert.equal(tooMany.error?.code, -32011, JSON.stringify(tooMany));
    assert.match(tooMany.error.message, /batch response too large.*limit of 600 bytes.*fewer calls per batch/);
    // One oversized answer inside a batch is that entry's error; the others are answered.
    const mixed = await post([calls(1)[0], { jsonrpc: '2.0', id: 'block', method: 'eth_getBlockByNumber', params: ['0x0', false] }]);
    assert.equal(mixed[0].result, '0x5eaf');
    assert.match(mixed[1].error.message, /response too large/);
  } finally {
    await small.stop();
  }
});

test('invalid JSON', async () => {
  const response = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0",' });
  assert.equal((await response.json()).error.code, -32700);
});

test('unknown method', async () => {
  assert.equal((await rpc(node.url, 'eth_mineTheMoon')).error.code, -32601);
});

test('bad params', async () => {
  const short = await rpc(node.url, 'eth_getBalance', ['0x123', 'latest']);
  assert.equal(short.error.code, -32602);
  assert.match(short.error.message, /^invalid params: /);
  const tag = await rpc(node.url, 'eth_getBalance', [sender.address, 'lastest']);
  assert.equal(tag.error.code, -32602);
  const missing = await rpc(node.url, 'eth_getBalance', []);
  assert.equal(missing.error.code, -32602);
  const future = await rpc(node.url, 'eth_getBalance', [sender.address, '0xffffff']);
  assert.equal(future.error.code, -32000);
  assert.match(future.error.message, /header not found/);
});

test('quantities and tags as clients expect', async () => {
  assert.equal((await rpc(node.url, 'eth_chainId')).result, '0x5eaf');
  assert.equal((await rpc(node.url, 'net_version')).result, '24239');
  const early = await rpc(node.url, 'eth_getBlockByNumber', ['earliest', false]);
  assert.equal(early.result.number, '0x0');
  assert.equal((await rpc(node.url, 'eth_getBlockByNumber', ['0xffffff', false])).result, null);
  assert.equal((await rpc(node.url, 'eth_getTransactionReceipt', [keccak256('0x01')])).result, null);
  const addresses = (await rpc(node.url, 'sheaf_systemAddresses')).result;
  assert.equal((await rpc(node.url, 'eth_getCode', [addresses.DAI, 'latest'])).result, '0xfe');
  assert.equal((await rpc(node.url, 'eth_getCode', [addresses.tokenFactory, 'latest'])).result, '0xfe');
  assert.equal((await rpc(node.url, 'eth_getCode', [sender.address, 'latest'])).result, '0x');
  const price = BigInt((await rpc(node.url, 'eth_gasPrice')).result);
  const tip = BigInt((await rpc(node.url, 'eth_maxPriorityFeePerGas')).result);
  const history = (await rpc(node.url, 'eth_feeHistory', ['0x4', 'latest', [25, 75]])).result;
  const nextBase = BigInt(history.baseFeePerGas.at(-1));
  assert.equal(price, nextBase + tip, 'eth_gasPrice = next base fee + suggested tip');
  const latest = (await rpc(node.url, 'eth_getBlockByNumber', ['latest', false])).result;
  assert.equal(history.baseFeePerGas.at(-2), latest.baseFeePerGas);
});
