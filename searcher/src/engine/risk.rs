//! Risk limits enforced before anything is signed or sent: minimum profit, maximum bid,
//! maximum gas price, a daily gas budget and the kill switch.
//!
//! The kill switch is a file (checked on every candidate and every send, so it takes effect
//! within the block it appears in) or a signal (`SIGUSR1` toggles it; see the CLI).

use crate::{config::RiskConfig, exec::bid::Bid, sim::SimOutcome};
use alloy::primitives::U256;
use std::{
    path::PathBuf,
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

/// The risk state.
#[derive(Debug)]
pub struct Risk {
    config: RiskConfig,
    kill_file: Option<PathBuf>,
    killed_by_signal: AtomicBool,
    /// (UTC day number, gas wei spent that day by landed backruns).
    spent: Mutex<(u64, U256)>,
}

fn utc_day() -> u64 {
    super::now_ms() / 86_400_000
}

impl Risk {
    /// From the `[risk]` config.
    pub fn new(config: &RiskConfig) -> Self {
        Self {
            kill_file: config.kill_switch_file.clone(),
            config: config.clone(),
            killed_by_signal: AtomicBool::new(false),
            spent: Mutex::new((utc_day(), U256::ZERO)),
        }
    }

    /// Why nothing may be sent right now, if so.
    pub fn blocked(&self) -> Option<&'static str> {
        if self.is_killed() {
            return Some("kill_switch");
        }
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if spent.0 == utc_day() && spent.1 >= self.config.daily_gas_budget_wei {
            return Some("daily_gas_budget");
        }
        None
    }

    /// Whether the kill switch is on (file present or toggled by signal).
    pub fn is_killed(&self) -> bool {
        self.killed_by_signal.load(Ordering::Relaxed)
            || self.kill_file.as_ref().is_some_and(|f| f.exists())
    }

    /// Flips the signal-driven kill switch; returns the new state.
    pub fn toggle_kill(&self) -> bool {
        !self.killed_by_signal.fetch_xor(true, Ordering::SeqCst)
    }

    /// Checks a simulated, priced backrun against the hard limits.
    pub fn check(
        &self,
        bid: &Bid,
        sim: &SimOutcome,
        next_base_fee: u128,
    ) -> Result<(), &'static str> {
        let gas_price = next_base_fee.saturating_add(bid.priority_fee_per_gas);
        if gas_price > u128::from(self.config.max_gas_price_wei) {
            return Err("risk_max_gas_price");
        }
        if bid.builder_payment > self.config.max_bid_wei {
            return Err("risk_max_bid");
        }
        if bid.net_profit < self.config.min_profit_wei || bid.net_profit.is_zero() {
            return Err("risk_min_profit");
        }
        if sim.coinbase_transfer > bid.coinbase_payment {
            return Err("risk_unexpected_payment");
        }
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        let today = if spent.0 == utc_day() { spent.1 } else { U256::ZERO };
        if today.saturating_add(bid.gas_cost) > self.config.daily_gas_budget_wei {
            return Err("risk_daily_gas_budget");
        }
        Ok(())
    }

    /// Adds gas spent by a landed backrun to today's total.
    pub fn record_gas_spent(&self, wei: U256) {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        let day = utc_day();
        if spent.0 != day {
            *spent = (day, U256::ZERO);
        }
        spent.1 = spent.1.saturating_add(wei);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(net: u64, payment: u64, gas_cost: u64) -> Bid {
        Bid {
            coinbase_payment: U256::from(payment),
            priority_fee_per_gas: 0,
            builder_payment: U256::from(payment),
            gas_cost: U256::from(gas_cost),
            net_profit: U256::from(net),
        }
    }

    fn sim() -> SimOutcome {
        SimOutcome {
            head: 1,
            profit: alloy::primitives::I256::ZERO,
            balance_before: U256::ZERO,
            balance_after: U256::ZERO,
            victim_gas_used: 0,
            gas_used: 100_000,
            builder_payment: U256::ZERO,
            priority_fee: U256::ZERO,
            coinbase_transfer: U256::ZERO,
            logs: vec![],
        }
    }

    #[test]
    fn limits_and_kill_switch() {
        let dir = tempfile::tempdir().unwrap();
        let kill = dir.path().join("kill");
        let config = RiskConfig {
            min_profit_wei: U256::from(10),
            max_bid_wei: U256::from(100),
            max_gas_price_wei: 50,
            daily_gas_budget_wei: U256::from(1_000),
            deny_tokens: vec![],
            kill_switch_file: Some(kill.clone()),
        };
        let risk = Risk::new(&config);
        assert_eq!(risk.check(&bid(20, 50, 10), &sim(), 40), Ok(()));
        assert_eq!(risk.check(&bid(20, 50, 10), &sim(), 51), Err("risk_max_gas_price"));
        assert_eq!(risk.check(&bid(20, 150, 10), &sim(), 1), Err("risk_max_bid"));
        assert_eq!(risk.check(&bid(5, 50, 10), &sim(), 1), Err("risk_min_profit"));

        assert_eq!(risk.blocked(), None);
        std::fs::write(&kill, "").unwrap();
        assert_eq!(risk.blocked(), Some("kill_switch"));
        std::fs::remove_file(&kill).unwrap();
        assert!(risk.toggle_kill());
        assert_eq!(risk.blocked(), Some("kill_switch"));
        assert!(!risk.toggle_kill());

        risk.record_gas_spent(U256::from(995));
        assert_eq!(risk.check(&bid(20, 50, 10), &sim(), 1), Err("risk_daily_gas_budget"));
        risk.record_gas_spent(U256::from(5));
        assert_eq!(risk.blocked(), Some("daily_gas_budget"));
    }
}
