// A dev node serving the built dashboard, headless Debian Chromium driven by playwright-core, and
// an injected EIP-1193 wallet whose keys stay in this Node process (as a browser extension's do).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import { createPublicClient, createWalletClient, defineChain, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
// The dev keys, the binary and free ports, as the end-to-end tests find them.
import { DEV_KEYS, SHEAF_BIN, freePort } from '../../tests/e2e/node.mjs'

export { DEV_KEYS, SHEAF_BIN }

export const WEB_DIR = resolve(import.meta.dirname, '../dist')
// Screenshots go to a fresh directory, so that running the tests leaves the checkout clean;
// `SHEAF_SCREENSHOTS=docs/screenshots` (relative to the repository) refreshes the README's.
export const SHOTS = process.env.SHEAF_SCREENSHOTS
  ? resolve(import.meta.dirname, '../..', process.env.SHEAF_SCREENSHOTS)
  : mkdtempSync(join(tmpdir(), 'sheaf-screenshots-'))

export async function rpc(url, method, params = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = await response.json()
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result
}

export async function startNode() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sheaf-web-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(SHEAF_BIN, ['node', '--dev', '--data-dir', dataDir, '--rpc-port', String(port), '--block-time', '0.5', '--web-dir', WEB_DIR], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      if (await rpc(url, 'eth_blockNumber')) break
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sheaf node did not start:\n${stderr}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const chain = defineChain({ id: 24239, name: 'Sheaf', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [url] } } })
  return {
    url,
    chain,
    client: createPublicClient({ chain, transport: http(url), pollingInterval: 200 }),
    stop() {
      child.kill('SIGTERM')
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * Opens the dashboard in headless Chromium with a wallet injected as `window.ethereum` and
 * announced through EIP-6963. Requests go to this process, which signs with `key`; every
 * console error and page error is collected so a test can require there were none.
 */
export async function openDashboard(node, key, { width = 1280, height = 900 } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const page = await browser.newPage({ viewport: { width, height } })
  const errors = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(String(e)))
  const account = privateKeyToAccount(key)
  const wallet = createWalletClient({ account, chain: node.chain, transport: http(node.url) })
  const walletCalls = []
  // A fresh wallet: this site sees no account until the user approves a connection.
  let approved = false
  // Set by a test to have the user press "reject" on the next transaction.
  const control = { rejectNext: false }
  const q = (hex) => (hex === undefined || hex === null ? undefined : BigInt(hex))
  await page.exposeFunction('__testWallet', async (method, paramsJson) => {
    const params = JSON.parse(paramsJson)
    walletCalls.push({ method, params })
    switch (method) {
      case 'eth_requestAccounts':
        approved = true
        return JSON.stringify([account.address])
      case 'eth_accounts':
        return JSON.stringify(approved ? [account.address] : [])
      case 'eth_chainId':
        return JSON.stringify('0x5eaf')
      case 'wallet_addEthereumChain':
      case 'wallet_switchEthereumChain':
      case 'wallet_requestPermissions':
        return JSON.stringify(null)
      case 'eth_sendTransaction': {
        if (control.rejectNext) {
          control.rejectNext = false
          return JSON.stringify({ __error: { code: 4001, message: 'User rejected the request.' } })
        }
        const tx = params[0]
        const hash = await wallet.sendTransaction({ to: tx.to, data: tx.data, value: q(tx.value), gas: q(tx.gas) })
        return JSON.stringify(hash)
      }
      default:
        return JSON.stringify(await rpc(node.url, method, params))
    }
  })
  await page.addInitScript(() => {
    const listeners = {}
    const provider = {
      isTestWallet: true,
      async request({ method, params }) {
        const answer = JSON.parse(await window.__testWallet(method, JSON.stringify(params ?? [])))
        if (answer && answer.__error) throw Object.assign(new Error(answer.__error.message), answer.__error)
        return answer
      },
      on(event, f) {
        ;(listeners[event] ??= []).push(f)
      },
      removeListener(event, f) {
        listeners[event] = (listeners[event] ?? []).filter((g) => g !== f)
      },
    }
    window.ethereum = provider
    const info = { uuid: '5eaf0000-0000-4000-8000-000000000001', name: 'Test Wallet', icon: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg"/>', rdns: 'dev.sheaf.testwallet' }
    const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }))
    window.addEventListener('eip6963:requestProvider', announce)
    announce()
  })
  return { browser, page, errors, account, walletCalls, control }
}

/** Waits for a page toast to settle and returns its status and text. */
export async function settledToast(page, label) {
  const toast = page.locator('.toast', { hasText: label }).last()
  await toast.locator('xpath=self::*[@data-status!="pending"]').waitFor({ timeout: 30_000 })
  return { status: await toast.getAttribute('data-status'), text: await toast.innerText() }
}
