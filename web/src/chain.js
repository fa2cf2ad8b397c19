import { defineChain } from 'viem'

// The page is served by the node it talks to, so the RPC URL is the page's own origin.
export const rpcUrl = window.location.origin

export const CHAIN_ID = 24239

export const sheaf = defineChain({
  id: CHAIN_ID,
  name: 'Sheaf',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
})

/** A JSON-RPC error, with the node's message (which says what to do). */
export class RpcError extends Error {
  constructor(error) {
    super(error.message)
    this.code = error.code
    this.data = error.data
  }
}

let nextId = 1

/** Calls a node method directly: for the sheaf_* reads that have no wagmi hook. */
export async function rpc(method, params = []) {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
  })
  const body = await response.json()
  if (body.error) throw new RpcError(body.error)
  return body.result
}

/** What `wallet_addEthereumChain` needs, exactly as MetaMask checks it. */
export const addChainParameters = {
  chainId: '0x' + CHAIN_ID.toString(16),
  chainName: 'Sheaf',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: [rpcUrl],
}
