//! Records of the hot path's output: opportunities, bundles, every relay submission and each
//! bundle's inclusion verdict; and the review queries behind `searcher bundles`.
//!
//! Wei amounts are stored as decimal text and summed in Rust as `U256`.

use super::{Result, Store, StoreError};
use alloy::primitives::{Address, B256, I256, U256};
use bundles::{fanout::SubmissionRecord, inclusion::InclusionStatus, outcome::RelayOutcome};
use serde::Serialize;
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeMap;

/// An opportunity the strategy found (whether or not it became a bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpportunityRecord {
    /// Unix ms.
    pub created_at_ms: u64,
    /// Head the prediction ran on.
    pub head_block: u64,
    /// Block the bundle targets.
    pub target_block: u64,
    /// The victim.
    pub victim_hash: B256,
    /// The cycle (formatted when written, off the hot path).
    pub cycle: Route,
    /// Sized input.
    pub amount_in: U256,
    /// Native-math gross profit (strategy's exact math).
    pub native_profit: U256,
    /// revm's gross profit.
    pub simulated_profit: Option<U256>,
    /// Gas used in revm.
    pub gas_used: Option<u64>,
    /// Bid to the builder.
    pub bid: Option<U256>,
    /// `coinbase-transfer` | `priority-fee`.
    pub bid_mode: Option<String>,
    /// Profit after gas and bid.
    pub net_profit: Option<U256>,
    /// The signed backrun's hash.
    pub backrun_hash: Option<B256>,
    /// `bundled` or the skip reason.
    pub status: String,
}

/// A cycle's route as recorded: each hop's DEX, pool and tokens. Built on the hot path without
/// formatting anything; written as `0xWETH -(uniswap-v2 0xPAIR)-> 0xTKA -(...)-> 0xWETH`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    /// The hops in order.
    pub hops: Vec<RouteHop>,
}

/// One hop of a [`Route`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteHop {
    /// DEX name.
    pub dex: std::sync::Arc<str>,
    /// Pool address.
    pub pool: Address,
    /// Token sold.
    pub token_in: Address,
    /// Token bought.
    pub token_out: Address,
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(first) = self.hops.first() {
            write!(f, "{}", first.token_in)?;
        }
        for hop in &self.hops {
            write!(f, " -({} {})-> {}", hop.dex, hop.pool, hop.token_out)?;
        }
        Ok(())
    }
}

/// A bundle handed to the relays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleRecord {
    /// keccak of the tx hashes.
    pub bundle_hash: B256,
    /// The opportunity row.
    pub opportunity_id: Option<i64>,
    /// Target block.
    pub target_block: u64,
    /// Replacement uuid.
    pub replacement_uuid: Option<String>,
    /// Victim.
    pub victim_hash: B256,
    /// Our backrun.
    pub backrun_hash: B256,
    /// Unix ms.
    pub created_at_ms: u64,
    /// revm's gross profit (the executor's WETH change across the backrun), before gas and bid.
    pub simulated_profit: U256,
    /// Bid.
    pub bid: U256,
}

/// What became of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionRecord {
    /// The verdict.
    pub status: InclusionStatus,
    /// The executor's WETH change across the landed backrun (negative for a loss; landed
    /// only).
    pub realised_profit: Option<I256>,
    /// Unix ms.
    pub decided_at_ms: u64,
}

/// A bundle awaiting its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndecidedBundle {
    /// Hash.
    pub bundle_hash: B256,
    /// Target block.
    pub target_block: u64,
    /// Victim.
    pub victim_hash: B256,
    /// Backrun.
    pub backrun_hash: B256,
    /// The bid the backrun commits to (wei).
    pub bid: U256,
}

/// One relay's part in a bundle, for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelayAnswer {
    /// Relay name.
    pub relay: String,
    /// `send` / `cancel` / `mev_share`.
    pub kind: String,
    /// Outcome label.
    pub outcome: String,
    /// Latency in microseconds.
    pub latency_us: u64,
    /// Relay's hash or error text.
    pub detail: Option<String>,
}

