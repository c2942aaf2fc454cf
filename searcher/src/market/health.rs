//! Hostile-pool detection: the [`HealthFlags`] a token or pool carries and why, and the
//! transfer probe that finds tokens which revert on transfer or take a fee.
//!
//! A flagged pool is still tracked (its logs are applied, so its state stays exact) but it is
//! never put into the cycle index. Token-level flags (transfer reverts, fee on transfer, bad
//! decimals, blocked by config) are found once, checkpointed, and spread to every pool of the
//! token. Pool-level flags come from the pool's own state: unreadable or impossible state,
//! zero reserves, an uninitialized V3 pool. The last two are *dynamic*: a pool that gains
//! liquidity later is indexed then.
//!
//! ## The transfer probe
//!
//! One `eth_simulateV1` request per token (standard `eth_` namespace, in reth, geth, anvil),
//! batched, pinned to the load's block hash. With validation off, the pool that holds the
//! token sends `amount = balance / 1000` to a probe address, which sends half of it back:
//!
//! ```text
//! 0 balanceOf(pool)            b0      4 balanceOf(pool)                   b1
//! 1 balanceOf(probe)           p0      5 transfer(pool, amount / 2)  from probe
//! 2 transfer(probe, amount)    from pool   6 balanceOf(pool)               b2
//! 3 balanceOf(probe)           p1
//! ```
//!
//! A revert or a `false` return of either transfer flags [`HealthFlags::TRANSFER_FAILS`]; any
//! difference between what was sent, debited and received (`p1 - p0`, `b0 - b1`,
//! `b2 - b1`) flags [`HealthFlags::FEE_ON_TRANSFER`] with the measured fee. Transfers out of
//! the pool are what the pool does on a swap ("buy"); transfers into it are the executor paying
//! the pool ("sell"): taxes on either side are caught. A node without `eth_simulateV1` leaves
//! tokens unprobed (logged and counted) and only the configured known lists apply.

use crate::abi::IERC20;
use alloy::{
    eips::BlockId,
    primitives::{Address, B256, Bytes, U256, address},
    providers::Provider,
    rpc::types::{
        TransactionRequest,
        simulate::{SimBlock, SimCallResult, SimulatePayload},
    },
    sol_types::SolCall,
    transports::TransportResult,
};
use serde::Deserialize;
use std::fmt;

/// Where probe transfers go: an address nobody holds the key of.
pub const PROBE_RECIPIENT: Address = address!("0x5eA4C4e5000000000000000000000000000Fee01");
/// Gas given to each probe call.
const PROBE_CALL_GAS: u64 = 1_000_000;
/// Largest `decimals()` accepted; above it, `10^decimals` leaves little room in a `uint256`.
pub const MAX_DECIMALS: u8 = 36;

/// Why a token or pool is kept out of the cycle index. A bit set; [`HealthFlags::reasons`]
/// lists them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct HealthFlags(pub u32);

/// One reason a token or pool is flagged (one bit of [`HealthFlags`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagReason {
    /// A transfer out of or into the pool reverts or returns `false`.
    TransferFails,
    /// What arrives differs from what was sent (fee-on-transfer, rebasing, taxes).
    FeeOnTransfer,
    /// `decimals()` reverts, returns nothing, or returns more than [`MAX_DECIMALS`].
    BadDecimals,
    /// Listed in `blocked-tokens`.
    Blocked,
    /// Reserves (V2) or liquidity (V3) are zero.
    Empty,
    /// A V3 pool whose price was never set.
    Uninitialized,
    /// `getReserves` / `slot0` / `ticks` reverted or returned something undecodable.
    StateUnreadable,
    /// The state read is one the contracts cannot produce (the math refuses it).
    InvalidState,
}

impl FlagReason {
    /// Every reason, in bit order.
    pub const ALL: [Self; 8] = [
        Self::TransferFails,
        Self::FeeOnTransfer,
        Self::BadDecimals,
        Self::Blocked,
        Self::Empty,
        Self::Uninitialized,
        Self::StateUnreadable,
        Self::InvalidState,
    ];

