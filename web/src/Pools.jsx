import { useMemo, useState } from 'react'
import { useAccount, useBalance, usePublicClient } from 'wagmi'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { erc20, pair, router } from './abi.js'
import { Chart } from './Chart.jsx'
import { amount, bps, parseAmount, percent } from './format.js'
import { ApproveButton, ETH, useApproval } from './approval.jsx'
import { useTx, useView } from './hooks.jsx'
import { useMarket } from './market.js'

/** Seconds from the latest block, so a deadline means the same to the page and the chain. */
async function deadline(client, minutes) {
  const block = await client.getBlock()
  return block.timestamp + BigInt(Math.round(minutes * 60))
}

function Settings({ settings, setSettings }) {
  return (
    <details className="settings">
      <summary>
        Slippage {settings.slippageBps / 100}% · deadline {settings.minutes} min
        {settings.unlimited ? ' · unlimited approvals' : ''}
      </summary>
      <label>
        Slippage tolerance (%)
        <input
          inputMode="decimal"
          value={settings.slippageBps / 100}
          onChange={(e) => setSettings({ ...settings, slippageBps: Math.max(0, Math.min(5000, Math.round(Number(e.target.value) * 100) || 0)) })}
        />
      </label>
      <label>
        Deadline (minutes)
        <input
          inputMode="numeric"
          value={settings.minutes}
          onChange={(e) => setSettings({ ...settings, minutes: Math.max(1, Number(e.target.value) || 1) })}
        />
      </label>
      <label className="inline">
        <input type="checkbox" checked={settings.unlimited} onChange={(e) => setSettings({ ...settings, unlimited: e.target.checked })} />
        Approve unlimited amounts (saves a transaction later, but lets the router spend everything)
      </label>
    </details>
  )
}

