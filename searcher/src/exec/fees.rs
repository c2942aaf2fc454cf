//! EIP-1559 fees for a backrun targeting the block after the head.

use alloy::{consensus::Header, eips::eip1559::BaseFeeParams};

/// Fee fields of a backrun targeting the next block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// The next block's base fee, known exactly from the head.
    pub next_base_fee: u128,
    /// `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
}

impl Fees {
    /// Fees for the block after `head`: the base fee is exact, so `maxFeePerGas` only needs
    /// the priority fee on top (a bundle targets exactly that block).
    pub fn for_next_block(head: &Header, priority_fee: u128) -> Self {
        let next_base_fee =
            u128::from(head.next_block_base_fee(BaseFeeParams::ethereum()).unwrap_or_default());
        Self::with_base_fee(next_base_fee, priority_fee)
    }

    /// Fees given the next block's base fee.
    pub const fn with_base_fee(next_base_fee: u128, priority_fee: u128) -> Self {
        Self {
            next_base_fee,
            max_fee_per_gas: next_base_fee.saturating_add(priority_fee),
            max_priority_fee_per_gas: priority_fee,
        }
    }

    /// What the transaction pays per gas in the target block.
    pub const fn effective_gas_price(&self) -> u128 {
        self.next_base_fee.saturating_add(self.max_priority_fee_per_gas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_base_fee_follows_eip1559() {
        // A full block raises the base fee by 1/8; an empty one lowers it by 1/8.
        let mut head = Header {
            base_fee_per_gas: Some(1_000_000_000),
            gas_limit: 30_000_000,
            gas_used: 30_000_000,
            ..Default::default()
        };
        assert_eq!(Fees::for_next_block(&head, 0).next_base_fee, 1_125_000_000);
        head.gas_used = 0;
        let fees = Fees::for_next_block(&head, 7);
        assert_eq!(fees.next_base_fee, 875_000_000);
        assert_eq!(fees.max_fee_per_gas, 875_000_007);
        assert_eq!(fees.effective_gas_price(), 875_000_007);
    }
}
