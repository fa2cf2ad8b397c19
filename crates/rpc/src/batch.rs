//! Batches answered concurrently.
//!
//! jsonrpsee answers the calls of a batch one after another. A wallet or a load generator that
//! sends 200 `eth_sendRawTransaction` in one batch then waits for 200 signature recoveries on one
//! core while the others idle. This layer runs a batch's calls a few at a time per core and still
//! answers them in request order, so a client sees the same response it would have seen before.

use futures_util::{StreamExt, stream};
use jsonrpsee::{
    MethodResponse,
    core::middleware::{Batch, BatchEntry, BatchEntryErr, Notification, RpcServiceT},
    server::BatchResponseBuilder,
    types::Request,
};

/// How many calls of one batch run at once, per core. Blocking handlers park their task on
/// tokio's blocking pool, so a little more than one per core keeps every core busy.
const CALLS_IN_FLIGHT_PER_CORE: usize = 2;

#[derive(Clone)]
pub struct ConcurrentBatchLayer {
    max_response_bytes: usize,
}

impl ConcurrentBatchLayer {
    pub fn new(max_response_bytes: u32) -> Self {
        Self {
            max_response_bytes: max_response_bytes as usize,
        }
    }
}

impl<S> tower::Layer<S> for ConcurrentBatchLayer {
    type Service = ConcurrentBatch<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        ConcurrentBatch {
            inner,
            max_response_bytes: self.max_response_bytes,
            in_flight: cores * CALLS_IN_FLIGHT_PER_CORE,
        }
    }
}

#[derive(Clone)]
pub struct ConcurrentBatch<S> {
    inner: S,
    max_response_bytes: usize,
    in_flight: usize,
}

impl<S> RpcServiceT for ConcurrentBatch<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        self.inner.call(request)
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        let max_response_bytes = self.max_response_bytes;
        let in_flight = self.in_flight;
        let calls: Vec<_> = batch
            .into_iter()
            .map(|entry| answer(self.inner.clone(), entry))
            .collect();
        async move {
            // `None` marks a notification: it runs, but gets no answer.
            let answers: Vec<Option<MethodResponse>> =
                stream::iter(calls).buffered(in_flight).collect().await;

            let got_notification = answers.iter().any(Option::is_none);
            let mut response = BatchResponseBuilder::new_with_limit(max_response_bytes);
            for answer in answers.into_iter().flatten() {
                if let Err(too_big) = response.append(answer) {
                    return too_big;
                }
            }
            if response.is_empty() && got_notification {
                MethodResponse::notification()
            } else {
                // An empty batch is an invalid request; the builder answers that itself.
                MethodResponse::from_batch(response.finish())
            }
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.inner.notification(notification)
    }
}

async fn answer<'a, S>(
    service: S,
    entry: Result<BatchEntry<'a>, BatchEntryErr<'a>>,
) -> Option<MethodResponse>
where
    S: RpcServiceT<MethodResponse = MethodResponse, NotificationResponse = MethodResponse>,
{
    match entry {
        Ok(BatchEntry::Call(request)) => Some(service.call(request).await),
        Ok(BatchEntry::Notification(notification)) => {
            service.notification(notification).await;
            None
        }
        Err(err) => {
            let (err, id) = err.into_parts();
            Some(MethodResponse::error(id, err))
        }
    }
}
