//! Every metric the searcher exports, declared in one place with its meaning.
//!
//! Recording goes through the `metrics` facade; [`describe`] registers the help texts and
//! histogram buckets; the Prometheus exporter is installed by the CLI. Names are constants so a
//! typo is a compile error.

use std::time::Instant;

/// Histogram: seconds spent per hot-path stage. Label `stage`: `decode`, `predict`,
/// `strategy`, `encode` (calldata and transaction, once per pricing pass), `sim` (once per
/// pricing pass), `sign` (once per backrun), `send`, `total`.
pub const STAGE_SECONDS: &str = "searcher_stage_seconds";
/// Counter: items dropped by a stage, by `stage` and `reason`.
pub const SKIPS_TOTAL: &str = "searcher_skips_total";
/// Counter: outcomes per stage (`stage`, `outcome`), e.g. candidates found, bundles built.
pub const OUTCOMES_TOTAL: &str = "searcher_outcomes_total";
/// Counter: events received by the watch stage, by `source` (`pending`, `heads`, `logs`).
pub const WATCH_EVENTS_TOTAL: &str = "searcher_watch_events_total";
/// Counter: events dropped because a consumer lagged (channel full), by `source`.
pub const WATCH_DROPS_TOTAL: &str = "searcher_watch_drops_total";
/// Counter: node reconnects.
pub const WATCH_RECONNECTS_TOTAL: &str = "searcher_watch_reconnects_total";
/// Histogram: seconds an event waited in its channel before a consumer took it, by `source`.
pub const CHANNEL_LAG_SECONDS: &str = "searcher_channel_lag_seconds";
/// Gauge: the latest head block number seen.
pub const HEAD_BLOCK: &str = "searcher_head_block";
/// Counter: state reads that missed the warm cache and went to the node.
pub const STATE_MISSES_TOTAL: &str = "searcher_state_misses_total";
/// Counter: native math and revm disagreed on a backrun's profit.
pub const SIM_MISMATCH_TOTAL: &str = "searcher_sim_mismatch_total";
/// Counter: bundles submitted, by `relay` and `outcome`.
pub const BUNDLES_TOTAL: &str = "searcher_bundles_total";
/// Counter: bundles landed, by `builder`.
pub const LANDED_TOTAL: &str = "searcher_landed_total";
/// Counter: realised profit in wei of the base token (landed bundles).
pub const PROFIT_WEI_TOTAL: &str = "searcher_profit_wei_total";
/// Counter: gas spent by landed backruns.
pub const GAS_SPENT_TOTAL: &str = "searcher_gas_spent_total";

/// Buckets for stage latencies: 5 µs to 1 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 200e-6, 300e-6, 500e-6, 1e-3, 1.5e-3, 2.5e-3, 5e-3, 10e-3,
    25e-3, 50e-3, 100e-3, 250e-3, 1.0,
];

/// Registers the help text of every metric.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(STAGE_SECONDS, metrics::Unit::Seconds, "Seconds spent per hot-path stage");
    describe_counter!(SKIPS_TOTAL, "Items dropped by a stage, by stage and reason");
    describe_counter!(OUTCOMES_TOTAL, "Outcomes per stage");
    describe_counter!(WATCH_EVENTS_TOTAL, "Events received from the node, by source");
    describe_counter!(WATCH_DROPS_TOTAL, "Events dropped because a consumer lagged, by source");
    describe_counter!(WATCH_RECONNECTS_TOTAL, "Reconnects to the node");
    describe_histogram!(
        CHANNEL_LAG_SECONDS,
        metrics::Unit::Seconds,
        "Time an event waited in its channel"
    );
    describe_gauge!(HEAD_BLOCK, "Latest head block number");
    describe_counter!(STATE_MISSES_TOTAL, "State reads that missed the warm cache");
    describe_counter!(SIM_MISMATCH_TOTAL, "Native math and revm disagreed on profit");
    describe_counter!(BUNDLES_TOTAL, "Bundles submitted, by relay and outcome");
    describe_counter!(LANDED_TOTAL, "Bundles landed, by builder");
    describe_counter!(PROFIT_WEI_TOTAL, "Realised profit of landed bundles (wei)");
    describe_counter!(GAS_SPENT_TOTAL, "Gas used by landed backruns");
    crate::state::metrics::describe();
}

/// Counts a skip.
pub fn skip(stage: &'static str, reason: &'static str) {
    metrics::counter!(SKIPS_TOTAL, "stage" => stage, "reason" => reason).increment(1);
}

/// Records a stage's latency when dropped.
#[derive(Debug)]
pub struct StageTimer {
    stage: &'static str,
    start: Instant,
}

impl StageTimer {
    /// Starts timing `stage`.
    pub fn start(stage: &'static str) -> Self {
        Self { stage, start: Instant::now() }
    }
}

impl Drop for StageTimer {
    fn drop(&mut self) {
        metrics::histogram!(STAGE_SECONDS, "stage" => self.stage)
            .record(self.start.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    /// Every metric the committed Grafana dashboard queries is one this module declares (or
    /// the alerts counter), so the dashboard cannot silently go blank after a rename.
    #[test]
    fn dashboard_queries_only_declared_metrics() {
        let dashboard = include_str!("../grafana/searcher-dashboard.json");
        let declared = [
            super::STAGE_SECONDS,
            super::SKIPS_TOTAL,
            super::OUTCOMES_TOTAL,
            super::WATCH_EVENTS_TOTAL,
            super::WATCH_DROPS_TOTAL,
            super::WATCH_RECONNECTS_TOTAL,
            super::CHANNEL_LAG_SECONDS,
            super::HEAD_BLOCK,
            super::STATE_MISSES_TOTAL,
            super::SIM_MISMATCH_TOTAL,
            super::BUNDLES_TOTAL,
            super::LANDED_TOTAL,
            super::PROFIT_WEI_TOTAL,
            super::GAS_SPENT_TOTAL,
            "searcher_alerts_total",
        ];
        let mut found = 0;
        for (i, _) in dashboard.match_indices("searcher_") {
            let name: String = dashboard[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let base = name.trim_end_matches("_bucket");
            assert!(declared.contains(&base), "dashboard queries undeclared metric {name}");
            found += 1;
        }
        assert!(found >= 15, "the dashboard queries the searcher's metrics");
    }
}
