//! Transactions sent to a CometBFT node's JSON-RPC: checked here first (so callers get geth's
//! errors), then handed to CometBFT's mempool with `broadcast_tx_sync`, which runs `CheckTx`
//! against this same app and gossips the transaction to the other validators.

use std::{collections::BTreeMap, sync::Arc};

use alloy_primitives::{Address, B256};
use base64::{Engine, engine::general_purpose::STANDARD};
use parking_lot::Mutex;
use serde_json::{Value, json};
use sheaf_app::Shared;
use sheaf_bank::BankRead;
use sheaf_mempool::{PoolError, SubmitError, TxPool};
use sheaf_tx::SignedTx;

/// Above this many remembered transactions, the included ones are forgotten.
const REMEMBERED: usize = 10_000;

pub struct CometPool {
    shared: Arc<Shared>,
    /// CometBFT's RPC, e.g. http://127.0.0.1:26657.
    comet_rpc: String,
    agent: ureq::Agent,
    /// Transactions sent from this node and not known to be included yet.
    sent: Mutex<BTreeMap<B256, SignedTx>>,
}

impl CometPool {
    pub fn new(shared: Arc<Shared>, comet_rpc: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            shared,
            comet_rpc: comet_rpc.trim_end_matches('/').to_string(),
            agent,
            sent: Mutex::new(BTreeMap::new()),
        }
    }

    fn broadcast(&self, raw: &[u8]) -> Result<(), String> {
        let request = json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "broadcast_tx_sync",
            "params": { "tx": STANDARD.encode(raw) },
        });
        let mut response = self
            .agent
            .post(&self.comet_rpc)
            .send_json(&request)
            .map_err(|e| format!("cannot reach CometBFT at {}: {e}", self.comet_rpc))?;
        let body: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| format!("CometBFT answered with a body that is not JSON: {e}"))?;
        if let Some(error) = body.get("error") {
            let detail = error
                .get("data")
                .or(error.get("message"))
                .cloned()
                .unwrap_or_default();
            return Err(format!("CometBFT refused the transaction: {detail}"));
        }
        let code = body["result"]["code"].as_u64().unwrap_or(0);
        if code != 0 {
            let log = body["result"]["log"]
                .as_str()
                .unwrap_or("refused by CheckTx");
            return Err(log.to_string());
        }
        Ok(())
    }

    fn forget_included(&self) {
        let Ok(snapshot) = self.shared.latest_snapshot() else {
            return;
        };
        self.sent
            .lock()
            .retain(|_, tx| tx.nonce() >= snapshot.nonce(&tx.sender));
    }
}

impl TxPool for CometPool {
    fn submit(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        let tx = self.shared.check_tx(raw)?;
        self.broadcast(raw)
            .map_err(|e| SubmitError::Pool(PoolError::Rejected(e)))?;
        let hash = tx.hash;
        if self.sent.lock().len() >= REMEMBERED {
            self.forget_included();
        }
        self.sent.lock().insert(hash, tx);
        Ok(hash)
    }

    fn pending_nonce(&self, sender: &Address, account_nonce: u64) -> u64 {
        let sent = self.sent.lock();
        let mut next = account_nonce;
        // The sender's sent nonces, contiguous from the account nonce, are pending.
        let mut nonces: Vec<u64> = sent
            .values()
            .filter(|tx| tx.sender == *sender && tx.nonce() >= account_nonce)
            .map(|tx| tx.nonce())
            .collect();
        nonces.sort_unstable();
        for nonce in nonces {
            if nonce == next {
                next += 1;
            }
        }
        next
    }

    fn pending_tx(&self, hash: &B256) -> Option<SignedTx> {
        self.sent.lock().get(hash).cloned()
    }
}
