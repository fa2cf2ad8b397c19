// The dashboard's flows in headless Chromium through an injected wallet, each checked on chain
// through JSON-RPC afterwards, with a screenshot of every page (a fresh directory, or the README's
// docs/screenshots with SHEAF_SCREENSHOTS=docs/screenshots), the load time, a 375 px wide layout,
// and no console errors anywhere.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { erc20Abi, parseAbi, parseEther } from 'viem'
import { DEV_KEYS, SHEAF_BIN, SHOTS, openDashboard, rpc, settledToast, startNode } from './harness.mjs'

const governorAbi = parseAbi(['function hasVoted(uint256 proposalId, address account) view returns (bool)'])
const stakingAbi = parseAbi(['function stakedOf(address user) view returns (uint256)'])

let node, session, addresses
// Validator keys go next to the keystore, so both live in one fresh directory.
const keystore = join(mkdtempSync(join(tmpdir(), 'sheaf-web-')), 'keys')
const cli = (...args) => execFileSync(SHEAF_BIN, args, { env: { ...process.env, SHEAF_RPC: node.url, SHEAF_KEYSTORE: keystore }, encoding: 'utf8' })
const balanceOf = (token, owner) => node.client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [owner] })
async function shot(name) {
  // Toasts from earlier steps would cover the page in the picture.
  await session.page.evaluate(() => document.querySelectorAll('.toast .close').forEach((b) => b.click()))
  await session.page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

async function go(route) {
  await session.page.goto(`${node.url}/#/${route}`)
  await session.page.waitForSelector('main h2')
}

async function click(name, label) {
  await session.page.getByRole('button', { name, exact: true }).click()
  const toast = await settledToast(session.page, label)
  assert.equal(toast.status, 'confirmed', toast.text)
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true })
  console.log(`screenshots: ${SHOTS}`)
  node = await startNode()
  addresses = await rpc(node.url, 'sheaf_systemAddresses')
  session = await openDashboard(node, DEV_KEYS[0])
})

after(async () => {
  await session?.browser.close()
  node?.stop()
})

test('the page loads from the node in under 2 s', async () => {
  const started = Date.now()
  await session.page.goto(`${node.url}/#/pools`)
  await session.page.getByRole('cell', { name: /DAI\/ETH/ }).waitFor()
  const elapsed = Date.now() - started
  assert.ok(elapsed < 2000, `loaded in ${elapsed} ms`)
})

test('connect: the injected wallet (EIP-6963) connects, and "add network" sends the exact chain', async () => {
  await go('portfolio')
  await session.page.getByRole('button', { name: 'Connect Test Wallet' }).click()
  const shown = await session.page.getByTestId('connected-address').getAttribute('title')
  assert.equal(shown, session.account.address)
  await session.page.getByRole('button', { name: 'Add Sheaf network' }).click()
  await session.page.waitForFunction(() => true)
  const add = session.walletCalls.find((c) => c.method === 'wallet_addEthereumChain')
  assert.deepEqual(add.params[0], {
    chainId: '0x5eaf',
    chainName: 'Sheaf',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: [node.url],
  })
})

test('swap 1 ETH for DAI: the quote, minimum and the DAI received agree with the chain', async () => {
  await go('pools')
  const before = await balanceOf(addresses.DAI, session.account.address)
  const swap = session.page.locator('#swap')
  await swap.getByLabel('amount in').fill('1')
  await swap.getByTestId('min-received').waitFor()
  const quoted = parseEther((await swap.getByLabel('amount out').innerText()).replaceAll(',', ''))
  await click('Swap', 'Swap 1 ETH')
  const received = (await balanceOf(addresses.DAI, session.account.address)) - before
  // 300,000 DAI / 100 ETH pool with the 0.3% fee: about 2,962 DAI.
  assert.ok(received > parseEther('2900') && received < parseEther('3000'), String(received))
  // The page shows six decimals; what arrived is what it quoted to that precision.
  const diff = received > quoted ? received - quoted : quoted - received
  assert.ok(diff < 10n ** 12n, `${received} vs ${quoted}`)
})

