//! The `searcher` binary: a thin shell over [`searcher::cli`].

use clap::Parser;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let cli = searcher::cli::Cli::parse();
    searcher::cli::init_logging(cli.log_format);
    searcher::cli::execute(cli).await
}
