//! The searcher's configuration: one TOML file (`searcher.example.toml` documents every key
//! with its default), overridable by environment variables and dotted CLI flags.
//!
//! Precedence, lowest first: built-in defaults, the file, `SEARCHER__SECTION__KEY=value`
//! environment variables, `--set section.key=value` flags. Override values are parsed as TOML
//! (`42`, `true`, `"text"`, `[1, 2]`), falling back to a plain string.
//!
//! Secrets are never configuration values: `[keys.*]` only *names* a keystore file or an
//! environment variable (see [`crate::keys`]).

use crate::{
    exec::{bid::BidPolicy, nonce::NoncePolicy},
    keys::KeySource,
    market::config::MarketConfig,
    watch::NodeEndpoint,
};
use alloy::primitives::{Address, U256};
use bundles::{config::RelayConfig, inclusion::BuilderRule};
use eyre::{WrapErr, bail, eyre};
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf};

/// Prefix of environment overrides; `__` separates path segments.
pub const ENV_PREFIX: &str = "SEARCHER__";
/// Default store file.
pub const DEFAULT_STORE_PATH: &str = "searcher.db";
/// Default Prometheus listen address.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// The node.
    pub node: NodeConfig,
    /// Keys (sources only).
    pub keys: KeysConfig,
    /// The executor contract.
    pub executor: ExecutorConfig,
    /// Pool discovery and sync.
    #[serde(default)]
    pub market: MarketConfig,
    /// Strategy knobs.
    #[serde(default)]
    pub strategy: StrategyConfig,
    /// Bid policy.
    #[serde(default)]
    pub bid: BidPolicy,
    /// Risk limits.
    #[serde(default)]
    pub risk: RiskConfig,
    /// Builder relays.
    #[serde(default)]
    pub relays: Vec<RelayConfig>,
    /// Extra rules naming the builder of a block by fee recipient or `extraData` (checked
    /// before the built-in mainnet names).
    #[serde(default)]
    pub builders: Vec<BuilderRule>,
    /// The embedded database.
    #[serde(default)]
    pub store: StoreConfig,
    /// Prometheus endpoint.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Alert webhook.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// The MEV-Share hint stream.
    #[serde(default)]
    pub mev_share: MevShareConfig,
}

/// `[mev-share]`: the MEV-Share hint stream, a second order-flow source beside the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct MevShareConfig {
    /// The SSE event stream (`https://mev-share.flashbots.net` on mainnet). Unset: the source
    /// is off.
    pub url: Option<String>,
    /// Capacity of the hint channel (full: hints are dropped and counted).
    pub capacity: usize,
}

impl Default for MevShareConfig {
    fn default() -> Self {
        Self { url: None, capacity: crate::watch::hints::DEFAULT_HINT_CAPACITY }
    }
}

/// `[node]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NodeConfig {
    /// IPC path (preferred) or `ws://` URL.
    pub endpoint: NodeEndpoint,
    /// Chain id; checked against the node at start.
    #[serde(default)]
    pub chain_id: Option<u64>,
}

/// `[keys]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct KeysConfig {
    /// Signs backruns; the executor's owner.
    pub trading: KeySource,
    /// Signs relay requests only; holds no funds.
    pub identity: KeySource,
}

/// `[executor]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExecutorConfig {
    /// Deployed executor address.
    pub address: Address,
    /// The cold wallet the executor sweeps to (checked against the contract).
    #[serde(default)]
    pub cold_wallet: Option<Address>,
    /// Capital source for backruns: `inventory` (WETH held by the executor) or `flash`
    /// (the cycle's last pool lends: a V2 flash swap, or a V3 swap that calls back).
    #[serde(default)]
    pub capital: Capital,
}

pub use crate::exec::calldata::Capital;

/// Default headroom on simulated gas for the gas limit (basis points of gas used).
pub const DEFAULT_GAS_LIMIT_HEADROOM_BPS: u32 = 13_000;

/// `[strategy]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct StrategyConfig {
    /// Gas limit = simulated gas × this / 10,000.
    pub gas_limit_headroom_bps: u32,
    /// Gas assumed per hop before simulation, to pre-filter candidates.
    pub gas_estimate_per_hop: u64,
    /// Largest input the sizing search may choose (wei of the base token).
    pub max_input_wei: U256,
    /// Candidates simulated per victim (best first).
    pub max_candidates: usize,
    /// How nonces are assigned to several backruns for one block.
    pub nonce_policy: NoncePolicy,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        Self {
            gas_limit_headroom_bps: DEFAULT_GAS_LIMIT_HEADROOM_BPS,
            gas_estimate_per_hop: 60_000,
            max_input_wei: U256::from(100u128 * 10u128.pow(18)),
            max_candidates: 3,
            nonce_policy: NoncePolicy::default(),
        }
    }
}

