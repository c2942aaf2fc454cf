//! The searcher as an operator runs it: a separate `searcher run --config` process on the
//! devnet, its executor deployed by `forge script` and funded, its keys in the environment;
//! and what a test reads from it: its Prometheus metrics, its store (`searcher bundles`), its
//! log.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, TxHash, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use searcher::{abi::IERC20, config::Config};
use searcher_devnet::{
    DevBuilders, Devnet, Role,
    abi::IUniswapV2Router02,
    setup::{
        BlockTicker, DEMO_IDENTITY_KEY_ENV, DEMO_TRADING_KEY_ENV, SearcherSetup, deploy_executor,
        fund_executor, searcher_config, write_config,
    },
};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

/// One ether in wei.
pub const ETHER: u128 = 1_000_000_000_000_000_000;

/// A devnet with two builder-relays and a deployed, funded executor.
#[derive(Debug)]
pub struct Rig {
    /// The chain.
    pub devnet: Devnet,
    /// The builder-relays.
    pub builders: Arc<DevBuilders>,
    /// The searcher's executor (50 WETH of inventory).
    pub executor: Address,
    /// A directory for configs, logs and stores.
    pub dir: tempfile::TempDir,
    trading_key: String,
    identity_key: String,
}

impl Rig {
    /// Starts it, or `None` when the test is skipped (see [`crate::devnet_or_skip`]).
    ///
    /// # Panics
    /// When the devnet, the builders or the executor cannot be set up.
    pub async fn start(test: &str) -> Option<Self> {
        let devnet = crate::devnet_or_skip(test).await?;
        let builders = Arc::new(DevBuilders::start(&devnet).await.expect("builders"));
        let ticker = BlockTicker::start(builders.clone(), Duration::from_millis(200));
        let executor = deploy_executor(&devnet).await.expect("executor deployed");
        fund_executor(&devnet, executor, U256::from(50 * ETHER)).await.expect("funded");
        ticker.stop().await;
        let trading_key =
            format!("0x{}", alloy::hex::encode(devnet.signer(Role::Searcher).to_bytes()));
        let identity_key = alloy::hex::encode(PrivateKeySigner::random().to_bytes());
        // `SEARCHER_KEEP_TEST_DIR=1` keeps configs, logs and stores for a post-mortem.
        let keep = std::env::var("SEARCHER_KEEP_TEST_DIR").is_ok_and(|v| v == "1");
        let dir =
            tempfile::Builder::new().prefix(test).disable_cleanup(keep).tempdir().expect("tempdir");
        if keep {
            #[expect(clippy::print_stderr, reason = "the kept directory is for a human to read")]
            {
                eprintln!("{test}: keeping {}", dir.path().display());
            }
        }
        Some(Self { devnet, builders, executor, dir, trading_key, identity_key })
    }

    /// The devnet config of a searcher named `name`: its store at `store` (default:
    /// `<dir>/<name>.db`), metrics on a free port.
    pub fn config(&self, name: &str, store: Option<PathBuf>) -> Config {
        let setup = SearcherSetup {
            executor: self.executor,
            relays: self.builders.relay_configs(),
            builders: self.builders.builder_rules(),
            store: store.unwrap_or_else(|| self.dir.path().join(format!("{name}.db"))),
            metrics: Some(free_port()),
            kill_switch_file: None,
        };
        searcher_config(&self.devnet, &setup)
    }

