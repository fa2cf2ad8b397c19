import { createWalletClient, http } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { createConfig } from 'wagmi'
import { injected } from 'wagmi/connectors'
import { rpc, rpcUrl, sheaf } from './chain.js'

// The dev chain funds the accounts of this public test mnemonic (the ones Hardhat and Anvil use).
// Their keys are public, so the page offers them only when the node says it runs the dev chain.
const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
export const devAccounts = Array.from({ length: 10 }, (_, i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }))

/** An EIP-1193 provider that signs in the page with one dev account. */
function devProvider() {
  let index = Number(localStorage.getItem('sheaf.devAccount') ?? 0)
  // Like a real wallet, no account is exposed until the user connects in this browser.
  let authorized = localStorage.getItem('sheaf.devAccount') !== null
  const listeners = {}
  const emit = (event, value) => (listeners[event] ?? []).forEach((f) => f(value))
  const wallet = () => createWalletClient({ account: devAccounts[index], chain: sheaf, transport: http(rpcUrl) })
  const q = (hex) => (hex === undefined || hex === null ? undefined : BigInt(hex))
  return {
    select(i) {
      index = i
      localStorage.setItem('sheaf.devAccount', String(i))
      emit('accountsChanged', [devAccounts[index].address])
    },
    on(event, f) {
      ;(listeners[event] ??= []).push(f)
    },
    removeListener(event, f) {
      listeners[event] = (listeners[event] ?? []).filter((g) => g !== f)
    },
    async request({ method, params = [] }) {
      switch (method) {
        case 'eth_requestAccounts':
          authorized = true
          localStorage.setItem('sheaf.devAccount', String(index))
          return [devAccounts[index].address]
        case 'eth_accounts':
          return authorized ? [devAccounts[index].address] : []
        case 'wallet_revokePermissions':
          authorized = false
          localStorage.removeItem('sheaf.devAccount')
          return null
        case 'eth_chainId':
          return '0x' + sheaf.id.toString(16)
        case 'wallet_switchEthereumChain':
        case 'wallet_addEthereumChain':
        case 'wallet_requestPermissions':
          return null
        case 'eth_sendTransaction': {
          const tx = params[0]
          return wallet().sendTransaction({ to: tx.to, data: tx.data, value: q(tx.value), gas: q(tx.gas) })
        }
        case 'personal_sign':
          return devAccounts[index].signMessage({ message: { raw: params[0] } })
        default:
          return rpc(method, params)
      }
    },
  }
}

export const dev = devProvider()

export const config = createConfig({
  chains: [sheaf],
  // EIP-6963 discovery finds every installed wallet; the dev connector is shown only on a dev node.
  multiInjectedProviderDiscovery: true,
  connectors: [
    injected({ target: () => ({ id: 'sheafDev', name: 'Dev account (signs in this page)', provider: dev }) }),
  ],
  transports: { [sheaf.id]: http(rpcUrl) },
  pollingInterval: 500,
})
