//! The engine's own metrics, and the typed skip reasons every stage reports.
//!
//! Every metric is `searcher_*`, has a HELP text and is owned by one subsystem, which declares
//! it next to its code and registers its description in its `describe()`:
//!
//! | prefix | owner |
//! | --- | --- |
//! | `searcher_hints_*`, `searcher_stage_*`, `searcher_skips_*`, `searcher_errors_*`, `searcher_channel_*`, `searcher_head_*`, `searcher_candidates_*`, `searcher_sim_*`, `searcher_bundles_sent_*`, `searcher_landed_*`, `searcher_realised_*`, `searcher_gas_*` | this module (the engine) |
//! | `searcher_watch_*` | [`crate::watch::metrics`] |
//! | `searcher_feed_*` | [`crate::watch::arbitrum::metrics`] |
//! | `searcher_state_*` | [`crate::state::metrics`] |
//! | `searcher_market_*` | [`crate::market::metrics`] |
//! | `searcher_store_*` | [`crate::store::writer`] |
//! | `searcher_relay_*`, `searcher_inclusion_*` | the `bundles` crate (`bundles::metrics`) |
//! | `searcher_alerts_*` | [`crate::alerts`] |
//!
//! [`describe`] registers them all; the Prometheus exporter is installed by the binary with
//! [`buckets`] (per histogram). Names are constants, so a typo is a compile error.
//!
//! ## Skip reasons
//!
//! Why nothing was sent is the operator's first question. Each stage reports its drops as one
//! enum implementing [`SkipReason`] (`as_str()` is the `reason` label of
//! `searcher_skips_total{stage, reason}`, `help()` says what it means and what to do); the
//! enums are the glossary ([`glossary`], printed in `docs/operations.md` and checked by a
//! test).

use crate::{predict::PredictSkip, sim::SimSkip, strategy::StrategySkip};
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use std::time::{Duration, Instant};

/// Histogram `{stage}`: seconds spent per hot-path stage ([`StageName`]).
pub const STAGE_SECONDS: &str = "searcher_stage_seconds";
/// Counter `{stage, reason}`: items dropped by a stage ([`SkipReason`]).
pub const SKIPS_TOTAL: &str = "searcher_skips_total";
/// Counter `{kind}`: errors ([`ErrorKind`]).
pub const ERRORS_TOTAL: &str = "searcher_errors_total";
/// Histogram `{source}`: seconds an event waited in its channel before a consumer took it.
pub const CHANNEL_LAG_SECONDS: &str = "searcher_channel_lag_seconds";
/// Histogram: seconds the head task took to apply one head (state, market, nonce).
pub const HEAD_SECONDS: &str = "searcher_head_seconds";
/// Gauge: the newest head the engine has applied (state, market, nonce).
pub const HEAD_BLOCK: &str = "searcher_head_block";
/// Counter: candidates found by strategy.
pub const CANDIDATES_TOTAL: &str = "searcher_candidates_total";
/// Counter: native math and revm disagreed on a backrun's profit (revm's figure is used).
pub const SIM_MISMATCH_TOTAL: &str = "searcher_sim_mismatch_total";
/// Counter: bundles handed to the relays (after their record was committed).
pub const BUNDLES_SENT_TOTAL: &str = "searcher_bundles_sent_total";
/// Counter `{builder}`: our bundles that landed, by the builder of the block (known names,
/// else `other`).
pub const LANDED_TOTAL: &str = "searcher_landed_total";
/// Gauge: realised profit of landed backruns since start, in ETH of the base token, net of
/// losses (a float: no wei figure is exact here; the store holds the exact amounts).
pub const REALISED_PROFIT_ETH: &str = "searcher_realised_profit_eth";
/// Counter `{reveals}`: MEV-Share hints the engine read, by what they reveal about the
/// tracked pools (`exact`: a post-state from logs with data; `hidden`: only the pools, amounts
/// hidden). Hints that reveal nothing are `searcher_skips_total{stage="hint"}`.
pub const HINTS_TOTAL: &str = "searcher_hints_total";
/// Counter: gas used by landed backruns.
pub const GAS_SPENT_TOTAL: &str = "searcher_gas_spent_total";

