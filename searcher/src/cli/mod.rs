//! cli: the `searcher` command line. stdout carries each command's result (tables or JSON);
//! logs and progress go to stderr.
//!
//! - `searcher run`: the searcher against a node and the configured relays.
//! - `searcher demo`: the whole loop on a local devnet, ending with a summary.
//! - `searcher bundles`: review of what was sent, to whom, and what landed.
//! - `searcher sweep`: move the executor's balances to the cold wallet.

mod bundles;
mod demo;
mod output;
mod run;
mod sweep;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The searcher.
#[derive(Debug, Parser)]
#[command(name = "searcher", version, about = "On-chain-first MEV searcher")]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "SEARCHER_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Config file plus dotted overrides, shared by the commands that read the config.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// The TOML config (see searcher.example.toml).
    #[arg(long, short, env = "SEARCHER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Override a config key: `--set section.key=value` (repeatable). Secrets cannot be set
    /// this way: keys come from keystore files or the environment only.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

impl ConfigArgs {
    fn load(&self) -> eyre::Result<crate::config::Config> {
        crate::config::Config::load(self.config.as_deref(), &self.overrides)
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the searcher: watch → predict → strategy → sim → exec → bundles.
    Run(run::RunArgs),
    /// The whole loop on a local devnet with real protocols, two builder-relays and traffic.
    Demo(demo::DemoArgs),
    /// Review bundles: relays, latency, landing, builders, predicted vs realised profit.
    Bundles(bundles::BundlesArgs),
    /// Sweep the executor's WETH, tokens and ETH to the cold wallet.
    Sweep(sweep::SweepArgs),
}

/// Installs the tracing subscriber (stderr).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Runs the parsed command.
pub async fn execute(cli: Cli) -> eyre::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args).await,
        Command::Demo(args) => demo::demo(args).await,
        Command::Bundles(args) => bundles::bundles(args).await,
        Command::Sweep(args) => sweep::sweep(args).await,
    }
}
