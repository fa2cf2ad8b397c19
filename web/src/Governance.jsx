import { useState } from 'react'
import { encodeFunctionData, isAddress } from 'viem'
import { useAccount } from 'wagmi'
import { erc20, governanceActions, governor, govStaking, votes } from './abi.js'
import { ApproveButton, useApproval } from './approval.jsx'
import { amount, parseAmount, percent, short } from './format.js'
import { useAddresses, useBlockNumber, useNode, useTx, useView } from './hooks.jsx'

function Staking({ gov, staking }) {
  const { address } = useAccount()
  const { send, busy } = useTx()
  const [text, setText] = useState('')
  const value = parseAmount(text)
  const { data: shf } = useView(gov.stakingToken, erc20, 'balanceOf', [address], Boolean(address))
  const approval = useApproval(gov.stakingToken, staking, value)
  const { data: staked } = useView(staking, govStaking, 'stakedOf', [address], Boolean(address))
  const { data: pending } = useView(staking, govStaking, 'pendingGov', [address], Boolean(address))
  const { data: cooldown } = useView(staking, govStaking, 'cooldownOf', [address], Boolean(address))
  const block = useBlockNumber()
  const [cooling, cooldownEnd] = cooldown ?? [0n, 0n]
  let stakeBlocked
  if (!address) stakeBlocked = 'Connect a wallet'
  else if (!value) stakeBlocked = 'Enter an amount'
  else if (shf !== undefined && value > shf) stakeBlocked = 'More SHF than you hold'
  return (
    <section className="card" id="gov-staking">
      <h3>Stake SHF, earn GOV</h3>
      <dl className="facts">
        <dt>Emission</dt>
        <dd>{amount(gov.govPerBlock)} GOV / block shared by all stakers</dd>
        <dt>Total staked</dt>
        <dd>{amount(gov.totalStaked)} SHF</dd>
        <dt>Your SHF</dt>
        <dd>{amount(shf)}</dd>
        <dt>You stake</dt>
        <dd data-testid="gov-staked">{amount(staked)} SHF</dd>
        <dt>Your GOV to claim</dt>
        <dd data-testid="gov-pending">{amount(pending, 18, 6)} GOV</dd>
        {cooling > 0n && (
          <>
            <dt>Cooling down</dt>
            <dd>
              {amount(cooling)} SHF, withdrawable {block !== undefined && block >= cooldownEnd ? 'now' : `from block ${cooldownEnd}`}
            </dd>
          </>
        )}
      </dl>
      <input aria-label="SHF amount" inputMode="decimal" placeholder="SHF amount" value={text} onChange={(e) => setText(e.target.value)} />
      <div className="actions">
        {stakeBlocked ? (
          <button disabled title={stakeBlocked}>
            Stake: {stakeBlocked}
          </button>
        ) : approval.missing ? (
          <ApproveButton token={gov.stakingToken} spender={staking} needed={value} symbol="SHF" purpose="staking" send={send} busy={busy} />
        ) : (
          <button disabled={busy} onClick={() => send(`Stake ${amount(value)} SHF`, { address: staking, abi: govStaking, functionName: 'stake', args: [value] }).then((r) => r?.status === 'success' && setText(''))}>
            Stake SHF
          </button>
        )}
        <button
          disabled={busy || !value || !staked || value > staked}
          title="Unstaking starts a cooldown; cooling SHF earns nothing"
          onClick={() => send(`Request unstake of ${amount(value)} SHF`, { address: staking, abi: govStaking, functionName: 'requestUnstake', args: [value] })}
        >
          Request unstake
        </button>
        <button
          disabled={busy || cooling === 0n || block === undefined || block < cooldownEnd}
          title={cooling === 0n ? 'Nothing cooling down' : `Cooldown ends at block ${cooldownEnd}`}
          onClick={() => send('Withdraw cooled SHF', { address: staking, abi: govStaking, functionName: 'withdraw', args: [] })}
        >
          Withdraw
        </button>
        <button
          disabled={busy || !pending}
          title={!pending ? 'No GOV earned yet' : undefined}
          onClick={() => send(`Claim ${amount(pending)} GOV`, { address: staking, abi: govStaking, functionName: 'claim', args: [address] })}
        >
          Claim GOV
        </button>
      </div>
    </section>
  )
}

