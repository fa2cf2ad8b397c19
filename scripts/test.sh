#!/usr/bin/env bash
# Runs every test: Rust unit, property and integration tests, then the end-to-end tests that
# drive a real dev node with viem and cast. Needs only Rust and Node.js/npm on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked -p sheaf
cargo test --release --locked --workspace

cd tests/e2e
npm ci --no-audit --no-fund
SHEAF_BIN="$PWD/../../target/release/sheaf" node --test
