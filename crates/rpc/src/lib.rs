//! Sheaf's Ethereum JSON-RPC server: HTTP and WebSocket on one port (jsonrpsee), with geth's
//! limits on request size, batch length and response size, and CORS for browser dapps.

mod batch;
mod convert;
pub mod error;
pub mod eth;
mod filters;
pub mod governance;
mod send_batch;
pub mod staking;
pub mod web;

use std::{net::SocketAddr, sync::Arc};

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, U64};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use jsonrpsee::{
    PendingSubscriptionSink, RpcModule,
    core::SubscriptionResult,
    server::{BatchRequestConfig, Server, ServerConfig, ServerHandle},
    types::{ErrorObjectOwned, Params},
};
use serde::de::DeserializeOwned;
use sheaf_app::Shared;
use sheaf_mempool::TxPool;
use tokio::sync::broadcast;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use error::{RpcError, RpcResult};
pub use eth::EthApi;

#[derive(Debug, Clone)]
pub struct RpcConfig {
    pub addr: SocketAddr,
    /// Allowed browser origins; `None` disables CORS headers (same-origin only).
    pub cors: Option<Vec<String>>,
    /// geth: 5 MiB request body.
    pub max_request_bytes: u32,
    /// geth: 25 MB response.
    pub max_response_bytes: u32,
    /// geth: 1000 requests per batch.
    pub max_batch_len: u32,
    pub max_connections: u32,
    /// Serve the dashboard to plain GETs on the same port.
    pub web: Option<web::WebConfig>,
    /// Answer batches made only of `eth_sendRawTransaction` in [`send_batch`] rather than through
    /// jsonrpsee's per-call path. The answers are the same; off only to test that they are.
    pub fast_send_batches: bool,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            cors: Some(vec!["*".into()]),
            max_request_bytes: 5 * 1024 * 1024,
            max_response_bytes: 25 * 1000 * 1000,
            max_batch_len: 1000,
            max_connections: 500,
            web: None,
            fast_send_batches: true,
        }
    }
}

/// Reads positional parameters: required ones first, then optional trailing ones.
struct Args<'a>(jsonrpsee::types::params::ParamsSequence<'a>);

impl<'a> Args<'a> {
    fn new(params: &'a Params<'a>) -> Self {
        Args(params.sequence())
    }
    fn next<T: DeserializeOwned>(&mut self) -> RpcResult<T> {
        self.0.next().map_err(invalid_params)
    }
    fn optional<T: DeserializeOwned>(&mut self) -> RpcResult<Option<T>> {
        self.0.optional_next().map_err(invalid_params)
    }
}

/// jsonrpsee puts the useful part ("invalid length 3, expected 20 bytes…") in `data`; a person
/// should see it in the message.
fn invalid_params(e: ErrorObjectOwned) -> RpcError {
    match e.data() {
        Some(detail) => RpcError::params(format!(
            "invalid params: {}",
            detail.get().trim_matches('"')
        )),
        None => RpcError::params(format!("invalid params: {}", e.message())),
    }
}

type Handler<T> = fn(&EthApi, &Params) -> RpcResult<T>;

fn register<T: serde::Serialize + Clone + Send + 'static>(
    module: &mut RpcModule<EthApi>,
    name: &'static str,
    handler: Handler<T>,
) {
    module
        .register_method(name, move |params, api, _| {
            handler(api, &params).map_err(ErrorObjectOwned::from)
        })
        .expect("method names are unique");
}

/// Like [`register`], for handlers that may wait on something outside the process (sending a
/// transaction to CometBFT): they run on a blocking thread, not on the async workers.
fn register_blocking<T: serde::Serialize + Clone + Send + 'static>(
    module: &mut RpcModule<EthApi>,
    name: &'static str,
    handler: Handler<T>,
) {
    module
        .register_blocking_method(name, move |params, api, _| {
            handler(&api, &params).map_err(ErrorObjectOwned::from)
        })
        .expect("method names are unique");
}