function Delegation({ gov }) {
  const { address } = useAccount()
  const { send, busy } = useTx()
  const [to, setTo] = useState('')
  const { data: delegate } = useView(gov.govToken, votes, 'delegates', [address], Boolean(address))
  const { data: power } = useView(gov.govToken, votes, 'getVotes', [address], Boolean(address))
  const { data: balance } = useView(gov.govToken, erc20, 'balanceOf', [address], Boolean(address))
  const none = delegate === '0x0000000000000000000000000000000000000000'
  return (
    <section className="card" id="delegation">
      <h3>Voting power</h3>
      <dl className="facts">
        <dt>Your GOV</dt>
        <dd>{amount(balance)}</dd>
        <dt>Delegated to</dt>
        <dd>{delegate === undefined ? '…' : none ? 'nobody: your GOV does not count until you delegate' : delegate === address ? 'yourself' : short(delegate)}</dd>
        <dt>Your votes</dt>
        <dd data-testid="votes">{amount(power)}</dd>
      </dl>
      <div className="actions">
        <button disabled={busy || !address || delegate === address} onClick={() => send('Delegate to yourself', { address: gov.govToken, abi: votes, functionName: 'delegate', args: [address] })}>
          Delegate to myself
        </button>
        <input aria-label="delegate address" placeholder="0x… delegate" value={to} onChange={(e) => setTo(e.target.value)} />
        <button disabled={busy || !isAddress(to)} onClick={() => send(`Delegate to ${short(to)}`, { address: gov.govToken, abi: votes, functionName: 'delegate', args: [to] })}>
          Delegate
        </button>
      </div>
    </section>
  )
}

/** The typed actions a proposal can carry, each turned into its target and calldata. */
const ACTIONS = {
  farmAllocation: {
    label: 'Set a farm’s allocation points',
    fields: ['farm id', 'points'],
    build: ([pid, points], a) => [a.masterChef, encodeFunctionData({ abi: governanceActions, functionName: 'setFarmAllocation', args: [BigInt(pid), BigInt(points)] })],
  },
  rewardPerBlock: {
    label: 'Set the farms’ SHF emission per block',
    fields: ['SHF per block'],
    build: ([amount], a) => [a.masterChef, encodeFunctionData({ abi: governanceActions, functionName: 'setRewardPerBlock', args: [parseAmount(amount)] })],
  },
  govPerBlock: {
    label: 'Set the GOV emission per block',
    fields: ['GOV per block'],
    build: ([amount], a) => [a.govStaking, encodeFunctionData({ abi: governanceActions, functionName: 'setGovPerBlock', args: [parseAmount(amount)] })],
  },
  enableWithdrawals: {
    label: 'Enable validator withdrawals now',
    fields: [],
    build: (_, a) => [a.depositContract, encodeFunctionData({ abi: governanceActions, functionName: 'enableWithdrawals', args: [] })],
  },
}

function Propose({ gov }) {
  const { address } = useAccount()
  const addresses = useAddresses()
  const { send, busy } = useTx()
  const [kind, setKind] = useState('farmAllocation')
  const [values, setValues] = useState({})
  const [description, setDescription] = useState('')
  const { data: power } = useView(gov.govToken, votes, 'getVotes', [address], Boolean(address))
  const threshold = BigInt(gov.params.find((p) => p.name === 'proposalThreshold')?.value ?? 0)
  const action = ACTIONS[kind]
  const fields = action.fields.map((f) => values[`${kind}.${f}`] ?? '')
  let built
  try {
    built = fields.every((f) => f !== '') && addresses ? action.build(fields, addresses) : undefined
  } catch {
    built = undefined
  }
  let blocked
  if (!address) blocked = 'Connect a wallet to propose'
  else if (power !== undefined && power < threshold)
    blocked = `Below the proposal threshold: proposing needs ${amount(threshold, 18, 0)} votes and you have ${amount(power, 18, 2)} (delegate GOV to yourself first)`
  else if (!built) blocked = 'Fill in the action'
  else if (!description.trim()) blocked = 'Describe the proposal'
  return (
    <section className="card" id="propose">
      <h3>Propose</h3>
      <label>
        Action
        <select aria-label="action" value={kind} onChange={(e) => setKind(e.target.value)}>
          {Object.entries(ACTIONS).map(([k, a]) => (
            <option key={k} value={k}>
              {a.label}
            </option>
          ))}
        </select>
      </label>
      {action.fields.map((f) => (
        <label key={f}>
          {f}
          <input aria-label={f} value={values[`${kind}.${f}`] ?? ''} onChange={(e) => setValues({ ...values, [`${kind}.${f}`]: e.target.value })} />
        </label>
      ))}
      <label>
        Description
        <input aria-label="description" value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <p className="muted">The node checks the action's bounds when the proposal is made, so an out-of-range value is refused with a reason.</p>
      {blocked ? (
        <p className="why">{blocked}</p>
      ) : (
        <button
          disabled={busy}
          onClick={() =>
            send(`Propose: ${description}`, {
              address: gov.governor,
              abi: governor,
              functionName: 'propose',
              args: [[built[0]], [0n], [built[1]], description],
            })
          }
        >
          Propose
        </button>
      )}
    </section>
  )
}