/// A bundle as `searcher bundles` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleReview {
    /// Hash.
    pub bundle_hash: B256,
    /// Target block.
    pub target_block: u64,
    /// Unix ms.
    pub created_at_ms: u64,
    /// Victim.
    pub victim_hash: B256,
    /// Backrun.
    pub backrun_hash: B256,
    /// revm's gross profit (wei, decimal).
    pub simulated_profit: String,
    /// Bid (wei, decimal).
    pub bid: String,
    /// Verdict label, `pending` when undecided.
    pub inclusion: String,
    /// Block it landed in.
    pub landed_block: Option<u64>,
    /// Builder of that block (or of the block the victim landed in).
    pub builder: Option<String>,
    /// Realised profit (wei, decimal).
    pub realised_profit: Option<String>,
    /// Gas used by the backrun.
    pub gas_used: Option<u64>,
    /// Bid actually paid (wei, decimal).
    pub bid_paid: Option<String>,
    /// Every relay answer.
    pub relays: Vec<RelayAnswer>,
}

/// Per-relay figures over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelayStats {
    /// Relay name.
    pub relay: String,
    /// Bundles sent.
    pub sent: u64,
    /// Accepted by the relay.
    pub accepted: u64,
    /// Of those, landed.
    pub landed: u64,
    /// accepted / sent.
    pub acceptance_rate: f64,
    /// landed / accepted.
    pub landing_rate: f64,
    /// Median latency (µs) of sends.
    pub median_latency_us: u64,
    /// Realised profit of landed bundles this relay accepted (wei, decimal).
    pub profit_landed: String,
}

/// Totals over a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Opportunities recorded.
    pub opportunities: u64,
    /// Bundles sent.
    pub bundles: u64,
    /// Bundles landed.
    pub landed: u64,
    /// revm's gross profit of landed bundles (wei, decimal).
    pub simulated_profit_landed: String,
    /// Realised profit (wei, decimal).
    pub realised_profit: String,
    /// Bids paid (wei, decimal).
    pub bids_paid: String,
    /// Gas used by landed backruns.
    pub gas_used: u64,
}

/// Filter for [`Store::recent_bundles`].
#[derive(Debug, Clone, Default)]
pub struct BundleFilter {
    /// Only bundles created at or after this unix ms.
    pub since_ms: Option<u64>,
    /// Only this inclusion label (`pending` for undecided).
    pub inclusion: Option<String>,
    /// Only bundles a relay was sent.
    pub relay: Option<String>,
    /// Only bundles landed by this builder.
    pub builder: Option<String>,
    /// At most this many (newest first).
    pub limit: u32,
}

/// landed_block, builder, fee_recipient, gas_used, bid_paid.
type VerdictColumns = (Option<u64>, Option<String>, Option<Address>, Option<u64>, Option<U256>);

fn u256_text(v: U256) -> String {
    v.to_string()
}

fn parse_u256(s: &str, what: &'static str) -> Result<U256> {
    s.parse().map_err(|_| StoreError::Corrupt { what, detail: format!("not a U256: {s}") })
}

fn parse_i256(s: &str, what: &'static str) -> Result<I256> {
    s.parse().map_err(|_| StoreError::Corrupt { what, detail: format!("not an I256: {s}") })
}

