//! The state layer's metrics (`searcher_state_*`), owned and described here.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// Counter `{kind}`: state reads that missed the warm cache and went to the node (`account`,
/// `storage`, `block_hash`).
pub const MISSES: &str = "searcher_state_misses_total";
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
    describe_counter!(MISSES, Unit::Count, "State reads that missed the warm cache, by kind");
    describe_counter!(PREFETCHES, Unit::Count, "State reads fetched ahead of use, by kind");
    describe_counter!(FETCH_ERRORS, Unit::Count, "State reads from the node that failed, by kind");
    describe_counter!(
        HEADS,
        Unit::Count,
        "Heads installed in the state cache, by invalidation mode"
    );
    describe_gauge!(ENTRIES, "Entries cached for the current head, by kind");
    describe_histogram!(ADVANCE_SECONDS, Unit::Seconds, "Time to install a new head");
}
