//! Gas figures the bid depends on: the calldata cost of a transaction (EIP-2028) and the
//! execution gas learned per cycle from earlier simulations.
//!
//! The bid is priced on the backrun's gas, and the bid is in the calldata (bribe and
//! minimum profit), whose cost is 4 gas per zero byte and 16 per other. A backrun's gas is
//! therefore split into its execution part (everything but the calldata bytes, which does not
//! depend on the amounts encoded) and the calldata part, which is known exactly once the
//! transaction is encoded. With the execution part known, the bid settles locally and one
//! simulation proves it. [`GasMemo`] remembers the execution part per cycle, so a cycle seen
//! before is usually proven by a single simulation; a stale figure costs one more.

use crate::market::CycleId;
use std::{collections::HashMap, sync::Mutex};

/// EIP-2028 calldata cost: 4 gas per zero byte, 16 per non-zero byte.
pub fn calldata_gas(input: &[u8]) -> u64 {
    input.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum()
}

/// Execution gas (transaction gas minus calldata cost) last simulated per cycle.
#[derive(Debug)]
pub struct GasMemo {
    entries: Mutex<HashMap<CycleId, u64>>,
    capacity: usize,
}

impl Default for GasMemo {
    fn default() -> Self {
        Self::with_capacity(100_000)
    }
}

impl GasMemo {
    /// A memo holding at most `capacity` cycles (it starts over when full).
    pub fn with_capacity(capacity: usize) -> Self {
        Self { entries: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// The execution gas last simulated for `cycle`.
    pub fn get(&self, cycle: CycleId) -> Option<u64> {
        self.entries.lock().ok()?.get(&cycle).copied()
    }

    /// Remembers `cycle`'s execution gas.
    pub fn record(&self, cycle: CycleId, execution_gas: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity && !entries.contains_key(&cycle) {
                entries.clear();
            }
            entries.insert(cycle, execution_gas);
        }
    }

    /// Forgets everything (benchmarks measure the path of a cycle never seen before).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calldata_cost_counts_zero_and_other_bytes() {
        assert_eq!(calldata_gas(&[]), 0);
        assert_eq!(calldata_gas(&[0, 0, 1, 0xff]), 4 + 4 + 16 + 16);
    }

    #[test]
    fn memo_remembers_and_starts_over_when_full() {
        let memo = GasMemo::with_capacity(2);
        memo.record(CycleId(1), 100);
        memo.record(CycleId(2), 200);
        memo.record(CycleId(1), 150);
        assert_eq!((memo.get(CycleId(1)), memo.get(CycleId(2))), (Some(150), Some(200)));
        memo.record(CycleId(3), 300);
        assert_eq!((memo.get(CycleId(1)), memo.get(CycleId(3))), (None, Some(300)));
        memo.clear();
        assert_eq!(memo.get(CycleId(3)), None);
    }
}
