//! `searcher demo`: the whole loop on a local devnet (filled in with the devnet relays).

/// `searcher demo` arguments.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Stop after this many blocks.
    #[arg(long, default_value_t = 20)]
    pub blocks: u64,
}

pub(super) async fn demo(_args: DemoArgs) -> eyre::Result<()> {
    eyre::bail!("demo: not wired yet")
}