    /// Stable label (metrics, logs, store).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TransferFails => "transfer-fails",
            Self::FeeOnTransfer => "fee-on-transfer",
            Self::BadDecimals => "bad-decimals",
            Self::Blocked => "blocked",
            Self::Empty => "empty",
            Self::Uninitialized => "uninitialized",
            Self::StateUnreadable => "state-unreadable",
            Self::InvalidState => "invalid-state",
        }
    }

    /// The flag bit.
    pub const fn flag(self) -> HealthFlags {
        HealthFlags(match self {
            Self::TransferFails => 1,
            Self::FeeOnTransfer => 1 << 1,
            Self::BadDecimals => 1 << 2,
            Self::Blocked => 1 << 3,
            Self::Empty => 1 << 8,
            Self::Uninitialized => 1 << 9,
            Self::StateUnreadable => 1 << 10,
            Self::InvalidState => 1 << 11,
        })
    }
}

impl HealthFlags {
    /// Healthy.
    pub const NONE: Self = Self(0);
    /// See [`FlagReason::TransferFails`].
    pub const TRANSFER_FAILS: Self = FlagReason::TransferFails.flag();
    /// See [`FlagReason::FeeOnTransfer`].
    pub const FEE_ON_TRANSFER: Self = FlagReason::FeeOnTransfer.flag();
    /// See [`FlagReason::BadDecimals`].
    pub const BAD_DECIMALS: Self = FlagReason::BadDecimals.flag();
    /// See [`FlagReason::Blocked`].
    pub const BLOCKED: Self = FlagReason::Blocked.flag();
    /// See [`FlagReason::Empty`].
    pub const EMPTY: Self = FlagReason::Empty.flag();
    /// See [`FlagReason::Uninitialized`].
    pub const UNINITIALIZED: Self = FlagReason::Uninitialized.flag();
    /// See [`FlagReason::StateUnreadable`].
    pub const STATE_UNREADABLE: Self = FlagReason::StateUnreadable.flag();
    /// See [`FlagReason::InvalidState`].
    pub const INVALID_STATE: Self = FlagReason::InvalidState.flag();
    /// Flags that belong to a token (low byte).
    pub const TOKEN_MASK: Self = Self(0xff);
    /// Pool flags derived from the pool's current state: they clear when the state heals.
    pub const DYNAMIC: Self = Self(Self::EMPTY.0 | Self::UNINITIALIZED.0);

    /// No flag set.
    pub const fn is_healthy(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Union.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// `self` without the bits of `other`.
    #[must_use]
    pub const fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Only the bits of `other`.
    #[must_use]
    pub const fn only(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The reasons set, in bit order.
    pub fn reasons(self) -> impl Iterator<Item = FlagReason> {
        FlagReason::ALL.into_iter().filter(move |r| self.contains(r.flag()))
    }
}

impl std::ops::BitOr for HealthFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl std::ops::BitOrAssign for HealthFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        *self = self.union(rhs);
    }
}

impl fmt::Debug for HealthFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for HealthFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_healthy() {
            return f.write_str("healthy");
        }
        let mut first = true;
        for reason in self.reasons() {
            if !first {
                f.write_str("|")?;
            }
            f.write_str(reason.as_str())?;
            first = false;
        }
        Ok(())
    }
}

/// Reads `decimals()`'s answer: `Some` when it is a sane `uint8`, else the flag.
pub fn check_decimals(answer: Option<&Bytes>) -> (Option<u8>, HealthFlags) {
    let Some(data) = answer.filter(|d| d.len() >= 32) else {
        return (None, HealthFlags::BAD_DECIMALS);
    };
    let value = U256::from_be_slice(&data[..32]);
    match u8::try_from(value) {
        Ok(d) if d <= MAX_DECIMALS => (Some(d), HealthFlags::NONE),
        _ => (None, HealthFlags::BAD_DECIMALS),
    }
}

