import { useEffect, useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useAccount, useChainId, useConnect, useConnectors, useDisconnect, useSwitchChain } from 'wagmi'
import { addChainParameters, CHAIN_ID } from './chain.js'
import { short } from './format.js'
import { useBlockNumber } from './hooks.jsx'
import { dev, devAccounts } from './wallet.js'
import { Farms } from './Farms.jsx'
import { Governance } from './Governance.jsx'
import { Pools } from './Pools.jsx'
import { Portfolio } from './Portfolio.jsx'
import { TxPage } from './TxPage.jsx'
import { Validators } from './Validators.jsx'

const PAGES = { portfolio: 'Portfolio', pools: 'Pools', farms: 'Farms', governance: 'Governance', validators: 'Validators' }

function useHashRoute() {
  const read = () => window.location.hash.replace(/^#\/?/, '') || 'portfolio'
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const onChange = () => setRoute(read())
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}

/** Asks the wallet to add Sheaf with the exact chain id, RPC URL and 18 decimals. */
async function addNetwork(connector) {
  const provider = connector ? await connector.getProvider() : window.ethereum
  if (!provider) throw new Error('No wallet found in this browser: install MetaMask, or use a dev account on a dev node.')
  await provider.request({ method: 'wallet_addEthereumChain', params: [addChainParameters] })
}

function Connect() {
  const { address, connector, isConnected } = useAccount()
  const chainId = useChainId()
  const connectors = useConnectors()
  const { connect, error } = useConnect()
  const { disconnect } = useDisconnect()
  const { switchChain } = useSwitchChain()
  const [problem, setProblem] = useState()
  const { data: node } = useQuery({ queryKey: ['sheaf-config'], queryFn: () => fetch('/sheaf-config.json').then((r) => r.json()), staleTime: Infinity })
  const [devIndex, setDevIndex] = useState(() => Number(localStorage.getItem('sheaf.devAccount') ?? 0))
  const wallets = connectors.filter((c) => c.id !== 'sheafDev' && c.id !== 'injected')
  const devConnector = connectors.find((c) => c.id === 'sheafDev')
  if (isConnected) {
    return (
      <div className="connect">
        <span className="address" data-testid="connected-address" title={address}>
          {short(address)}
        </span>
        <span className="muted">via {connector?.name}</span>
        {connector?.id === 'sheafDev' && (
          <select
            aria-label="dev account"
            value={devIndex}
            onChange={(e) => {
              setDevIndex(Number(e.target.value))
              dev.select(Number(e.target.value))
            }}
          >
            {devAccounts.map((a, i) => (
              <option key={a.address} value={i}>
                dev{i} {short(a.address)}
              </option>
            ))}
          </select>
        )}
        {chainId !== CHAIN_ID && <button onClick={() => switchChain({ chainId: CHAIN_ID })}>Switch to Sheaf</button>}
        {connector?.id !== 'sheafDev' && (
          <button className="secondary" onClick={() => addNetwork(connector).catch((e) => setProblem(e.message))}>
            Add Sheaf network
          </button>
        )}
        <button className="secondary" onClick={() => disconnect()}>
          Disconnect
        </button>
        {problem && <span className="error">{problem}</span>}
      </div>
    )
  }
  return (
    <div className="connect">
      {wallets.map((c) => (
        <button key={c.uid} onClick={() => connect({ connector: c, chainId: CHAIN_ID })}>
          Connect {c.name}
        </button>
      ))}
      {wallets.length === 0 && <span className="muted">No browser wallet found.</span>}
      {wallets.length > 0 && (
        <button className="secondary" onClick={() => addNetwork(undefined).catch((e) => setProblem(e.message))}>
          Add Sheaf network
        </button>
      )}
      {node?.devAccounts && devConnector && (
        <button className="secondary" onClick={() => connect({ connector: devConnector })}>
          Use a dev account
        </button>
      )}
      {(problem || error) && <span className="error">{problem ?? error.shortMessage ?? error.message}</span>}
    </div>
  )
}

export function App() {
  const route = useHashRoute()
  const block = useBlockNumber()
  let page
  if (route.startsWith('tx/')) page = <TxPage hash={route.slice(3)} />
  else if (route === 'pools') page = <Pools />
  else if (route === 'farms') page = <Farms />
  else if (route === 'governance') page = <Governance />
  else if (route === 'validators') page = <Validators />
  else page = <Portfolio />
  return (
    <>
      <header>
        <h1>
          <a href="#/portfolio">Sheaf</a>
        </h1>
        <nav>
          {Object.entries(PAGES).map(([key, name]) => (
            <a key={key} href={`#/${key}`} className={route === key ? 'active' : ''}>
              {name}
            </a>
          ))}
        </nav>
        <span className="muted block">block {block === undefined ? '…' : String(block)}</span>
        <Connect />
      </header>
      <main>{page}</main>
    </>
  )
}
