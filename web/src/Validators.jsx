import { useState } from 'react'
import { decodeEventLog, getAddress } from 'viem'
import { useAccount, usePublicClient } from 'wagmi'
import { useQuery } from '@tanstack/react-query'
import { depositContract } from './abi.js'
import { CHAIN_ID } from './chain.js'
import { Chart } from './Chart.jsx'
import { bps, gwei, short } from './format.js'
import { useAddresses, useBlockNumber, useNode, useTx } from './hooks.jsx'

const LIFECYCLE = ['Pending', 'Eligible', 'Active', 'Exiting', 'Exited', 'Withdrawable', 'Withdrawn']

/** Reads deposit data as `sheaf validator keygen` (like Ethereum's deposit-cli) prints it. */
function parseDepositData(text) {
  let data
  try {
    data = JSON.parse(text)
  } catch {
    return { error: 'This is not JSON: paste the deposit data `sheaf validator keygen` printed.' }
  }
  if (Array.isArray(data)) data = data[0]
  for (const field of ['pubkey', 'withdrawal_credentials', 'signature', 'deposit_data_root', 'amount']) {
    if (data?.[field] === undefined) return { error: `The deposit data has no ${field}.` }
  }
  if (data.chain_id !== undefined && Number(data.chain_id) !== CHAIN_ID) {
    return { error: `This deposit data was made for chain ${data.chain_id}, not Sheaf (${CHAIN_ID}); a deposit would be refused.` }
  }
  const hex = (v) => (v.startsWith('0x') ? v : `0x${v}`)
  const credentials = hex(data.withdrawal_credentials)
  if (!credentials.startsWith('0x01') || credentials.length !== 66) {
    return { error: 'Withdrawal credentials must be 0x01 credentials naming an Ethereum address.' }
  }
  return {
    pubkey: hex(data.pubkey),
    credentials,
    signature: hex(data.signature),
    root: hex(data.deposit_data_root),
    gwei: BigInt(data.amount),
    withdrawalAddress: getAddress(`0x${credentials.slice(26)}`),
  }
}

function Deposit() {
  const { address } = useAccount()
  const addresses = useAddresses()
  const { send, busy } = useTx()
  const [text, setText] = useState('')
  const parsed = text.trim() ? parseDepositData(text) : undefined
  const readFile = async (file) => setText(await file.text())
  return (
    <section className="card" id="deposit">
      <h3>Become a validator</h3>
      <p>
        Make a consensus key and its deposit data on your own machine (<code>sheaf validator keygen --name v1 --withdrawal-address
        YOUR_ADDRESS</code>), then paste or load the deposit data here. The key file never leaves your machine; the deposit sends 32 ETH to
        the deposit contract, and the validator joins after the activation queue.
      </p>
      <label>
        Deposit data file
        <input type="file" accept="application/json,.json" onChange={(e) => e.target.files[0] && readFile(e.target.files[0])} />
      </label>
      <textarea aria-label="deposit data" rows="5" placeholder='{"pubkey": "0x…", "withdrawal_credentials": "0x01…", …}' value={text} onChange={(e) => setText(e.target.value)} />
      {parsed?.error && <p className="error">{parsed.error}</p>}
      {parsed && !parsed.error && (
        <dl className="facts">
          <dt>Consensus key</dt>
          <dd>{short(parsed.pubkey)}</dd>
          <dt>Amount</dt>
          <dd>{gwei(parsed.gwei)} ETH</dd>
          <dt>Withdrawals go to</dt>
          <dd>
            {parsed.withdrawalAddress}
            {address && parsed.withdrawalAddress !== address && <span className="warn"> (not the connected account: only that address can exit or unjail it)</span>}
          </dd>
        </dl>
      )}
      <button
        disabled={busy || !address || !parsed || parsed.error || !addresses}
        onClick={() =>
          send(`Deposit ${gwei(parsed.gwei)} ETH for validator ${short(parsed.pubkey)}`, {
            address: addresses.depositContract,
            abi: depositContract,
            functionName: 'deposit',
            args: [parsed.pubkey, parsed.credentials, parsed.signature, parsed.root],
            value: parsed.gwei * 10n ** 9n,
          })
        }
      >
        {!address ? 'Connect a wallet to deposit' : parsed && !parsed.error ? `Deposit ${gwei(parsed.gwei)} ETH` : 'Paste deposit data first'}
      </button>
    </section>
  )
}