    /// Starts `searcher run` with `config` (written to `<dir>/<name>.toml`, logging to
    /// `<dir>/<name>.log`).
    ///
    /// # Panics
    /// When the process cannot start.
    pub fn spawn(&self, name: &str, config: &Config) -> SearcherProcess {
        let config_path = self.dir.path().join(format!("{name}.toml"));
        write_config(config, &config_path).expect("config written");
        let log_path = self.dir.path().join(format!("{name}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("log file");
        let child = tokio::process::Command::new(crate::searcher_bin())
            .args(["run", "--config"])
            .arg(&config_path)
            .env(DEMO_TRADING_KEY_ENV, &self.trading_key)
            .env(DEMO_IDENTITY_KEY_ENV, &self.identity_key)
            .env("RUST_LOG", "info,searcher=debug,searcher::state=info,sqlx=warn")
            .env("NO_COLOR", "1")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("searcher run starts");
        SearcherProcess {
            child,
            metrics: config.metrics.listen.expect("metrics address"),
            log: log_path,
            db: config.store.path.clone(),
        }
    }

    /// A trader buys TKA with `weth_milli` thousandths of WETH on the V2 `dex`; the pending
    /// transaction's hash.
    ///
    /// # Panics
    /// When the node refuses it.
    pub async fn swap(&self, trader: usize, dex: &str, weth_milli: u64) -> TxHash {
        let a = &self.devnet.addresses;
        let tka = a.token("TKA").expect("TKA");
        let from = self.devnet.address(Role::Trader(trader));
        let router =
            IUniswapV2Router02::new(a.v2_dex(dex).expect("dex").router, self.devnet.provider());
        let amount = U256::from(weth_milli) * U256::from(ETHER / 1000);
        let tx = router
            .swapExactTokensForTokens(amount, U256::ZERO, vec![a.weth, tka], from, U256::MAX)
            .from(from)
            .into_transaction_request()
            .with_gas_limit(300_000);
        *self.devnet.provider().send_transaction(tx).await.expect("swap sent").tx_hash()
    }

    /// WETH held by `who`.
    ///
    /// # Panics
    /// When the node does not answer.
    pub async fn weth_of(&self, who: Address) -> U256 {
        IERC20::new(self.devnet.addresses.weth, self.devnet.provider())
            .balanceOf(who)
            .call()
            .await
            .expect("balanceOf")
    }

    /// Whether the block `number` carries our backrun right after `victim`.
    ///
    /// # Panics
    /// When the node does not answer or the victim is not in the block.
    pub async fn backrun_follows(&self, number: u64, victim: TxHash) -> bool {
        let provider = self.devnet.provider();
        let block =
            provider.get_block_by_number(number.into()).await.expect("block").expect("block");
        let hashes: Vec<TxHash> = block.transactions.hashes().collect();
        let Some(at) = hashes.iter().position(|h| *h == victim) else { return false };
        let Some(next) = hashes.get(at + 1) else { return false };
        let tx = provider.get_transaction_by_hash(*next).await.expect("tx").expect("tx");
        tx.inner.signer() == self.devnet.address(Role::Searcher)
    }
}

/// A free local TCP port (bound and released).
///
/// # Panics
/// When 127.0.0.1 cannot be bound.
pub fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// A running `searcher run`.
#[derive(Debug)]
pub struct SearcherProcess {
    child: tokio::process::Child,
    /// Its metrics endpoint.
    pub metrics: SocketAddr,
    /// Its log file.
    pub log: PathBuf,
    /// Its store.
    pub db: PathBuf,
}

impl SearcherProcess {
    /// The metrics page.
    ///
    /// # Panics
    /// When it never answers (10 s).
    pub async fn metrics_text(&self) -> String {
        metrics_text(self.metrics).await
    }

    /// The sum of the samples of `name` whose labels contain every one of `labels`.
    pub async fn metric(&self, name: &str, labels: &[&str]) -> f64 {
        counter(&self.metrics_text().await, name, labels)
    }

    /// Waits until `name{labels}` reaches `at_least`; the time it took, or `None` after
    /// `timeout`. Polls every 10 ms.
    pub async fn wait_metric(
        &self,
        name: &str,
        labels: &[&str],
        at_least: f64,
        timeout: Duration,
    ) -> Option<Duration> {
        wait_metric(self.metrics, name, labels, at_least, timeout).await
    }

    /// Waits until the searcher has applied head `block`.
    ///
    /// # Panics
    /// After 20 s.
    pub async fn wait_head(&self, block: u64) {
        let reached =
            self.wait_metric("searcher_head_block", &[], block as f64, Duration::from_secs(20));
        assert!(
            reached.await.is_some(),
            "searcher never reached block {block}:\n{}",
            self.log_tail()
        );
    }

    /// Waits until the engine says it runs (market ready, executor checked), then lets the
    /// subscriptions settle.
    ///
    /// # Panics
    /// After 30 s.
    pub async fn wait_ready(&self) {
        self.metrics_text().await;
        for _ in 0..300 {
            if self.log_text().contains("running executor=") {
                tokio::time::sleep(Duration::from_millis(500)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the searcher never started running:\n{}", self.log_tail());
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `SIGKILL`, and waits for it to be gone.
    ///
    /// # Panics
    /// When the process cannot be killed.
    pub async fn kill9(&mut self) {
        self.child.kill().await.expect("SIGKILL");
    }

    /// `SIGTERM`, and waits (20 s at most) for the exit status.
    ///
    /// # Panics
    /// When it does not stop in time.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("pid");
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill -TERM");
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("stops within 20 s")
            .expect("exit status")
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last 40 lines of the log (for failure messages).
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `searcher bundles --json --db` on its store.
    pub fn bundles_json(&self) -> (serde_json::Value, String) {
        bundles_json(&self.db)
    }

    /// Resident memory (KiB) and open file descriptors, from `/proc`.
    pub fn rss_kib_and_fds(&self) -> Option<(u64, usize)> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())?;
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
        Some((rss, fds))
    }
}

/// Waits until `name{labels}` at the metrics endpoint `addr` reaches `at_least`; the time it
/// took, or `None` after `timeout`. Polls every 10 ms.
pub async fn wait_metric(
    addr: SocketAddr,
    name: &str,
    labels: &[&str],
    at_least: f64,
    timeout: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Ok(resp) = reqwest::get(format!("http://{addr}/metrics")).await
            && let Ok(text) = resp.text().await
            && counter(&text, name, labels) >= at_least
        {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// The metrics page at `addr`.
///
/// # Panics
/// When it never answers (10 s).
pub async fn metrics_text(addr: SocketAddr) -> String {
    let url = format!("http://{addr}/metrics");
    for _ in 0..100 {
        if let Ok(resp) = reqwest::get(&url).await
            && let Ok(text) = resp.text().await
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("metrics endpoint {url} never answered");
}

/// The sum of the samples of `name` whose labels contain every one of `labels`.
pub fn counter(metrics: &str, name: &str, labels: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|l| {
            l.strip_prefix(name).is_some_and(|rest| rest.starts_with([' ', '{']))
                && labels.iter().all(|lab| l.contains(lab))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// `searcher bundles --json --db db`: the parsed review and everything it printed.
///
/// # Panics
/// When it fails or prints no JSON.
pub fn bundles_json(db: &Path) -> (serde_json::Value, String) {
    let out = std::process::Command::new(crate::searcher_bin())
        .args(["bundles", "--json", "--db"])
        .arg(db)
        .output()
        .expect("searcher bundles");
    assert!(
        out.status.success(),
        "searcher bundles failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let all = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
    (serde_json::from_str(&text).expect("valid JSON"), all)
}
