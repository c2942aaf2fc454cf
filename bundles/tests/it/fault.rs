//! Fault servers: real HTTP relays on 127.0.0.1 that answer well, slowly, with errors or with
//! garbage, and remember every request they received. Each stops when dropped and, at the
//! latest, after [`MAX_LIFETIME`]; slow answers are bounded sleeps.

use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
    routing::post,
};
use bundles::server::{
    self, METHOD_NOT_FOUND, RpcError, authenticate, parse_request, parse_send_bundle, response_err,
    response_ok,
};
use serde_json::{Value, json};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::oneshot;

/// No fault server outlives this, whatever the test does.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(30);

/// How a fault server answers.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// A well-behaved relay: parses the request, verifies the signature when `verify` is set,
    /// answers `{bundleHash}` computed from the received transactions.
    Good { verify: bool },
    /// Like `Good { verify: false }` after sleeping (bounded).
    Slow(Duration),
    /// A fixed HTTP status and body.
    Fixed { status: u16, body: &'static str },
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The client's address: the same port means the same (kept-alive) connection.
    pub(crate) peer: SocketAddr,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("fault servers only receive JSON")
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Shared {
    fault: Fault,
    received: Mutex<Vec<Received>>,
}

/// A running fault server.
pub(crate) struct FaultServer {
    pub(crate) url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl FaultServer {
    pub(crate) async fn start(fault: Fault) -> Self {
        let shared = Arc::new(Shared { fault, received: Mutex::new(Vec::new()) });
        let app = Router::new().route("/", post(handle)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let url = format!("http://{}/", listener.local_addr().expect("local addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                tokio::select! {
                    _ = stopped => {}
                    () = tokio::time::sleep(MAX_LIFETIME) => {}
                }
            };
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
        });
        Self { url, shared, stop: Some(stop) }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    pub(crate) fn count(&self) -> usize {
        self.shared.received.lock().expect("lock").len()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    shared.received.lock().expect("lock").push(Received {
        headers: headers.clone(),
        body: body.clone(),
        peer,
    });
    match shared.fault.clone() {
        Fault::Good { verify } => good(&headers, &body, verify),
        Fault::Slow(delay) => {
            tokio::time::sleep(delay.saturating_sub(started.elapsed())).await;
            good(&headers, &body, false)
        }
        Fault::Fixed { status, body } => {
            let status = StatusCode::from_u16(status).expect("valid status");
            (status, [(CONTENT_TYPE, "application/json")], body).into_response()
        }
    }
}

/// A minimal correct relay, built on the crate's own server helpers.
fn good(headers: &HeaderMap, body: &[u8], verify: bool) -> Response {
    let answer = match parse_request(body) {
        Err(e) => response_err(&Value::Null, &e),
        Ok(request) => {
            let signature = headers.get("x-flashbots-signature").and_then(|v| v.to_str().ok());
            match (verify, authenticate(signature, body)) {
                (true, Err(e)) => response_err(&request.id, &e),
                _ => match request.method.as_str() {
                    "eth_sendBundle" => match parse_send_bundle(&request.params) {
                        Ok(p) if p.is_cancel() => response_ok(&request.id, Value::Null),
                        Ok(p) => match p.into_bundle(0) {
                            Ok(b) => response_ok(&request.id, json!({"bundleHash": b.hash()})),
                            Err(e) => response_err(&request.id, &RpcError::invalid_params(e)),
                        },
                        Err(e) => response_err(&request.id, &e),
                    },
                    "eth_cancelBundle" => response_ok(&request.id, 200),
                    "mev_sendBundle" | "blxr_submit_bundle" => response_ok(
                        &request.id,
                        json!({"bundleHash": format!("0x{}", "ab".repeat(32))}),
                    ),
                    other => response_err(
                        &request.id,
                        &server::RpcError::new(METHOD_NOT_FOUND, format!("no method {other}")),
                    ),
                },
            }
        }
    };
    (StatusCode::OK, [(CONTENT_TYPE, "application/json")], answer.to_string()).into_response()
}