fn b256(bytes: &[u8], what: &'static str) -> Result<B256> {
    B256::try_from(bytes)
        .map_err(|_| StoreError::Corrupt { what, detail: format!("{} bytes", bytes.len()) })
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn outcome_detail(outcome: &RelayOutcome) -> Option<String> {
    match outcome {
        RelayOutcome::Accepted { bundle_hash } => bundle_hash.map(|h| h.to_string()),
        RelayOutcome::Rejected { code, message } => {
            Some(code.map_or_else(|| message.clone(), |c| format!("{c}: {message}")))
        }
        RelayOutcome::HttpError { status, snippet } => Some(format!("{status}: {snippet}")),
        RelayOutcome::Garbage { snippet } => Some(snippet.clone()),
        RelayOutcome::Transport { message } => Some(message.clone()),
        RelayOutcome::Timeout | RelayOutcome::RateLimited | RelayOutcome::Unsupported => None,
    }
}

/// Credits a landing to the relay named like the block's builder (the devnet's convention,
/// and the default of a relay without `builders`).
pub fn credit_by_name(relay: &str, builder: &str) -> bool {
    relay.eq_ignore_ascii_case(builder)
}

impl Store {
    /// Records an opportunity; returns its id.
    pub async fn record_opportunity(&self, o: &OpportunityRecord) -> Result<i64> {
        let mut conn = self.pool().acquire().await.map_err(StoreError::query("acquire"))?;
        insert_opportunity(&mut conn, o).await
    }

    /// Records a bundle (idempotent on its hash).
    pub async fn record_bundle(&self, b: &BundleRecord) -> Result<()> {
        let mut conn = self.pool().acquire().await.map_err(StoreError::query("acquire"))?;
        insert_bundle(&mut conn, b).await
    }

    /// Records every relay's answer to one request, in one transaction.
    pub async fn record_submissions(&self, records: &[SubmissionRecord]) -> Result<()> {
        let mut tx = self.begin_write("begin submissions").await?;
        for r in records {
            insert_submission(&mut tx, r).await?;
        }
        tx.commit().await.map_err(StoreError::query("commit submissions"))?;
        Ok(())
    }

    /// Bundles whose target block is at or below `head` and have no verdict yet.
    pub async fn undecided_bundles(&self, head: u64) -> Result<Vec<UndecidedBundle>> {
        let rows = sqlx::query(
            "SELECT bundle_hash, target_block, victim_hash, backrun_hash, bid FROM bundles \
             WHERE inclusion IS NULL AND target_block <= ? ORDER BY target_block",
        )
        .bind(to_i64(head))
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::query("select undecided bundles"))?;
        rows.iter()
            .map(|row| {
                Ok(UndecidedBundle {
                    bundle_hash: b256(row.get::<&[u8], _>(0), "bundles.bundle_hash")?,
                    target_block: u64::try_from(row.get::<i64, _>(1)).unwrap_or_default(),
                    victim_hash: b256(row.get::<&[u8], _>(2), "bundles.victim_hash")?,
                    backrun_hash: b256(row.get::<&[u8], _>(3), "bundles.backrun_hash")?,
                    bid: parse_u256(&row.get::<String, _>(4), "bundles.bid")?,
                })
            })
            .collect()
    }

    /// Stores a bundle's verdict.
    pub async fn record_inclusion(&self, bundle_hash: B256, inc: &InclusionRecord) -> Result<()> {
        let mut conn = self.pool().acquire().await.map_err(StoreError::query("acquire"))?;
        update_inclusion(&mut conn, bundle_hash, inc).await
    }

    /// Recent bundles with their relay answers, newest first.
    pub async fn recent_bundles(&self, filter: &BundleFilter) -> Result<Vec<BundleReview>> {
        let limit = if filter.limit == 0 { 50 } else { filter.limit };
        let rows = sqlx::query(
            "SELECT bundle_hash, target_block, created_at_ms, victim_hash, backrun_hash, \
             simulated_profit, bid, COALESCE(inclusion, 'pending'), landed_block, builder, \
             realised_profit, gas_used, bid_paid FROM bundles b \
             WHERE created_at_ms >= ?1 \
               AND (?2 IS NULL OR COALESCE(inclusion, 'pending') = ?2) \
               AND (?3 IS NULL OR builder = ?3) \
               AND (?4 IS NULL OR EXISTS (SELECT 1 FROM submissions s \
                    WHERE s.bundle_hash = b.bundle_hash AND s.relay = ?4)) \
             ORDER BY created_at_ms DESC, target_block DESC LIMIT ?5",
        )
        .bind(to_i64(filter.since_ms.unwrap_or(0)))
        .bind(filter.inclusion.as_deref())
        .bind(filter.builder.as_deref())
        .bind(filter.relay.as_deref())
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::query("select bundles"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let bundle_hash = b256(row.get::<&[u8], _>(0), "bundles.bundle_hash")?;
            out.push(BundleReview {
                bundle_hash,
                target_block: u64::try_from(row.get::<i64, _>(1)).unwrap_or_default(),
                created_at_ms: u64::try_from(row.get::<i64, _>(2)).unwrap_or_default(),
                victim_hash: b256(row.get::<&[u8], _>(3), "bundles.victim_hash")?,
                backrun_hash: b256(row.get::<&[u8], _>(4), "bundles.backrun_hash")?,
                simulated_profit: row.get(5),
                bid: row.get(6),
                inclusion: row.get(7),
                landed_block: row.get::<Option<i64>, _>(8).and_then(|v| u64::try_from(v).ok()),
                builder: row.get(9),
                realised_profit: row.get(10),
                gas_used: row.get::<Option<i64>, _>(11).and_then(|v| u64::try_from(v).ok()),
                bid_paid: row.get(12),
                relays: self.relay_answers(bundle_hash).await?,
            });
        }
        Ok(out)
    }

    async fn relay_answers(&self, bundle_hash: B256) -> Result<Vec<RelayAnswer>> {
        let rows = sqlx::query(
            "SELECT relay, kind, outcome, latency_us, detail FROM submissions \
             WHERE bundle_hash = ? ORDER BY id",
        )
        .bind(bundle_hash.as_slice())
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::query("select submissions"))?;
        Ok(rows
            .iter()
            .map(|r| RelayAnswer {
                relay: r.get(0),
                kind: r.get(1),
                outcome: r.get(2),
                latency_us: u64::try_from(r.get::<i64, _>(3)).unwrap_or_default(),
                detail: r.get(4),
            })
            .collect())
    }

    /// Per-relay acceptance, landing, median latency and profit since `since_ms`.
    ///
    /// A landing is credited to a relay only when `credits(relay, builder)` says the block's
    /// builder is one the relay reaches (every relay accepts every bundle; only one builder
    /// builds the block). Without relay configs, pass [`credit_by_name`].
    pub async fn relay_stats(
        &self,
        since_ms: u64,
        credits: impl Fn(&str, &str) -> bool,
    ) -> Result<Vec<RelayStats>> {
        let rows = sqlx::query(
            "SELECT s.relay, s.outcome, s.latency_us, b.inclusion, b.realised_profit, b.builder \
             FROM submissions s LEFT JOIN bundles b ON b.bundle_hash = s.bundle_hash \
             WHERE s.kind = 'send' AND s.sent_at_ms >= ? ORDER BY s.relay",
        )
        .bind(to_i64(since_ms))
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::query("select relay stats"))?;
        #[derive(Default)]
        struct Acc {
            sent: u64,
            accepted: u64,
            landed: u64,
            latencies: Vec<u64>,
            profit: I256,
        }
        let mut by_relay: BTreeMap<String, Acc> = BTreeMap::new();
        for row in rows {
            let acc = by_relay.entry(row.get::<String, _>(0)).or_default();
            let outcome: String = row.get(1);
            acc.sent += 1;
            acc.latencies.push(u64::try_from(row.get::<i64, _>(2)).unwrap_or_default());
            if outcome == "accepted" {
                acc.accepted += 1;
                let builder: Option<String> = row.get(5);
                let relay: String = row.get(0);
                if row.get::<Option<String>, _>(3).as_deref() == Some("landed")
                    && builder.as_deref().is_some_and(|b| credits(&relay, b))
                {
                    acc.landed += 1;
                    if let Some(p) = row.get::<Option<String>, _>(4) {
                        acc.profit += parse_i256(&p, "bundles.realised_profit")?;
                    }
                }
            }
        }
        Ok(by_relay
            .into_iter()
            .map(|(relay, mut a)| {
                a.latencies.sort_unstable();
                let ratio = |n: u64, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 };
                RelayStats {
                    relay,
                    sent: a.sent,
                    accepted: a.accepted,
                    landed: a.landed,
                    acceptance_rate: ratio(a.accepted, a.sent),
                    landing_rate: ratio(a.landed, a.accepted),
                    median_latency_us: a.latencies.get(a.latencies.len() / 2).copied().unwrap_or(0),
                    profit_landed: a.profit.to_string(),
                }
            })
            .collect())
    }

    /// Totals since `since_ms`.
    pub async fn totals(&self, since_ms: u64) -> Result<Totals> {
        let opportunities: i64 =
            sqlx::query_scalar("SELECT count(*) FROM opportunities WHERE created_at_ms >= ?")
                .bind(to_i64(since_ms))
                .fetch_one(self.pool())
                .await
                .map_err(StoreError::query("count opportunities"))?;
        let rows = sqlx::query(
            "SELECT inclusion, simulated_profit, realised_profit, bid_paid, gas_used \
             FROM bundles WHERE created_at_ms >= ?",
        )
        .bind(to_i64(since_ms))
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::query("select totals"))?;
        let mut t = Totals {
            opportunities: u64::try_from(opportunities).unwrap_or_default(),
            bundles: 0,
            landed: 0,
            simulated_profit_landed: String::new(),
            realised_profit: String::new(),
            bids_paid: String::new(),
            gas_used: 0,
        };
        let (mut simulated, mut realised, mut bids) = (U256::ZERO, I256::ZERO, U256::ZERO);
        for row in rows {
            t.bundles += 1;
            if row.get::<Option<String>, _>(0).as_deref() != Some("landed") {
                continue;
            }
            t.landed += 1;
            simulated += parse_u256(&row.get::<String, _>(1), "bundles.simulated_profit")?;
            if let Some(p) = row.get::<Option<String>, _>(2) {
                realised += parse_i256(&p, "bundles.realised_profit")?;
            }
            if let Some(b) = row.get::<Option<String>, _>(3) {
                bids += parse_u256(&b, "bundles.bid_paid")?;
            }
            t.gas_used +=
                row.get::<Option<i64>, _>(4).and_then(|g| u64::try_from(g).ok()).unwrap_or(0);
        }
        t.simulated_profit_landed = simulated.to_string();
        t.realised_profit = realised.to_string();
        t.bids_paid = bids.to_string();
        Ok(t)
    }
}