function Swap({ market, settings }) {
  const { address } = useAccount()
  const client = usePublicClient()
  const { send, busy } = useTx()
  const tokens = [ETH, ...Object.keys(market.symbols).filter((t) => t !== market.weth)]
  const [from, setFrom] = useState(ETH)
  const [to, setTo] = useState(market.quote ?? '')
  const [text, setText] = useState('')
  const sym = (t) => (t === ETH ? 'ETH' : market.symbols[t])
  const wrapped = (t) => (t === ETH ? market.weth : t)
  const path = market.route(wrapped(from), wrapped(to || market.quote))
  const amountIn = parseAmount(text)
  const routerAddress = market.addresses?.uniswapV2Router02
  const { data: amounts, error: quoteError } = useQuery({
    queryKey: ['quote', path?.join(), String(amountIn)],
    queryFn: () => client.readContract({ address: routerAddress, abi: router, functionName: 'getAmountsOut', args: [amountIn, path] }),
    enabled: Boolean(path && amountIn && routerAddress),
    refetchInterval: 1000,
  })
  const out = amounts?.[amounts.length - 1]
  // Price impact against the mid price along the route, the 0.3% fee excluded (as Uniswap's UI).
  const impactBps = useMemo(() => {
    if (!path || !amountIn || !out) return undefined
    let mid = amountIn
    for (let i = 0; i + 1 < path.length; i++) {
      const p = market.pairOf(path[i], path[i + 1])
      const [rin, rout] = p.token0 === path[i] ? [BigInt(p.reserve0), BigInt(p.reserve1)] : [BigInt(p.reserve1), BigInt(p.reserve0)]
      mid = (((mid * rout) / rin) * 997n) / 1000n
    }
    return mid === 0n ? undefined : ((mid - out) * 10000n) / mid
  }, [path, amountIn, out, market])
  const minOut = out === undefined ? undefined : (out * BigInt(10000 - settings.slippageBps)) / 10000n
  const { data: balance } = useBalance({ address, query: { refetchInterval: 1000 } })
  const { data: tokenBalance } = useView(from, erc20, 'balanceOf', [address], from !== ETH && Boolean(address))
  const have = from === ETH ? balance?.value : tokenBalance
  const approval = useApproval(from, routerAddress, amountIn)
  let disabled
  if (!address) disabled = 'Connect a wallet to swap'
  else if (!path) disabled = 'No pool route between these tokens'
  else if (!amountIn) disabled = 'Enter an amount'
  else if (have !== undefined && amountIn > have) disabled = `Insufficient ${sym(from)} balance`
  else if (quoteError) disabled = 'Not enough liquidity for this amount'

  const swap = async () => {
    const when = await deadline(client, settings.minutes)
    const label = `Swap ${amount(amountIn)} ${sym(from)} for at least ${amount(minOut)} ${sym(to)}`
    if (from === ETH) {
      return send(label, { address: routerAddress, abi: router, functionName: 'swapExactETHForTokens', args: [minOut, path, address, when], value: amountIn })
    }
    const functionName = to === ETH ? 'swapExactTokensForETH' : 'swapExactTokensForTokens'
    return send(label, { address: routerAddress, abi: router, functionName, args: [amountIn, minOut, path, address, when] })
  }
  return (
    <section className="card" id="swap">
      <h3>Swap</h3>
      <div className="row">
        <input aria-label="amount in" inputMode="decimal" placeholder="0.0" value={text} onChange={(e) => setText(e.target.value)} />
        <select aria-label="from token" value={from} onChange={(e) => setFrom(e.target.value)}>
          {tokens.map((t) => (
            <option key={t} value={t}>
              {sym(t)}
            </option>
          ))}
        </select>
      </div>
      <p className="muted">
        Balance: {amount(have)} {sym(from)}
      </p>
      <div className="row">
        <output aria-label="amount out">{out === undefined ? '—' : amount(out, 18, 6)}</output>
        <select aria-label="to token" value={to} onChange={(e) => setTo(e.target.value)}>
          {tokens
            .filter((t) => t !== from)
            .map((t) => (
              <option key={t} value={t}>
                {sym(t)}
              </option>
            ))}
        </select>
      </div>
      {out !== undefined && (
        <dl className="facts">
          <dt>Rate</dt>
          <dd>
            1 {sym(from)} = {amount((out * 10n ** 18n) / amountIn, 18, 6)} {sym(to)}
          </dd>
          <dt>Price impact</dt>
          <dd className={impactBps > 300n ? 'warn' : ''} data-testid="impact">
            {bps(impactBps)}
          </dd>
          <dt>Minimum received</dt>
          <dd data-testid="min-received">
            {amount(minOut, 18, 6)} {sym(to)}
          </dd>
          <dt>Route</dt>
          <dd>{path.map((t) => market.symbols[t]).join(' → ')}</dd>
          <dt>Fee to liquidity providers</dt>
          <dd>0.3% per hop</dd>
        </dl>
      )}
      {disabled ? (
        <button disabled title={disabled}>
          {disabled}
        </button>
      ) : approval.missing ? (
        <ApproveButton token={from} spender={routerAddress} needed={amountIn} symbol={sym(from)} unlimited={settings.unlimited} send={send} busy={busy} />
      ) : (
        <button disabled={busy} onClick={() => swap().then((r) => r?.status === 'success' && setText(''))}>
          Swap
        </button>
      )}
    </section>
  )
}