/// Buckets for stage latencies: 5 µs to 1 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 200e-6, 300e-6, 500e-6, 1e-3, 1.5e-3, 2.5e-3, 5e-3, 10e-3,
    25e-3, 50e-3, 100e-3, 250e-3, 1.0,
];
/// Buckets for block-scale durations (head processing, downtime): 1 ms to 10 minutes.
pub const SLOW_BUCKETS: &[f64] =
    &[1e-3, 5e-3, 10e-3, 25e-3, 50e-3, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 600.0];
/// Buckets for block counts (reorg depth).
pub const BLOCK_COUNT_BUCKETS: &[f64] = &[1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0, 64.0];

/// Every histogram's buckets, for the exporter: `(metric name, buckets)`.
pub fn buckets() -> Vec<(&'static str, &'static [f64])> {
    vec![
        (STAGE_SECONDS, LATENCY_BUCKETS),
        (CHANNEL_LAG_SECONDS, LATENCY_BUCKETS),
        (HEAD_SECONDS, SLOW_BUCKETS),
        (crate::watch::metrics::DOWNTIME_SECONDS, crate::watch::metrics::DOWNTIME_BUCKETS),
        (crate::state::metrics::ADVANCE_SECONDS, SLOW_BUCKETS),
        (crate::market::metrics::LOAD_SECONDS, SLOW_BUCKETS),
        (crate::market::metrics::BLOCK_SECONDS, SLOW_BUCKETS),
        (crate::market::metrics::REORG_DEPTH, BLOCK_COUNT_BUCKETS),
        (crate::store::writer::BATCH_SECONDS, LATENCY_BUCKETS),
        (bundles::metrics::RELAY_LATENCY, SLOW_BUCKETS),
    ]
}

/// Registers the HELP text of every metric of every subsystem.
pub fn describe() {
    describe_histogram!(STAGE_SECONDS, Unit::Seconds, "Seconds spent per hot-path stage");
    describe_counter!(SKIPS_TOTAL, Unit::Count, "Items dropped by a stage, by stage and reason");
    describe_counter!(ERRORS_TOTAL, Unit::Count, "Errors, by kind");
    describe_histogram!(CHANNEL_LAG_SECONDS, Unit::Seconds, "Time an event waited in its channel");
    describe_histogram!(HEAD_SECONDS, Unit::Seconds, "Time the head task took to apply one head");
    describe_gauge!(HEAD_BLOCK, "Newest head the engine has applied");
    describe_counter!(CANDIDATES_TOTAL, Unit::Count, "Candidates found by strategy");
    describe_counter!(SIM_MISMATCH_TOTAL, Unit::Count, "Native math and revm disagreed on profit");
    describe_counter!(BUNDLES_SENT_TOTAL, Unit::Count, "Bundles handed to the relays");
    describe_counter!(LANDED_TOTAL, Unit::Count, "Our bundles that landed, by builder");
    describe_gauge!(
        REALISED_PROFIT_ETH,
        "Realised profit of landed backruns since start (ETH, net)"
    );
    describe_counter!(GAS_SPENT_TOTAL, Unit::Count, "Gas used by landed backruns");
    describe_counter!(
        HINTS_TOTAL,
        Unit::Count,
        "MEV-Share hints read, by what they reveal about the tracked pools"
    );
    crate::watch::metrics::describe();
    crate::watch::arbitrum::metrics::describe();
    crate::state::metrics::describe();
    crate::market::metrics::describe();
    crate::store::writer::describe();
    crate::alerts::describe();
    bundles::metrics::describe();
}

