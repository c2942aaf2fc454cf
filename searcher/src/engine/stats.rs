//! Live counters for progress displays and the final summary (metrics carry the same
//! figures for Prometheus).

use alloy::primitives::I256;
use serde::Serialize;
use std::sync::{
    Mutex,
    atomic::{AtomicU64, Ordering},
};

/// Counters updated by the engine.
#[derive(Debug, Default)]
pub struct Stats {
    pub(crate) head: AtomicU64,
    pub(crate) blocks: AtomicU64,
    pub(crate) pending: AtomicU64,
    pub(crate) victims: AtomicU64,
    pub(crate) candidates: AtomicU64,
    pub(crate) bundles: AtomicU64,
    pub(crate) landed: AtomicU64,
    pub(crate) not_landed: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) hints: AtomicU64,
    pub(crate) hints_exact: AtomicU64,
    pub(crate) hints_hidden: AtomicU64,
    pub(crate) profit: Mutex<I256>,
}

/// A copy of the counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// Latest head.
    pub head: u64,
    /// Heads processed.
    pub blocks: u64,
    /// Pending transactions the engine took (after de-duplication).
    pub pending: u64,
    /// Of those, victims: they move a tracked pool (prediction succeeded).
    pub victims: u64,
    /// Victims with at least one profitable cycle.
    pub candidates: u64,
    /// Bundles sent.
    pub bundles: u64,
    /// Bundles landed.
    pub landed: u64,
    /// Bundles decided as not landed (any other verdict).
    pub not_landed: u64,
    /// Errors (store, node, relays as a whole).
    pub errors: u64,
    /// Realised profit of landed bundles (wei of the base token).
    pub profit_wei: String,
    /// MEV-Share hints read.
    pub hints: u64,
    /// Of those, hints giving a tracked pool's exact post-state (logs with data).
    pub hints_exact: u64,
    /// Of those, hints naming tracked pools moved by hidden amounts.
    pub hints_hidden: u64,
}

impl Stats {
    pub(crate) fn pending_seen(&self) {
        self.pending.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn victim(&self) {
        self.victims.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn head(&self) -> u64 {
        self.head.load(Ordering::Relaxed)
    }
    pub(crate) fn bundle_sent(&self) {
        self.bundles.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn set_head(&self, number: u64) {
        self.head.store(number, Ordering::Relaxed);
        self.blocks.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn hint_read(&self, exact: bool, hidden: bool) {
        self.hints.fetch_add(1, Ordering::Relaxed);
        if exact {
            self.hints_exact.fetch_add(1, Ordering::Relaxed);
        }
        if hidden {
            self.hints_hidden.fetch_add(1, Ordering::Relaxed);
        }
    }
    pub(crate) fn landed(&self, profit: I256) {
        self.landed.fetch_add(1, Ordering::Relaxed);
        *self.profit.lock().unwrap_or_else(|e| e.into_inner()) += profit;
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            head: get(&self.head),
            blocks: get(&self.blocks),
            pending: get(&self.pending),
            victims: get(&self.victims),
            candidates: get(&self.candidates),
            bundles: get(&self.bundles),
            landed: get(&self.landed),
            not_landed: get(&self.not_landed),
            errors: get(&self.errors),
            profit_wei: self.profit.lock().unwrap_or_else(|e| e.into_inner()).to_string(),
            hints: get(&self.hints),
            hints_exact: get(&self.hints_exact),
            hints_hidden: get(&self.hints_hidden),
        }
    }
}
