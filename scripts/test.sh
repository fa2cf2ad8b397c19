#!/usr/bin/env bash
# Runs every test: Rust unit, property and integration tests, the CometBFT network tests, then
# the end-to-end tests that drive a real dev node with viem and cast, and the dashboard's flows in
# headless Chromium. Needs Rust, Go (for CometBFT, installed here with `go install` when missing)
# and Node.js/npm on the machine; Debian's chromium is installed with apt when missing.
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

(
  cd tests/e2e
  npm ci --no-audit --no-fund
  SHEAF_BIN="$PWD/../../target/release/sheaf" node --test
)

# The dashboard in headless Debian Chromium (playwright-core drives it; no browser download).
if ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium…"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
cd web
npm ci --no-audit --no-fund
npm run build
SHEAF_BIN="$PWD/../target/release/sheaf" CHROMIUM="$(command -v chromium)" node --test test/dashboard.test.mjs