/// Reads `symbol()`'s answer leniently: an ABI string, or a `bytes32` (MKR-style).
pub fn decode_symbol(answer: Option<&Bytes>) -> Option<String> {
    let data = answer?;
    if let Ok(s) = IERC20::symbolCall::abi_decode_returns(data) {
        return Some(s.chars().filter(|c| !c.is_control()).take(32).collect());
    }
    if data.len() == 32 {
        let end = data.iter().position(|b| *b == 0).unwrap_or(32);
        return std::str::from_utf8(&data[..end]).ok().map(str::to_owned);
    }
    None
}

/// A token to probe, through a pool that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferProbe {
    /// The token.
    pub token: Address,
    /// A pool holding some of it (the sender of the probe transfer).
    pub holder: Address,
    /// The holder's balance (the probe moves a thousandth of it).
    pub balance: U256,
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// Transfers behave: exact amounts, no revert.
    Clean,
    /// Hostile: which flags, the measured fee when one was seen, and what happened.
    Flagged {
        /// [`HealthFlags::TRANSFER_FAILS`] and/or [`HealthFlags::FEE_ON_TRANSFER`].
        flags: HealthFlags,
        /// The fee measured on the transfer out of the pool, in basis points.
        fee_bps: Option<u32>,
        /// What was observed.
        detail: String,
    },
    /// Could not probe (no balance to move, node without `eth_simulateV1`, transport error).
    Unavailable(String),
}

/// The part of an `eth_simulateV1` block result the probe reads (nodes differ in the rest).
#[derive(Debug, Deserialize)]
struct SimulatedCalls {
    calls: Vec<SimCallResult>,
}

/// Probes each token's transfers with one `eth_simulateV1` per token, in JSON-RPC batches of
/// `batch_size`, at `block`. Never fails as a whole: per-token failures are
/// [`ProbeOutcome::Unavailable`].
pub async fn probe_transfers<P: Provider>(
    provider: &P,
    block: B256,
    probes: &[TransferProbe],
    batch_size: usize,
) -> Vec<ProbeOutcome> {
    let mut out = Vec::with_capacity(probes.len());
    for chunk in probes.chunks(batch_size.max(1)) {
        let mut batch = alloy::rpc::client::BatchRequest::new(provider.client());
        let mut waiters = Vec::with_capacity(chunk.len());
        for probe in chunk {
            let amount = probe_amount(probe.balance);
            let payload = SimulatePayload {
                block_state_calls: vec![
                    SimBlock::default().extend_calls(probe_calls(probe, amount)),
                ],
                trace_transfers: false,
                validation: false,
                return_full_transactions: false,
            };
            let params = (payload, BlockId::from(block));
            waiters.push(
                batch
                    .add_call::<_, Vec<SimulatedCalls>>("eth_simulateV1", &params)
                    .map_err(|e| ProbeOutcome::Unavailable(format!("serializing the probe: {e}"))),
            );
        }
        let sent = batch.send().await;
        for (probe, waiter) in chunk.iter().zip(waiters) {
            let outcome = match (&sent, waiter) {
                (Err(e), _) => ProbeOutcome::Unavailable(format!("batch failed: {e}")),
                (Ok(()), Err(o)) => o,
                (Ok(()), Ok(w)) => judge(probe, w.await),
            };
            out.push(outcome);
        }
    }
    out
}

/// A thousandth of the balance, at least 1 (0 when there is nothing to move).
fn probe_amount(balance: U256) -> U256 {
    if balance.is_zero() { U256::ZERO } else { (balance / U256::from(1000)).max(U256::ONE) }
}

fn probe_calls(probe: &TransferProbe, amount: U256) -> Vec<TransactionRequest> {
    let call = |from: Address, data: Vec<u8>| {
        TransactionRequest::default()
            .from(from)
            .to(probe.token)
            .input(Bytes::from(data).into())
            .gas_limit(PROBE_CALL_GAS)
    };
    let balance_of = |who: Address| IERC20::balanceOfCall { owner: who }.abi_encode();
    let holder = probe.holder;
    vec![
        call(holder, balance_of(holder)),
        call(holder, balance_of(PROBE_RECIPIENT)),
        call(holder, IERC20::transferCall { to: PROBE_RECIPIENT, value: amount }.abi_encode()),
        call(holder, balance_of(PROBE_RECIPIENT)),
        call(holder, balance_of(holder)),
        call(
            PROBE_RECIPIENT,
            IERC20::transferCall { to: holder, value: amount / U256::from(2) }.abi_encode(),
        ),
        call(holder, balance_of(holder)),
    ]
}

