//! The bid policy: how much of a backrun's profit goes to the builder, and how it is paid.
//!
//! All amounts are wei of the base token (WETH, 1:1 with ETH), in `U256`.
//!
//! - **Coinbase transfer** (default): the executor pays `bid` to `block.coinbase` from its
//!   profit, so the builder sees the payment only if the backrun lands. The transaction pays
//!   the base fee plus `min_priority_fee`.
//! - **Priority fee**: nothing is transferred; the bid is paid as `priority fee × gas used`.
//!
//! The bid is `share_bps` of the profit left after gas, capped at `max_bid_wei`. A candidate
//! is kept only if what remains after gas and bid is at least `min_profit_wei`.

use alloy::primitives::U256;
use serde::{Deserialize, Serialize};

/// How the builder is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BidMode {
    /// The executor transfers the bid to `block.coinbase`.
    #[default]
    CoinbaseTransfer,
    /// The bid is the priority fee.
    PriorityFee,
}

/// Default share of the after-gas profit bid to the builder (basis points).
pub const DEFAULT_SHARE_BPS: u32 = 9_000;
/// Default priority fee in coinbase-transfer mode (wei per gas).
pub const DEFAULT_MIN_PRIORITY_FEE: u64 = 0;

/// Bid configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct BidPolicy {
    /// How the bid is paid.
    pub mode: BidMode,
    /// Share of the after-gas profit bid, in basis points (0..=10,000).
    pub share_bps: u32,
    /// Upper bound of any bid (wei).
    pub max_bid_wei: U256,
    /// Minimum profit kept after gas and bid (wei).
    pub min_profit_wei: U256,
    /// Priority fee in coinbase-transfer mode (wei per gas).
    pub min_priority_fee: u64,
}

impl Default for BidPolicy {
    fn default() -> Self {
        Self {
            mode: BidMode::default(),
            share_bps: DEFAULT_SHARE_BPS,
            max_bid_wei: U256::from(10u128.pow(18)),
            min_profit_wei: U256::ZERO,
            min_priority_fee: DEFAULT_MIN_PRIORITY_FEE,
        }
    }
}

/// The outcome of pricing one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bid {
    /// Paid by coinbase transfer from the executor (zero in priority-fee mode).
    pub coinbase_payment: U256,
    /// Priority fee per gas for the transaction.
    pub priority_fee_per_gas: u128,
    /// Total paid to the builder (transfer or priority fees).
    pub builder_payment: U256,
    /// Gas cost at the base fee plus priority fee.
    pub gas_cost: U256,
    /// Profit left to us after gas and the bid.
    pub net_profit: U256,
}

/// Why a candidate is not worth sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BidRejection {
    /// Gross profit does not cover gas.
    #[error("profit does not cover gas")]
    BelowGas,
    /// What remains after gas and bid is under the minimum.
    #[error("profit after gas and bid is below the minimum")]
    BelowMinProfit,
}

impl BidRejection {
    /// A stable label for metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BelowGas => "below_gas",
            Self::BelowMinProfit => "below_min_profit",
        }
    }
}