/// The transaction at `index` in `block`; `None` (JSON null, as geth answers) for a block that
/// is not there or an index past its end.
fn transaction_at(
    block: Option<Arc<sheaf_app::StoredBlock>>,
    index: U64,
) -> Option<alloy_rpc_types_eth::Transaction> {
    let block = block?;
    let index = usize::try_from(index.to::<u64>()).ok()?;
    (index < block.txs.len()).then(|| convert::transaction(&block, index))
}

/// `eth_sendRawTransaction`, shared by the method table and [`send_batch`].
fn send_raw(api: &EthApi, params: &Params) -> RpcResult<B256> {
    api.send_raw_transaction(Args::new(params).next()?)
}

/// Builds the method table. `heads` (when the driver provides it) feeds `eth_subscribe`.
pub fn module(api: EthApi, heads: Option<broadcast::Sender<u64>>) -> RpcModule<EthApi> {
    let submit_waits = api.pool.submit_waits();
    let mut m = RpcModule::new(api);
    register(&mut m, "web3_clientVersion", |api, _| {
        Ok(api.client_version())
    });
    register(&mut m, "eth_chainId", |api, _| Ok(U64::from(api.chain_id)));
    register(&mut m, "net_version", |api, _| Ok(api.chain_id.to_string()));
    register(&mut m, "net_listening", |_, _| Ok(true));
    register(&mut m, "eth_syncing", |_, _| Ok(false));
    register(&mut m, "eth_mining", |_, _| Ok(false));
    register(&mut m, "eth_accounts", |_, _| Ok(Vec::<Address>::new()));
    register(&mut m, "eth_blockNumber", |api, _| api.block_number());
    register(&mut m, "eth_getBalance", |api, p| {
        let mut a = Args::new(p);
        api.balance(a.next()?, a.optional()?)
    });
    register(&mut m, "eth_getTransactionCount", |api, p| {
        let mut a = Args::new(p);
        api.transaction_count(a.next()?, a.optional()?)
    });
    register(&mut m, "eth_getCode", |api, p| {
        let mut a = Args::new(p);
        api.code(a.next()?, a.optional()?)
    });
    register(&mut m, "eth_getStorageAt", |api, p| {
        // No EVM storage exists: every slot of every account reads zero.
        let mut a = Args::new(p);
        let (_address, _slot): (Address, U64) = (a.next()?, a.next().unwrap_or_default());
        api.resolve(a.optional()?)?;
        Ok(B256::ZERO)
    });
    register(&mut m, "eth_gasPrice", |api, _| api.gas_price());
    register(&mut m, "eth_maxPriorityFeePerGas", |_, _| {
        Ok(U64::from(eth::SUGGESTED_TIP))
    });
    register(&mut m, "eth_feeHistory", |api, p| {
        let mut a = Args::new(p);
        let count: U64 = a.next()?;
        let newest: BlockNumberOrTag = a.next()?;
        api.fee_history(count.to(), newest, a.optional()?)
    });
    register(&mut m, "eth_call", |api, p| {
        let mut a = Args::new(p);
        let request: TransactionRequest = a.next()?;
        let block: Option<BlockId> = a.optional()?;
        if a.optional::<serde_json::Value>()?.is_some() {
            return Err(RpcError::params("state overrides are not supported"));
        }
        api.call(request, block)
    });
    register(&mut m, "eth_estimateGas", |api, p| {
        let mut a = Args::new(p);
        api.estimate_gas(a.next()?, a.optional()?)
    });
    let send_raw: Handler<B256> = send_raw;
    if submit_waits {
        register_blocking(&mut m, "eth_sendRawTransaction", send_raw);
    } else {
        register(&mut m, "eth_sendRawTransaction", send_raw);
    }
    register(&mut m, "eth_getBlockByNumber", |api, p| {
        let mut a = Args::new(p);
        api.block_by_number(a.next()?, a.optional()?.unwrap_or(false))
    });
    register(&mut m, "eth_getBlockByHash", |api, p| {
        let mut a = Args::new(p);
        api.block_by_hash(a.next()?, a.optional()?.unwrap_or(false))
    });
    register(&mut m, "eth_getBlockTransactionCountByNumber", |api, p| {
        let block = api.block_by_tag_raw(Args::new(p).next()?)?;
        Ok(api.block_tx_count(block))
    });
    register(&mut m, "eth_getBlockTransactionCountByHash", |api, p| {
        let block = api.block_by_hash_raw(Args::new(p).next()?)?;
        Ok(api.block_tx_count(block))
    });
    register(&mut m, "eth_getUncleCountByBlockNumber", |_, _| {
        Ok(U64::ZERO)
    });
    register(&mut m, "eth_getUncleCountByBlockHash", |_, _| Ok(U64::ZERO));
    register(&mut m, "eth_getTransactionByHash", |api, p| {
        api.transaction_by_hash(Args::new(p).next()?)
    });
    // Explorers page through a block's transactions by position.
    register(
        &mut m,
        "eth_getTransactionByBlockNumberAndIndex",
        |api, p| {
            let mut a = Args::new(p);
            let block = api.block_by_tag_raw(a.next()?)?;
            Ok(transaction_at(block, a.next()?))
        },
    );
    register(&mut m, "eth_getTransactionByBlockHashAndIndex", |api, p| {
        let mut a = Args::new(p);
        let block = api.block_by_hash_raw(a.next()?)?;
        Ok(transaction_at(block, a.next()?))
    });
    register(&mut m, "eth_getTransactionReceipt", |api, p| {
        api.transaction_receipt(Args::new(p).next()?)
    });
    register(&mut m, "eth_getBlockReceipts", |api, p| {
        api.block_receipts(Args::new(p).next()?)
    });
    register(&mut m, "eth_newFilter", |api, p| {
        api.new_filter(Args::new(p).next()?)
    });
    register(&mut m, "eth_newBlockFilter", |api, _| {
        api.new_block_filter()
    });
    register(&mut m, "eth_newPendingTransactionFilter", |api, _| {
        api.new_pending_transaction_filter()
    });
    register(&mut m, "eth_getFilterChanges", |api, p| {
        api.filter_changes(Args::new(p).next()?)
    });
    register(&mut m, "eth_getFilterLogs", |api, p| {
        api.filter_logs(Args::new(p).next()?)
    });
    register(&mut m, "eth_uninstallFilter", |api, p| {
        Ok(api.uninstall_filter(Args::new(p).next()?))
    });
    register(&mut m, "eth_getLogs", |api, p| {
        api.logs(Args::new(p).next::<Filter>()?)
    });
    register(&mut m, "sheaf_systemAddresses", |api, _| {
        api.system_addresses()
    });
    register(&mut m, "sheaf_pools", |api, p| {
        api.pools(Args::new(p).optional()?)
    });
    register(&mut m, "sheaf_farms", |api, p| {
        let mut args = Args::new(p);
        let quote = args.optional()?;
        api.farms(quote, args.optional()?)
    });
    register(&mut m, "sheaf_proposals", |api, _| api.proposals());
    register(&mut m, "sheaf_governance", |api, _| api.governance());
    register(&mut m, "sheaf_validators", |api, p| {
        api.validators(Args::new(p).optional()?)
    });
    register(&mut m, "sheaf_systemEvents", |api, p| {
        let mut args = Args::new(p);
        let from = args
            .optional::<alloy_primitives::U64>()?
            .map(|n| n.to::<u64>());
        let to = args
            .optional::<alloy_primitives::U64>()?
            .map(|n| n.to::<u64>());
        api.system_events(from, to)
    });

    if let Some(heads) = heads {
        m.register_subscription(
            "eth_subscribe",
            "eth_subscription",
            "eth_unsubscribe",
            move |params, pending, api, _| {
                let heads = heads.subscribe();
                subscribe(params, pending, api, heads)
            },
        )
        .expect("subscription names are unique");
    }
    m
}

