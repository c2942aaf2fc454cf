//! `searcher run`: the searcher against a node and the relays in the config, until SIGINT or
//! SIGTERM (graceful: in-flight work finishes, every record is flushed). SIGUSR1 toggles the
//! kill switch.

use super::ConfigArgs;
use eyre::WrapErr;
use searcher::{
    engine::{Engine, EngineOptions},
    keys::Keys,
};
use tokio::sync::watch;
use tracing::{info, warn};

/// `searcher run` arguments.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    config: ConfigArgs,
}

pub(super) async fn run(args: RunArgs) -> eyre::Result<()> {
    let config = args.config.load()?;
    let keys = Keys::load(&config.keys.trading, &config.keys.identity)?;
    info!(target: "searcher::cli", trading = %keys.trading.address(), identity = %keys.identity.address(), node = %config.node.endpoint, "starting");
    install_metrics(config.metrics.listen)?;
    let engine = Engine::start(config, keys, EngineOptions::default()).await?;
    let (tx, rx) = watch::channel(false);
    spawn_signal_handlers(engine.clone(), tx);
    engine.run(rx).await
}

/// Installs the Prometheus exporter on `listen` (no-op when `None`).
pub(crate) fn install_metrics(listen: Option<std::net::SocketAddr>) -> eyre::Result<()> {
    let Some(addr) = listen else { return Ok(()) };
    let mut builder =
        metrics_exporter_prometheus::PrometheusBuilder::new().with_http_listener(addr);
    for (name, buckets) in searcher::metrics::buckets() {
        builder = builder
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(name.into()),
                buckets,
            )
            .wrap_err("metric buckets")?;
    }
    builder.install().wrap_err_with(|| format!("starting the Prometheus endpoint on {addr}"))?;
    searcher::metrics::describe();
    info!(target: "searcher::cli", %addr, "metrics at http://{addr}/metrics");
    Ok(())
}

/// SIGINT/SIGTERM request a graceful stop; SIGUSR1 toggles the kill switch.
pub(crate) fn spawn_signal_handlers(engine: Engine, stop: watch::Sender<bool>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut term), Ok(mut int), Ok(mut usr1)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::user_defined1()),
        ) else {
            warn!(target: "searcher::cli", "cannot install signal handlers");
            return;
        };
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = usr1.recv() => {
                    let on = engine.risk().toggle_kill();
                    warn!(target: "searcher::cli", kill_switch = on, "SIGUSR1: kill switch toggled");
                }
            }
        }
        info!(target: "searcher::cli", "stop requested; finishing in-flight work");
        let _ = stop.send(true);
    });
}
