import { useAddresses, useNode } from './hooks.jsx'

const ONE = 10n ** 18n

/** Pools and the tokens in them, with each token's price in the quote token (DAI), 1e18-scaled. */
export function useMarket() {
  const addresses = useAddresses()
  const { data: listed = [] } = useNode('sheaf_pools')
  const weth = addresses?.WETH
  const quote = addresses?.DAI
  const symbols = {}
  for (const p of listed) {
    symbols[p.token0] = p.symbol0
    symbols[p.token1] = p.symbol1
  }
  // The router wraps and unwraps, so a user pays and receives ETH, never WETH: pools name that
  // side ETH, as the CLI does (`DAI/ETH`).
  const named = (token, symbol) => (token === weth ? 'ETH' : symbol)
  const pools = listed.map((p) => ({ ...p, symbol0: named(p.token0, p.symbol0), symbol1: named(p.token1, p.symbol1) }))
  if (addresses) for (const name of ['SHF', 'GOV', 'DAI', 'WETH']) symbols[addresses[name]] ??= name
  // A token's price follows from any pool whose other side is priced (all dev tokens have 18
  // decimals; reserves are compared as they are).
  const price = {}
  if (quote) price[quote] = ONE
  for (let round = 0; round < 3; round++) {
    for (const p of pools) {
      const [r0, r1] = [BigInt(p.reserve0), BigInt(p.reserve1)]
      if (r0 === 0n || r1 === 0n) continue
      if (price[p.token0] !== undefined && price[p.token1] === undefined) price[p.token1] = (price[p.token0] * r0) / r1
      if (price[p.token1] !== undefined && price[p.token0] === undefined) price[p.token0] = (price[p.token1] * r1) / r0
    }
  }
  const pairOf = (a, b) =>
    pools.find((p) => (p.token0 === a && p.token1 === b) || (p.token0 === b && p.token1 === a))
  /** The route from one token to another: direct, or through WETH. */
  const route = (a, b) => {
    if (!a || !b || a === b) return undefined
    if (pairOf(a, b)) return [a, b]
    if (weth && pairOf(a, weth) && pairOf(weth, b)) return [a, weth, b]
    return undefined
  }
  const value = (token, amount) => (price[token] === undefined ? undefined : (BigInt(amount) * price[token]) / ONE)
  return { pools, symbols, price, value, route, pairOf, weth, quote, addresses }
}