/// Inserts an opportunity; returns its id.
pub(crate) async fn insert_opportunity(
    conn: &mut SqliteConnection,
    o: &OpportunityRecord,
) -> Result<i64> {
    let id = sqlx::query(
        "INSERT INTO opportunities (created_at_ms, head_block, target_block, victim_hash, \
             cycle, amount_in, native_profit, simulated_profit, gas_used, bid, bid_mode, \
             net_profit, backrun_hash, status) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to_i64(o.created_at_ms))
    .bind(to_i64(o.head_block))
    .bind(to_i64(o.target_block))
    .bind(o.victim_hash.as_slice())
    .bind(o.cycle.to_string())
    .bind(u256_text(o.amount_in))
    .bind(u256_text(o.native_profit))
    .bind(o.simulated_profit.map(u256_text))
    .bind(o.gas_used.map(to_i64))
    .bind(o.bid.map(u256_text))
    .bind(o.bid_mode.as_deref())
    .bind(o.net_profit.map(u256_text))
    .bind(o.backrun_hash.as_ref().map(|h| h.as_slice()))
    .bind(&o.status)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::query("insert opportunity"))?
    .last_insert_rowid();
    Ok(id)
}

/// Inserts a bundle (idempotent on its hash).
pub(crate) async fn insert_bundle(conn: &mut SqliteConnection, b: &BundleRecord) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO bundles (bundle_hash, opportunity_id, target_block, \
             replacement_uuid, victim_hash, backrun_hash, created_at_ms, simulated_profit, bid) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(b.bundle_hash.as_slice())
    .bind(b.opportunity_id)
    .bind(to_i64(b.target_block))
    .bind(b.replacement_uuid.as_deref())
    .bind(b.victim_hash.as_slice())
    .bind(b.backrun_hash.as_slice())
    .bind(to_i64(b.created_at_ms))
    .bind(u256_text(b.simulated_profit))
    .bind(u256_text(b.bid))
    .execute(&mut *conn)
    .await
    .map_err(StoreError::query("insert bundle"))?;
    Ok(())
}

