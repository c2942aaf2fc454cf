//! `searcher bundles`: what was sent, to whom, and what became of it, from our own records
//! (the relays' stats APIs are gone). A table by default, `--json` for scripts.

use super::{ConfigArgs, output};
use searcher::{
    engine::now_ms,
    store::{Store, bundles::BundleFilter},
};
use serde::Serialize;
use std::path::PathBuf;

/// `searcher bundles` arguments.
#[derive(Debug, clap::Args)]
pub struct BundlesArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The database (default: the config's `store.path`, else ./searcher.db).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Only the last period: `30m`, `6h`, `7d` (default: everything).
    #[arg(long)]
    since: Option<String>,
    /// Only this verdict: landed, not_landed, victim_landed_without_us, landed_in_other_block,
    /// pending.
    #[arg(long)]
    inclusion: Option<String>,
    /// Only bundles sent to this relay.
    #[arg(long)]
    relay: Option<String>,
    /// Only bundles landed by this builder.
    #[arg(long)]
    builder: Option<String>,
    /// At most this many bundles (newest first).
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Review {
    window_since_ms: u64,
    bundles: Vec<searcher::store::bundles::BundleReview>,
    relays: Vec<searcher::store::bundles::RelayStats>,
    totals: searcher::store::bundles::Totals,
}

fn parse_since(s: &str) -> eyre::Result<u64> {
    let (num, unit) = s.split_at(s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len());
    let n: u64 = num.parse().map_err(|_| eyre::eyre!("--since {s}: expected e.g. 30m, 6h, 7d"))?;
    let ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => eyre::bail!("--since {s}: unit must be s, m, h or d"),
    };
    Ok(now_ms().saturating_sub(n.saturating_mul(ms)))
}

pub(super) async fn bundles(args: BundlesArgs) -> eyre::Result<()> {
    let config = match &args.config.config {
        Some(_) => Some(args.config.load()?),
        None => None,
    };
    let db = match (&args.db, &config) {
        (Some(db), _) => db.clone(),
        (None, Some(config)) => config.store.path.clone(),
        (None, None) => PathBuf::from(searcher::config::DEFAULT_STORE_PATH),
    };
    // A landing is credited to the relays that reach the block's builder.
    let relays = config.map(|c| c.relays).unwrap_or_default();
    let credits = |relay: &str, builder: &str| match relays.iter().find(|r| r.name == relay) {
        Some(r) => r.credits(builder),
        None => searcher::store::bundles::credit_by_name(relay, builder),
    };
    if !db.exists() {
        eyre::bail!("no database at {} (run the searcher or the demo first)", db.display());
    }
    let store = Store::open(&db).await?;
    let since = args.since.as_deref().map(parse_since).transpose()?.unwrap_or(0);
    let filter = BundleFilter {
        since_ms: Some(since),
        inclusion: args.inclusion.clone(),
        relay: args.relay.clone(),
        builder: args.builder.clone(),
        limit: args.limit,
    };
    let review = Review {
        window_since_ms: since,
        bundles: store.recent_bundles(&filter).await?,
        relays: store.relay_stats(since, credits).await?,
        totals: store.totals(since).await?,
    };
    store.close().await;
    if args.json {
        return output::json(&review);
    }
    output::line("Bundles (newest first)");
    let rows: Vec<Vec<String>> = review
        .bundles
        .iter()
        .map(|b| {
            let relays = b
                .relays
                .iter()
                .filter(|r| r.kind == "send")
                .map(|r| format!("{}:{}({}ms)", r.relay, r.outcome, r.latency_us / 1000))
                .collect::<Vec<_>>()
                .join(" ");
            vec![
                format!("{:.10}…", b.bundle_hash.to_string()),
                b.target_block.to_string(),
                b.inclusion.clone(),
                b.landed_block.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                b.builder.clone().unwrap_or_else(|| "-".into()),
                output::eth(&b.simulated_profit),
                b.realised_profit.as_deref().map(output::eth).unwrap_or_else(|| "-".into()),
                relays,
            ]
        })
        .collect();
    output::table(
        &["bundle", "target", "inclusion", "block", "builder", "simulated", "realised", "relays"],
        &rows,
    );
    output::line("");
    output::line("Relays");
    let rows: Vec<Vec<String>> = review
        .relays
        .iter()
        .map(|r| {
            vec![
                r.relay.clone(),
                r.sent.to_string(),
                format!("{:.0}%", r.acceptance_rate * 100.0),
                format!("{:.0}%", r.landing_rate * 100.0),
                format!("{:.1}", r.median_latency_us as f64 / 1000.0),
                output::eth(&r.profit_landed),
            ]
        })
        .collect();
    output::table(&["relay", "sent", "accepted", "landed", "median ms", "profit landed"], &rows);
    output::line("");
    let t = &review.totals;
    output::line(format!(
        "Totals: {} opportunities, {} bundles, {} landed; realised {} ETH (simulated {}), bids paid {} ETH, gas {}",
        t.opportunities,
        t.bundles,
        t.landed,
        output::eth(&t.realised_profit),
        output::eth(&t.simulated_profit_landed),
        output::eth(&t.bids_paid),
        t.gas_used
    ));
    Ok(())
}
