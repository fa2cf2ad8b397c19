import { maxUint256 } from 'viem'
import { useAccount } from 'wagmi'
import { erc20 } from './abi.js'
import { amount } from './format.js'
import { useView } from './hooks.jsx'

/** Stands for native ETH where a token address would be: it needs no approval. */
export const ETH = 'ETH'

/** Whether spending `needed` of `token` by `spender` needs an approval first. */
export function useApproval(token, spender, needed) {
  const { address } = useAccount()
  const enabled = Boolean(address && token && spender && token !== ETH)
  const { data: allowance } = useView(token, erc20, 'allowance', [address, spender], enabled)
  const missing = enabled && needed !== undefined && allowance !== undefined && allowance < needed
  return { allowance, missing }
}

/** Approves exactly `needed` by default, as the issue asks, or an unlimited amount if chosen. */
export function ApproveButton({ token, spender, needed, symbol, unlimited = false, purpose, send, busy }) {
  const what = `${unlimited ? 'unlimited' : amount(needed)} ${symbol}`
  return (
    <button
      disabled={busy}
      onClick={() =>
        send(`Approve ${what}${purpose ? ` for ${purpose}` : ''}`, {
          address: token,
          abi: erc20,
          functionName: 'approve',
          args: [spender, unlimited ? maxUint256 : needed],
        })
      }
    >
      Approve {what}
    </button>
  )
}