/// Inserts one relay's answer.
pub(crate) async fn insert_submission(
    conn: &mut SqliteConnection,
    r: &SubmissionRecord,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO submissions (bundle_hash, kind, relay, method, sent_at_ms, \
         latency_us, http_status, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(r.bundle_hash.as_slice())
    .bind(r.kind.as_str())
    .bind(&r.relay)
    .bind(r.method)
    .bind(to_i64(r.sent_at_ms))
    .bind(i64::try_from(r.latency.as_micros()).unwrap_or(i64::MAX))
    .bind(r.http_status.map(i64::from))
    .bind(r.outcome.label())
    .bind(outcome_detail(&r.outcome))
    .execute(&mut *conn)
    .await
    .map_err(StoreError::query("insert submission"))?;
    Ok(())
}

/// Updates a bundle's verdict.
pub(crate) async fn update_inclusion(
    conn: &mut SqliteConnection,
    bundle_hash: B256,
    inc: &InclusionRecord,
) -> Result<()> {
    let (landed_block, builder, fee_recipient, gas_used, bid_paid): VerdictColumns =
        match &inc.status {
            InclusionStatus::Landed(tx) | InclusionStatus::LandedInOtherBlock(tx) => (
                Some(tx.block),
                Some(tx.builder.clone()),
                Some(tx.fee_recipient),
                Some(tx.gas_used),
                Some(tx.bid_paid()),
            ),
            InclusionStatus::VictimLandedWithoutUs { block, builder } => {
                (Some(*block), Some(builder.clone()), None, None, None)
            }
            InclusionStatus::NotLanded => (None, None, None, None, None),
        };
    sqlx::query(
        "UPDATE bundles SET inclusion = ?, landed_block = ?, builder = ?, fee_recipient = ?, \
             realised_profit = ?, gas_used = ?, bid_paid = ?, decided_at_ms = ? \
             WHERE bundle_hash = ?",
    )
    .bind(inc.status.label())
    .bind(landed_block.map(to_i64))
    .bind(builder)
    .bind(fee_recipient.as_ref().map(|a| a.as_slice()))
    .bind(inc.realised_profit.map(|p| p.to_string()))
    .bind(gas_used.map(to_i64))
    .bind(bid_paid.map(u256_text))
    .bind(to_i64(inc.decided_at_ms))
    .bind(bundle_hash.as_slice())
    .execute(&mut *conn)
    .await
    .map_err(StoreError::query("update inclusion"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bundles::{config::RelayFlavour, encode::RequestKind, inclusion::LandedTx};
    use std::time::Duration;

    fn sub(hash: B256, relay: &str, outcome: RelayOutcome, latency_ms: u64) -> SubmissionRecord {
        SubmissionRecord {
            kind: RequestKind::SendBundle,
            bundle_hash: hash,
            replacement_uuid: None,
            target_block: 10,
            relay: relay.into(),
            flavour: RelayFlavour::Flashbots,
            method: "eth_sendBundle",
            sent_at_ms: 1_000,
            latency: Duration::from_millis(latency_ms),
            http_status: Some(200),
            outcome,
        }
    }

    #[tokio::test]
    async fn records_round_trip_into_review_stats_and_totals() {
        let store = Store::open_in_memory().await.unwrap();
        let opp = OpportunityRecord {
            created_at_ms: 1_000,
            head_block: 9,
            target_block: 10,
            victim_hash: B256::repeat_byte(1),
            cycle: Route::default(),
            amount_in: U256::from(5),
            native_profit: U256::from(1_000_000),
            simulated_profit: Some(U256::from(1_000_000)),
            gas_used: Some(110_000),
            bid: Some(U256::from(900)),
            bid_mode: Some("coinbase-transfer".into()),
            net_profit: Some(U256::from(100)),
            backrun_hash: Some(B256::repeat_byte(2)),
            status: "bundled".into(),
        };
        let id = store.record_opportunity(&opp).await.unwrap();
        let hash = B256::repeat_byte(3);
        let bundle = BundleRecord {
            bundle_hash: hash,
            opportunity_id: Some(id),
            target_block: 10,
            replacement_uuid: None,
            victim_hash: opp.victim_hash,
            backrun_hash: B256::repeat_byte(2),
            created_at_ms: 1_000,
            simulated_profit: U256::from(1_000_000),
            bid: U256::from(900),
        };
        store.record_bundle(&bundle).await.unwrap();
        store.record_bundle(&bundle).await.unwrap(); // idempotent
        store
            .record_submissions(&[
                sub(hash, "a", RelayOutcome::Accepted { bundle_hash: Some(hash) }, 3),
                sub(hash, "b", RelayOutcome::Timeout, 2_000),
            ])
            .await
            .unwrap();
        assert_eq!(store.undecided_bundles(9).await.unwrap().len(), 0);
        assert_eq!(store.undecided_bundles(10).await.unwrap()[0].bundle_hash, hash);

        let landed = LandedTx {
            block: 10,
            builder: "builder-a".into(),
            fee_recipient: Address::repeat_byte(9),
            tx_index: Some(1),
            right_after_victim: true,
            success: true,
            gas_used: 109_000,
            effective_gas_price: 1,
            base_fee: Some(1),
            priority_fee_paid: U256::ZERO,
            coinbase_transfer: Some(U256::from(900)),
        };
        let inc = InclusionRecord {
            status: InclusionStatus::Landed(landed),
            realised_profit: Some(I256::try_from(999_100).unwrap()),
            decided_at_ms: 2_000,
        };
        store.record_inclusion(hash, &inc).await.unwrap();
        assert!(store.undecided_bundles(10).await.unwrap().is_empty());

        let review = store.recent_bundles(&BundleFilter::default()).await.unwrap();
        assert_eq!(review.len(), 1);
        assert_eq!(review[0].inclusion, "landed");
        assert_eq!(review[0].builder.as_deref(), Some("builder-a"));
        assert_eq!(review[0].relays.len(), 2);
        let only_b = BundleFilter { relay: Some("zzz".into()), ..Default::default() };
        assert!(store.recent_bundles(&only_b).await.unwrap().is_empty());

        // Relay `a` reaches builder-a, which built the block: only it is credited.
        let stats = store
            .relay_stats(0, |relay, builder| builder == format!("builder-{relay}"))
            .await
            .unwrap();
        let by_name = store.relay_stats(0, credit_by_name).await.unwrap();
        assert!(by_name.iter().all(|s| s.landed == 0), "no relay is named like builder-a");
        let a = stats.iter().find(|s| s.relay == "a").unwrap();
        assert_eq!((a.sent, a.accepted, a.landed), (1, 1, 1));
        assert_eq!(a.profit_landed, "999100");
        let b = stats.iter().find(|s| s.relay == "b").unwrap();
        assert_eq!((b.accepted, b.landing_rate), (0, 0.0));
        assert_eq!(b.median_latency_us, 2_000_000);

        let t = store.totals(0).await.unwrap();
        assert_eq!((t.opportunities, t.bundles, t.landed), (1, 1, 1));
        assert_eq!(t.realised_profit, "999100");
        assert_eq!(t.gas_used, 109_000);
    }
}
