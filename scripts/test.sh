#!/usr/bin/env bash
# Runs every test: Rust unit, property and integration tests, the CometBFT network tests, then
# the end-to-end tests that drive a real dev node with viem and cast. Needs Rust, Go (for
# CometBFT, installed here with `go install` when missing) and Node.js/npm on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

COMETBFT_VERSION=v0.38.25
# Debian's Go lives in /usr/local/go; `go install` puts binaries in ~/go/bin.
export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin"

cargo build --release --locked -p sheaf
cargo test --release --locked --workspace

# CometBFT: the tests that run Sheaf under a real consensus engine.
GOBIN="$(go env GOPATH)/bin"
if ! "$GOBIN/cometbft" version 2>/dev/null | grep -qx "${COMETBFT_VERSION#v}"; then
  echo "installing CometBFT $COMETBFT_VERSION (go install)…"
  go install "github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION"
fi
SHEAF_COMETBFT="$GOBIN/cometbft" cargo test --release --locked -p sheaf --test cometbft --test localnet -- --ignored --test-threads=1

cd tests/e2e
npm ci --no-audit --no-fund
SHEAF_BIN="$PWD/../../target/release/sheaf" node --test
