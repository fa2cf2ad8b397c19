//! Building, signing and sending transactions for the CLI, and reading token facts over RPC.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use anyhow::{Context, bail};
use serde_json::{Value, json};
use sheaf_abi::IERC20;
use sheaf_primitives::amount::{format_units, parse_units, split_unit};
use sheaf_tx::sign::{Signer, eip1559};

use crate::client::Client;

fn quantity(v: &Value) -> anyhow::Result<u128> {
    let s = v.as_str().context("expected a hex quantity")?;
    u128::from_str_radix(s.trim_start_matches("0x"), 16).context("bad hex quantity")
}

/// Signs and sends a call, waits for its receipt, and returns the receipt.
pub fn send(
    client: &Client,
    signer: &Signer,
    to: Address,
    value: U256,
    data: Bytes,
) -> anyhow::Result<Value> {
    let chain_id = quantity(&client.call::<Value>("eth_chainId", json!([]))?)? as u64;
    let nonce = quantity(&client.call::<Value>(
        "eth_getTransactionCount",
        json!([signer.address, "pending"]),
    )?)? as u64;
    let head: Value = client.call("eth_getBlockByNumber", json!(["latest", false]))?;
    let base_fee = quantity(&head["baseFeePerGas"])?;
    let tip = quantity(&client.call::<Value>("eth_maxPriorityFeePerGas", json!([]))?)?;
    let request = json!({ "from": signer.address, "to": to, "value": value, "input": data });
    let gas = quantity(&client.call::<Value>("eth_estimateGas", json!([request]))?)? as u64;
    let tx = eip1559(
        chain_id,
        nonce,
        to,
        value,
        data,
        gas,
        2 * base_fee + tip,
        tip,
    );
    let raw = signer.sign_1559(tx);
    let hash: String = client.call("eth_sendRawTransaction", json!([raw]))?;
    eprintln!("sent {hash}, waiting for it to be included…");
    let started = Instant::now();
    loop {
        let receipt: Value = client.call("eth_getTransactionReceipt", json!([hash]))?;
        if !receipt.is_null() {
            return Ok(receipt);
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("{hash} was not included within 60 s; it may still be pending");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Prints a one-line outcome and fails on a reverted receipt.
pub fn report(receipt: &Value) -> anyhow::Result<()> {
    let status = receipt["status"].as_str().unwrap_or("0x0");
    let block = quantity(&receipt["blockNumber"]).unwrap_or_default();
    let gas = quantity(&receipt["gasUsed"]).unwrap_or_default();
    let hash = receipt["transactionHash"].as_str().unwrap_or("?");
    if status == "0x1" {
        out!("{hash} succeeded in block {block} (gas used {gas})");
        Ok(())
    } else {
        bail!("{hash} reverted in block {block} (gas used {gas}); `sheaf query tx {hash}` shows it")
    }
}

pub fn eth_call(client: &Client, to: Address, data: Vec<u8>) -> anyhow::Result<Bytes> {
    client.call(
        "eth_call",
        json!([{ "to": to, "input": Bytes::from(data) }, "latest"]),
    )
}

pub struct TokenInfo {
    pub address: Address,
    pub symbol: String,
    pub decimals: u8,
}

/// A token given by address or by the symbol of a genesis token.
pub fn token(client: &Client, reference: &str) -> anyhow::Result<TokenInfo> {
    let address: Address = if reference.starts_with("0x") {
        reference
            .parse()
            .with_context(|| format!("'{reference}' is not an address"))?
    } else {
        let addresses: Value = client.call("sheaf_systemAddresses", json!([]))?;
        let found = addresses
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(reference)))
            .and_then(|(_, v)| v.as_str())
            .with_context(|| {
                format!("no genesis token called '{reference}'; give the token's address instead")
            })?;
        found.parse()?
    };
    let symbol = IERC20::symbolCall::abi_decode_returns(&eth_call(
        client,
        address,
        IERC20::symbolCall {}.abi_encode(),
    )?)
    .with_context(|| format!("{address} is not an ERC-20 token"))?;
    let decimals = IERC20::decimalsCall::abi_decode_returns(&eth_call(
        client,
        address,
        IERC20::decimalsCall {}.abi_encode(),
    )?)?;
    Ok(TokenInfo {
        address,
        symbol,
        decimals,
    })
}

/// Parses "250 DAI" (or "250") as an amount of a token whose symbol is `symbol`.
pub fn amount(input: &str, symbol: &str, decimals: u8) -> anyhow::Result<U256> {
    let (number, unit) = split_unit(input);
    if let Some(unit) = unit
        && !unit.eq_ignore_ascii_case(symbol)
    {
        bail!("the amount is in {unit}, but this is {symbol}");
    }
    Ok(parse_units(number, decimals)?)
}

pub fn show(value: U256, symbol: &str, decimals: u8) -> String {
    format!("{} {symbol}", format_units(value, decimals))
}

/// Calls a view function and decodes its result.
pub fn view<C: SolCall>(client: &Client, to: Address, call: C) -> anyhow::Result<C::Return> {
    let out = eth_call(client, to, call.abi_encode())?;
    Ok(C::abi_decode_returns(&out)?)
}

/// Approves `spender` for exactly `amount` of `token` if its allowance is lower (never
/// unlimited, so a compromised spender can take no more than this action needs).
pub fn approve_exact(
    client: &Client,
    signer: &Signer,
    token: &TokenInfo,
    spender: Address,
    amount: U256,
) -> anyhow::Result<()> {
    let allowance = view(
        client,
        token.address,
        IERC20::allowanceCall {
            owner: signer.address,
            spender,
        },
    )?;
    if allowance >= amount {
        return Ok(());
    }
    eprintln!(
        "approving {spender} for {}",
        show(amount, &token.symbol, token.decimals)
    );
    let call = IERC20::approveCall {
        spender,
        value: amount,
    };
    report(&send(
        client,
        signer,
        token.address,
        U256::ZERO,
        call.abi_encode().into(),
    )?)
}

/// Sends a call to a system module and reports it.
pub fn send_call<C: SolCall>(
    client: &Client,
    signer: &Signer,
    to: Address,
    call: C,
) -> anyhow::Result<Value> {
    let receipt = send(client, signer, to, U256::ZERO, call.abi_encode().into())?;
    report(&receipt)?;
    Ok(receipt)
}

/// Parses a decimal base-unit string from a `sheaf_*` response.
pub fn base_units(v: &Value) -> U256 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
}
