//! The hint task: reads each MEV-Share hint from its own channel and what it reveals about the
//! tracked pools ([`crate::predict::read_hint`]), under a brief market read guard.
//!
//! Counted: `searcher_channel_lag_seconds{source="mevshare"}`, `searcher_hints_total{reveals}`
//! (`exact`, `hidden`) and `searcher_skips_total{stage="hint"}`. Nothing is sent from hints
//! yet: backrunning them (sizing on partial information, `mev_sendBundle`) is the next step.
//! The task never touches the pending-transaction channel or the hot-path permits, so hints
//! cannot delay the mempool source.

use super::Inner;
use crate::{
    metrics as m,
    predict::read_hint,
    watch::hints::{Hint, HintChannels},
};
use alloy::primitives::Address;
use std::sync::Arc;
use tokio::sync::watch;
use tracing::debug;

/// Runs until the hint source stops (its channel closes) or `stop` turns true.
pub(super) async fn run(
    inner: Arc<Inner>,
    mut channels: HintChannels,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let hint = tokio::select! {
            biased;
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() { return; }
                continue;
            }
            hint = channels.hints.recv() => match hint {
                Some(hint) => hint,
                None => return,
            },
        };
        read(&inner, &hint).await;
    }
}

async fn read(inner: &Inner, hint: &Hint) {
    m::channel_lag("mevshare", hint.received_at.elapsed());
    let view = {
        let market = inner.market.read().await;
        let lookup = |a: Address| market.pool_by_address(a).map(|p| p.pool.kind.protocol());
        read_hint(&hint.event, &lookup)
    };
    match view {
        Ok(view) => {
            if !view.exact.is_empty() {
                metrics::counter!(m::HINTS_TOTAL, "reveals" => "exact").increment(1);
            }
            if !view.hidden.is_empty() {
                metrics::counter!(m::HINTS_TOTAL, "reveals" => "hidden").increment(1);
            }
            inner.stats.hint_read(!view.exact.is_empty(), !view.hidden.is_empty());
            debug!(target: "searcher::engine", hash = %view.hash, exact = view.exact.len(), hidden = view.hidden.len(), "hint read");
        }
        Err(reason) => {
            m::skip(reason);
            inner.stats.hint_read(false, false);
        }
    }
}
