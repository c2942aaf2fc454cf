//! `searcher demo`: the whole loop on a local devnet, from nothing to a profit summary.
//!
//! 1. anvil with the real protocols (`searcher_devnet`) and two builder-relays taking turns;
//! 2. the executor deployed with `forge script script/Deploy.s.sol`, funded with WETH;
//! 3. the searcher, in this process, against the devnet over IPC, with the relays' URLs;
//! 4. a traffic generator sending victim swaps each block, some large enough to open a
//!    profitable gap, some not;
//! 5. live progress (a status line on a terminal, plain lines otherwise), then a summary, and
//!    the database left behind for `searcher bundles`.

use super::{output, run};
use alloy::{primitives::U256, signers::local::PrivateKeySigner};
use eyre::WrapErr;
use indicatif::{ProgressBar, ProgressStyle};
use searcher::{
    engine::{Engine, EngineOptions},
    keys::Keys,
    store::Store,
};
use searcher_devnet::{
    DevBuilders, Devnet, DevnetOptions, Role,
    setup::{
        BlockTicker, DEMO_IDENTITY_KEY_ENV, DEMO_TRADING_KEY_ENV, SearcherSetup, deploy_executor,
        fund_executor, searcher_config, write_config,
    },
    traffic::{Traffic, VictimSize},
};
use std::{io::IsTerminal, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};
use tokio::sync::watch;
use tracing::info;

/// `searcher demo` arguments.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Stop after this many blocks.
    #[arg(long, default_value_t = 20)]
    pub blocks: u64,
    /// Where the database and the generated config are left.
    #[arg(long, default_value = "demo-data")]
    pub dir: PathBuf,
    /// Time between blocks (the searcher's window to backrun).
    #[arg(long, default_value_t = 1500)]
    pub block_time_ms: u64,
    /// Victim swaps per block (at most 4).
    #[arg(long, default_value_t = 2)]
    pub victims_per_block: usize,
    /// Share of victims large enough to open a profitable gap, in percent.
    #[arg(long, default_value_t = 50)]
    pub large_percent: u64,
    /// Traffic seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Prometheus endpoint during the demo (`none` to disable).
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub metrics: String,
    /// Executor inventory (WETH).
    #[arg(long, default_value_t = 100)]
    pub inventory_weth: u64,
}