/// The hot-path stages timed in `searcher_stage_seconds{stage}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageName {
    /// Decoding and filtering the pending transaction.
    Decode,
    /// The victim in revm.
    Predict,
    /// Cycles sized on the predicted state.
    Strategy,
    /// Calldata and transaction, once per pricing pass.
    Encode,
    /// The backrun in revm, once per pricing pass.
    Sim,
    /// One signature per backrun.
    Sign,
    /// From the transaction's arrival to the signed backrun.
    ReceivedToSigned,
    /// Recording the bundle (committed) before it is sent.
    Record,
    /// From handing the bundle to the relays to the first relay's answer.
    Send,
    /// From the transaction's arrival to the bundle leaving for the relays.
    ReceivedToSent,
    /// All of the hot path for one pending transaction.
    Total,
}

impl StageName {
    /// The metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Decode => "decode",
            Self::Predict => "predict",
            Self::Strategy => "strategy",
            Self::Encode => "encode",
            Self::Sim => "sim",
            Self::Sign => "sign",
            Self::ReceivedToSigned => "received_to_signed",
            Self::Record => "record",
            Self::Send => "send",
            Self::ReceivedToSent => "received_to_sent",
            Self::Total => "total",
        }
    }
}

/// Records a stage latency.
pub fn stage_latency(stage: StageName, elapsed: Duration) {
    histogram!(STAGE_SECONDS, "stage" => stage.as_str()).record(elapsed.as_secs_f64());
}

/// Records how long an event waited in its channel.
pub fn channel_lag(source: &'static str, waited: Duration) {
    histogram!(CHANNEL_LAG_SECONDS, "source" => source).record(waited.as_secs_f64());
}

/// Records a stage's latency when dropped.
#[derive(Debug)]
pub struct StageTimer {
    stage: StageName,
    start: Instant,
}

impl StageTimer {
    /// Starts timing `stage`.
    pub fn start(stage: StageName) -> Self {
        Self { stage, start: Instant::now() }
    }
}

impl Drop for StageTimer {
    fn drop(&mut self) {
        stage_latency(self.stage, self.start.elapsed());
    }
}

/// A typed reason a stage dropped a transaction, a candidate or a bundle.
pub trait SkipReason: Copy + 'static {
    /// The `stage` label.
    const STAGE: &'static str;
    /// Every reason of the stage, for the glossary.
    const ALL: &'static [Self];
    /// The `reason` label.
    fn as_str(self) -> &'static str;
    /// What it means and what to do about it.
    fn help(self) -> &'static str;
}

/// Counts a skip: `searcher_skips_total{stage, reason}`.
pub fn skip<R: SkipReason>(reason: R) {
    counter!(SKIPS_TOTAL, "stage" => R::STAGE, "reason" => reason.as_str()).increment(1);
}

/// Declares a stage's skip-reason enum: variants with their label and help text.
#[macro_export]
macro_rules! skip_reasons {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident for $stage:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $label:literal, $help:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// The `reason` label.
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $label, )+ }
            }

            /// What it means and what to do about it.
            pub const fn help(self) -> &'static str {
                match self { $( Self::$variant => $help, )+ }
            }
        }

        impl $crate::metrics::SkipReason for $name {
            const STAGE: &'static str = $stage;
            const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];
            fn as_str(self) -> &'static str {
                Self::as_str(self)
            }
            fn help(self) -> &'static str {
                Self::help(self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::metrics::SkipReason::as_str(*self))
            }
        }
    };
}

skip_reasons! {
    /// Why the engine itself dropped a pending transaction.
    pub enum EngineSkip for "engine" {
        /// Already handled.
        Duplicate => "duplicate",
            "The node announced a transaction the engine already handled (re-broadcast, reorg). Normal.";
    }
}

skip_reasons! {
    /// Why a pending transaction was not even predicted.
    pub enum DecodeSkip for "decode" {
        /// A transfer or a creation.
        NotContractCall => "not_contract_call",
            "A plain transfer or a contract creation: it cannot move a pool. Normal.";
        /// Signed for another chain.
        WrongChain => "wrong_chain",
            "Signed for another chain id. Normal in small numbers; many: check node.endpoint.";
        /// EIP-4844.
        BlobTx => "blob_tx",
            "A blob transaction: it cannot be bundled without its sidecar. Normal.";
    }
}