/// A transfer succeeded: the call did not revert and returned `true` or nothing (USDT-style).
fn transfer_ok(call: &SimCallResult) -> bool {
    call.status
        && (call.return_data.is_empty()
            || IERC20::transferCall::abi_decode_returns(&call.return_data).unwrap_or(false))
}

fn word(call: &SimCallResult) -> Option<U256> {
    (call.status && call.return_data.len() >= 32)
        .then(|| U256::from_be_slice(&call.return_data[..32]))
}

fn judge(probe: &TransferProbe, answer: TransportResult<Vec<SimulatedCalls>>) -> ProbeOutcome {
    let amount = probe_amount(probe.balance);
    if amount.is_zero() {
        return ProbeOutcome::Unavailable("the holder has no balance".into());
    }
    let calls = match answer {
        Ok(mut blocks) if !blocks.is_empty() => blocks.swap_remove(0).calls,
        Ok(_) => return ProbeOutcome::Unavailable("eth_simulateV1 returned no block".into()),
        Err(e) => return ProbeOutcome::Unavailable(format!("eth_simulateV1: {e}")),
    };
    let [b0, p0, out, p1, b1, back, b2] = calls.as_slice() else {
        return ProbeOutcome::Unavailable(format!("expected 7 call results, got {}", calls.len()));
    };
    if !transfer_ok(out) {
        return ProbeOutcome::Flagged {
            flags: HealthFlags::TRANSFER_FAILS,
            fee_bps: None,
            detail: "transfer out of the pool reverted or returned false".into(),
        };
    }
    let (Some(b0), Some(p0), Some(p1), Some(b1)) = (word(b0), word(p0), word(p1), word(b1)) else {
        return ProbeOutcome::Flagged {
            flags: HealthFlags::TRANSFER_FAILS,
            fee_bps: None,
            detail: "balanceOf reverted or returned nothing".into(),
        };
    };
    let received = p1.saturating_sub(p0);
    let debited = b0.saturating_sub(b1);
    let mut flags = HealthFlags::NONE;
    let mut detail = Vec::new();
    let mut fee_bps = None;
    if received != amount || debited != amount {
        flags |= HealthFlags::FEE_ON_TRANSFER;
        let lost = amount.saturating_sub(received);
        fee_bps = u32::try_from(lost * U256::from(10_000) / amount).ok();
        detail.push(format!("sent {amount}: pool debited {debited}, recipient got {received}"));
    }
    let half = amount / U256::from(2);
    if !half.is_zero() && received >= half {
        if !transfer_ok(back) {
            flags |= HealthFlags::TRANSFER_FAILS;
            detail.push("transfer into the pool reverted or returned false".into());
        } else if let Some(b2) = word(b2) {
            let credited = b2.saturating_sub(b1);
            if credited != half {
                flags |= HealthFlags::FEE_ON_TRANSFER;
                detail.push(format!("sent {half} to the pool, it got {credited}"));
            }
        }
    }
    if flags.is_healthy() {
        ProbeOutcome::Clean
    } else {
        ProbeOutcome::Flagged { flags, fee_bps, detail: detail.join("; ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_word(x: u64) -> SimCallResult {
        SimCallResult {
            return_data: Bytes::from(U256::from(x).to_be_bytes::<32>().to_vec()),
            status: true,
            ..Default::default()
        }
    }

    fn ok_transfer() -> SimCallResult {
        SimCallResult { status: true, ..Default::default() }
    }

    fn probe() -> TransferProbe {
        TransferProbe {
            token: Address::ZERO,
            holder: Address::ZERO,
            balance: U256::from(1_000_000),
        }
    }

    #[test]
    fn flags_display_and_masks() {
        let f = HealthFlags::FEE_ON_TRANSFER | HealthFlags::EMPTY;
        assert_eq!(f.to_string(), "fee-on-transfer|empty");
        assert_eq!(f.only(HealthFlags::TOKEN_MASK), HealthFlags::FEE_ON_TRANSFER);
        assert_eq!(f.without(HealthFlags::DYNAMIC), HealthFlags::FEE_ON_TRANSFER);
        assert!(HealthFlags::NONE.is_healthy());
        assert_eq!(HealthFlags::NONE.to_string(), "healthy");
        let all = FlagReason::ALL.iter().fold(HealthFlags::NONE, |a, r| a | r.flag());
        assert_eq!(all.reasons().count(), FlagReason::ALL.len());
    }

    #[test]
    fn decimals_and_symbols() {
        let enc = |x: U256| Bytes::from(x.to_be_bytes::<32>().to_vec());
        assert_eq!(check_decimals(Some(&enc(U256::from(6)))), (Some(6), HealthFlags::NONE));
        assert_eq!(check_decimals(Some(&enc(U256::from(77)))).1, HealthFlags::BAD_DECIMALS);
        assert_eq!(check_decimals(Some(&enc(U256::from(300)))).1, HealthFlags::BAD_DECIMALS);
        assert_eq!(check_decimals(Some(&Bytes::new())).1, HealthFlags::BAD_DECIMALS);
        assert_eq!(check_decimals(None).1, HealthFlags::BAD_DECIMALS);
        let s = Bytes::from(IERC20::symbolCall::abi_encode_returns(&"WETH".to_string()));
        assert_eq!(decode_symbol(Some(&s)).as_deref(), Some("WETH"));
        let mut b32 = [0u8; 32];
        b32[..3].copy_from_slice(b"MKR");
        assert_eq!(decode_symbol(Some(&Bytes::from(b32.to_vec()))).as_deref(), Some("MKR"));
        assert_eq!(decode_symbol(None), None);
    }

    #[test]
    fn judges_clean_fot_and_reverting_transfers() {
        // amount = 1000, half = 500.
        let clean = vec![
            ok_word(1_000_000),
            ok_word(0),
            ok_transfer(),
            ok_word(1000),
            ok_word(999_000),
            ok_transfer(),
            ok_word(999_500),
        ];
        let answer = Ok(vec![SimulatedCalls { calls: clean.clone() }]);
        assert_eq!(judge(&probe(), answer), ProbeOutcome::Clean);

        let mut fot = clean.clone();
        fot[3] = ok_word(990);
        fot[6] = ok_word(999_495);
        let ProbeOutcome::Flagged { flags, fee_bps, .. } =
            judge(&probe(), Ok(vec![SimulatedCalls { calls: fot }]))
        else {
            panic!("fee-on-transfer not flagged");
        };
        assert_eq!(flags, HealthFlags::FEE_ON_TRANSFER);
        assert_eq!(fee_bps, Some(100));

        let mut reverting = clean.clone();
        reverting[2] = SimCallResult { status: false, ..Default::default() };
        let ProbeOutcome::Flagged { flags, .. } =
            judge(&probe(), Ok(vec![SimulatedCalls { calls: reverting }]))
        else {
            panic!("revert not flagged");
        };
        assert_eq!(flags, HealthFlags::TRANSFER_FAILS);

        let mut sell_tax = clean;
        sell_tax[5] = SimCallResult {
            status: true,
            return_data: Bytes::from(IERC20::transferCall::abi_encode_returns(&false)),
            ..Default::default()
        };
        let ProbeOutcome::Flagged { flags, .. } =
            judge(&probe(), Ok(vec![SimulatedCalls { calls: sell_tax }]))
        else {
            panic!("false return not flagged");
        };
        assert_eq!(flags, HealthFlags::TRANSFER_FAILS);

        let empty = TransferProbe { balance: U256::ZERO, ..probe() };
        assert!(matches!(judge(&empty, Ok(vec![])), ProbeOutcome::Unavailable(_)));
    }
}