/** Balance at each epoch boundary, read from past state (the node keeps every version). */
function Income({ v, view }) {
  const client = usePublicClient()
  const addresses = useAddresses()
  const epochs = Math.min(view.epoch, 12)
  const { data: points = [] } = useQuery({
    queryKey: ['income', v.index, view.epoch],
    enabled: Boolean(addresses),
    queryFn: async () => {
      const out = []
      for (let e = view.epoch - epochs; e <= view.epoch; e++) {
        const blockNumber = BigInt(Math.max(1, e * view.epochBlocks))
        try {
          const info = await client.readContract({ address: addresses.depositContract, abi: depositContract, functionName: 'validatorAt', args: [BigInt(v.index)], blockNumber })
          out.push([e, Number(info.balanceGwei) / 1e9])
        } catch {
          // Not deposited yet at that epoch.
        }
      }
      return out
    },
  })
  const income = points.slice(1).map(([e, b], i) => [e, b - points[i][1]])
  return <Chart series={[{ name: 'ETH earned per epoch', points: income }]} xLabel="epoch" yLabel="ETH" />
}

/** Withdrawals paid to this validator's address in the last 1,000 blocks: where the ETH went. */
function Withdrawals({ v }) {
  // Each call scans the last 1,000 blocks on the node; withdrawals are paid at most once a
  // block per validator, so a slower refresh loses nothing a person would notice.
  const { data: events = [] } = useNode('sheaf_systemEvents', [], { refetchInterval: 10_000 })
  const paid = events.flatMap((e) => {
    try {
      const log = decodeEventLog({ abi: depositContract, topics: e.topics, data: e.data })
      return log.eventName === 'Withdrawal' && Number(log.args.index) === v.index ? [{ block: e.blockNumber, ...log.args }] : []
    } catch {
      return []
    }
  })
  if (paid.length === 0) return null
  return (
    <details>
      <summary>
        {paid.length} withdrawal(s) in the last 1,000 blocks, {gwei(paid.reduce((s, w) => s + w.amountGwei, 0n))} ETH
      </summary>
      <ul>
        {paid.map((w) => (
          <li key={`${w.block}`}>
            block {w.block}: {gwei(w.amountGwei)} ETH to {short(w.to)}
          </li>
        ))}
      </ul>
    </details>
  )
}

/** APR against total stake: Altair's base reward is proportional to 1/√(total active balance). */
function AprCurve({ view }) {
  const total = Number(view.totalActiveBalanceGwei) / 1e9
  if (!total || !view.aprBps) return null
  const points = []
  for (let i = 0; i <= 24; i++) {
    const staked = total * Math.pow(2, i / 4)
    points.push([staked, (view.aprBps / 100) * Math.sqrt(total / staked)])
  }
  return (
    <section className="card">
      <h3>APR against total staked</h3>
      <p className="muted">
        Rewards per validator shrink as more ETH is staked (in proportion to 1/√total); now {total.toLocaleString('en-US')} ETH earns{' '}
        {bps(view.aprBps)}.
      </p>
      <Chart series={[{ name: 'APR % of an online validator', points }]} xLabel="total ETH staked" yLabel="APR %" />
    </section>
  )
}

function Explain({ v, view, block }) {
  // At least the next epoch boundary, plus one epoch per full churn ahead of it in the queue.
  const wait = Math.max(1, view.activationChurn ? Math.ceil(view.activationQueue / view.activationChurn) : 1)
  switch (v.status) {
    case 'Pending':
    case 'Eligible':
      return (
        <p>
          Waiting to activate: {view.activationQueue} in the queue, {view.activationChurn} activate per epoch (about {wait} epochs,{' '}
          {wait * view.epochBlocks * view.secondsPerBlock} s at {view.secondsPerBlock} s a block){v.activationEpoch !== null ? `; activates at epoch ${v.activationEpoch}` : ''}.
        </p>
      )
    case 'Jailed':
      return (
        <p className="warn">
          Jailed for missing too many blocks: it was offline and stopped earning. {block >= BigInt(v.jailedUntil) ? 'The jail time is over: its withdrawal address can unjail it.' : `It can be unjailed from block ${v.jailedUntil}.`}
        </p>
      )
    case 'Slashed':
      return (
        <p className="error">
          Slashed for signing two different blocks at one height: it lost a penalty, was forced out, and its remaining balance is withdrawable
          from epoch {v.withdrawableEpoch}.
        </p>
      )
    default:
      return null
  }
}