function Liquidity({ market, pool, settings }) {
  const { address } = useAccount()
  const client = usePublicClient()
  const { send, busy } = useTx()
  const routerAddress = market.addresses?.uniswapV2Router02
  const [text, setText] = useState('')
  const [removePercent, setRemovePercent] = useState(50)
  const ethSide = pool.token0 === market.weth ? 0 : pool.token1 === market.weth ? 1 : undefined
  const [r0, r1] = [BigInt(pool.reserve0), BigInt(pool.reserve1)]
  const supply = BigInt(pool.totalSupply)
  const amount0 = parseAmount(text)
  const amount1 = amount0 !== undefined && r0 > 0n ? (amount0 * r1) / r0 + 1n : undefined
  const minted = amount0 !== undefined && r0 > 0n ? (amount0 * supply) / r0 : undefined
  const sym = (i) => (i === ethSide ? 'ETH' : i === 0 ? pool.symbol0 : pool.symbol1)
  /** What the user pays in for side `i`: ETH for the WETH side (the router wraps it). */
  const paid = (i) => (i === ethSide ? ETH : i === 0 ? pool.token0 : pool.token1)
  /** Side amounts as the router's *ETH functions take them: [the other token, its amount, ETH]. */
  const withEth = (a0, a1) => (ethSide === 0 ? [pool.token1, a1, a0] : [pool.token0, a0, a1])
  const { data: lp } = useView(pool.address, erc20, 'balanceOf', [address], Boolean(address))
  const approve0 = useApproval(paid(0), routerAddress, amount0)
  const approve1 = useApproval(paid(1), routerAddress, amount1)
  const removing = lp === undefined ? undefined : (lp * BigInt(removePercent)) / 100n
  const approveLp = useApproval(pool.address, routerAddress, removing)
  const min = (x) => (x * BigInt(10000 - settings.slippageBps)) / 10000n

  const add = async () => {
    const when = await deadline(client, settings.minutes)
    const label = `Add ${amount(amount0)} ${sym(0)} + ${amount(amount1)} ${sym(1)}`
    if (ethSide !== undefined) {
      const [token, tokenAmount, ethAmount] = withEth(amount0, amount1)
      return send(label, {
        address: routerAddress,
        abi: router,
        functionName: 'addLiquidityETH',
        args: [token, tokenAmount, min(tokenAmount), min(ethAmount), address, when],
        value: ethAmount,
      })
    }
    return send(label, {
      address: routerAddress,
      abi: router,
      functionName: 'addLiquidity',
      args: [pool.token0, pool.token1, amount0, amount1, min(amount0), min(amount1), address, when],
    })
  }
  const remove = async () => {
    const when = await deadline(client, settings.minutes)
    const out0 = (removing * r0) / supply
    const out1 = (removing * r1) / supply
    const label = `Remove ${removePercent}% of your ${pool.symbol0}/${pool.symbol1} liquidity`
    if (ethSide !== undefined) {
      const [token, tokenOut, ethOut] = withEth(out0, out1)
      return send(label, {
        address: routerAddress,
        abi: router,
        functionName: 'removeLiquidityETH',
        args: [token, removing, min(tokenOut), min(ethOut), address, when],
      })
    }
    return send(label, {
      address: routerAddress,
      abi: router,
      functionName: 'removeLiquidity',
      args: [pool.token0, pool.token1, removing, min(out0), min(out1), address, when],
    })
  }
  const approvals = [
    [approve0, paid(0), amount0, sym(0)],
    [approve1, paid(1), amount1, sym(1)],
  ].find(([a]) => a.missing)
  return (
    <section className="card" id="liquidity">
      <h3>
        Liquidity: {sym(0)}/{sym(1)}
      </h3>
      <label>
        {sym(0)} to add
        <input aria-label={`add ${sym(0)}`} inputMode="decimal" placeholder="0.0" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      {amount1 !== undefined && (
        <dl className="facts">
          <dt>{sym(1)} needed at the pool's price</dt>
          <dd>{amount(amount1, 18, 6)}</dd>
          <dt>Your share of the pool after</dt>
          <dd data-testid="lp-share">{percent((lp ?? 0n) + minted, supply + minted)}</dd>
        </dl>
      )}
      {!address ? (
        <button disabled>Connect a wallet to add liquidity</button>
      ) : !amount0 ? (
        <button disabled>Enter an amount</button>
      ) : approvals ? (
        <ApproveButton token={approvals[1]} spender={routerAddress} needed={approvals[2]} symbol={approvals[3]} unlimited={settings.unlimited} send={send} busy={busy} />
      ) : (
        <button disabled={busy} onClick={() => add().then((r) => r?.status === 'success' && setText(''))}>
          Add liquidity
        </button>
      )}
      <p>
        Your LP tokens: <span data-testid="lp-balance">{amount(lp)}</span> ({percent(lp ?? 0n, supply)} of the pool)
      </p>
      {lp > 0n && (
        <div>
          <label>
            Remove {removePercent}%
            <input type="range" min="1" max="100" value={removePercent} onChange={(e) => setRemovePercent(Number(e.target.value))} />
          </label>
          {approveLp.missing ? (
            <ApproveButton token={pool.address} spender={routerAddress} needed={removing} symbol="LP" unlimited={settings.unlimited} send={send} busy={busy} />
          ) : (
            <button disabled={busy} onClick={remove}>
              Remove liquidity
            </button>
          )}
        </div>
      )}
    </section>
  )
}

