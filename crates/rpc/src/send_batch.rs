//! Batches of `eth_sendRawTransaction` answered without jsonrpsee's per-call machinery.
//!
//! Wallets send one transaction at a time, but a load of pre-signed transactions (a bot, a
//! bridge relayer, our own benchmarks) arrives as batches of hundreds of sends. Through jsonrpsee
//! every call of such a batch is parsed into a generic request (its id tried as null, then as a
//! number, then as a string, each miss building an error message), copied into an owned request
//! to cross to another task, run through the method table, wrapped in a method response, and
//! copied again into the batch's answer. A profile of a 30,000-swap load put that at a tenth of
//! the node's CPU while accepting, half of what admission costs beyond the signature recovery.
//!
//! A batch made only of well-formed sends is answered here instead, by the same handler, with the
//! bytes jsonrpsee would have answered (a test holds the two side by side). Anything else (a
//! single call, another method anywhere in the batch, a notification, an id jsonrpsee would
//! write back differently, a batch over the length limit) goes on to jsonrpsee unchanged.

use std::{
    ops::Range,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt, Full, Limited};
use jsonrpsee::{
    server::{HttpBody, HttpRequest, HttpResponse, http::response},
    types::{ErrorObjectOwned, Id, Params, Response, ResponsePayload, TwoPointZero},
};
use serde::Deserialize;
use serde_json::value::RawValue;
use tower::{BoxError, Layer, Service};

use crate::{EthApi, batch};

const METHOD: &str = "eth_sendRawTransaction";

/// The parts of [`crate::RpcConfig`] this layer enforces, as jsonrpsee would.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_request_bytes: u32,
    pub max_response_bytes: u32,
    pub max_batch_len: u32,
}

#[derive(Clone)]
pub struct SendBatchLayer {
    api: Arc<EthApi>,
    limits: Limits,
    runs: usize,
}

impl SendBatchLayer {
    pub fn new(api: Arc<EthApi>, limits: Limits) -> Self {
        Self {
            api,
            limits,
            runs: batch::runs(),
        }
    }
}

impl<S> Layer<S> for SendBatchLayer {
    type Service = SendBatch<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SendBatch {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct SendBatch<S> {
    inner: S,
    layer: SendBatchLayer,
}

impl<S> Service<HttpRequest<HttpBody>> for SendBatch<S>
where
    S: Service<HttpRequest<HttpBody>, Response = HttpResponse> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = crate::web::ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest<HttpBody>) -> Self::Future {
        let limits = self.layer.limits;
        let declared = request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let may_be_batch = request.method() == Method::POST
            && jsonrpsee::server::http::content_type_is_json(&request)
            && declared.is_some_and(|n| n > 0 && n <= u64::from(limits.max_request_bytes));
        if !may_be_batch {
            let answer = self.inner.call(request);
            return Box::pin(async move { answer.await.map_err(Into::into) });
        }
        // tower's contract: the service made ready is `self.inner`; it goes with this call.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let layer = self.layer.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = match Limited::new(body, limits.max_request_bytes as usize)
                .collect()
                .await
            {
                Ok(collected) => collected.to_bytes(),
                // A body longer than it said, or one that broke off: jsonrpsee's answers.
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    return Ok(response::too_large(limits.max_request_bytes));
                }
                Err(_) => return Ok(response::internal_error()),
            };
            match plan(&body, limits.max_batch_len) {
                Some(calls) => Ok(response::ok_response(layer.answer(body, calls).await)),
                None => {
                    let request = HttpRequest::from_parts(parts, HttpBody::new(Full::new(body)));
                    inner.call(request).await.map_err(Into::into)
                }
            }
        })
    }
}

/// One send of a batch, as byte ranges of the request body, so a run can move to another task
/// with the body (reference-counted) instead of a copy of its calls.
#[derive(Debug, Clone)]
struct Call {
    id: Range<usize>,
    params: Option<Range<usize>>,
}

#[derive(Deserialize)]
struct WireCall<'a> {
    #[allow(dead_code)] // Parsed to be checked: jsonrpsee refuses anything but "2.0".
    jsonrpc: TwoPointZero,
    /// Required: a call without an id is a notification, which jsonrpsee answers differently.
    #[serde(borrow)]
    id: &'a RawValue,
    /// Borrowed, so a method name with escapes fails here and the batch goes to jsonrpsee.
    method: &'a str,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
}

/// The batch's calls if it is one this layer answers exactly as jsonrpsee would: a JSON array of
/// 1 to `max_batch_len` `eth_sendRawTransaction` calls, each with an id jsonrpsee writes back
/// byte for byte (null, a u64, or a string without escapes).
fn plan(body: &[u8], max_batch_len: u32) -> Option<Vec<Call>> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.trim_start().starts_with('[') {
        return None;
    }
    let calls: Vec<WireCall> = serde_json::from_str(text).ok()?;
    if calls.is_empty() || calls.len() > max_batch_len as usize {
        return None;
    }
    let start = text.as_ptr() as usize;
    let range = |raw: &str| {
        let from = raw.as_ptr() as usize - start;
        from..from + raw.len()
    };
    calls
        .iter()
        .map(|call| {
            (call.method == METHOD && echoed_verbatim(call.id.get())).then(|| Call {
                id: range(call.id.get()),
                params: call.params.map(|p| range(p.get())),
            })
        })
        .collect()
}

