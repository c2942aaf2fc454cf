//! Fan-out: one request encoded and signed once per distinct body, sent to every relay
//! concurrently over one keep-alive HTTP client, one [`SubmissionRecord`] back per relay.
//!
//! Each relay's request runs in its own task under its own timeout, so a slow, failing or
//! garbage-answering relay cannot delay another's request, its answer or its measured latency.
//! Records stream out in completion order ([`Fanout::dispatch`]) so the caller can persist the
//! fast answers while a slow relay is still pending; every relay yields exactly one record,
//! whatever happens to its request.

use crate::{
    bundle::{Bundle, BundleError, Cancel, MevShareBackrun},
    config::{AuthConfig, RelayConfig, RelayFlavour},
    encode::{self, CancelForm, EncodedRequest, RequestKind},
    metrics,
    outcome::{RelayOutcome, classify_answer, snippet},
    ratelimit::RateLimiter,
    sign::{FLASHBOTS_SIGNATURE_HEADER, SignatureError, sign_body},
};
use alloy::{
    primitives::{Address, B256, Bytes},
    signers::local::PrivateKeySigner,
};
use futures::{FutureExt, Stream, StreamExt, future::BoxFuture, stream::FuturesUnordered};
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tracing::{debug, warn};
use uuid::Uuid;

/// Largest answer body read from a relay; longer answers are classified as garbage.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How long an idle keep-alive connection stays in the pool.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per relay host.
pub const POOL_MAX_IDLE_PER_HOST: usize = 16;

/// Setting up the fan-out or preparing a request failed (nothing was sent).
#[derive(Debug, thiserror::Error)]
pub enum FanoutError {
    /// Two enabled relays share a name.
    #[error("duplicate relay name {0:?}")]
    DuplicateName(String),
    /// A relay URL does not parse.
    #[error("relay {relay}: invalid url {url:?}: {message}")]
    InvalidUrl {
        /// Relay name.
        relay: String,
        /// The URL.
        url: String,
        /// Parser message.
        message: String,
    },
    /// The environment variable holding a relay's auth header is unset.
    #[error("relay {relay}: environment variable {var} (auth header value) is not set")]
    MissingSecret {
        /// Relay name.
        relay: String,
        /// Variable name.
        var: String,
    },
    /// A configured auth header name or value is not a valid HTTP header.
    #[error("relay {relay}: invalid auth header {name:?}")]
    InvalidHeader {
        /// Relay name.
        relay: String,
        /// Header name.
        name: String,
    },
    /// The HTTP client could not be built.
    #[error("building the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The bundle is invalid.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// Serialising a request failed.
    #[error("encoding request: {0}")]
    Encode(#[from] serde_json::Error),
    /// Signing a request failed.
    #[error(transparent)]
    Sign(#[from] SignatureError),
}

/// One relay's answer to one request: everything the store records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRecord {
    /// Send, cancel or MEV-Share.
    pub kind: RequestKind,
    /// Our bundle hash (for a cancel: the cancelled bundle's).
    pub bundle_hash: B256,
    /// Replacement uuid, if any.
    pub replacement_uuid: Option<Uuid>,
    /// Target block (MEV-Share: first block).
    pub target_block: u64,
    /// Relay name from the config.
    pub relay: String,
    /// Relay flavour.
    pub flavour: RelayFlavour,
    /// JSON-RPC method actually used.
    pub method: &'static str,
    /// Unix time in milliseconds when the request was handed to the client (or skipped).
    pub sent_at_ms: u64,
    /// Time from sending to the end of the answer (zero when not sent).
    pub latency: Duration,
    /// HTTP status, when an answer arrived.
    pub http_status: Option<u16>,
    /// The classified answer.
    pub outcome: RelayOutcome,
}

/// Resolved relay: parsed URL, auth secret read once, its own rate limiter.
struct Relay {
    config: RelayConfig,
    url: reqwest::Url,
    auth: Auth,
    limiter: Option<RateLimiter>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("name", &self.config.name)
            .field("url", &self.url.as_str())
            .finish()
    }
}

enum Auth {
    Flashbots,
    None,
    /// Header name and secret value (never printed).
    Header(HeaderName, HeaderValue),
}

/// Requests encoded and signed, ready for [`Fanout::dispatch`].
#[derive(Debug)]
pub struct Prepared {
    kind: RequestKind,
    bundle_hash: B256,
    replacement_uuid: Option<Uuid>,
    target_block: u64,
    targets: Vec<(Arc<Relay>, Option<Planned>)>,
    bodies: usize,
    signatures: usize,
}