impl BidPolicy {
    /// Prices a candidate with `gross_profit` (before gas and bid), `gas_used` and the next
    /// block's base fee.
    pub fn price(
        &self,
        gross_profit: U256,
        gas_used: u64,
        next_base_fee: u128,
    ) -> Result<Bid, BidRejection> {
        let gas = U256::from(gas_used);
        let share = U256::from(self.share_bps.min(10_000));
        let bps = U256::from(10_000u32);
        match self.mode {
            BidMode::CoinbaseTransfer => {
                let gas_price = next_base_fee.saturating_add(u128::from(self.min_priority_fee));
                let gas_cost = gas.saturating_mul(U256::from(gas_price));
                let after_gas = gross_profit.checked_sub(gas_cost).ok_or(BidRejection::BelowGas)?;
                let bid = (after_gas * share / bps).min(self.max_bid_wei);
                let net_profit = after_gas - bid;
                self.check(net_profit)?;
                Ok(Bid {
                    coinbase_payment: bid,
                    priority_fee_per_gas: u128::from(self.min_priority_fee),
                    builder_payment: bid + gas.saturating_mul(U256::from(self.min_priority_fee)),
                    gas_cost,
                    net_profit,
                })
            }
            BidMode::PriorityFee => {
                let base_cost = gas.saturating_mul(U256::from(next_base_fee));
                let after_base =
                    gross_profit.checked_sub(base_cost).ok_or(BidRejection::BelowGas)?;
                let target = (after_base * share / bps).min(self.max_bid_wei);
                // Paid per gas: round down so the total never exceeds the target.
                let per_gas = if gas_used == 0 { U256::ZERO } else { target / gas };
                let priority_fee_per_gas = u128::try_from(per_gas).unwrap_or(u128::MAX);
                let builder_payment = per_gas * gas;
                let gas_cost = base_cost + builder_payment;
                let net_profit = after_base - builder_payment;
                self.check(net_profit)?;
                Ok(Bid {
                    coinbase_payment: U256::ZERO,
                    priority_fee_per_gas,
                    builder_payment,
                    gas_cost,
                    net_profit,
                })
            }
        }
    }

    fn check(&self, net_profit: U256) -> Result<(), BidRejection> {
        if net_profit < self.min_profit_wei || net_profit.is_zero() {
            Err(BidRejection::BelowMinProfit)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GWEI: u128 = 1_000_000_000;

    #[test]
    fn coinbase_transfer_shares_profit_after_gas() {
        let policy = BidPolicy::default();
        let bid = policy.price(U256::from(10u128.pow(16)), 110_000, 10 * GWEI).unwrap();
        let gas_cost = U256::from(110_000u128 * 10 * GWEI);
        assert_eq!(bid.gas_cost, gas_cost);
        let after_gas = U256::from(10u128.pow(16)) - gas_cost;
        assert_eq!(bid.coinbase_payment, after_gas * U256::from(9_000) / U256::from(10_000));
        assert_eq!(bid.net_profit + bid.coinbase_payment, after_gas);
    }

    #[test]
    fn cap_and_minimum_apply() {
        let policy = BidPolicy {
            max_bid_wei: U256::from(1_000),
            min_profit_wei: U256::from(10u128.pow(15)),
            ..Default::default()
        };
        let bid = policy.price(U256::from(10u128.pow(16)), 100_000, 0).unwrap();
        assert_eq!(bid.coinbase_payment, U256::from(1_000));
        assert_eq!(
            policy.price(U256::from(10u128.pow(14)), 100_000, 0),
            Err(BidRejection::BelowMinProfit)
        );
        assert_eq!(policy.price(U256::from(1), 100_000, GWEI), Err(BidRejection::BelowGas));
    }

    #[test]
    fn priority_fee_mode_pays_per_gas() {
        let policy = BidPolicy { mode: BidMode::PriorityFee, ..Default::default() };
        let bid = policy.price(U256::from(10u128.pow(16)), 100_000, GWEI).unwrap();
        assert!(bid.coinbase_payment.is_zero());
        assert_eq!(bid.builder_payment, U256::from(bid.priority_fee_per_gas) * U256::from(100_000));
    }

    proptest! {
        #[test]
        fn accounting_always_balances(
            profit in 0u128..10u128.pow(24), gas in 21_000u64..2_000_000, base in 0u128..1_000 * GWEI,
            share in 0u32..=10_000, priority_mode: bool,
        ) {
            let policy = BidPolicy {
                mode: if priority_mode { BidMode::PriorityFee } else { BidMode::CoinbaseTransfer },
                share_bps: share,
                ..Default::default()
            };
            if let Ok(bid) = policy.price(U256::from(profit), gas, base) {
                // Every wei of gross profit is accounted for, and we never pay more than we make.
                let base_cost = U256::from(gas) * U256::from(base);
                let paid = base_cost + bid.builder_payment;
                prop_assert_eq!(paid + bid.net_profit, U256::from(profit));
                prop_assert!(bid.builder_payment <= policy.max_bid_wei + U256::from(gas) * U256::from(policy.min_priority_fee));
                prop_assert!(!bid.net_profit.is_zero());
            }
        }
    }
}
