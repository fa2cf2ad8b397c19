import { useState } from 'react'
import { useAccount } from 'wagmi'
import { erc20, masterChef } from './abi.js'
import { ApproveButton, useApproval } from './approval.jsx'
import { amount, bps, parseAmount } from './format.js'
import { useAddresses, useNode, useTx, useView } from './hooks.jsx'

function Farm({ farm, chef }) {
  const { address } = useAccount()
  const { send, busy } = useTx()
  const [text, setText] = useState('')
  const value = parseAmount(text)
  const cleared = (receipt) => receipt?.status === 'success' && setText('')
  const { data: wallet } = useView(farm.stakedToken, erc20, 'balanceOf', [address], Boolean(address))
  const approval = useApproval(farm.stakedToken, chef, value)
  const staked = farm.user ? BigInt(farm.user.staked) : 0n
  const pending = farm.user ? BigInt(farm.user.pendingReward) : 0n
  let depositBlocked
  if (!address) depositBlocked = 'Connect a wallet'
  else if (!value) depositBlocked = 'Enter an amount'
  else if (wallet !== undefined && value > wallet) depositBlocked = 'More than your LP balance'
  return (
    <section className="card farm" data-pid={farm.pid}>
      <h3>{farm.stakedSymbol}</h3>
      <dl className="facts">
        <dt>APR (SHF emission at the pool's prices)</dt>
        <dd>{farm.aprBps === null ? 'no stake yet' : bps(farm.aprBps)}</dd>
        <dt>Emission</dt>
        <dd>
          {amount(farm.rewardPerBlock, 18, 3)} SHF / block ({farm.allocPoint} of {farm.totalAllocPoint} points)
        </dd>
        <dt>Total staked</dt>
        <dd>{amount(farm.totalStaked)} LP</dd>
        <dt>TVL (DAI)</dt>
        <dd>{farm.tvl ? amount(farm.tvl, 18, 0) : '—'}</dd>
        <dt>Your stake</dt>
        <dd data-testid={`farm-${farm.pid}-staked`}>{amount(staked)} LP</dd>
        <dt>Pending reward (per block)</dt>
        <dd data-testid={`farm-${farm.pid}-pending`}>{amount(pending, 18, 6)} SHF</dd>
        <dt>In your wallet</dt>
        <dd>{amount(wallet)} LP</dd>
      </dl>
      <div className="row">
        <input aria-label={`farm ${farm.pid} amount`} inputMode="decimal" placeholder="LP amount" value={text} onChange={(e) => setText(e.target.value)} />
        <button className="small" onClick={() => wallet !== undefined && setText(amountText(wallet))}>
          max
        </button>
      </div>
      <div className="actions">
        {depositBlocked ? (
          <button disabled title={depositBlocked}>
            Stake: {depositBlocked}
          </button>
        ) : approval.missing ? (
          <ApproveButton token={farm.stakedToken} spender={chef} needed={value} symbol="LP" purpose="the farm" send={send} busy={busy} />
        ) : (
          <button disabled={busy} onClick={() => send(`Stake ${amount(value)} ${farm.stakedSymbol}`, { address: chef, abi: masterChef, functionName: 'deposit', args: [BigInt(farm.pid), value, address] }).then(cleared)}>
            Stake
          </button>
        )}
        <button
          disabled={busy || !value || value > staked}
          title={value > staked ? 'More than you have staked' : undefined}
          onClick={() => send(`Unstake ${amount(value)} ${farm.stakedSymbol}`, { address: chef, abi: masterChef, functionName: 'withdraw', args: [BigInt(farm.pid), value, address] }).then(cleared)}
        >
          Unstake
        </button>
        <button
          disabled={busy || pending === 0n}
          title={pending === 0n ? 'Nothing to harvest yet' : undefined}
          onClick={() => send(`Harvest ${amount(pending)} SHF`, { address: chef, abi: masterChef, functionName: 'harvest', args: [BigInt(farm.pid), address] })}
        >
          Harvest
        </button>
      </div>
    </section>
  )
}

function amountText(wei) {
  const s = wei.toString().padStart(19, '0')
  return `${s.slice(0, -18)}.${s.slice(-18)}`.replace(/\.?0+$/, '')
}

export function Farms() {
  const { address } = useAccount()
  const addresses = useAddresses()
  const { data: farms = [] } = useNode('sheaf_farms', address ? [null, address] : [])
  return (
    <div>
      <h2>Farms</h2>
      <p className="muted">Stake LP tokens to earn SHF every block; rewards accrue until you harvest.</p>
      <div className="grid">
        {farms.map((f) => (
          <Farm key={f.pid} farm={f} chef={addresses?.masterChef} />
        ))}
      </div>
    </div>
  )
}