/// `eth_subscribe`: `newHeads`, or `logs` with an optional filter, pushed after each commit.
async fn subscribe(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    api: Arc<EthApi>,
    mut heads: broadcast::Receiver<u64>,
) -> SubscriptionResult {
    let mut args = Args::new(&params);
    let kind: String = match args.next() {
        Ok(kind) => kind,
        Err(e) => {
            pending.reject(ErrorObjectOwned::from(e)).await;
            return Ok(());
        }
    };
    let filter: Option<Filter> = args.optional().ok().flatten();
    if kind != "newHeads" && kind != "logs" {
        pending
            .reject(ErrorObjectOwned::from(RpcError::params(format!(
                "unsupported subscription '{kind}': use newHeads or logs"
            ))))
            .await;
        return Ok(());
    }
    let sink = pending.accept().await?;
    loop {
        let height = tokio::select! {
            _ = sink.closed() => return Ok(()),
            next = heads.recv() => match next {
                Ok(height) => height,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            },
        };
        // Through the RPC's block cache: every subscriber is told about the same block, and it
        // should be decoded once, not once per subscriber.
        let Ok(Some(block)) = api.stored_block(height) else {
            continue;
        };
        if kind == "newHeads" {
            sink.send(serde_json::value::to_raw_value(&convert::header(&block))?)
                .await?;
        } else {
            let mut filter = filter.clone().unwrap_or_default();
            filter.block_option = alloy_rpc_types_eth::FilterBlockOption::AtBlockHash(block.hash);
            for log in api.logs(filter).unwrap_or_default() {
                sink.send(serde_json::value::to_raw_value(&log)?).await?;
            }
        }
    }
}