test('add liquidity with an exact DAI approval; the LP balance grows', async () => {
  await go('pools')
  const card = session.page.locator('#liquidity')
  const lpBefore = await balanceOf((await rpc(node.url, 'sheaf_pools'))[0].address, session.account.address)
  await card.getByLabel('add DAI').fill('300')
  await card.getByTestId('lp-share').waitFor()
  await card.getByRole('button', { name: /^Approve 300 DAI/ }).click()
  assert.equal((await settledToast(session.page, 'Approve 300 DAI')).status, 'confirmed')
  const pool = (await rpc(node.url, 'sheaf_pools'))[0]
  const allowance = await node.client.readContract({ address: addresses.DAI, abi: erc20Abi, functionName: 'allowance', args: [session.account.address, addresses.uniswapV2Router02] })
  assert.equal(allowance, parseEther('300'), 'exact, not unlimited')
  await click('Add liquidity', 'Add 300 DAI')
  const lp = await balanceOf(pool.address, session.account.address)
  assert.ok(lp > lpBefore, `${lp} after ${lpBefore}`)
  await session.page.locator('#swap').getByLabel('amount in').fill('2')
  await session.page.locator('#swap').getByTestId('min-received').waitFor()
  await shot('pools')
})

test('stake LP in farm 0, watch the reward tick, harvest SHF', async () => {
  await go('farms')
  const farm = session.page.locator('.farm[data-pid="0"]')
  await farm.getByLabel('farm 0 amount').fill('10')
  await farm.getByRole('button', { name: 'Approve 10 LP' }).click()
  assert.equal((await settledToast(session.page, 'Approve 10 LP')).status, 'confirmed')
  await click('Stake', 'Stake 10')
  const farms = await rpc(node.url, 'sheaf_farms', [null, session.account.address])
  assert.equal(farms[0].user.staked, parseEther('10').toString())
  // Pending rewards tick up block by block on the page.
  const pending = farm.getByTestId('farm-0-pending')
  const first = await pending.innerText()
  await session.page.waitForFunction((el) => el.innerText !== el.dataset.first, await pending.evaluateHandle((el, f) => ((el.dataset.first = f), el), first))
  await shot('farms')
  const shfBefore = await balanceOf(addresses.SHF, session.account.address)
  await farm.getByRole('button', { name: 'Harvest' }).click()
  assert.equal((await settledToast(session.page, 'Harvest')).status, 'confirmed')
  assert.ok((await balanceOf(addresses.SHF, session.account.address)) > shfBefore)
})

test('stake SHF for GOV', async () => {
  await go('governance')
  const card = session.page.locator('#gov-staking')
  await card.getByLabel('SHF amount').fill('100')
  await card.getByRole('button', { name: 'Approve 100 SHF' }).click()
  assert.equal((await settledToast(session.page, 'Approve 100 SHF')).status, 'confirmed')
  await click('Stake SHF', 'Stake 100 SHF')
  const staked = await node.client.readContract({ address: addresses.govStaking, abi: stakingAbi, functionName: 'stakedOf', args: [session.account.address] })
  assert.equal(staked, parseEther('100'))
})

test('vote For on a proposal once voting opens; afterwards the page says why it cannot vote again', async () => {
  const out = cli('gov', 'propose', '--from', 'dev1', '--set-farm-alloc', '0=300', '-d', 'Raise the DAI/ETH farm to 300 points')
  const id = /id (\d+)/.exec(out)[1]
  await go('governance')
  const proposal = session.page.locator('.proposal').first()
  await proposal.getByRole('button', { name: 'Vote For' }).waitFor({ timeout: 15_000 })
  await shot('governance')
  await click('Vote For', 'Vote For')
  const voted = await node.client.readContract({ address: addresses.governor, abi: governorAbi, functionName: 'hasVoted', args: [BigInt(id), session.account.address] })
  assert.equal(voted, true)
  const [listed] = (await rpc(node.url, 'sheaf_proposals')).filter((p) => p.id === id)
  assert.ok(BigInt(listed.forVotes) >= parseEther('60000'), listed.forVotes)
  assert.equal(await proposal.getByTestId('vote-blocked').innerText(), 'You have voted')
})