/// Whether jsonrpsee's `Id` accepts `raw` and serializes it back to the same text.
fn echoed_verbatim(raw: &str) -> bool {
    match raw.as_bytes() {
        b"null" => true,
        [b'"', inner @ .., b'"'] => !inner.contains(&b'\\'),
        digits => {
            !digits.is_empty()
                && digits.iter().all(u8::is_ascii_digit)
                && raw.parse::<u64>().is_ok()
        }
    }
}

/// The id as jsonrpsee parsed it, for the error answers built through its own serializer.
fn parse_id(raw: &str) -> Id<'_> {
    match raw.as_bytes() {
        b"null" => Id::Null,
        [b'"', ..] => Id::Str(raw[1..raw.len() - 1].into()),
        _ => Id::Number(raw.parse().unwrap_or_default()),
    }
}

impl SendBatchLayer {
    /// Runs the sends on every core, in runs of consecutive calls (see [`batch`]), and joins
    /// the answers in request order under jsonrpsee's response limits.
    async fn answer(&self, body: Bytes, calls: Vec<Call>) -> String {
        let limit = self.limits.max_response_bytes as usize;
        let run_len = calls.len().div_ceil(self.runs).max(1);
        let runs: Vec<_> = calls
            .chunks(run_len)
            .map(|run| {
                let (api, body, run) = (self.api.clone(), body.clone(), run.to_vec());
                tokio::spawn(async move { answer_run(&api, &body, &run, limit) })
            })
            .collect();
        let mut batch = String::with_capacity(calls.len() * 100 + 2);
        batch.push('[');
        for (run, calls) in runs.into_iter().zip(calls.chunks(run_len)) {
            // A panicking send loses only its own run's answers, as internal errors, as in
            // `batch`.
            let answers = match run.await {
                Ok(answers) => answers,
                Err(_) => calls
                    .iter()
                    .map(|call| {
                        let id = parse_id(body_str(&body, &call.id));
                        serialize(Response::new(
                            ResponsePayload::<()>::error(ErrorObjectOwned::from(
                                jsonrpsee::types::ErrorCode::InternalError,
                            )),
                            id,
                        ))
                    })
                    .collect(),
            };
            for answer in answers {
                // jsonrpsee's batch builder: each answer and its separator must fit.
                if batch.len() + answer.len() + 1 > limit {
                    return serialize(Response::new(
                        ResponsePayload::<()>::error(batch::too_big_batch(limit)),
                        Id::Null,
                    ));
                }
                batch.push_str(&answer);
                batch.push(',');
            }
        }
        batch.pop();
        batch.push(']');
        batch
    }
}

fn answer_run(api: &EthApi, body: &Bytes, run: &[Call], limit: usize) -> Vec<String> {
    run.iter()
        .map(|call| {
            let id = parse_id(body_str(body, &call.id));
            let params = Params::new(call.params.as_ref().map(|p| body_str(body, p)));
            let answer = match crate::send_raw(api, &params) {
                Ok(hash) => serialize(Response::new(ResponsePayload::success(hash), id.clone())),
                Err(e) => serialize(Response::new(
                    ResponsePayload::<()>::error(ErrorObjectOwned::from(e)),
                    id.clone(),
                )),
            };
            // jsonrpsee bounds each answer too, before the batch.
            if answer.len() > limit {
                serialize(Response::new(
                    ResponsePayload::<()>::error(batch::oversized(limit)),
                    id,
                ))
            } else {
                answer
            }
        })
        .collect()
}

fn body_str<'a>(body: &'a Bytes, range: &Range<usize>) -> &'a str {
    // `plan` cut these ranges from this body at char boundaries of valid UTF-8.
    std::str::from_utf8(&body[range.clone()]).unwrap_or_default()
}

fn serialize<T: serde::Serialize + Clone>(response: Response<'_, T>) -> String {
    serde_json::to_string(&response).expect("a response of a hash or an error object serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_only_batches_of_sends_with_ids_written_back_verbatim() {
        let send = |id: &str| {
            format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"eth_sendRawTransaction","params":["0x01"]}}"#
            )
        };
        let batch = |calls: &[String]| format!("[{}]", calls.join(","));
        let planned = plan(
            batch(&[send("1"), send("\"a\""), send("null")]).as_bytes(),
            1000,
        )
        .expect("a batch of sends");
        assert_eq!(planned.len(), 3);
        let body = batch(&[send("7")]);
        let call = &plan(body.as_bytes(), 1000).expect("planned")[0];
        assert_eq!(&body[call.id.clone()], "7");
        assert_eq!(&body[call.params.clone().expect("params")], r#"["0x01"]"#);

        for refused in [
            send("1"),             // a single call
            batch(&[]),            // empty: jsonrpsee's invalid request
            batch(&[send("1.5")]), // not an id jsonrpsee takes
            batch(&[send("-1")]),
            batch(&[send("18446744073709551616")]), // over u64
            batch(&[send(r#""a\"b""#)]),            // escapes: rewritten by serde
            batch(&[send("1"), send("{}")]),
            batch(&[
                send("1"),
                r#"{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}"#.into(),
            ]),
            batch(&[r#"{"jsonrpc":"2.0","method":"eth_sendRawTransaction","params":[]}"#.into()]),
            batch(&[r#"{"jsonrpc":"1.0","id":1,"method":"eth_sendRawTransaction"}"#.into()]),
            batch(&[send("1"), send("2")]).replace("eth_send", "eth_\\u0073end"),
            "[1,".into(),
        ] {
            assert!(plan(refused.as_bytes(), 1000).is_none(), "{refused}");
        }
        assert!(
            plan(batch(&[send("1"), send("2")]).as_bytes(), 1).is_none(),
            "over the batch limit"
        );
    }
}