/// Subscription ids as geth writes them: "0x" and 32 hex digits. Clients such as viem match
/// notifications to subscriptions by this string.
#[derive(Debug, Default)]
struct HexIdProvider {
    counter: std::sync::atomic::AtomicU64,
}

impl jsonrpsee::core::traits::IdProvider for HexIdProvider {
    fn next_id(&self) -> jsonrpsee::types::SubscriptionId<'static> {
        use std::hash::{BuildHasher, Hasher};
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Unpredictable per process (RandomState is seeded from the OS), unique by the counter.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(n);
        jsonrpsee::types::SubscriptionId::Str(format!("0x{:016x}{n:016x}", hasher.finish()).into())
    }
}

/// Starts serving; the returned handle stops the server when dropped or stopped.
pub async fn serve(
    shared: Arc<Shared>,
    pool: Arc<dyn TxPool>,
    heads: Option<broadcast::Sender<u64>>,
    config: &RpcConfig,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let chain_id = shared.chain_id().map_err(std::io::Error::other)?;
    let api = EthApi {
        shared,
        pool,
        chain_id,
        blocks: Default::default(),
        filters: Default::default(),
    };
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_len))
        .set_id_provider(HexIdProvider::default())
        .build();
    let cors = config.cors.as_ref().map(|origins| {
        let layer = CorsLayer::new().allow_methods(Any).allow_headers(Any);
        if origins.iter().any(|o| o == "*") {
            layer.allow_origin(Any)
        } else {
            let list = origins
                .iter()
                .filter_map(|o| o.parse().ok())
                .collect::<Vec<_>>();
            layer.allow_origin(AllowOrigin::list(list))
        }
    });
    // Sends that may wait on CometBFT's RPC must not run on the async workers; jsonrpsee moves
    // them to blocking threads (see `register_blocking`).
    let send_batches = (config.fast_send_batches && !api.pool.submit_waits()).then(|| {
        send_batch::SendBatchLayer::new(
            Arc::new(api.clone()),
            send_batch::Limits {
                max_request_bytes: config.max_request_bytes,
                max_response_bytes: config.max_response_bytes,
                max_batch_len: config.max_batch_len,
            },
        )
    });
    let middleware = tower::ServiceBuilder::new()
        .option_layer(cors)
        .option_layer(config.web.clone().map(web::WebLayer::new))
        .option_layer(send_batches);
    let rpc_middleware = jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
        .layer(batch::ConcurrentBatchLayer::new(config.max_response_bytes));
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(middleware)
        .set_rpc_middleware(rpc_middleware)
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(module(api, heads));
    Ok((addr, handle))
}
