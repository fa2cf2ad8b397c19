// Starts a Sheaf dev node for a test: a fresh data dir, a free port, stopped when the test ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

export const SHEAF_BIN = process.env.SHEAF_BIN ?? resolve(import.meta.dirname, '../../target/release/sheaf');

// Hardhat/Anvil dev keys 0..9 ("test test … junk"); public, dev chain only.
export const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
];

export async function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

export async function rpc(url, method, params = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return response.json();
}

export async function startNode({ blockTime = 1, extraArgs = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sheaf-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(SHEAF_BIN, ['node', '--dev', '--data-dir', dataDir, '--rpc-port', String(port), '--block-time', String(blockTime), ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const answer = await rpc(url, 'eth_blockNumber');
      if (answer.result) break;
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`sheaf node did not start (exit ${child.exitCode}):\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until a node answers eth_blockNumber. */
export async function waitReady(url, child) {
  for (let i = 0; i < 200; i++) {
    try { if ((await rpc(url, 'eth_blockNumber')).result) return; } catch {}
    if (child.exitCode !== null) throw new Error('node exited');
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not start`);
}

/** CPU seconds (user + system) a child process has used so far, from /proc (Linux). */
export function childCpuSeconds(child) {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One JSON-RPC batch. */
export async function batch(url, calls) {
  const body = calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }));
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

/**
 * Sends pre-signed transactions as batches of 200 `eth_sendRawTransaction` over `inFlight`
 * concurrent connections (default: env IN_FLIGHT, else 1); throws on the first refusal, except
 * "txpool is full": like a wallet, it sends those again 20 ms later (and says how many it did).
 */
export async function sendAll(url, name, raws, inFlight = Number(process.env.IN_FLIGHT ?? 1)) {
  let next = 0;
  let resent = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let i = (next++) * 200; i < raws.length; i = (next++) * 200) {
      let pending = raws.slice(i, i + 200);
      while (pending.length > 0) {
        const answers = await batch(url, pending.map((raw) => ['eth_sendRawTransaction', [raw]]));
        const full = [];
        for (const answer of answers) {
          if (!answer.error) continue;
          if (answer.error.message !== 'txpool is full') throw new Error(`${name} refused a transaction: ${answer.error.message}`);
          full.push(pending[answer.id]);
        }
        pending = full;
        if (full.length > 0) {
          resent += full.length;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }));
  if (resent > 0) console.error(`${name}: ${resent} sends refused with "txpool is full" were sent again`);
}

/**
 * Returns just after the chain's next block appears. Load tests start here, so that where the
 * first send falls in the 1-second block clock is the same on every run and on every chain.
 */
export async function waitNextBlock(url) {
  const start = Number((await rpc(url, 'eth_blockNumber')).result);
  while (Number((await rpc(url, 'eth_blockNumber')).result) === start) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function nonceOf(url, address) {
  return Number((await rpc(url, 'eth_getTransactionCount', [address, 'latest'])).result);
}

/** Waits until every account's mined nonce reaches `target`. */
export async function waitNonces(url, accounts, target) {
  for (;;) {
    // Batches of 500: geth-like nodes (Sheaf too) refuse batches over 1000 calls.
    const answers = [];
    for (let i = 0; i < accounts.length; i += 500) {
      answers.push(...await batch(url, accounts.slice(i, i + 500).map((a) => ['eth_getTransactionCount', [a.address, 'latest']])));
    }
    if (answers.every((a) => Number(a.result) >= target)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const ANVIL = resolve(import.meta.dirname, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');

/** anvil with 1 s blocks and Sheaf's chain id, for the side-by-side RPC benchmarks. */
export function spawnAnvil(gasLimit) {
  return freePort().then((port) => {
    const child = spawn(ANVIL, ['--block-time', '1', '--chain-id', '24239', '--port', String(port), '--silent', ...(gasLimit ? ['--gas-limit', gasLimit] : [])], { stdio: 'ignore' });
    return { url: `http://127.0.0.1:${port}`, child, cleanup: () => {} };
  });
}

/** A Sheaf dev node with 1 s blocks in a fresh data dir, for the side-by-side RPC benchmarks.
 * SHEAF_BENCH_LOG=<file> keeps its log (each block's size and where its time went). */
export function spawnSheaf(gasLimit) {
  return freePort().then((port) => {
    const dir = mkdtempSync(join(tmpdir(), 'sheaf-bench-'));
    const child = spawn(SHEAF_BIN, ['node', '--dev', '--block-time', '1', '--rpc-port', String(port), '--data-dir', dir, ...(gasLimit ? ['--block-gas-limit', gasLimit] : [])], {
      stdio: ['ignore', 'ignore', process.env.SHEAF_BENCH_LOG ? openSync(process.env.SHEAF_BENCH_LOG, 'a') : 'ignore'],
    });
    return { url: `http://127.0.0.1:${port}`, child, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  });
}

/**
 * Runs a side-by-side benchmark: anvil, then Sheaf, and prints each one's result and their
 * ratios. Each `run` resolves to `{ name, count, sendSeconds, seconds, cpu, perSecond }`; `noun`
 * and `rate` name what was counted ("swaps", "swaps/s").
 *
 * ONLY=sheaf (or anvil) runs one chain, for profiling one side; the ratio needs both. RUNS=n
 * repeats the pair n times and then prints each chain's median time and the median of the
 * rounds' ratios: one round's ratio moves with anvil's speed on the moment (3.2 s and 4.0 s for
 * the same load within an hour).
 */
export async function sideBySide({ anvil, sheaf }, { noun, rate, gasLimit }) {
  const only = process.env.ONLY;
  const rounds = [];
  for (let round = 0; round < Number(process.env.RUNS ?? 1); round++) {
    const results = [];
    if (only !== 'sheaf') results.push(await anvil());
    if (only !== 'anvil') results.push(await sheaf());
    for (const r of results) {
      console.log(`${r.name.padEnd(6)} ${r.count} ${noun} in ${r.seconds.toFixed(2)} s (all sent after ${r.sendSeconds.toFixed(2)} s): ${r.perSecond.toFixed(0)} ${rate}`);
      console.log(`       CPU while sending: node ${r.cpu.node.toFixed(2)} core-s, client ${r.cpu.client.toFixed(2)} core-s`);
    }
    console.log(`block gas limit: ${gasLimit ?? 'default (30M)'}`);
    if (results.length === 2) {
      console.log(`sheaf / anvil = ${(results[1].perSecond / results[0].perSecond).toFixed(2)}x`);
      // Both chains include transactions only at their 1-second blocks, which rounds the figure
      // above to a ratio of block counts; the rate at which each accepted the sends is not rounded.
      console.log(`accepting: sheaf / anvil = ${(results[0].sendSeconds / results[1].sendSeconds).toFixed(2)}x`);
    }
    rounds.push(results);
  }
  if (rounds.length < 2 || rounds.some((r) => r.length !== 2)) return;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const anvilSeconds = median(rounds.map(([a]) => a.seconds));
  const sheafSeconds = median(rounds.map(([, b]) => b.seconds));
  const ratios = rounds.map(([a, b]) => a.seconds / b.seconds);
  console.log(`over ${rounds.length} rounds: anvil median ${anvilSeconds.toFixed(2)} s, sheaf median ${sheafSeconds.toFixed(2)} s; ` +
    `ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ratio ${median(ratios).toFixed(2)}x`);
}
