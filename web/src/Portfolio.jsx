import { createContext, useContext, useState } from 'react'
import { useAccount, useBalance } from 'wagmi'
import { erc20, govStaking, masterChef } from './abi.js'
import { amount, gwei } from './format.js'
import { useNode, useTx, useView } from './hooks.jsx'
import { useMarket } from './market.js'

/** Turns a DAI value into the quote token the user chose. */
const Quote = createContext({ convert: (v) => v, digits: 2 })

function Row({ what, held, value, note, testid }) {
  const quote = useContext(Quote)
  const shown = value === undefined ? undefined : quote.convert(value)
  return (
    <tr data-testid={testid}>
      <td>{what}</td>
      <td>{held}</td>
      <td>{shown === undefined ? '—' : amount(shown, 18, quote.digits)}</td>
      <td className="muted">{note}</td>
    </tr>
  )
}

function TokenRow({ token, symbol, market, address }) {
  const { data: balance } = useView(token, erc20, 'balanceOf', [address])
  const value = balance === undefined ? undefined : market.value(token, balance)
  return <Row what={symbol} held={amount(balance)} value={value} testid={`hold-${symbol}`} />
}

function PoolRow({ pool, farm, market, address }) {
  const { data: wallet = 0n } = useView(pool.address, erc20, 'balanceOf', [address])
  const staked = farm?.user ? BigInt(farm.user.staked) : 0n
  const lp = wallet + staked
  const supply = BigInt(pool.totalSupply)
  if (lp === 0n || supply === 0n) return null
  const [a0, a1] = [(lp * BigInt(pool.reserve0)) / supply, (lp * BigInt(pool.reserve1)) / supply]
  const value = [market.value(pool.token0, a0), market.value(pool.token1, a1)].reduce((x, y) => (x === undefined || y === undefined ? undefined : x + y), 0n)
  return (
    <Row
      what={`${pool.symbol0}/${pool.symbol1} liquidity`}
      held={`${amount(lp)} LP = ${amount(a0, 18, 2)} ${pool.symbol0} + ${amount(a1, 18, 2)} ${pool.symbol1}`}
      value={value}
      note={staked > 0n ? `${amount(staked)} LP staked in farm ${farm.pid}, pending ${amount(farm.user.pendingReward, 18, 4)} SHF` : 'not farming'}
      testid="hold-lp"
    />
  )
}

export function Portfolio() {
  const { address } = useAccount()
  const market = useMarket()
  const { send, busy } = useTx()
  const [quote, setQuote] = useState('DAI')
  const { data: eth } = useBalance({ address, query: { refetchInterval: 1000 } })
  const { data: farms = [] } = useNode('sheaf_farms', [null, address], { enabled: Boolean(address) })
  const staking = market.addresses?.govStaking
  const { data: govStaked } = useView(staking, govStaking, 'stakedOf', [address], Boolean(address))
  const { data: govPending = 0n } = useView(staking, govStaking, 'pendingGov', [address], Boolean(address))
  const { data: validators } = useNode('sheaf_validators', [address], { enabled: Boolean(address) })
  if (!address)
    return (
      <div>
        <h2>Portfolio</h2>
        <p>Connect a wallet to see your positions across pools, farms, governance and validators.</p>
      </div>
    )
  const ethValue = eth && market.weth ? market.value(market.weth, eth.value) : undefined
  const farmsWithRewards = farms.filter((f) => f.user && BigInt(f.user.pendingReward) > 0n)
  const pendingShf = farmsWithRewards.reduce((s, f) => s + BigInt(f.user.pendingReward), 0n)
  const claimAll = async () => {
    for (const f of farmsWithRewards) {
      await send(`Harvest farm ${f.pid}`, { address: market.addresses.masterChef, abi: masterChef, functionName: 'harvest', args: [BigInt(f.pid), address] })
    }
    if (govPending > 0n) await send('Claim GOV', { address: staking, abi: govStaking, functionName: 'claim', args: [address] })
  }
  const mine = validators?.validators ?? []
  const validatorGwei = mine.reduce((s, v) => s + BigInt(v.balanceGwei), 0n)
  const validatorValue = market.weth ? market.value(market.weth, validatorGwei * 10n ** 9n) : undefined
  const shfValue = market.addresses && market.value(market.addresses.SHF, govStaked ?? 0n)
  const ethPrice = market.weth && market.price[market.weth]
  const inQuote = quote === 'ETH' ? (v) => (ethPrice ? (v * 10n ** 18n) / ethPrice : undefined) : (v) => v
  return (
    <Quote.Provider value={{ convert: inQuote, digits: quote === 'ETH' ? 4 : 2 }}>
      <h2>Portfolio</h2>
      <label className="inline">
        Value in
        <select aria-label="quote token" value={quote} onChange={(e) => setQuote(e.target.value)}>
          <option>DAI</option>
          <option>ETH</option>
        </select>
        <span className="muted">at the pools' current prices</span>
      </label>
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th>Position</th>
              <th>Amount</th>
              <th>Value ({quote})</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <Row what="ETH" held={amount(eth?.value)} value={ethValue} testid="hold-ETH" />
            {market.addresses &&
              ['SHF', 'GOV', 'DAI'].map((s) => <TokenRow key={s} token={market.addresses[s]} symbol={s} market={market} address={address} />)}
            {market.pools.map((p) => (
              <PoolRow key={p.address} pool={p} farm={farms.find((f) => f.stakedToken === p.address)} market={market} address={address} />
            ))}
            {govStaked > 0n && <Row what="SHF staked for GOV" held={`${amount(govStaked)} SHF`} value={shfValue} note={`${amount(govPending, 18, 4)} GOV to claim`} testid="hold-gov" />}
            {mine.length > 0 && <Row what={`${mine.length} validator(s)`} held={`${gwei(validatorGwei)} ETH`} value={validatorValue} note={mine.map((v) => `#${v.index} ${v.status}`).join(', ')} testid="hold-validators" />}
          </tbody>
        </table>
      </div>
      <p>
        Rewards waiting: {amount(pendingShf, 18, 4)} SHF from farms, {amount(govPending, 18, 4)} GOV from staking.{' '}
        <button disabled={busy || (pendingShf === 0n && govPending === 0n)} onClick={claimAll}>
          Claim all
        </button>
      </p>
    </Quote.Provider>
  )
}
