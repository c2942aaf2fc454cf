//! Every metric the market emits (`searcher_market_*`), declared in one place with its
//! description. Recorded
//! through the `metrics` facade; whichever exporter the binary installs picks them up.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// `eth_getLogs` requests made by discovery.
pub const DISCOVERY_LOG_REQUESTS: &str = "searcher_market_discovery_log_requests_total";
/// Times discovery halved its block range after an error ("too many results", timeouts).
pub const DISCOVERY_CHUNK_SHRINKS: &str = "searcher_market_discovery_chunk_shrinks_total";
/// Pools found, by `kind`.
pub const POOLS_DISCOVERED: &str = "searcher_market_pools_discovered_total";
/// Pools tracked.
pub const POOLS: &str = "searcher_market_pools";
/// Cycles in the index.
pub const CYCLES: &str = "searcher_market_cycles";
/// `eth_call`s sent by the state loader.
pub const LOAD_CALLS: &str = "searcher_market_load_calls_total";
/// Wall time of one state load (bootstrap or reload of some pools).
pub const LOAD_SECONDS: &str = "searcher_market_load_seconds";
/// Logs applied to pool state, by `event`.
pub const LOGS_APPLIED: &str = "searcher_market_logs_applied_total";
/// Blocks applied.
pub const BLOCKS_APPLIED: &str = "searcher_market_blocks_applied_total";
/// Wall time to fetch and apply one block's logs.
pub const BLOCK_SECONDS: &str = "searcher_market_block_seconds";
/// Reorgs rolled back in place.
pub const REORGS: &str = "searcher_market_reorgs_total";
/// Blocks rolled back per reorg.
pub const REORG_DEPTH: &str = "searcher_market_reorg_depth";
/// Blocks currently held in the undo log.
pub const UNDO_DEPTH: &str = "searcher_market_undo_depth";
/// Full reloads (reorg deeper than the undo log, or a head gap too large to replay).
pub const RELOADS: &str = "searcher_market_reloads_total";
/// V3 pools re-read because their tick moved out of the loaded window's centre word, or an
/// event did not apply.
pub const POOL_RELOADS: &str = "searcher_market_pool_reloads_total";
/// Pools currently flagged, by `reason`.
pub const FLAGGED_POOLS: &str = "searcher_market_flagged_pools";
/// Token transfer probes that could not run (no `eth_simulateV1`, no balance to move).
pub const PROBES_UNAVAILABLE: &str = "searcher_market_probes_unavailable_total";
/// Counter: checkpoint writes that failed on the head path (the market synced on in memory).
pub const CHECKPOINT_FAILURES: &str = "searcher_market_checkpoint_failures_total";
/// Gauge: 1 while the stored checkpoint is behind the market in memory, else 0.
pub const CHECKPOINT_BEHIND: &str = "searcher_market_checkpoint_behind";

/// Registers the descriptions (idempotent; call once at startup).
pub fn describe() {
    describe_counter!(
        DISCOVERY_LOG_REQUESTS,
        Unit::Count,
        "eth_getLogs requests made by pool discovery"
    );
    describe_counter!(
        DISCOVERY_CHUNK_SHRINKS,
        Unit::Count,
        "discovery block-range halvings after errors"
    );
    describe_counter!(
        POOLS_DISCOVERED,
        Unit::Count,
        "pools discovered from factory creation logs, by kind"
    );
    describe_gauge!(POOLS, "pools tracked by the market");
    describe_gauge!(CYCLES, "cycles in the cycle index");
    describe_counter!(LOAD_CALLS, Unit::Count, "eth_calls sent by the state loader");
    describe_histogram!(LOAD_SECONDS, Unit::Seconds, "wall time of one batched state load");
    describe_counter!(LOGS_APPLIED, Unit::Count, "logs applied to pool state, by event");
    describe_counter!(BLOCKS_APPLIED, Unit::Count, "blocks whose logs were applied");
    describe_histogram!(BLOCK_SECONDS, Unit::Seconds, "time to fetch and apply one block");
    describe_counter!(REORGS, Unit::Count, "reorgs rolled back with the undo log");
    describe_histogram!(REORG_DEPTH, Unit::Count, "blocks rolled back per reorg");
    describe_gauge!(UNDO_DEPTH, "blocks held in the undo log");
    describe_counter!(RELOADS, Unit::Count, "full state reloads (reorg too deep or gap too large)");
    describe_counter!(POOL_RELOADS, Unit::Count, "single-pool state re-reads during sync");
    describe_gauge!(FLAGGED_POOLS, "pools kept out of the cycle index, by reason");
    describe_counter!(PROBES_UNAVAILABLE, Unit::Count, "token transfer probes that could not run");
    describe_counter!(
        CHECKPOINT_FAILURES,
        Unit::Count,
        "market checkpoint writes that failed on the head path (the market synced on in memory)"
    );
    describe_gauge!(
        CHECKPOINT_BEHIND,
        "1 while the stored market checkpoint is behind the market in memory (it is rewritten \
         whole at the next head the store takes)"
    );
}
