//! Relay configuration: the `[[relays]]` tables of the searcher's TOML config.
//!
//! Every field but `name`, `url` and `flavour` has a default; defaults that depend on the
//! builder (auth, rate limit) come from [`RelayFlavour`] so that a minimal entry is correct.
//!
//! ```toml
//! [[relays]]
//! name = "flashbots"
//! url = "https://relay.flashbots.net"
//! flavour = "flashbots"          # auth defaults to the X-Flashbots-Signature
//! mev-share = true               # also receives mev_sendBundle
//!
//! [[relays]]
//! name = "bloxroute"
//! url = "https://mev.api.blxrbdn.com"
//! flavour = "bloxroute"
//! auth = { kind = "header", name = "Authorization", value-from-env = "BLOXROUTE_AUTH_HEADER" }
//! timeout-ms = 1500
//! rate-limit = { requests = 100, window-ms = 1000 }
//! ```

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Default per-relay timeout of one request, in milliseconds (connect to last body byte).
pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;
/// Default for [`RelayConfig::supports_cancel`].
pub const DEFAULT_SUPPORTS_CANCEL: bool = true;
/// Default environment variable holding bloXroute's `Authorization` header value.
pub const DEFAULT_BLOXROUTE_AUTH_ENV: &str = "BLOXROUTE_AUTH_HEADER";

/// Flashbots' documented limit for `eth_sendBundle`: 1800 per IP per minute.
pub const FLASHBOTS_RATE_LIMIT: RateLimitConfig =
    RateLimitConfig { requests: 1_800, window_ms: 60_000 };
/// BuilderNet's documented limit: 1000 requests per 10 s.
pub const BUILDERNET_RATE_LIMIT: RateLimitConfig =
    RateLimitConfig { requests: 1_000, window_ms: 10_000 };

/// One builder or relay endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RelayConfig {
    /// Unique name, used in records, metrics and logs.
    pub name: String,
    /// JSON-RPC endpoint (HTTP or HTTPS).
    pub url: String,
    /// Which builder dialect the endpoint speaks.
    pub flavour: RelayFlavour,
    /// How requests are authenticated; `None` uses [`RelayFlavour::default_auth`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthConfig>,
    /// Timeout of one request in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Client-side rate limit; `None` uses [`RelayFlavour::default_rate_limit`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitConfig>,
    /// Whether bundles sent here can be cancelled (by the flavour's [`crate::CancelForm`]).
    #[serde(default = "default_supports_cancel")]
    pub supports_cancel: bool,
    /// Whether this endpoint also receives MEV-Share `mev_sendBundle` backruns.
    #[serde(default)]
    pub mev_share: bool,
    /// A disabled relay is ignored entirely (no requests, no records).
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// The builders this relay hands bundles to, by the names the builder rules give them
    /// (`[[builders]]` and the well-known mainnet names). A landing is credited to this relay
    /// in `searcher bundles` only when one of them built the block; empty means the relay's
    /// own name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub builders: Vec<String>,
}

impl RelayConfig {
    /// Whether a block built by `builder` counts as a landing through this relay.
    pub fn credits(&self, builder: &str) -> bool {
        if self.builders.is_empty() {
            self.name.eq_ignore_ascii_case(builder)
        } else {
            self.builders.iter().any(|b| b.eq_ignore_ascii_case(builder))
        }
    }
}

impl RelayConfig {
    /// A relay with every optional field at its default.
    pub fn new(name: impl Into<String>, url: impl Into<String>, flavour: RelayFlavour) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            flavour,
            auth: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            rate_limit: None,
            supports_cancel: DEFAULT_SUPPORTS_CANCEL,
            mev_share: false,
            enabled: true,
            builders: Vec::new(),
        }
    }

    /// The auth in force: the configured one or the flavour's default.
    pub fn effective_auth(&self) -> AuthConfig {
        self.auth.clone().unwrap_or_else(|| self.flavour.default_auth())
    }

    /// The rate limit in force: the configured one or the flavour's default (`None`: unlimited).
    pub fn effective_rate_limit(&self) -> Option<RateLimitConfig> {
        self.rate_limit.or_else(|| self.flavour.default_rate_limit())
    }

    /// The request timeout as a [`Duration`].
    pub const fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// How a relay authenticates requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AuthConfig {
    /// `X-Flashbots-Signature` over the body with the identity key.
    Flashbots,
    /// No authentication.
    None,
    /// A static header whose value is read from an environment variable at start-up
    /// (never from the config file itself, never logged).
    Header {
        /// Header name, e.g. `Authorization`.
        name: String,
        /// Environment variable that holds the header value.
        #[serde(rename = "value-from-env")]
        value_from_env: String,
    },
}

/// Client-side rate limit: at most `requests` per `window_ms` (token bucket, starts full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Bucket capacity and refill per window.
    pub requests: u32,
    /// Window length in milliseconds.
    pub window_ms: u64,
}

