//! A `didChange` whose range holds numbers that are not LSP's unsigned
//! 32-bit integers (negative, too large, fractional) would fail to
//! deserialise, and tower-lsp-server drops a notification it cannot read
//! without a word: every later edit would then apply to different text
//! than the client's. This service, in front of the router, brings such
//! numbers into range (negative to 0, too large to `u32::MAX`, a fraction
//! down), so that [`super::document::Document::apply`] clamps the change to
//! the text as it clamps any other, and tells the client in its log.

use std::task::{Context, Poll};
use tower::Service;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::ls_types::MessageType;
use tower_lsp_server::Client;

pub struct ClampPositions<S> {
    pub inner: S,
    pub client: Client,
}

/// Puts every number of a position (`line`, `character`) in `v` into
/// `u32`; returns how many it changed.
fn clamp_positions(v: &mut serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut n = 0;
            for (k, x) in map.iter_mut() {
                match x {
                    Value::Number(num) if k == "line" || k == "character" => {
                        if num.as_u64().is_some_and(|u| u <= u32::MAX as u64) {
                            continue;
                        }
                        let f = num.as_f64().unwrap_or(0.0);
                        let c = if f.is_nan() || f <= 0.0 {
                            0
                        } else {
                            f.min(u32::MAX as f64) as u32
                        };
                        *x = Value::from(c);
                        n += 1;
                    }
                    _ => n += clamp_positions(x),
                }
            }
            n
        }
        Value::Array(xs) => xs.iter_mut().map(clamp_positions).sum(),
        _ => 0,
    }
}

/// The request with its `contentChanges` positions in range, and how many
/// numbers were changed; any other message is left as it is.
fn clamp_did_change(req: Request) -> (Request, usize) {
    if req.method() != "textDocument/didChange" {
        return (req, 0);
    }
    let (method, id, params) = req.into_parts();
    let mut params = params;
    let n = match params.as_mut().and_then(|p| p.get_mut("contentChanges")) {
        Some(changes) => clamp_positions(changes),
        None => 0,
    };
    let mut b = Request::build(method);
    if let Some(p) = params {
        b = b.params(p);
    }
    if let Some(id) = id {
        b = b.id(id);
    }
    (b.finish(), n)
}

impl<S> Service<Request> for ClampPositions<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Response: Send,
    S::Error: Send,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let (req, n) = clamp_did_change(req);
        let fut = self.inner.call(req);
        let client = self.client.clone();
        Box::pin(async move {
            // The change is applied at the inner future's first poll, in
            // its turn; the log line follows it.
            let r = fut.await;
            if n > 0 {
                let message = format!(
                    "pyasm: a didChange held {n} position number(s) outside 0..=2^32-1; \
                     brought into range and clamped to the document"
                );
                client.log_message(MessageType::WARNING, message).await;
            }
            r
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn out_of_range_numbers_are_brought_into_u32() {
        let mut v = json!([{"range": {"start": {"line": -1, "character": 4294967296u64},
                                      "end": {"line": 2.5, "character": 7}}, "text": "x"}]);
        assert_eq!(clamp_positions(&mut v), 3);
        assert_eq!(
            v,
            json!([{"range": {"start": {"line": 0, "character": 4294967295u64},
                              "end": {"line": 2, "character": 7}}, "text": "x"}])
        );
    }
}
