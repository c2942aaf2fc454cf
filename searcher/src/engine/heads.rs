//! The head task: every new head, in order, off the hot path.
//!
//! ```text
//!  head ─┬─ state.prepare (diff trace, carry-over, prefetch) ─┐
//!        ├─ eth_getLogs of the block (when it extends ours) ──┼─▶ market write lock:
//!        └─ nonce of the trading key ─────────────────────────┘   market.sync + state.publish
//!                                                                  ─▶ nonces ─▶ inclusion task
//! ```
//!
//! Every node round trip runs before the market's write lock is taken; under it the market
//! applies the block and the new state is published, so a worker that reads the market under
//! its read guard always sees the state of the same block. Inclusion verdicts run on their own
//! task ([`super::inclusion`]), which this one only wakes.

use super::Inner;
use crate::{
    market::sync::{BlockRef, block_logs},
    metrics::{self as m, ErrorKind},
    watch::HeadEvent,
};
use alloy::{providers::Provider, rpc::types::Header};
use eyre::WrapErr;
use std::{
    sync::{Arc, atomic::Ordering},
    time::Instant,
};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// Runs until the head channel closes; publishes each applied head number on `applied`.
pub(super) async fn run(
    inner: Arc<Inner>,
    mut heads: mpsc::Receiver<HeadEvent>,
    applied: watch::Sender<u64>,
) {
    while let Some(event) = heads.recv().await {
        match event {
            HeadEvent::New { header, received_at } => {
                m::channel_lag("heads", received_at.elapsed());
                let started = Instant::now();
                match inner.on_head(&header).await {
                    Ok(()) => {
                        applied.send_replace(header.number);
                    }
                    Err(err) => {
                        inner.error(ErrorKind::Head);
                        warn!(target: "searcher::engine", block = header.number, err = format!("{err:#}"), "head not applied; the next head retries");
                    }
                }
                metrics::histogram!(m::HEAD_SECONDS).record(started.elapsed().as_secs_f64());
            }
            HeadEvent::Reconnected { downtime } => {
                info!(target: "searcher::engine", downtime_ms = downtime.as_millis() as u64, "node back; resyncing from the current head");
            }
        }
    }
}

impl Inner {
    /// Applies one new head.
    pub(super) async fn on_head(&self, header: &Header) -> eyre::Result<()> {
        let provider = self.node.provider();
        let target = BlockRef::from_header(header);
        let extends_ours = {
            let market = self.market.read().await;
            market.head().is_some_and(|h| h.hash == header.parent_hash)
        };
        // Every node round trip, concurrently, with no lock held.
        let (prepared, logs, nonce) = tokio::join!(
            self.state.prepare(header),
            async { if extends_ours { block_logs(&provider, target).await.ok() } else { None } },
            provider.get_transaction_count(self.signer.address()).block_id(header.number.into()),
        );
        let prepared = prepared.wrap_err("state cache")?;
        let nonce = nonce.wrap_err("nonce of the trading key")?;
        {
            let mut market = self.market.write().await;
            let report = market
                .sync_to_prefetched(&provider, &self.store, target, logs)
                .await
                .wrap_err("market sync")?;
            // Published under the same lock: a worker sees the market and the state of one block.
            self.state.publish(prepared);
            if report.reorg_depth > 0 {
                warn!(target: "searcher::engine", block = header.number, depth = report.reorg_depth, "reorg");
            }
        }
        self.nonces.on_head(header.number, nonce);
        self.stats.set_head(header.number);
        m::head_applied(header.number);
        let killed = self.risk.is_killed();
        if killed != self.was_killed.swap(killed, Ordering::Relaxed) {
            warn!(target: "searcher::engine", kill_switch = killed, "kill switch changed");
            self.alerts.kill_switch(killed);
        }
        Ok(())
    }
}
