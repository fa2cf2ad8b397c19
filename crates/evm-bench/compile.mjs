// Compiles solidity/*.sol with npm's solc (pinned in package.json) into artifacts/*.bin, which
// the benchmark loads. Run `npm ci && npm run compile` after editing them.
import { readFileSync, writeFileSync } from 'node:fs'
import solc from 'solc'

const files = { 'ConstantProduct.sol': ['BenchToken', 'BenchPair'], 'V2Shaped.sol': ['V2Pair', 'V2Router'] }
const sources = Object.fromEntries(
  Object.keys(files).map((file) => [file, { content: readFileSync(new URL(`./solidity/${file}`, import.meta.url), 'utf8') }]),
)
const input = {
  language: 'Solidity',
  sources,
  settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', outputSelection: { '*': { '*': ['evm.bytecode.object'] } } },
}
const output = JSON.parse(solc.compile(JSON.stringify(input)))
const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
if (errors.length) {
  console.error(errors.map((e) => e.formattedMessage).join('\n'))
  process.exit(1)
}
for (const [file, names] of Object.entries(files)) {
  for (const name of names) {
    const bin = output.contracts[file][name].evm.bytecode.object
    writeFileSync(new URL(`./artifacts/${name}.bin`, import.meta.url), bin + '\n')
    console.log(`${name}: ${bin.length / 2} bytes`)
  }
}
console.log(`compiled with solc ${solc.version()}`)