/// `[risk]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct RiskConfig {
    /// Never send a bundle netting less than this (wei), whatever the bid policy says.
    pub min_profit_wei: U256,
    /// Never bid more than this (wei).
    pub max_bid_wei: U256,
    /// Never pay more than this per gas (wei).
    pub max_gas_price_wei: u64,
    /// Gas spend (wei) allowed per UTC day by landed backruns; sending stops once reached.
    pub daily_gas_budget_wei: U256,
    /// Tokens never traded.
    pub deny_tokens: Vec<Address>,
    /// If this file exists, no new bundle is sent (checked on every head and candidate).
    pub kill_switch_file: Option<PathBuf>,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            min_profit_wei: U256::ZERO,
            max_bid_wei: U256::from(10u128.pow(18)),
            max_gas_price_wei: 500 * 10u64.pow(9),
            daily_gas_budget_wei: U256::from(10u128.pow(18)),
            deny_tokens: Vec::new(),
            kill_switch_file: Some(PathBuf::from("searcher.kill")),
        }
    }
}

/// `[store]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite file.
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { path: PathBuf::from(DEFAULT_STORE_PATH) }
    }
}

/// `[metrics]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct MetricsConfig {
    /// Listen address of the Prometheus endpoint; `None` disables it.
    pub listen: Option<SocketAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { listen: DEFAULT_METRICS_LISTEN.parse().ok() }
    }
}

/// `[alerts]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AlertsConfig {
    /// Environment variable holding the webhook URL (it may embed a bot token, so it is a
    /// secret: never in the file). Telegram: `https://api.telegram.org/bot<TOKEN>/sendMessage`.
    pub webhook_url_env: Option<String>,
    /// Telegram chat id (sent as `chat_id`); other webhooks get `{"text": ...}` only.
    pub telegram_chat_id: Option<String>,
    /// Alert on every landed bundle netting at least this (wei).
    pub landed_profit_threshold_wei: U256,
    /// Alert when this many errors happen within `error_burst_window_secs`.
    pub error_burst_count: u32,
    /// The error-burst window.
    pub error_burst_window_secs: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            webhook_url_env: None,
            telegram_chat_id: None,
            landed_profit_threshold_wei: U256::from(10u128.pow(17)),
            error_burst_count: 20,
            error_burst_window_secs: 60,
        }
    }
}

impl Config {
    /// Loads `path` (if given), then applies environment (`SEARCHER__…`) and CLI overrides.
    pub fn load(path: Option<&std::path::Path>, cli_overrides: &[String]) -> eyre::Result<Self> {
        Self::load_with_env(path, cli_overrides, std::env::vars())
    }