#[derive(Debug, Clone)]
struct Planned {
    method: &'static str,
    body: Bytes,
    signature: Option<Arc<str>>,
}

impl Prepared {
    /// What the request does.
    pub const fn kind(&self) -> RequestKind {
        self.kind
    }

    /// Our bundle hash.
    pub const fn bundle_hash(&self) -> B256 {
        self.bundle_hash
    }

    /// Relays that will get a record.
    pub fn relay_count(&self) -> usize {
        self.targets.len()
    }

    /// Distinct bodies encoded (one per distinct flavour encoding).
    pub const fn body_count(&self) -> usize {
        self.bodies
    }

    /// Signatures computed: one per distinct body that goes to a signing relay.
    pub const fn signature_count(&self) -> usize {
        self.signatures
    }
}

/// The multi-relay client. Cheap to share (`Arc<Fanout>`); one per process.
pub struct Fanout {
    client: reqwest::Client,
    relays: Vec<Arc<Relay>>,
    identity: PrivateKeySigner,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Fanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fanout")
            .field("relays", &self.relays)
            .field("identity", &self.identity.address())
            .finish_non_exhaustive()
    }
}

impl Fanout {
    /// A fan-out over the enabled `relays`, signing with `identity` (the unfunded identity
    /// key, never the trading key). Header secrets are read from the environment.
    pub fn new(relays: &[RelayConfig], identity: PrivateKeySigner) -> Result<Self, FanoutError> {
        Self::with_secrets(relays, identity, |var| std::env::var(var).ok())
    }