/// The builder dialect of an endpoint (see `shared/protocols.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelayFlavour {
    /// relay.flashbots.net: signature required, shares with BuilderNet.
    Flashbots,
    /// rpc.buildernet.org: signature required; cancel is the same uuid with empty `txs`.
    Buildernet,
    /// rpc.titanbuilder.xyz: signature optional; may answer a bare `200`.
    Titan,
    /// rpc.beaverbuild.org: no signature; cancel is an empty bundle with the same uuid.
    Beaverbuild,
    /// rsync: `refundPercent` without `refundRecipient` discards the bundle.
    Rsync,
    /// bloXroute: `blxr_submit_bundle`, object params, snake_case, raw txs without `0x`.
    Bloxroute,
}

impl RelayFlavour {
    /// All flavours, in declaration order.
    pub const ALL: [Self; 6] = [
        Self::Flashbots,
        Self::Buildernet,
        Self::Titan,
        Self::Beaverbuild,
        Self::Rsync,
        Self::Bloxroute,
    ];

    /// The name used in config, records and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Flashbots => "flashbots",
            Self::Buildernet => "buildernet",
            Self::Titan => "titan",
            Self::Beaverbuild => "beaverbuild",
            Self::Rsync => "rsync",
            Self::Bloxroute => "bloxroute",
        }
    }

    /// Auth used when the config names none. Signing costs nothing and identifies us to
    /// builders that use it for reputation, so every `eth_sendBundle` flavour signs except
    /// beaverbuild, which documents none; bloXroute needs its paid-plan header.
    pub fn default_auth(self) -> AuthConfig {
        match self {
            Self::Flashbots | Self::Buildernet | Self::Titan | Self::Rsync => AuthConfig::Flashbots,
            Self::Beaverbuild => AuthConfig::None,
            Self::Bloxroute => AuthConfig::Header {
                name: "Authorization".to_owned(),
                value_from_env: DEFAULT_BLOXROUTE_AUTH_ENV.to_owned(),
            },
        }
    }

    /// Documented limits: Flashbots 1800/min, BuilderNet 1000/10 s; others unlimited.
    pub const fn default_rate_limit(self) -> Option<RateLimitConfig> {
        match self {
            Self::Flashbots => Some(FLASHBOTS_RATE_LIMIT),
            Self::Buildernet => Some(BUILDERNET_RATE_LIMIT),
            _ => None,
        }
    }
}

impl std::fmt::Display for RelayFlavour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

const fn default_supports_cancel() -> bool {
    DEFAULT_SUPPORTS_CANCEL
}

const fn default_enabled() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct File {
        relays: Vec<RelayConfig>,
    }

    #[test]
    fn minimal_and_full_entries_parse_with_defaults() {
        let file: File = toml::from_str(
            r#"
            [[relays]]
            name = "flashbots"
            url = "https://relay.flashbots.net"
            flavour = "flashbots"

            [[relays]]
            name = "blx"
            url = "https://mev.api.blxrbdn.com"
            flavour = "bloxroute"
            auth = { kind = "header", name = "Authorization", value-from-env = "BLX" }
            timeout-ms = 1500
            rate-limit = { requests = 10, window-ms = 1000 }
            supports-cancel = false
            mev-share = false
            enabled = false

            [[relays]]
            name = "beaver"
            url = "https://rpc.beaverbuild.org"
            flavour = "beaverbuild"
            auth = { kind = "flashbots" }
            "#,
        )
        .unwrap();
        let fb = &file.relays[0];
        assert_eq!(fb.timeout(), Duration::from_millis(DEFAULT_TIMEOUT_MS));
        assert_eq!(fb.effective_auth(), AuthConfig::Flashbots);
        assert_eq!(fb.effective_rate_limit(), Some(FLASHBOTS_RATE_LIMIT));
        assert!(fb.supports_cancel && fb.enabled && !fb.mev_share);

        let blx = &file.relays[1];
        assert_eq!(
            blx.effective_auth(),
            AuthConfig::Header { name: "Authorization".into(), value_from_env: "BLX".into() }
        );
        assert_eq!(
            blx.effective_rate_limit(),
            Some(RateLimitConfig { requests: 10, window_ms: 1000 })
        );
        assert!(!blx.supports_cancel && !blx.enabled);
        assert_eq!(file.relays[2].effective_auth(), AuthConfig::Flashbots);
    }

    #[test]
    fn unknown_fields_and_flavours_are_errors() {
        assert!(toml::from_str::<RelayConfig>("name='a'\nurl='u'\nflavour='nope'").is_err());
        assert!(
            toml::from_str::<RelayConfig>("name='a'\nurl='u'\nflavour='titan'\ntimeout=1").is_err()
        );
    }
}