/** Reserves and price over the pool's recent Sync events. */
function History({ pool }) {
  const client = usePublicClient()
  // A new Sync is exactly a change of reserves, so the logs are fetched again only then, not
  // every block (each fetch scans 2,000 blocks on the node).
  const { data: syncs = [] } = useQuery({
    queryKey: ['syncs', pool.address, pool.reserve0, pool.reserve1],
    queryFn: async () => {
      const latest = await client.getBlockNumber()
      const fromBlock = latest > 2000n ? latest - 2000n : 0n
      return client.getContractEvents({ address: pool.address, abi: pair, eventName: 'Sync', fromBlock, toBlock: latest })
    },
    placeholderData: keepPreviousData,
  })
  const points = syncs.map((s) => [Number(s.blockNumber), Number(s.args.reserve0) / Number(s.args.reserve1)])
  const reserve0 = syncs.map((s) => [Number(s.blockNumber), Number(s.args.reserve0) / 1e18])
  return (
    <section className="card">
      <h3>
        {pool.symbol0}/{pool.symbol1} over the last 2,000 blocks
      </h3>
      <Chart series={[{ name: `${pool.symbol1} price in ${pool.symbol0}`, points }]} xLabel="block" yLabel="price" />
      <Chart series={[{ name: `${pool.symbol0} reserve`, points: reserve0 }]} xLabel="block" yLabel="reserve" />
    </section>
  )
}

/** Impermanent loss of a 50/50 pool against holding, for a price move by a factor r: 2√r/(1+r) − 1. */
function ImpermanentLoss() {
  const points = []
  for (let i = -20; i <= 20; i++) {
    const r = Math.pow(10, i / 20)
    points.push([i / 20, (100 * (2 * Math.sqrt(r))) / (1 + r) - 100])
  }
  return (
    <section className="card">
      <h3>Impermanent loss</h3>
      <p>
        A pool keeps its two sides at equal value, so when one token's price moves it sells the winner and buys the loser. Against
        simply holding the two tokens, a liquidity provider is behind by <code>2√r / (1 + r) − 1</code> when the price changes by a
        factor r: −0.6% at 1.25×, −5.7% at 2×, −25.5% at 5×. Swap fees earned are what make up for it.
      </p>
      <Chart
        series={[{ name: 'value vs holding (%)', points }]}
        xLabel="price change (log scale)"
        yLabel="loss %"
        format={(v) => v.toFixed(1)}
        xFormat={(v) => `${Number((10 ** v).toPrecision(2))}×`}
      />
    </section>
  )
}

export function Pools() {
  const market = useMarket()
  const [settings, setSettings] = useState({ slippageBps: 50, minutes: 20, unlimited: false })
  const [selected, setSelected] = useState(0)
  const pool = market.pools[selected]
  return (
    <div>
      <h2>Pools</h2>
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th>Pool</th>
              <th>Reserves</th>
              <th>TVL (DAI)</th>
              <th>24h volume</th>
              <th>Fee APR</th>
            </tr>
          </thead>
          <tbody>
            {market.pools.map((p, i) => (
              <tr key={p.address} className={i === selected ? 'selected' : ''} onClick={() => setSelected(i)}>
                <td>
                  <button className="link" onClick={() => setSelected(i)}>
                    {p.symbol0}/{p.symbol1}
                  </button>
                </td>
                <td>
                  {amount(p.reserve0, 18, 2)} {p.symbol0} · {amount(p.reserve1, 18, 2)} {p.symbol1}
                </td>
                <td>{p.tvl ? amount(p.tvl, 18, 0) : '—'}</td>
                <td>{amount(p.volume24h, 18, 2)}</td>
                <td>{bps(p.feeAprBps)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Settings settings={settings} setSettings={setSettings} />
      <div className="grid">
        {market.addresses && <Swap market={market} settings={settings} />}
        {pool && <Liquidity key={pool.address} market={market} pool={pool} settings={settings} />}
      </div>
      <div className="grid">
        {pool && <History pool={pool} />}
        <ImpermanentLoss />
      </div>
    </div>
  )
}