    /// [`Self::new`] with header secrets looked up through `secret` instead of the environment.
    pub fn with_secrets(
        relays: &[RelayConfig],
        identity: PrivateKeySigner,
        secret: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, FanoutError> {
        let client = reqwest::Client::builder()
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("searcher-bundles/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut names = HashSet::new();
        let mut resolved = Vec::new();
        for config in relays.iter().filter(|r| r.enabled) {
            if !names.insert(config.name.clone()) {
                return Err(FanoutError::DuplicateName(config.name.clone()));
            }
            resolved.push(Arc::new(resolve(config, &secret)?));
        }
        Ok(Self { client, relays: resolved, identity, next_id: AtomicU64::new(1) })
    }

    /// Address of the identity key (what builders see as our reputation identity).
    pub fn identity_address(&self) -> Address {
        self.identity.address()
    }

    /// The enabled relays, in config order.
    pub fn relays(&self) -> impl Iterator<Item = &RelayConfig> {
        self.relays.iter().map(|r| &r.config)
    }

    /// Encodes and signs `bundle` for every relay.
    pub async fn prepare_send(&self, bundle: &Bundle) -> Result<Prepared, FanoutError> {
        let id = self.next_id();
        let targets = self.relays.iter().map(|r| (r.clone(), true)).collect();
        self.prepare(
            RequestKind::SendBundle,
            bundle.hash(),
            bundle.replacement_uuid,
            bundle.target_block,
            targets,
            |f| encode::encode_send(bundle, f, id),
        )
        .await
    }

    /// Encodes and signs a cancel for every relay; relays with `supports-cancel = false` get
    /// an [`RelayOutcome::Unsupported`] record (the bundle they hold cannot be withdrawn).
    pub async fn prepare_cancel(&self, cancel: &Cancel) -> Result<Prepared, FanoutError> {
        let id = self.next_id();
        let targets = self.relays.iter().map(|r| (r.clone(), r.config.supports_cancel)).collect();
        self.prepare(
            RequestKind::CancelBundle,
            cancel.bundle_hash,
            Some(cancel.replacement_uuid),
            cancel.target_block,
            targets,
            |f| encode::encode_cancel(cancel, f, id),
        )
        .await
    }

    /// Encodes and signs a MEV-Share backrun for the relays with `mev-share = true`.
    pub async fn prepare_mev_share(
        &self,
        backrun: &MevShareBackrun,
    ) -> Result<Prepared, FanoutError> {
        let id = self.next_id();
        let request = encode::encode_mev_share(backrun, id)?;
        let targets =
            self.relays.iter().filter(|r| r.config.mev_share).map(|r| (r.clone(), true)).collect();
        self.prepare(
            RequestKind::MevSendBundle,
            backrun.hash(),
            None,
            backrun.block,
            targets,
            |_| Ok(request.clone()),
        )
        .await
    }

    async fn prepare(
        &self,
        kind: RequestKind,
        bundle_hash: B256,
        replacement_uuid: Option<Uuid>,
        target_block: u64,
        targets: Vec<(Arc<Relay>, bool)>,
        encode: impl Fn(RelayFlavour) -> Result<EncodedRequest, serde_json::Error>,
    ) -> Result<Prepared, FanoutError> {
        let mut by_flavour: HashMap<RelayFlavour, EncodedRequest> = HashMap::new();
        let mut signatures: HashMap<Bytes, Arc<str>> = HashMap::new();
        let mut bodies = HashSet::new();
        let mut planned = Vec::with_capacity(targets.len());
        for (relay, supported) in targets {
            if !supported {
                planned.push((relay, None));
                continue;
            }
            let flavour = relay.config.flavour;
            let request = match by_flavour.get(&flavour) {
                Some(request) => request.clone(),
                None => {
                    let request = encode(flavour)?;
                    by_flavour.insert(flavour, request.clone());
                    request
                }
            };
            bodies.insert(request.body.clone());
            let signature = match relay.auth {
                Auth::Flashbots => Some(match signatures.get(&request.body) {
                    Some(signature) => signature.clone(),
                    None => {
                        let signature: Arc<str> =
                            sign_body(&self.identity, &request.body).await?.into();
                        metrics::record_signature();
                        signatures.insert(request.body.clone(), signature.clone());
                        signature
                    }
                }),
                Auth::None | Auth::Header(..) => None,
            };
            planned.push((
                relay,
                Some(Planned { method: request.method, body: request.body, signature }),
            ));
        }
        Ok(Prepared {
            kind,
            bundle_hash,
            replacement_uuid,
            target_block,
            targets: planned,
            bodies: bodies.len(),
            signatures: signatures.len(),
        })
    }

    /// Sends `prepared` to its relays, each in its own task, and streams one record per relay
    /// in completion order. The requests run even if the stream is dropped, but their records
    /// are then lost: drive it to the end.
    pub fn dispatch(
        &self,
        prepared: Prepared,
    ) -> impl Stream<Item = SubmissionRecord> + Send + Unpin + 'static {
        let Prepared { kind, bundle_hash, replacement_uuid, target_block, targets, .. } = prepared;
        let pending = FuturesUnordered::<BoxFuture<'static, SubmissionRecord>>::new();
        for (relay, plan) in targets {
            let (name, flavour) = (relay.config.name.clone(), relay.config.flavour);
            let record =
                move |method, sent_at_ms, latency, http_status, outcome| SubmissionRecord {
                    kind,
                    bundle_hash,
                    replacement_uuid,
                    target_block,
                    relay: name,
                    flavour,
                    method,
                    sent_at_ms,
                    latency,
                    http_status,
                    outcome,
                };
            let Some(plan) = plan else {
                // Only cancels are ever unsupported; name the method this flavour would use.
                let method = match flavour.cancel_form() {
                    CancelForm::CancelBundle => encode::ETH_CANCEL_BUNDLE,
                    CancelForm::EmptyBundle => flavour.send_method(),
                };
                let skipped =
                    record(method, unix_ms(), Duration::ZERO, None, RelayOutcome::Unsupported);
                pending.push(futures::future::ready(skipped).boxed());
                continue;
            };
            if relay.limiter.as_ref().is_some_and(|l| !l.try_acquire()) {
                pending.push(
                    futures::future::ready(record(
                        plan.method,
                        unix_ms(),
                        Duration::ZERO,
                        None,
                        RelayOutcome::RateLimited,
                    ))
                    .boxed(),
                );
                continue;
            }
            let sent_at_ms = unix_ms();
            let method = plan.method;
            let task = tokio::spawn(send_one(self.client.clone(), relay.clone(), plan));
            pending.push(
                async move {
                    let (latency, http_status, outcome) = task.await.unwrap_or_else(|e| {
                        (
                            Duration::ZERO,
                            None,
                            RelayOutcome::Transport {
                                message: format!("request task failed: {e}"),
                            },
                        )
                    });
                    record(method, sent_at_ms, latency, http_status, outcome)
                }
                .boxed(),
            );
        }
        pending.inspect(|r| {
            metrics::record_submission(&r.relay, r.kind, &r.outcome, r.latency);
            debug!(
                target: "bundles::fanout",
                relay = %r.relay,
                kind = r.kind.as_str(),
                bundle_hash = %r.bundle_hash,
                block = r.target_block,
                outcome = r.outcome.label(),
                latency_ms = r.latency.as_secs_f64() * 1e3,
                "relay answered"
            );
            if !r.outcome.is_accepted() {
                warn!(target: "bundles::fanout", relay = %r.relay, outcome = ?r.outcome, "relay did not accept");
            }
        })
    }

    /// [`Self::prepare_send`] then [`Self::dispatch`], collecting every record.
    pub async fn send_bundle(&self, bundle: &Bundle) -> Result<Vec<SubmissionRecord>, FanoutError> {
        Ok(self.dispatch(self.prepare_send(bundle).await?).collect().await)
    }

    /// [`Self::prepare_cancel`] then [`Self::dispatch`], collecting every record.
    pub async fn cancel(&self, cancel: &Cancel) -> Result<Vec<SubmissionRecord>, FanoutError> {
        Ok(self.dispatch(self.prepare_cancel(cancel).await?).collect().await)
    }

    /// [`Self::prepare_mev_share`] then [`Self::dispatch`], collecting every record.
    pub async fn send_mev_share(
        &self,
        backrun: &MevShareBackrun,
    ) -> Result<Vec<SubmissionRecord>, FanoutError> {
        Ok(self.dispatch(self.prepare_mev_share(backrun).await?).collect().await)
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

fn resolve(
    config: &RelayConfig,
    secret: &impl Fn(&str) -> Option<String>,
) -> Result<Relay, FanoutError> {
    let url = reqwest::Url::parse(&config.url).map_err(|e| FanoutError::InvalidUrl {
        relay: config.name.clone(),
        url: config.url.clone(),
        message: e.to_string(),
    })?;
    let auth = match config.effective_auth() {
        AuthConfig::Flashbots => Auth::Flashbots,
        AuthConfig::None => Auth::None,
        AuthConfig::Header { name, value_from_env } => {
            let value = secret(&value_from_env).ok_or_else(|| FanoutError::MissingSecret {
                relay: config.name.clone(),
                var: value_from_env.clone(),
            })?;
            let invalid =
                || FanoutError::InvalidHeader { relay: config.name.clone(), name: name.clone() };
            let header = HeaderName::try_from(name.as_str()).map_err(|_| invalid())?;
            let mut value = HeaderValue::try_from(value).map_err(|_| invalid())?;
            value.set_sensitive(true);
            Auth::Header(header, value)
        }
    };
    let limiter = config.effective_rate_limit().map(RateLimiter::new);
    Ok(Relay { config: config.clone(), url, auth, limiter })
}

/// One request to one relay under its timeout: (latency, HTTP status, outcome).
async fn send_one(
    client: reqwest::Client,
    relay: Arc<Relay>,
    plan: Planned,
) -> (Duration, Option<u16>, RelayOutcome) {
    let mut request =
        client.post(relay.url.clone()).header(CONTENT_TYPE, "application/json").body(plan.body.0);
    if let Some(signature) = &plan.signature {
        request = request.header(FLASHBOTS_SIGNATURE_HEADER, signature.as_ref());
    }
    if let Auth::Header(name, value) = &relay.auth {
        request = request.header(name.clone(), value.clone());
    }
    let start = Instant::now();
    let exchange = async {
        let mut response = request.send().await?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ANSWER_BYTES {
                return Ok::<_, reqwest::Error>((status, body, true));
            }
        }
        Ok((status, body, false))
    };
    let answer = tokio::time::timeout(relay.config.timeout(), exchange).await;
    let latency = start.elapsed();
    match answer {
        Err(_) => (latency, None, RelayOutcome::Timeout),
        Ok(Err(e)) if e.is_timeout() => (latency, None, RelayOutcome::Timeout),
        Ok(Err(e)) => (latency, None, RelayOutcome::Transport { message: error_chain(&e) }),
        Ok(Ok((status, body, true))) => {
            let outcome = if (200..300).contains(&status) {
                RelayOutcome::Garbage { snippet: snippet(&body) }
            } else {
                RelayOutcome::HttpError { status, snippet: snippet(&body) }
            };
            (latency, Some(status), outcome)
        }
        Ok(Ok((status, body, false))) => (latency, Some(status), classify_answer(status, &body)),
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Milliseconds since the unix epoch.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}

    #[test]
    fn fanout_is_shareable_and_its_futures_spawnable() {
        let fanout = Fanout::new(&[], PrivateKeySigner::random()).unwrap();
        send_sync(&fanout);
        let bundle = Bundle::new(vec![Bytes::from_static(&[1])], 1).unwrap();
        send(fanout.prepare_send(&bundle));
        send(fanout.send_bundle(&bundle));
        let stream =
            fanout.dispatch(futures::executor::block_on(fanout.prepare_send(&bundle)).unwrap());
        assert_eq!(futures::executor::block_on(stream.count()), 0);
    }
}