test('propose a typed action from the page; the node lists it with the action in words', async () => {
  await go('governance')
  const form = session.page.locator('#propose')
  await form.getByLabel('farm id').fill('1')
  await form.getByLabel('points').fill('80')
  await form.getByLabel('description').fill('Farm 1 to 80 points')
  await click('Propose', 'Propose: Farm 1 to 80 points')
  const listed = (await rpc(node.url, 'sheaf_proposals')).find((p) => p.description === 'Farm 1 to 80 points')
  assert.ok(listed, 'the proposal is on chain')
  assert.equal(listed.proposer, session.account.address)
  assert.match(listed.actions[0], /farm 1's allocation to 80 points/)
})

test('deposit a validator from deposit data made by `sheaf validator keygen`', async () => {
  const out = cli('validator', 'keygen', '--name', 'web', '--withdrawal-address', session.account.address)
  const depositData = out.slice(out.indexOf('{'))
  const { pubkey } = JSON.parse(depositData)
  const countBefore = (await rpc(node.url, 'sheaf_validators')).validators.length
  await go('validators')
  await session.page.getByLabel('deposit data', { exact: true }).fill(depositData)
  await click('Deposit 32 ETH', 'Deposit 32 ETH')
  const view = await rpc(node.url, 'sheaf_validators')
  assert.equal(view.validators.length, countBefore + 1)
  const mine = view.validators.find((v) => v.pubkey === pubkey)
  assert.equal(mine.withdrawalAddress, session.account.address)
  await session.page.locator('.validator').first().waitFor()
  await shot('validators')
})

test('claim all collects farm SHF and staking GOV from the portfolio', async () => {
  await go('portfolio')
  const govBefore = await balanceOf(addresses.GOV, session.account.address)
  const shfBefore = await balanceOf(addresses.SHF, session.account.address)
  await session.page.getByRole('button', { name: 'Claim all' }).click()
  assert.equal((await settledToast(session.page, 'Claim GOV')).status, 'confirmed')
  assert.ok((await balanceOf(addresses.GOV, session.account.address)) > govBefore)
  assert.ok((await balanceOf(addresses.SHF, session.account.address)) > shfBefore)
  await shot('portfolio')
})

test('refusals are explained in words: a balance check before the wallet, a rejection after', async () => {
  await go('farms')
  const farm = session.page.locator('.farm[data-pid="1"]')
  await farm.getByLabel('farm 1 amount').fill('100000000')
  assert.match(await farm.getByRole('button', { name: /^Stake:/ }).innerText(), /More than your LP balance/)
  // The user rejects in the wallet: the toast says so and nothing is sent.
  const nonce = await node.client.getTransactionCount({ address: session.account.address })
  session.control.rejectNext = true
  await go('governance')
  await session.page.locator('#gov-staking').getByLabel('SHF amount').fill('1')
  await session.page.locator('#gov-staking').getByRole('button', { name: /^(Approve 1 SHF|Stake SHF)$/ }).click()
  const toast = await settledToast(session.page, '1 SHF')
  assert.equal(toast.status, 'failed')
  assert.match(toast.text, /User rejected the request/)
  assert.equal(await node.client.getTransactionCount({ address: session.account.address }), nonce)
})

test('every page works at 375 px wide', async () => {
  await session.page.setViewportSize({ width: 375, height: 800 })
  for (const route of ['portfolio', 'pools', 'farms', 'governance', 'validators']) {
    await go(route)
    await session.page.waitForTimeout(300)
    const width = await session.page.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(width <= 375, `${route} is ${width} px wide`)
    await shot(`${route}-375`)
  }
})

test('no console errors in any flow', () => {
  assert.deepEqual(session.errors, [])
})
