import { useQuery } from '@tanstack/react-query'
import { usePublicClient } from 'wagmi'
import { describeLogs } from './hooks.jsx'

/** A transaction's receipt with its logs in words: the node is its own block explorer. */
export function TxPage({ hash }) {
  const client = usePublicClient()
  const { data: receipt, error } = useQuery({
    queryKey: ['receipt', hash],
    queryFn: () => client.getTransactionReceipt({ hash }),
    retry: 10,
  })
  if (error) return <p className="error">No receipt for {hash} yet.</p>
  if (!receipt) return <p>Loading…</p>
  return (
    <div>
      <h2>Transaction</h2>
      <dl className="facts">
        <dt>Hash</dt>
        <dd className="mono">{hash}</dd>
        <dt>Status</dt>
        <dd>{receipt.status === 'success' ? 'succeeded' : 'reverted (fee paid, nothing else changed)'}</dd>
        <dt>Block</dt>
        <dd>{String(receipt.blockNumber)}</dd>
        <dt>Gas used</dt>
        <dd>{String(receipt.gasUsed)}</dd>
      </dl>
      <h3>Logs</h3>
      <ol className="mono">
        {describeLogs(receipt.logs).map((line, i) => (
          <li key={i}>{line}</li>
        ))}
      </ol>
    </div>
  )
}