    /// [`Self::load`] with the environment given (tests inject theirs instead of mutating the
    /// process's, which other threads read).
    pub fn load_with_env(
        path: Option<&std::path::Path>,
        cli_overrides: &[String],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> eyre::Result<Self> {
        let mut value = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .wrap_err_with(|| format!("reading config {}", path.display()))?;
                toml::from_str::<toml::Value>(&text)
                    .map_err(|err| eyre!("config {}: {}", path.display(), located(&text, &err)))?
            }
            None => toml::Value::Table(Default::default()),
        };
        for (key, raw) in env {
            if let Some(rest) = key.strip_prefix(ENV_PREFIX) {
                let dotted = rest.split("__").map(|s| s.to_lowercase().replace('_', "-"));
                let dotted: Vec<String> = dotted.collect();
                set_path(&mut value, &dotted.join("."), &raw)
                    .wrap_err_with(|| format!("environment override {key}"))?;
            }
        }
        for flag in cli_overrides {
            let (k, v) = flag
                .split_once('=')
                .ok_or_else(|| eyre!("--set {flag}: expected section.key=value"))?;
            set_path(&mut value, k.trim(), v).wrap_err_with(|| format!("--set {flag}"))?;
        }
        // The path of an unknown or ill-typed key is named: `strategy: unknown field ...`.
        let config: Self = serde_path_to_error::deserialize(value).map_err(|err| {
            let at = err.path().to_string();
            let origin = path.map_or_else(String::new, |p| format!("{}: ", p.display()));
            if at.is_empty() || at == "." {
                eyre!("config {origin}{}", err.inner())
            } else {
                eyre!("config {origin}at `{at}`: {}", err.inner())
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Cross-field checks.
    pub fn validate(&self) -> eyre::Result<()> {
        if self.keys.trading == self.keys.identity {
            bail!("keys.identity must be a different key from keys.trading");
        }
        if self.bid.share_bps > 10_000 {
            bail!("bid.share-bps must be at most 10000");
        }
        let mut names = std::collections::HashSet::new();
        for relay in &self.relays {
            if !names.insert(relay.name.as_str()) {
                bail!("relay name {:?} appears twice", relay.name);
            }
        }
        Ok(())
    }
}

/// A TOML parse error on one line: `line L, column C: message`.
fn located(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim();
    match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message.to_owned(),
    }
}

/// Sets `a.b.c = raw` in a TOML tree, creating tables on the way.
fn set_path(root: &mut toml::Value, dotted: &str, raw: &str) -> eyre::Result<()> {
    let parts: Vec<&str> = dotted.split('.').filter(|p| !p.is_empty()).collect();
    let Some((last, parents)) = parts.split_last() else { bail!("empty key") };
    let mut node = root;
    for part in parents {
        let table = node.as_table_mut().ok_or_else(|| eyre!("{part}: not a table"))?;
        node = table
            .entry((*part).to_owned())
            .or_insert_with(|| toml::Value::Table(Default::default()));
    }
    let table = node.as_table_mut().ok_or_else(|| eyre!("{dotted}: parent is not a table"))?;
    table.insert((*last).to_owned(), parse_value(raw));
    Ok(())
}

fn parse_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [node]
        endpoint = "/tmp/reth.ipc"
        [keys.trading]
        source = "env"
        var = "SEARCHER_TRADING_KEY"
        [keys.identity]
        source = "env"
        var = "SEARCHER_IDENTITY_KEY"
        [executor]
        address = "0x00000000000000000000000000000000000000ee"
    "#;

    #[test]
    fn example_config_parses_with_every_documented_key() {
        // The runtime variable cargo sets for tests, not `env!`: the build directory is shared
        // between checkouts, and a compiled-in path would point into whichever built it.
        let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test");
        let path = std::path::Path::new(&manifest).join("../searcher.example.toml");
        let config = Config::load_with_env(Some(&path), &[], []).unwrap();
        assert!(!config.relays.is_empty());
        assert!(!config.market.factories.is_empty());
        // The README's promise: every section with defaults shows exactly its defaults.
        assert_eq!(config.strategy, StrategyConfig::default(), "[strategy]");
        assert_eq!(config.bid, BidPolicy::default(), "[bid]");
        assert_eq!(config.risk, RiskConfig::default(), "[risk]");
        assert_eq!(config.store, StoreConfig::default(), "[store]");
        assert_eq!(config.metrics, MetricsConfig::default(), "[metrics]");
        assert_eq!(config.alerts, AlertsConfig::default(), "[alerts]");
        assert_eq!(config.mev_share, MevShareConfig::default(), "[mev-share]");
        let defaults = MarketConfig::default();
        assert_eq!(
            MarketConfig { factories: defaults.factories.clone(), ..config.market.clone() },
            defaults,
            "[market] (besides the example's factories)"
        );
    }

    #[test]
    fn overrides_apply_in_order_and_values_are_typed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        let env = [
            ("SEARCHER__BID__SHARE_BPS".to_owned(), "5000".to_owned()),
            ("SEARCHER__RISK__MAX_GAS_PRICE_WEI".to_owned(), "9".to_owned()),
            ("UNRELATED".to_owned(), "x".to_owned()),
        ];
        let config = Config::load_with_env(
            Some(&path),
            &["node.endpoint=ws://127.0.0.1:8546".into(), "risk.max-gas-price-wei=7".into()],
            env,
        )
        .unwrap();
        assert_eq!(config.node.endpoint, NodeEndpoint::Ws("ws://127.0.0.1:8546".into()));
        assert_eq!(config.bid.share_bps, 5000);
        // The flag wins over the environment, which wins over the file.
        assert_eq!(config.risk.max_gas_price_wei, 7);
        assert_eq!(config.store.path, PathBuf::from(DEFAULT_STORE_PATH));
    }

    #[test]
    fn rejects_unknown_keys_same_keys_and_http_nodes() {
        let bad = format!("{MINIMAL}\n[strategy]\nmax-hopz = 3\n");
        assert!(toml::from_str::<Config>(&bad).is_err());
        let same = MINIMAL.replace("SEARCHER_IDENTITY_KEY", "SEARCHER_TRADING_KEY");
        let config: Config = toml::from_str(&same).unwrap();
        assert!(config.validate().is_err());
        let http = MINIMAL.replace("/tmp/reth.ipc", "http://127.0.0.1:8545");
        assert!(toml::from_str::<Config>(&http).is_err());
    }
}
