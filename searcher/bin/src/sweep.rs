//! `searcher sweep`: moves the executor's WETH, tokens and ETH to the cold wallet, the only
//! destination the contract can send to. Shows what will move and asks first (`--yes` skips
//! the question); any other destination is refused before anything is sent.

use super::{ConfigArgs, output};
use alloy::{
    network::EthereumWallet,
    primitives::{Address, U256},
    providers::{DynProvider, IpcConnect, Provider, ProviderBuilder, WsConnect},
};
use eyre::{WrapErr, bail};
use searcher::{
    abi::{IERC20, IExecutor},
    keys::KeySource,
    watch::NodeEndpoint,
};
use std::io::{BufRead, IsTerminal, Write};

/// `searcher sweep` arguments.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Tokens to sweep besides the base tokens (repeatable).
    #[arg(long = "token")]
    tokens: Vec<Address>,
    /// Expected destination; refused unless it is the executor's cold wallet.
    #[arg(long)]
    to: Option<Address>,
    /// Do not ask before sending.
    #[arg(long)]
    yes: bool,
    /// Take every last wei. By default 1 wei of each token stays behind: an empty WETH balance
    /// slot makes the next trade pay ~17,000 gas more to write it non-zero again.
    #[arg(long)]
    all: bool,
}

async fn connect(endpoint: &NodeEndpoint, wallet: EthereumWallet) -> eyre::Result<DynProvider> {
    let builder = ProviderBuilder::new().wallet(wallet);
    Ok(match endpoint {
        NodeEndpoint::Ipc(path) => {
            builder.connect_ipc(IpcConnect::new(path.clone())).await?.erased()
        }
        NodeEndpoint::Ws(url) => builder.connect_ws(WsConnect::new(url)).await?.erased(),
    })
}

pub(super) async fn sweep(args: SweepArgs) -> eyre::Result<()> {
    let config = args.config.load()?;
    let owner = KeySource::load(&config.keys.trading)?;
    let owner_address = owner.address();
    let provider = connect(&config.node.endpoint, EthereumWallet::new(owner)).await?;
    let executor = IExecutor::new(config.executor.address, &provider);
    let cold = executor.coldWallet().call().await.wrap_err("reading coldWallet()")?;
    let on_chain_owner = executor.owner().call().await.wrap_err("reading owner()")?;
    if on_chain_owner != owner_address {
        bail!("the trading key {owner_address} is not the executor's owner ({on_chain_owner})");
    }
    if let Some(expected) = config.executor.cold_wallet
        && expected != cold
    {
        bail!(
            "config executor.cold-wallet {expected} differs from the contract's {cold}; refusing"
        );
    }
    if let Some(to) = args.to
        && to != cold
    {
        bail!("refusing to sweep to {to}: the executor only sends to its cold wallet {cold}");
    }

    let mut tokens: Vec<Address> = config.market.base_tokens.clone();
    tokens.extend(args.tokens.iter().copied());
    tokens.dedup();
    let mut moves: Vec<(Address, String, U256)> = Vec::new();
    for token in tokens {
        let erc20 = IERC20::new(token, &provider);
        let balance = erc20.balanceOf(config.executor.address).call().await?;
        let balance = if args.all { balance } else { balance.saturating_sub(U256::ONE) };
        if !balance.is_zero() {
            let symbol = erc20.symbol().call().await.unwrap_or_else(|_| token.to_string());
            moves.push((token, symbol, balance));
        }
    }
    let eth = provider.get_balance(config.executor.address).await?;
    if !eth.is_zero() {
        moves.push((Address::ZERO, "ETH".into(), eth));
    }
    if moves.is_empty() {
        output::line(format!(
            "Nothing to sweep: executor {} holds nothing.",
            config.executor.address
        ));
        return Ok(());
    }
    output::line(format!("Sweep from executor {} to cold wallet {cold}:", config.executor.address));
    let rows: Vec<Vec<String>> = moves
        .iter()
        .map(|(t, s, b)| vec![s.clone(), t.to_string(), b.to_string(), output::eth(&b.to_string())])
        .collect();
    output::table(&["asset", "address", "wei", "amount"], &rows);
    if !args.yes && !confirm()? {
        output::line("Aborted; nothing sent.");
        return Ok(());
    }
    for (token, symbol, amount) in moves {
        let receipt = executor
            .sweep(token, amount)
            .send()
            .await
            .wrap_err_with(|| format!("sending sweep of {symbol}"))?
            .get_receipt()
            .await?;
        if !receipt.status() {
            bail!("sweep of {symbol} reverted in {}", receipt.transaction_hash);
        }
        output::line(format!(
            "swept {symbol}: {} (tx {})",
            output::eth(&amount.to_string()),
            receipt.transaction_hash
        ));
    }
    Ok(())
}

/// Asks on the terminal; refuses when there is none (use `--yes` in scripts).
fn confirm() -> eyre::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("no terminal to confirm on; pass --yes to sweep without asking");
    }
    let mut err = std::io::stderr();
    write!(err, "Send these sweeps? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