function Timeline({ p, block }) {
  const steps = [
    ['voting opens', p.snapshot + 1],
    ['voting closes', p.deadline],
    p.eta ? ['executable from', p.eta] : undefined,
    p.expires ? ['expires after', p.expires] : undefined,
  ].filter(Boolean)
  return (
    <ol className="timeline">
      {steps.map(([what, at]) => (
        <li key={what} className={block !== undefined && BigInt(at) <= block ? 'past' : ''}>
          {what} block {at}
        </li>
      ))}
    </ol>
  )
}

function Proposal({ p, gov }) {
  const { address } = useAccount()
  const { send, busy } = useTx()
  const block = useBlockNumber()
  const id = BigInt(p.id)
  const { data: voted } = useView(gov.governor, governor, 'hasVoted', [id, address], Boolean(address))
  const snapshotPast = block !== undefined && block > BigInt(p.snapshot)
  const { data: weight } = useView(gov.govToken, votes, 'getPastVotes', [address, BigInt(p.snapshot)], Boolean(address && snapshotPast))
  const [forV, against, abstain] = [BigInt(p.forVotes), BigInt(p.againstVotes), BigInt(p.abstainVotes)]
  const total = forV + against + abstain
  let voteBlocked
  if (!address) voteBlocked = 'Connect a wallet to vote'
  else if (p.state === 'Pending') voteBlocked = `Voting has not started: it opens at block ${p.snapshot + 1}`
  else if (p.state !== 'Active') voteBlocked = `Voting is closed (${p.state})`
  else if (voted) voteBlocked = 'You have voted'
  else if (weight === 0n) voteBlocked = `You had no votes at block ${p.snapshot}: delegate GOV before a proposal's snapshot`
  const vote = (support, word) => send(`Vote ${word} on proposal ${p.id.slice(0, 8)}…`, { address: gov.governor, abi: governor, functionName: 'castVote', args: [id, support] })
  return (
    <section className="card proposal" data-state={p.state}>
      <h3>{p.description.split('\n')[0]}</h3>
      <p>
        <span className={`badge ${p.state}`} data-testid="proposal-state">
          {p.state}
        </span>{' '}
        by {short(p.proposer)}
      </p>
      <ul>
        {p.actions.map((a) => (
          <li key={a}>{a}</li>
        ))}
      </ul>
      <Timeline p={p} block={block} />
      <div className="tally">
        <div>
          For {amount(forV, 18, 0)} ({percent(forV, total)})
        </div>
        <div>
          Against {amount(against, 18, 0)} ({percent(against, total)})
        </div>
        <div>
          Abstain {amount(abstain, 18, 0)} ({percent(abstain, total)})
        </div>
        <div className="muted">Quorum: {p.quorum ? `${amount(forV + abstain, 18, 0)} of ${amount(p.quorum, 18, 0)} (For + Abstain)` : 'set at the snapshot'}</div>
      </div>
      <div className="actions">
        {voteBlocked ? (
          <p className="why" data-testid="vote-blocked">
            {voteBlocked}
          </p>
        ) : (
          <>
            <button disabled={busy} onClick={() => vote(1, 'For')}>
              Vote For
            </button>
            <button disabled={busy} onClick={() => vote(0, 'Against')}>
              Vote Against
            </button>
            <button disabled={busy} onClick={() => vote(2, 'Abstain')}>
              Abstain
            </button>
          </>
        )}
        {p.state === 'Succeeded' && (
          <button disabled={busy || !address} onClick={() => send('Queue proposal', { address: gov.governor, abi: governor, functionName: 'queue', args: [id] })}>
            Queue
          </button>
        )}
        {p.state === 'Queued' &&
          (block !== undefined && block >= BigInt(p.eta) ? (
            <button disabled={busy || !address} onClick={() => send('Execute proposal', { address: gov.governor, abi: governor, functionName: 'execute', args: [id] })}>
              Execute
            </button>
          ) : (
            <p className="why">Timelock running: executable from block {p.eta}</p>
          ))}
      </div>
    </section>
  )
}

export function Governance() {
  const { data: gov } = useNode('sheaf_governance')
  const { data: proposals = [] } = useNode('sheaf_proposals')
  const addresses = useAddresses()
  if (!gov || !addresses) return <p>Loading…</p>
  return (
    <div>
      <h2>Governance</h2>
      <div className="grid">
        <Staking gov={gov} staking={addresses.govStaking} />
        <Delegation gov={gov} />
        <Propose gov={gov} />
      </div>
      <h3>Proposals</h3>
      {proposals.length === 0 && <p className="muted">No proposals yet. `sheaf gov propose` creates one.</p>}
      <div className="grid">
        {[...proposals].reverse().map((p) => (
          <Proposal key={p.id} p={p} gov={gov} />
        ))}
      </div>
      <details>
        <summary>Parameters governance can change</summary>
        <table>
          <tbody>
            {gov.params.map((param) => (
              <tr key={param.name}>
                <td>{param.name}</td>
                <td>{param.value}</td>
                <td className="muted">
                  {param.doc} (range {param.min}–{param.max})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  )
}
