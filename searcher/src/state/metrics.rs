//! The state layer's own metrics (beyond `searcher_state_misses_total`, declared with the
//! others in [`crate::metrics`], labelled here by `kind`: `account`, `storage`, `block_hash`).

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

pub use crate::metrics::STATE_MISSES_TOTAL as MISSES;
/// Counter `{kind}`: reads fetched ahead of use when a head is installed or on request.
pub const PREFETCHES: &str = "searcher_state_prefetches_total";
/// Counter `{kind}`: node reads that failed (transport error, timeout).
pub const FETCH_ERRORS: &str = "searcher_state_fetch_errors_total";
/// Counter `{mode}`: heads installed, by how the previous cache was invalidated
/// (`diff`, `unknown`, `reorg`).
pub const HEADS: &str = "searcher_state_heads_total";
/// Gauge `{kind}`: entries cached for the current head (`account`, `storage`, `code`).
pub const ENTRIES: &str = "searcher_state_entries";
/// Histogram: seconds to install a new head (diff trace, carry-over and prefetch).
pub const ADVANCE_SECONDS: &str = "searcher_state_advance_seconds";

/// Registers descriptions of the metrics above with the installed recorder.
pub fn describe() {
    describe_counter!(PREFETCHES, "State reads fetched ahead of use, by kind");
    describe_counter!(FETCH_ERRORS, "State reads from the node that failed, by kind");
    describe_counter!(HEADS, "Heads installed in the state cache, by invalidation mode");
    describe_gauge!(ENTRIES, "Entries cached for the current head, by kind");
    describe_histogram!(ADVANCE_SECONDS, Unit::Seconds, "Time to install a new head");
}