function Mine({ v, view }) {
  const { send, busy } = useTx()
  const addresses = useAddresses()
  const block = useBlockNumber()
  const step = LIFECYCLE.indexOf(v.status)
  const canUnjail = v.status === 'Jailed' && block !== undefined && block >= BigInt(v.jailedUntil)
  return (
    <section className="card validator" data-status={v.status}>
      <h3>
        Validator #{v.index} <span className={`badge ${v.status}`}>{v.status}</span>
      </h3>
      <ol className="lifecycle">
        {LIFECYCLE.map((s, i) => (
          <li key={s} className={i < step ? 'past' : i === step ? 'now' : ''}>
            {s}
          </li>
        ))}
      </ol>
      <Explain v={v} view={view} block={block ?? 0n} />
      <dl className="facts">
        <dt>Balance</dt>
        <dd>{gwei(v.balanceGwei, 6)} ETH</dd>
        <dt>Effective balance</dt>
        <dd>{gwei(v.effectiveBalanceGwei, 0)} ETH (what rewards and voting power count)</dd>
        <dt>Consensus key</dt>
        <dd>{short(v.pubkey)}</dd>
        <dt>Withdrawals</dt>
        <dd>
          {view.withdrawalsEnabled
            ? `enabled: balances above 32 ETH and exited balances are sent to ${short(v.withdrawalAddress)}`
            : `locked until block ${view.withdrawalsHeight ?? '— (a governance upgrade enables them)'}`}
        </dd>
      </dl>
      <Income v={v} view={view} />
      <Withdrawals v={v} />
      <div className="actions">
        {v.status === 'Active' && (
          <button disabled={busy} onClick={() => send(`Request exit of validator #${v.index}`, { address: addresses.depositContract, abi: depositContract, functionName: 'exit', args: [v.pubkey] })}>
            Exit
          </button>
        )}
        {v.status === 'Jailed' && (
          <button disabled={busy || !canUnjail} title={canUnjail ? undefined : `Jailed until block ${v.jailedUntil}`} onClick={() => send(`Unjail validator #${v.index}`, { address: addresses.depositContract, abi: depositContract, functionName: 'unjail', args: [v.pubkey] })}>
            Unjail
          </button>
        )}
      </div>
    </section>
  )
}

export function Validators() {
  const { address } = useAccount()
  const { data: view } = useNode('sheaf_validators')
  if (!view) return <p>Loading…</p>
  const mine = address ? view.validators.filter((v) => v.withdrawalAddress.toLowerCase() === address.toLowerCase()) : []
  return (
    <div>
      <h2>Validators</h2>
      <p className="muted">
        Epoch {view.epoch} ({view.epochBlocks} blocks) · {gwei(view.totalActiveBalanceGwei, 0)} ETH staked · APR for an online validator{' '}
        {bps(view.aprBps)} · activation queue {view.activationQueue} · exit queue {view.exitQueue}
      </p>
      <div className="grid">
        <Deposit />
        {mine.map((v) => (
          <Mine key={v.index} v={v} view={view} />
        ))}
        <AprCurve view={view} />
      </div>
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Status</th>
              <th>Balance (ETH)</th>
              <th>Power</th>
              <th>Withdraws to</th>
            </tr>
          </thead>
          <tbody>
            {view.validators.map((v) => (
              <tr key={v.index} data-testid="validator-row">
                <td>{v.index}</td>
                <td>{v.status}</td>
                <td>{gwei(v.balanceGwei, 4)}</td>
                <td>{v.power}</td>
                <td>{short(v.withdrawalAddress)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