skip_reasons! {
    /// Why a priced backrun was not signed (the exec stage: bid, calldata, gas settling).
    pub enum ExecSkip for "exec" {
        /// Profit does not cover the gas.
        BelowGas => "below_gas",
            "The simulated profit does not cover the backrun's gas at the next base fee. Normal for small gaps.";
        /// Profit after the bid is below the minimum.
        BelowMinProfit => "below_min_profit",
            "What is left after gas and the bid is below bid.min-profit-wei / risk.min-profit-wei.";
        /// revm shows a loss.
        SimLoss => "sim_loss",
            "revm shows the backrun losing the base token although native math saw a profit: the market's model of a pool disagrees with the node's state (a stale or mis-modelled pool). Now and then after reorgs; many: see searcher_sim_mismatch_total and the pools in the opportunity records.";
        /// An amount overflowed.
        Overflow => "overflow",
            "An amount overflowed 256 bits (a hostile or broken pool). Check the pool in the opportunity record.";
        /// The amounts do not fit the executor's program.
        Encode => "encode",
            "The cycle's amounts do not fit the executor's packed program (uint96/uint128 fields). Lower strategy.max-input-wei.";
        /// Signing failed.
        Sign => "sign",
            "Signing the backrun failed. Check the trading key.";
        /// The bid did not settle.
        BidUnstable => "bid_unstable",
            "The bid's calldata gas kept growing with each price (no fixed point, no cycle to \
             price at its top). Rare; harmless.";
        /// revm's figures kept moving.
        SimUnstable => "sim_unstable",
            "revm's gas or profit changed on every pricing pass: nothing sent rather than a guess. Rare.";
    }
}

skip_reasons! {
    /// Why a proven bundle was not sent.
    pub enum SendSkip for "send" {
        /// The bundle cannot be encoded.
        Unbundleable => "unbundleable",
            "The bundle could not be built (size limits). Should not happen; report it.";
        /// The store cannot record it.
        StoreUnavailable => "store_unavailable",
            "The store could not record the bundle (full disk, broken file): a bundle that cannot be recorded is never sent. Free space; sending resumes by itself.";
        /// No relay is configured.
        NoRelay => "no_relay",
            "No relay could be prepared for the request. Check [[relays]].";
    }
}

/// The kinds of `searcher_errors_total{kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A hot-path worker panicked (its slot is returned).
    WorkerPanic,
    /// Applying a head failed (state, market, nonce); the next head retries.
    Head,
    /// Deciding a bundle's inclusion failed; retried on the next head.
    Inclusion,
    /// The store refused a write.
    Store,
    /// Preparing a relay request failed.
    Fanout,
}

impl ErrorKind {
    /// The metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WorkerPanic => "worker_panic",
            Self::Head => "head",
            Self::Inclusion => "inclusion",
            Self::Store => "store",
            Self::Fanout => "fanout",
        }
    }
}

/// Counts an error.
pub fn error(kind: ErrorKind) {
    counter!(ERRORS_TOTAL, "kind" => kind.as_str()).increment(1);
}

/// Sets the applied head.
pub fn head_applied(number: u64) {
    gauge!(HEAD_BLOCK).set(number as f64);
}

/// The glossary of every skip reason (markdown: stage, reason, meaning), as printed in
/// `docs/operations.md`.
pub fn glossary() -> String {
    fn rows<R: SkipReason>(out: &mut String) {
        for r in R::ALL {
            out.push_str(&format!("| `{}` | `{}` | {} |\n", R::STAGE, r.as_str(), r.help()));
        }
    }
    let mut out =
        String::from("| stage | reason | meaning, and what to do |\n| --- | --- | --- |\n");
    rows::<EngineSkip>(&mut out);
    rows::<crate::engine::RiskBlock>(&mut out);
    rows::<DecodeSkip>(&mut out);
    rows::<PredictSkip>(&mut out);
    rows::<crate::predict::HintSkip>(&mut out);
    rows::<StrategySkip>(&mut out);
    rows::<ExecSkip>(&mut out);
    rows::<SimSkip>(&mut out);
    rows::<SendSkip>(&mut out);
    rows::<crate::watch::arbitrum::FeedSkip>(&mut out);
    for r in crate::watch::DropReason::ALL {
        out.push_str(&format!("| `watch` | `{}` | {} |\n", r.as_str(), r.help()));
    }
    out
}

