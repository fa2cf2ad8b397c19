import { createContext, useCallback, useContext, useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { decodeEventLog } from 'viem'
import { useAccount, usePublicClient, useWriteContract } from 'wagmi'
import { rpc } from './chain.js'
import { allEvents } from './abi.js'

/** A sheaf_* or eth_* read, refreshed every block (the dev node makes one a second). */
export function useNode(method, params = [], options = {}) {
  return useQuery({
    queryKey: [method, ...params],
    queryFn: () => rpc(method, params),
    refetchInterval: 1000,
    ...options,
  })
}

export function useAddresses() {
  return useNode('sheaf_systemAddresses', [], { staleTime: Infinity, refetchInterval: false }).data
}

export function useBlockNumber() {
  const { data } = useNode('eth_blockNumber')
  return data ? BigInt(data) : undefined
}

/** A view call on the latest block, refreshed every block. */
export function useView(address, abi, functionName, args = [], enabled = true) {
  const client = usePublicClient()
  return useQuery({
    queryKey: ['view', address, functionName, ...args.map(String)],
    queryFn: () => client.readContract({ address, abi, functionName, args }),
    enabled: Boolean(address && client && enabled),
    refetchInterval: 1000,
  })
}

/** Words for a failed transaction or call: the revert reason or the node's message. */
export function explain(error) {
  const revert = error?.walk?.((e) => e?.name === 'ContractFunctionRevertedError')
  if (revert?.data?.errorName) {
    const args = (revert.data.args ?? []).map(String).join(', ')
    return `${revert.data.errorName}(${args})`
  }
  if (revert?.reason) return revert.reason
  const text = error?.shortMessage ?? error?.message ?? String(error)
  return text.split('\n')[0]
}

/** Receipt logs in words, against every interface the dashboard knows. */
export function describeLogs(logs) {
  return logs.map((log) => {
    try {
      const event = decodeEventLog({ abi: allEvents, data: log.data, topics: log.topics })
      const args = Object.entries(event.args ?? {})
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')
      return `${event.eventName} ${args}`
    } catch {
      return `log from ${log.address}`
    }
  })
}

const Toasts = createContext(null)

export function ToastProvider({ children }) {
  const [toasts, setToasts] = useState([])
  const dismiss = useCallback((id) => setToasts((all) => all.filter((t) => t.id !== id)), [])
  const update = useCallback(
    (id, patch) => {
      setToasts((all) => all.map((t) => (t.id === id ? { ...t, ...patch } : t)))
      // Successes fade after a while; failures stay until read and dismissed.
      if (patch.status === 'confirmed') setTimeout(() => dismiss(id), 8000)
    },
    [dismiss],
  )
  const push = useCallback((toast) => {
    const id = Math.random().toString(36).slice(2)
    setToasts((all) => [...all.slice(-3), { id, ...toast }])
    return id
  }, [])
  return (
    <Toasts.Provider value={{ push, update }}>
      {children}
      <div className="toasts" role="status">
        {toasts.map((t) => (
          <div key={t.id} className={`toast ${t.status}`} data-status={t.status}>
            <button className="close" aria-label="dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
            <strong>{t.label}</strong>
            <div>{t.message}</div>
            {t.hash && (
              <a href={`#/tx/${t.hash}`}>
                transaction {t.hash.slice(0, 10)}… and its logs
              </a>
            )}
          </div>
        ))}
      </div>
    </Toasts.Provider>
  )
}

/** Sends a contract call from the connected wallet and reports it in a toast until it is mined. */
export function useTx() {
  const { push, update } = useContext(Toasts)
  const client = usePublicClient()
  const { address } = useAccount()
  const { writeContractAsync } = useWriteContract()
  const queryClient = useQueryClient()
  const [busy, setBusy] = useState(false)
  const send = useCallback(
    async (label, request) => {
      const id = push({ label, status: 'pending', message: 'waiting for your wallet…' })
      setBusy(true)
      try {
        const hash = await writeContractAsync({ account: address, ...request })
        update(id, { hash, message: 'sent; waiting for the next block…' })
        const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 250 })
        // Every read refreshes together, so no figure on the page is from before this block
        // while another is from after it.
        await queryClient.invalidateQueries()
        if (receipt.status === 'success') {
          update(id, { status: 'confirmed', message: `included in block ${receipt.blockNumber}` })
        } else {
          update(id, { status: 'failed', message: `reverted in block ${receipt.blockNumber}; the fee was paid` })
        }
        return receipt
      } catch (error) {
        update(id, { status: 'failed', message: explain(error) })
        return undefined
      } finally {
        setBusy(false)
      }
    },
    [address, client, push, queryClient, update, writeContractAsync],
  )
  return { send, busy }
}
