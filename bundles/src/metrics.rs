//! Every metric this crate emits, declared in one place (through the `metrics` facade; the
//! binary installs the Prometheus exporter and calls [`describe`] once). Names carry the
//! `searcher_` prefix of the application that uses the crate; label sets are bounded (a builder
//! the rules do not name is `other`).

use crate::{
    encode::RequestKind,
    inclusion::{BuilderTable, InclusionStatus},
    outcome::RelayOutcome,
};
use std::time::Duration;

/// Counter: requests per relay, kind (`send`, `cancel`, `mev_send`) and outcome label
/// (`accepted`, `rejected`, `http_error`, `garbage`, `timeout`, `transport`, `rate_limited`,
/// `unsupported`).
pub const SUBMISSIONS: &str = "searcher_relay_submissions_total";
/// Histogram: seconds from sending a request to the last byte of its answer, per relay
/// (requests that were sent only; timeouts record the time waited).
pub const RELAY_LATENCY: &str = "searcher_relay_latency_seconds";
/// Counter: X-Flashbots-Signatures computed (one per distinct body, not per relay).
pub const SIGNATURES: &str = "searcher_relay_signatures_total";
/// Counter: inclusion verdicts by status (`landed`, `landed_in_other_block`,
/// `victim_landed_without_us`, `not_landed`) and builder.
pub const INCLUSIONS: &str = "searcher_inclusion_verdicts_total";

/// Registers units and descriptions with the installed recorder.
pub fn describe() {
    metrics::describe_counter!(
        SUBMISSIONS,
        metrics::Unit::Count,
        "Bundle requests per relay, kind and outcome"
    );
    metrics::describe_histogram!(
        RELAY_LATENCY,
        metrics::Unit::Seconds,
        "Time from sending a request to the end of the relay's answer"
    );
    metrics::describe_counter!(SIGNATURES, metrics::Unit::Count, "X-Flashbots-Signatures computed");
    metrics::describe_counter!(
        INCLUSIONS,
        metrics::Unit::Count,
        "Inclusion verdicts by status and builder"
    );
}

pub(crate) fn record_submission(
    relay: &str,
    kind: RequestKind,
    outcome: &RelayOutcome,
    latency: Duration,
) {
    metrics::counter!(SUBMISSIONS, "relay" => relay.to_owned(), "kind" => kind.as_str(), "outcome" => outcome.label())
        .increment(1);
    if outcome.was_sent() {
        metrics::histogram!(RELAY_LATENCY, "relay" => relay.to_owned())
            .record(latency.as_secs_f64());
    }
}

pub(crate) fn record_signature() {
    metrics::counter!(SIGNATURES).increment(1);
}

pub(crate) fn record_inclusion(status: &InclusionStatus, builders: &BuilderTable) {
    let builder = status.builder().map_or_else(|| "none".to_owned(), |b| builders.metric_label(b));
    metrics::counter!(INCLUSIONS, "status" => status.label(), "builder" => builder).increment(1);
}
