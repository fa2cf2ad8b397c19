//! A small JSON-RPC client for the CLI: one blocking HTTP POST per call.

use anyhow::{Context, anyhow, bail};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub struct Client {
    url: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(url: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .http_status_as_error(false)
            .build();
        Self {
            url: url.to_string(),
            agent: config.into(),
        }
    }

    pub fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> anyhow::Result<T> {
        let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let mut response = self
            .agent
            .post(&self.url)
            .send_json(&request)
            .with_context(|| {
                format!(
                    "cannot reach the node at {} (is `sheaf node --dev` running?)",
                    self.url
                )
            })?;
        let body: Value = response.body_mut().read_json().with_context(|| {
            format!(
                "{} answered {} with a body that is not JSON",
                self.url,
                response.status()
            )
        })?;
        if let Some(error) = body.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown error");
            bail!("{method}: {message}");
        }
        let result = body
            .get("result")
            .cloned()
            .ok_or_else(|| anyhow!("{method}: response has no result"))?;
        serde_json::from_value(result).with_context(|| format!("{method}: unexpected result shape"))
    }
}
