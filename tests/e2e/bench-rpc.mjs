// Loads anvil (--block-time 1) and a Sheaf dev node (--block-time 1) with the same pre-signed
// ETH transfers through JSON-RPC, one after the other in one run, and reports transactions per
// second from the first send to the last inclusion. Usage: [IN_FLIGHT=n] node bench-rpc.mjs [senders] [perSender] [blockGasLimit]
import { parseEther, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DEV_KEYS, batch, childCpuSeconds, waitReady, waitNonces, waitNextBlock, sendAll, spawnAnvil, spawnSheaf, sideBySide } from './node.mjs';

const SENDERS = Number(process.argv[2] ?? 200);
const PER_SENDER = Number(process.argv[3] ?? 50); // Sheaf's mempool queues at most 64 per sender
const GAS_LIMIT = process.argv[4]; // both chains' block gas limit; default: each one's own (30M)
const CHAIN_ID = 24239;
const FEES = { maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n };

const senders = Array.from({ length: SENDERS }, (_, i) => privateKeyToAccount(keccak256(toHex(`sheaf-rpc-bench-${i}`))));
const funders = DEV_KEYS.slice(0, 10).map((k) => privateKeyToAccount(k));

// Funding: dev accounts pay each bench sender 10 ETH (same bytes on both chains).
const funding = await Promise.all(senders.map((s, i) => funders[i % 10].signTransaction({
  type: 'eip1559', chainId: CHAIN_ID, nonce: Math.floor(i / 10), to: s.address, value: parseEther('10'), gas: 21000n, ...FEES,
})));
const transfers = [];
for (let n = 0; n < PER_SENDER; n++) {
  for (const [i, s] of senders.entries()) {
    transfers.push(s.signTransaction({
      type: 'eip1559', chainId: CHAIN_ID, nonce: n, to: `0x${(0xb0000 + i).toString(16).padStart(40, '0')}`, value: 1000n, gas: 21000n, ...FEES,
    }));
  }
}
const raws = await Promise.all(transfers);
console.error(`signed ${raws.length} transfers from ${SENDERS} senders`);

async function run(name, start) {
  const { url, child, cleanup } = await start();
  try {
    await waitReady(url, child);
    // In waves of at most 60 nonces per funder: Sheaf's mempool holds a sender's transactions
    // only up to 64 nonces ahead of its account.
    for (let wave = 0; wave < funding.length; wave += 600) {
      const end = Math.min(wave + 600, funding.length);
      for (let i = wave; i < end; i += 100) {
        const answers = await batch(url, funding.slice(i, Math.min(i + 100, end)).map((raw) => ['eth_sendRawTransaction', [raw]]));
        const failed = answers.find((a) => a.error);
        if (failed) throw new Error(`${name} refused funding: ${failed.error.message}`);
      }
      await waitNonces(url, funders, Math.ceil(end / 10));
    }
    await waitNextBlock(url);
    const started = performance.now();
    const cpuBefore = [process.cpuUsage(), childCpuSeconds(child)];
    await sendAll(url, name, raws);
    const sent = performance.now();
    const clientCpu = process.cpuUsage(cpuBefore[0]);
    const cpu = { client: (clientCpu.user + clientCpu.system) / 1e6, node: childCpuSeconds(child) - cpuBefore[1] };
    await waitNonces(url, senders, PER_SENDER);
    const done = performance.now();
    const seconds = (done - started) / 1000;
    return { name, count: raws.length, sendSeconds: (sent - started) / 1000, seconds, cpu, perSecond: raws.length / seconds };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
    cleanup();
  }
}

const anvil = () => spawnAnvil(GAS_LIMIT);
const sheaf = () => spawnSheaf(GAS_LIMIT);

await sideBySide(
  { anvil: () => run('anvil', anvil), sheaf: () => run('sheaf', sheaf) },
  { noun: 'transfers', rate: 'tx/s', gasLimit: GAS_LIMIT },
);
