//! The send path of one plan, on its own task (no worker permit held): record the bundle
//! (committed before any relay sees it), fan it out, and record each relay's answer as it
//! arrives. A slow, silent or failing relay delays nothing but its own record.

use super::{Inner, Plan, hot_path, now_ms};
use crate::{
    metrics::{self as m, ErrorKind, SendSkip, StageName},
    store::bundles::BundleRecord,
};
use alloy::primitives::U256;
use bundles::bundle::Bundle;
use futures::StreamExt;
use std::{sync::Arc, time::Instant};
use tracing::{info, warn};

impl Inner {
    /// Records the plan's bundle, then sends it to every relay.
    pub(super) async fn send(self: &Arc<Self>, plan: Plan, received_at: Instant) {
        let bundle = match Bundle::new(
            vec![plan.victim_raw.clone(), plan.backrun.raw.clone()],
            plan.target_block,
        ) {
            Ok(b) => b,
            Err(err) => {
                m::skip(SendSkip::Unbundleable);
                hot_path::warn_unsendable(&plan, &err);
                return;
            }
        };
        if let Some(reason) = self.risk.blocked() {
            m::skip(reason);
            return;
        }
        if !self.writer.is_healthy() {
            // A bundle that cannot be recorded is never sent; its opportunity is kept.
            m::skip(SendSkip::StoreUnavailable);
            let mut opportunity = plan.opportunity;
            opportunity.status = SendSkip::StoreUnavailable.to_string();
            opportunity.backrun_hash = None;
            self.writer.opportunity(opportunity).await;
            return;
        }
        let record = BundleRecord {
            bundle_hash: bundle.hash(),
            opportunity_id: None,
            target_block: plan.target_block,
            replacement_uuid: bundle.replacement_uuid.map(|u| u.to_string()),
            victim_hash: plan.victim_hash,
            backrun_hash: plan.backrun.hash,
            created_at_ms: now_ms(),
            // revm's figure: the executor's WETH change across the backrun (net of a
            // coinbase transfer paid from WETH, before gas), the same measure as the realised
            // profit.
            simulated_profit: U256::try_from(plan.sim.profit).unwrap_or_default(),
            bid: plan.bid.builder_payment,
        };
        let prepared = match self.fanout.prepare_send(&bundle).await {
            Ok(p) => p,
            Err(err) => {
                self.error(ErrorKind::Fanout);
                m::skip(SendSkip::NoRelay);
                hot_path::warn_unsendable(&plan, &err);
                return;
            }
        };
        let recorded = Instant::now();
        if let Err(err) = self.writer.bundle(plan.opportunity.clone(), record).await {
            self.error(ErrorKind::Store);
            m::skip(SendSkip::StoreUnavailable);
            warn!(target: "searcher::engine", victim = %plan.victim_hash, %err, "bundle not recorded, so not sent");
            return;
        }
        m::stage_latency(StageName::Record, recorded.elapsed());
        let started = Instant::now();
        let mut answers = self.fanout.dispatch(prepared);
        m::stage_latency(StageName::ReceivedToSent, received_at.elapsed());
        metrics::counter!(m::BUNDLES_SENT_TOTAL).increment(1);
        self.stats.bundle_sent();
        let (mut relays, mut accepted, mut first) = (0usize, 0usize, true);
        while let Some(answer) = answers.next().await {
            if first {
                m::stage_latency(StageName::Send, started.elapsed());
                first = false;
            }
            relays += 1;
            accepted += usize::from(answer.outcome.is_accepted());
            self.writer.submission(answer).await;
        }
        info!(
            target: "searcher::engine",
            bundle = %bundle.hash(),
            target_block = plan.target_block,
            relays,
            accepted,
            "bundle sent"
        );
    }
}