#[cfg(test)]
mod tests {
    /// Every metric the committed Grafana dashboard queries is one the searcher declares, so
    /// the dashboard cannot silently go blank after a rename.
    #[test]
    fn dashboard_queries_only_declared_metrics() {
        let dashboard = include_str!("../grafana/searcher-dashboard.json");
        let declared = declared_names();
        let mut found = 0;
        for (i, _) in dashboard.match_indices("searcher_") {
            let name: String = dashboard[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let base = name
                .trim_end_matches("_bucket")
                .trim_end_matches("_count")
                .trim_end_matches("_sum");
            assert!(declared.contains(&base), "dashboard queries undeclared metric {name}");
            found += 1;
        }
        assert!(found >= 15, "the dashboard queries the searcher's metrics");
    }

    /// The metric names the searcher declares.
    fn declared_names() -> Vec<&'static str> {
        vec![
            super::STAGE_SECONDS,
            super::SKIPS_TOTAL,
            super::ERRORS_TOTAL,
            super::CHANNEL_LAG_SECONDS,
            super::HEAD_BLOCK,
            super::HEAD_SECONDS,
            super::CANDIDATES_TOTAL,
            super::SIM_MISMATCH_TOTAL,
            super::BUNDLES_SENT_TOTAL,
            super::LANDED_TOTAL,
            super::REALISED_PROFIT_ETH,
            super::GAS_SPENT_TOTAL,
            super::HINTS_TOTAL,
            crate::watch::metrics::EVENTS_TOTAL,
            crate::watch::metrics::DROPS_TOTAL,
            crate::watch::metrics::RECONNECTS_TOTAL,
            crate::watch::metrics::RECONNECT_ATTEMPTS_TOTAL,
            crate::watch::metrics::DOWNTIME_SECONDS,
            crate::watch::metrics::HEAD_BLOCK,
            crate::state::metrics::MISSES,
            crate::state::metrics::ADVANCE_SECONDS,
            crate::store::writer::HEALTHY,
            crate::alerts::ALERTS_TOTAL,
            bundles::metrics::SUBMISSIONS,
            bundles::metrics::RELAY_LATENCY,
            bundles::metrics::INCLUSIONS,
        ]
    }

    /// The skip-reason glossary in `docs/operations.md` is the one the enums generate.
    /// Regenerate it with `SEARCHER_BLESS=1 cargo test -p searcher --lib glossary`.
    #[test]
    fn glossary_in_docs_is_current() {
        let glossary = super::glossary();
        let labels: std::collections::HashSet<_> = glossary.lines().collect();
        assert_eq!(labels.len(), glossary.lines().count(), "no reason is listed twice");
        // Read at run time (cargo sets the variable for tests): nothing compiles a path in.
        let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        let path = std::path::Path::new(&root).join("../docs/operations.md");
        let doc = std::fs::read_to_string(&path).expect("docs/operations.md exists");
        let (start, end) = ("<!-- skip-reasons:start -->\n", "<!-- skip-reasons:end -->");
        let from = doc.find(start).expect("start marker") + start.len();
        let to = doc.find(end).expect("end marker");
        if std::env::var("SEARCHER_BLESS").is_ok_and(|v| v == "1") {
            let updated = format!("{}{glossary}{}", &doc[..from], &doc[to..]);
            std::fs::write(&path, updated).expect("write docs/operations.md");
            return;
        }
        assert_eq!(
            &doc[from..to],
            glossary,
            "docs/operations.md's skip-reason glossary is stale: regenerate it with \
             SEARCHER_BLESS=1 cargo test -p searcher --lib glossary"
        );
    }
}
