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

crate::skip_reasons! {
    /// Why the risk limits stopped a backrun (the `reason` label of
    /// `searcher_skips_total{stage="risk"}`).
    pub enum RiskBlock for "risk" {
        /// The kill switch is on.
        KillSwitch => "kill_switch",
            "The kill switch is on (the file risk.kill-switch-file exists, or SIGUSR1). Remove the file or send SIGUSR1 again.";
        /// Today's gas budget is spent.
        DailyGasBudget => "daily_gas_budget",
            "Landed backruns spent risk.daily-gas-budget-wei today (UTC). Sending resumes tomorrow, or raise the budget.";
        /// The gas price would exceed the cap.
        MaxGasPrice => "max_gas_price",
            "The backrun's gas price would exceed risk.max-gas-price-wei.";
        /// The bid would exceed the cap.
        MaxBid => "max_bid",
            "The bid would exceed risk.max-bid-wei.";
        /// The net profit is below the floor.
        MinProfit => "min_profit",
            "The net profit would be below risk.min-profit-wei (or zero).";
        /// revm shows a payment the program did not ask for.
        UnexpectedPayment => "unexpected_payment",
            "revm shows the backrun paying the builder more than its bid. Should not happen: report it.";
    }
}

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
    pub fn blocked(&self) -> Option<RiskBlock> {
        if self.is_killed() {
            return Some(RiskBlock::KillSwitch);
        }
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if spent.0 == utc_day() && spent.1 >= self.config.daily_gas_budget_wei {
            return Some(RiskBlock::DailyGasBudget);
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
    pub fn check(&self, bid: &Bid, sim: &SimOutcome, next_base_fee: u128) -> Result<(), RiskBlock> {
        let gas_price = next_base_fee.saturating_add(bid.priority_fee_per_gas);
        if gas_price > u128::from(self.config.max_gas_price_wei) {
            return Err(RiskBlock::MaxGasPrice);
        }
        if bid.builder_payment > self.config.max_bid_wei {
            return Err(RiskBlock::MaxBid);
        }
        if bid.net_profit < self.config.min_profit_wei || bid.net_profit.is_zero() {
            return Err(RiskBlock::MinProfit);
        }
        if sim.coinbase_transfer > bid.coinbase_payment {
            return Err(RiskBlock::UnexpectedPayment);
        }
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        let today = if spent.0 == utc_day() { spent.1 } else { U256::ZERO };
        if today.saturating_add(bid.gas_cost) > self.config.daily_gas_budget_wei {
            return Err(RiskBlock::DailyGasBudget);
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
        assert_eq!(risk.check(&bid(20, 50, 10), &sim(), 51), Err(RiskBlock::MaxGasPrice));
        assert_eq!(risk.check(&bid(20, 150, 10), &sim(), 1), Err(RiskBlock::MaxBid));
        assert_eq!(risk.check(&bid(5, 50, 10), &sim(), 1), Err(RiskBlock::MinProfit));

        assert_eq!(risk.blocked(), None);
        std::fs::write(&kill, "").unwrap();
        assert_eq!(risk.blocked(), Some(RiskBlock::KillSwitch));
        std::fs::remove_file(&kill).unwrap();
        assert!(risk.toggle_kill());
        assert_eq!(risk.blocked(), Some(RiskBlock::KillSwitch));
        assert!(!risk.toggle_kill());

        risk.record_gas_spent(U256::from(995));
        assert_eq!(risk.check(&bid(20, 50, 10), &sim(), 1), Err(RiskBlock::DailyGasBudget));
        risk.record_gas_spent(U256::from(5));
        assert_eq!(risk.blocked(), Some(RiskBlock::DailyGasBudget));
    }
}
