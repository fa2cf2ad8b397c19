//! The dashboard's built files, served on the JSON-RPC port: a browser's plain `GET` gets a file,
//! JSON-RPC's `POST` and WebSocket's upgrade `GET` go on to jsonrpsee. One port means the page
//! reaches the node at its own origin, so `sheaf node --dev` is the whole product.

use std::{
    future::Future,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{HeaderValue, Method, StatusCode, header};
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use tower::{BoxError, Layer, Service};

/// Where the dashboard is and what the page may know about this node.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The Vite build output (`web/dist`); `None` serves a page saying how to build it.
    pub root: Option<PathBuf>,
    /// Dev chain: the page may offer the public dev accounts as in-page signers.
    pub dev_accounts: bool,
}

#[derive(Debug, Clone)]
pub struct WebLayer(Arc<WebConfig>);

impl WebLayer {
    pub fn new(config: WebConfig) -> Self {
        Self(Arc::new(config))
    }
}

impl<S> Layer<S> for WebLayer {
    type Service = Web<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Web {
            inner,
            config: self.0.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Web<S> {
    inner: S,
    config: Arc<WebConfig>,
}

/// What the HTTP middleware in front of jsonrpsee (this one and `send_batch`) answer with.
pub(crate) type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

impl<S, B> Service<HttpRequest<B>> for Web<S>
where
    S: Service<HttpRequest<B>, Response = HttpResponse>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        let is_page_request = matches!(*request.method(), Method::GET | Method::HEAD)
            && !request.headers().contains_key(header::UPGRADE);
        if is_page_request {
            let config = self.config.clone();
            let path = request.uri().path().to_string();
            return Box::pin(async move { Ok(respond(&config, &path).await) });
        }
        let future = self.inner.call(request);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn response(status: StatusCode, kind: &str, body: Vec<u8>, cache: &'static str) -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(kind) = HeaderValue::from_str(kind) {
        headers.insert(header::CONTENT_TYPE, kind);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A request path as a file under the root, refusing anything that could leave it.
fn file_under(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let safe = relative.split('/').all(|segment| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    });
    safe.then(|| root.join(relative))
}

async fn respond(config: &WebConfig, path: &str) -> HttpResponse {
    if path == "/sheaf-config.json" {
        let body = serde_json::json!({ "devAccounts": config.dev_accounts }).to_string();
        return response(StatusCode::OK, "application/json", body.into(), "no-store");
    }
    let Some(root) = &config.root else {
        let page = "<!doctype html><title>Sheaf</title><p>This node speaks Ethereum JSON-RPC \
                    here (POST). The dashboard is not built: run <code>npm ci && npm run build\
                    </code> in <code>web/</code>, or start the node with \
                    <code>./scripts/run.sh</code>.";
        return response(
            StatusCode::NOT_FOUND,
            "text/html; charset=utf-8",
            page.into(),
            "no-store",
        );
    };
    let Some(file) = file_under(root, path) else {
        return response(
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            b"bad path".to_vec(),
            "no-store",
        );
    };
    // Vite fingerprints everything under assets/, so those never change; index.html must be
    // fetched fresh to pick up a new build.
    let cache = if path.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let path_to_read = file.clone();
    let read = tokio::task::spawn_blocking(move || std::fs::read(path_to_read)).await;
    match read {
        Ok(Ok(body)) => response(StatusCode::OK, content_type(&file), body, cache),
        // The app routes by URL hash, so any other missing path is a mistyped address.
        _ => response(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            format!("{path} not found").into_bytes(),
            "no-store",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root() {
        let root = Path::new("/srv/web");
        assert_eq!(
            file_under(root, "/"),
            Some(PathBuf::from("/srv/web/index.html"))
        );
        assert_eq!(
            file_under(root, "/assets/index-abc.js"),
            Some(PathBuf::from("/srv/web/assets/index-abc.js"))
        );
        for bad in [
            "/../etc/passwd",
            "/assets/../../x",
            "/.env",
            "/assets//x.js",
            "/a%2e%2e/b",
            "/a\\b",
        ] {
            assert_eq!(file_under(root, bad), None, "{bad}");
        }
    }
}
