//! The `searcher` binary: the command line over the [`searcher`] engine. stdout carries each
//! command's result (tables or JSON); logs and progress go to stderr.
//!
//! - `searcher run`: the searcher against a node and the configured relays.
//! - `searcher bundles`: review of what was sent, to whom, and what landed.
//! - `searcher sweep`: move the executor's balances to the cold wallet.
//! - `searcher demo`: the whole loop on a local devnet, ending with a summary. Only in builds
//!   with the `demo` feature (`tools/dev demo`); the binary an operator runs against reth is
//!   built without it and carries no devnet code.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod bundles;
#[cfg(feature = "demo")]
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
    fn load(&self) -> eyre::Result<searcher::config::Config> {
        searcher::config::Config::load(self.config.as_deref(), &self.overrides)
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the searcher: watch → predict → strategy → exec ⇄ sim → sign → bundles.
    Run(run::RunArgs),
    /// The whole loop on a local devnet with real protocols, two builder-relays and traffic
    /// (built with the `demo` feature; the operator's build has no devnet code).
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Not in this build (see `--features demo`).
    #[cfg(not(feature = "demo"))]
    #[command(hide = true, disable_help_flag = true)]
    Demo {
        /// Ignored.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Review bundles: relays, latency, landing, builders, predicted vs realised profit.
    Bundles(bundles::BundlesArgs),
    /// Sweep the executor's WETH, tokens and ETH to the cold wallet.
    Sweep(sweep::SweepArgs),
}

/// Installs the tracing subscriber (stderr); `RUST_LOG` overrides `default_filter`. Colours
/// only on a terminal and without `NO_COLOR`: a log file or journald gets plain text.
fn init_logging(format: LogFormat, default_filter: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Runs the parsed command.
async fn execute(cli: Cli) -> eyre::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::demo(args).await,
        #[cfg(not(feature = "demo"))]
        Command::Demo { .. } => Err(eyre::eyre!(
            "this searcher was built without the devnet: `searcher demo` needs `cargo build -p searcher-cli --features demo` (tools/dev demo does that)"
        )),
        Command::Bundles(args) => bundles::bundles(args).await,
        Command::Sweep(args) => sweep::sweep(args).await,
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The demo shows its own lines (setup, one per block, the summary); the devnet's and the
    // engine's logs are there with RUST_LOG (e.g. RUST_LOG=info).
    let default_filter = match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo(_) => "warn,searcher::demo=info",
        _ => "info,sqlx=warn",
    };
    init_logging(cli.log_format, default_filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => return fail(&eyre::eyre!("starting the runtime: {err}")),
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

/// An operator error: one line on stderr naming the problem (its causes joined, repeats
/// dropped), never a backtrace or a source location; the full report at `RUST_LOG=debug`.
fn fail(err: &eyre::Report) -> std::process::ExitCode {
    tracing::debug!(target: "searcher::cli", error = ?err, "failed");
    #[expect(clippy::print_stderr, reason = "the CLI's one-line error output")]
    {
        eprintln!("searcher: error: {}", one_line(err));
    }
    std::process::ExitCode::FAILURE
}

/// The error chain as one line: `outer: cause: root cause`, skipping a cause whose text the
/// previous message already contains.
fn one_line(err: &eyre::Report) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string().replace('\n', " ");
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    line
}
