#!/usr/bin/env bash
# The main job on a fresh machine: build the dashboard and start the dev node with demo state,
# serving JSON-RPC and the dashboard at http://127.0.0.1:8545. Extra arguments go to
# `sheaf node --dev` (for example --reset or --rpc-port 9545).
set -euo pipefail
cd "$(dirname "$0")/.."
(cd web && npm ci --no-audit --no-fund && npm run build)
exec cargo run --release --locked -p sheaf -- node --dev --web-dir web/dist "$@"
