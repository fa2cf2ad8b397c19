//! Batches answered concurrently.
//!
//! jsonrpsee answers the calls of a batch one after another. A wallet or a load generator that
//! sends 200 `eth_sendRawTransaction` in one batch then waits for 200 signature recoveries on one
//! core while the others idle. This layer splits a batch into a few runs of consecutive calls
//! per core, answers each run on its own task, and still answers in request order, so a client
//! sees the same response it would have seen before. A run is a task rather than one task per
//! call because a call is short (~50 µs for a signature recovery) and waking a thread for each
//! one cost as much as the call itself.

use std::borrow::Cow;

use jsonrpsee::{
    MethodResponse,
    core::middleware::{Batch, BatchEntry, BatchEntryErr, Notification, RpcServiceT},
    server::BatchResponseBuilder,
    types::{
        ErrorCode, ErrorObject, ErrorObjectOwned, Id, Request,
        error::{OVERSIZED_RESPONSE_CODE, TOO_BIG_BATCH_RESPONSE_CODE},
    },
};

/// How many runs a batch is split into, per core: enough that tokio can even out runs of slow
/// and fast calls across its workers, few enough that each run carries a couple of dozen calls.
const RUNS_PER_CORE: usize = 4;

/// How many runs a batch is split into on this machine (here and in `send_batch`).
pub(crate) fn runs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from) * RUNS_PER_CORE
}

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
        ConcurrentBatch {
            inner,
            max_response_bytes: self.max_response_bytes,
            runs: runs(),
        }
    }
}

#[derive(Clone)]
pub struct ConcurrentBatch<S> {
    inner: S,
    max_response_bytes: usize,
    runs: usize,
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
        let limit = self.max_response_bytes;
        let id = request.id.clone().into_owned();
        let answer = self.inner.call(request);
        async move { explain_oversized(answer.await, id, limit) }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        let max_response_bytes = self.max_response_bytes;
        let entries: Vec<Entry> = batch.into_iter().map(Entry::from).collect();
        let run_len = entries.len().div_ceil(self.runs).max(1);
        let mut runs = Vec::with_capacity(self.runs);
        let mut entries = entries.into_iter().peekable();
        while entries.peek().is_some() {
            let run: Vec<Entry> = entries.by_ref().take(run_len).collect();
            let ids: Vec<Option<Id<'static>>> = run.iter().map(Entry::id).collect();
            let service = self.inner.clone();
            runs.push((
                ids,
                tokio::spawn(answer_run(service, run, max_response_bytes)),
            ));
        }
        async move {
            let mut response = BatchResponseBuilder::new_with_limit(max_response_bytes);
            let mut got_notification = false;
            for (ids, run) in runs {
                // A panicking handler loses only its own run's answers, as internal errors.
                let answers = run.await.unwrap_or_else(|_| {
                    ids.into_iter()
                        .map(|id| {
                            id.map(|id| {
                                MethodResponse::error(
                                    id,
                                    ErrorObject::from(ErrorCode::InternalError),
                                )
                            })
                        })
                        .collect()
                });
                for answer in answers {
                    // `None` marks a notification: it ran, but gets no answer.
                    let Some(answer) = answer else {
                        got_notification = true;
                        continue;
                    };
                    if response.append(answer).is_err() {
                        return MethodResponse::error(Id::Null, too_big_batch(max_response_bytes));
                    }
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

/// A batch entry that owns its text, so that it can move to another task.
enum Entry {
    Call(Request<'static>),
    Notification(Notification<'static>),
    /// An entry jsonrpsee could not parse, with the error it is answered with.
    Invalid(Id<'static>, ErrorObject<'static>),
}

impl Entry {
    /// The id an answer to this entry carries; notifications have none.
    fn id(&self) -> Option<Id<'static>> {
        match self {
            Entry::Call(request) => Some(request.id.clone()),
            Entry::Notification(_) => None,
            Entry::Invalid(id, _) => Some(id.clone()),
        }
    }
}

impl<'a> From<Result<BatchEntry<'a>, BatchEntryErr<'a>>> for Entry {
    fn from(entry: Result<BatchEntry<'a>, BatchEntryErr<'a>>) -> Self {
        match entry {
            Ok(BatchEntry::Call(request)) => Entry::Call(Request {
                jsonrpc: request.jsonrpc,
                id: request.id.into_owned(),
                method: Cow::Owned(request.method.into_owned()),
                params: request.params.map(|p| Cow::Owned(p.into_owned())),
                extensions: request.extensions,
            }),
            Ok(BatchEntry::Notification(notification)) => Entry::Notification(Notification {
                jsonrpc: notification.jsonrpc,
                method: Cow::Owned(notification.method.into_owned()),
                params: notification.params.map(|p| Cow::Owned(p.into_owned())),
                extensions: notification.extensions,
            }),
            Err(err) => {
                let (err, id) = err.into_parts();
                Entry::Invalid(id.into_owned(), err.into_owned())
            }
        }
    }
}

/// jsonrpsee's answer to a call whose result is over the limit ("Response is too big") does
/// not tell a person what to do; this one names the limit, the flag that sets it and the fix.
fn explain_oversized(answer: MethodResponse, id: Id<'static>, limit: usize) -> MethodResponse {
    if answer.as_error_code() != Some(OVERSIZED_RESPONSE_CODE) {
        return answer;
    }
    MethodResponse::error(id, oversized(limit))
}

/// The error for one answer over the response limit, saying what to do about it.
pub(crate) fn oversized(limit: usize) -> ErrorObjectOwned {
    ErrorObject::owned(
        OVERSIZED_RESPONSE_CODE,
        format!(
            "response too large: the answer exceeds this node's limit of {limit} bytes \
             (--rpc-max-response-bytes); ask for less, e.g. a smaller block range or \
             blocks without full transactions"
        ),
        None::<()>,
    )
}

/// The error for a batch whose answers together are over the response limit.
pub(crate) fn too_big_batch(limit: usize) -> ErrorObjectOwned {
    ErrorObject::owned(
        TOO_BIG_BATCH_RESPONSE_CODE,
        format!(
            "batch response too large: the answers exceed this node's limit of {limit} bytes \
             (--rpc-max-response-bytes); send fewer calls per batch"
        ),
        None::<()>,
    )
}

/// Answers a run of consecutive batch entries in order; `None` for a notification.
async fn answer_run<S>(service: S, run: Vec<Entry>, limit: usize) -> Vec<Option<MethodResponse>>
where
    S: RpcServiceT<MethodResponse = MethodResponse, NotificationResponse = MethodResponse>,
{
    let mut answers = Vec::with_capacity(run.len());
    for entry in run {
        answers.push(match entry {
            Entry::Call(request) => {
                let id = request.id.clone();
                Some(explain_oversized(service.call(request).await, id, limit))
            }
            Entry::Notification(notification) => {
                service.notification(notification).await;
                None
            }
            Entry::Invalid(id, err) => Some(MethodResponse::error(id, err)),
        });
    }
    answers
}
