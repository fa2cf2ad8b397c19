import { formatUnits, parseUnits } from 'viem'

/** A token amount for people: at most `digits` decimals, thousands separated. */
export function amount(value, decimals = 18, digits = 4) {
  if (value === undefined || value === null) return '…'
  const text = formatUnits(BigInt(value), decimals)
  const [whole, fraction = ''] = text.split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cut = fraction.slice(0, digits).replace(/0+$/, '')
  return cut ? `${grouped}.${cut}` : grouped
}

/** Parses what a person typed; `undefined` for anything that is not a plain non-negative number. */
export function parseAmount(text, decimals = 18) {
  const trimmed = String(text ?? '').trim()
  if (!/^\d*\.?\d*$/.test(trimmed) || trimmed === '' || trimmed === '.') return undefined
  try {
    return parseUnits(trimmed, decimals)
  } catch {
    return undefined
  }
}

/** Basis points as a percentage. */
export function bps(value) {
  if (value === undefined || value === null) return '—'
  return (Number(value) / 100).toFixed(2) + '%'
}

export function short(address) {
  return address ? `${address.slice(0, 6)}…${address.slice(-4)}` : ''
}

/** Gwei (the staking module's unit) as ETH. */
export function gwei(value, digits = 4) {
  return amount(BigInt(value) * 10n ** 9n, 18, digits)
}

/** A fraction `num/den` as a percentage with two decimals, in integers. */
export function percent(num, den) {
  if (!den || BigInt(den) === 0n) return '—'
  const basis = (BigInt(num) * 10000n) / BigInt(den)
  return `${basis / 100n}.${String(basis % 100n).padStart(2, '0')}%`
}