pub(super) async fn demo(args: DemoArgs) -> eyre::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .wrap_err_with(|| format!("creating {}", args.dir.display()))?;
    let dir = args.dir.canonicalize()?;
    let db = dir.join("searcher.db");
    for stale in ["searcher.db", "searcher.db-wal", "searcher.db-shm"] {
        let _ = std::fs::remove_file(dir.join(stale)); // a new chain: old records would not match
    }
    let metrics: Option<SocketAddr> = match args.metrics.as_str() {
        "none" | "" => None,
        addr => Some(addr.parse().wrap_err("--metrics")?),
    };
    run::install_metrics(metrics)?;

    let status = Status::new();
    status.say("starting the devnet (anvil + WETH9, Uniswap V2 x2, Uniswap V3, Balancer V2)");
    let devnet = Devnet::start(DevnetOptions::default()).await?;
    let builders = Arc::new(DevBuilders::start(&devnet).await?);
    status.say(&format!(
        "devnet up: chain {}, IPC {}, relays {}",
        devnet.chain_id(),
        devnet.ipc_path().display(),
        builders.relays().iter().map(|r| r.url().to_owned()).collect::<Vec<_>>().join(", ")
    ));

    let ticker = BlockTicker::start(builders.clone(), Duration::from_millis(300));
    status.say("deploying the executor: forge script script/Deploy.s.sol --broadcast");
    let executor = deploy_executor(&devnet).await?;
    let inventory = U256::from(args.inventory_weth) * U256::from(10u64).pow(U256::from(18));
    fund_executor(&devnet, executor, inventory).await?;
    ticker.stop().await;
    status
        .say(&format!("executor {executor} deployed and funded with {} WETH", args.inventory_weth));

    let setup = SearcherSetup {
        executor,
        relays: builders.relay_configs(),
        builders: builders.relays().iter().map(|r| r.identity().builder_rule()).collect(),
        store: db.clone(),
        metrics: None, // installed above, once per process
        kill_switch_file: Some(dir.join("searcher.kill")),
    };
    let config = searcher_config(&devnet, &setup);
    let config_path = dir.join("searcher.toml");
    write_config(&config, &config_path)?;
    let keys =
        Keys { trading: devnet.signer(Role::Searcher), identity: PrivateKeySigner::random() };
    info!(target: "searcher::demo", trading = %keys.trading.address(), identity = %keys.identity.address(), config = %config_path.display(), "keys: trading {DEMO_TRADING_KEY_ENV}, identity {DEMO_IDENTITY_KEY_ENV}");

    let engine = Engine::start(config, keys, EngineOptions::default()).await?;
    let (stop_engine, stop_rx) = watch::channel(false);
    // The engine and the traffic run side by side in this task (`Engine::run` is awaited in
    // place, as `searcher run` does).
    let traffic = async {
        tokio::time::sleep(Duration::from_millis(500)).await; // subscriptions in place
        let result = drive_traffic(&args, &devnet, &builders, &engine, &status).await;
        let _ = stop_engine.send(true);
        result
    };
    let (ran, large) = tokio::join!(engine.run(stop_rx), traffic);
    ran?;
    let large = large?;

    let store = Store::open(&db).await?;
    let totals = store.totals(0).await?;
    let relays = store.relay_stats(0, searcher::store::bundles::credit_by_name).await?;
    store.close().await;
    let s = engine.stats();
    output::line("");
    output::line("searcher demo: summary");
    output::line(format!("  blocks           {}", args.blocks));
    output::line(format!("  pending seen     {}", s.pending));
    output::line(format!(
        "  victims          {} ({large} sent large enough to open a gap)",
        s.victims
    ));
    output::line(format!("  with candidates  {}", s.candidates));
    output::line(format!("  bundles sent     {}", s.bundles));
    output::line(format!("  landed           {}", totals.landed));
    output::line(format!(
        "  profit realised  {} ETH (simulated {} ETH)",
        output::eth(&totals.realised_profit),
        output::eth(&totals.simulated_profit_landed)
    ));
    output::line(format!(
        "  paid to builders {} ETH, gas used {}",
        output::eth(&totals.bids_paid),
        totals.gas_used
    ));
    for r in &relays {
        output::line(format!(
            "  relay {:<18} sent {:>3}  accepted {:>3.0}%  landed {:>3}  median {:.1} ms",
            r.relay,
            r.sent,
            r.acceptance_rate * 100.0,
            r.landed,
            r.median_latency_us as f64 / 1000.0
        ));
    }
    output::line(format!("  database         {}", db.display()));
    output::line(format!("  review with      searcher bundles --db {}", db.display()));
    Ok(())
}

/// Sends victims, waits a block time, has the builders build; reports progress per block.
/// Returns how many victims were sent large.
async fn drive_traffic(
    args: &DemoArgs,
    devnet: &Devnet,
    builders: &DevBuilders,
    engine: &Engine,
    status: &Status,
) -> eyre::Result<u64> {
    let mut traffic = Traffic::new(args.seed, args.large_percent);
    let block_time = Duration::from_millis(args.block_time_ms);
    let bar = status.bar(args.blocks);
    let mut large = 0u64;
    for _ in 0..args.blocks {
        let victims = traffic.send(devnet, args.victims_per_block).await?;
        large += victims.iter().filter(|v| v.size == VictimSize::Large).count() as u64;
        for v in &victims {
            tracing::debug!(target: "searcher::demo", hash = %v.hash, "victim: {}", v.description);
        }
        tokio::time::sleep(block_time).await;
        let report = builders.build_block().await?;
        // Let the engine take the head (market sync, inclusion) before reporting.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while engine.stats().head < report.number && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let s = engine.stats();
        bar.step(format!(
            "block {} by {} | victims {} | candidates {} | bundles {} | landed {} | profit {} ETH",
            report.number,
            report.builder,
            s.victims,
            s.candidates,
            s.bundles,
            s.landed,
            output::eth(&s.profit_wei)
        ));
    }
    bar.finish();
    Ok(large)
}

/// Progress on stderr: a status bar on a terminal, plain lines otherwise.
struct Status {
    tty: bool,
}

struct Bar {
    bar: Option<ProgressBar>,
}

impl Status {
    fn new() -> Self {
        Self { tty: std::io::stderr().is_terminal() }
    }

    fn say(&self, text: &str) {
        info!(target: "searcher::demo", "{text}");
    }

    fn bar(&self, blocks: u64) -> Bar {
        if !self.tty {
            return Bar { bar: None };
        }
        let bar = ProgressBar::new(blocks);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar { bar: Some(bar) }
    }
}

impl Bar {
    fn step(&self, line: String) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(line);
                bar.inc(1);
            }
            None => info!(target: "searcher::demo", "{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
