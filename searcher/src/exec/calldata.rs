//! The executor's packed calldata: the one Rust encoder (and decoder) of the *program* that
//! `contracts/src/Executor.sol` runs, byte for byte.
//!
//! ```text
//! header, 25 bytes (37 with a builder payment); WETH amounts are uint96, big-endian
//!   0        1                    13                   25                   37
//!   | mode   | amountIn  (u96)    | minProfit (u96)    | bribe (u96, opt)   |
//!
//! then 2..=4 hops in cycle order; every hop starts with its flags and ends with its amount
//!   V2 / V3 hop, 37 bytes
//!   0        1                                 21                          37
//!   | flags  | pool / pair (address)           | amount (u128)             |
//!
//!   V4 hop, 23 to 83 bytes: the PoolKey minus what the cycle already says
//!   0        1 (+20)         (+20)          +3     +3       (+20)        +16
//!   | flags  | tokenIn (opt) | tokenOut (opt)| fee  | tickSp | hooks (opt)| amount (u128) |
//!
//! mode   bit 0  BORROW: the V4 PoolManager lends the first hop's WETH (V4 programs only)
//!        bit 2  a bribe field follows minProfit (paid from the executor's ETH balance,
//!               unwrapping WETH for any shortfall)
//!        bit 3  V4: the program runs inside PoolManager.unlock (required for V4 hops)
//! flags  bit 0  zeroForOne    bit 1  V2 pair swapped as a flash swap    bit 2  V3 pool
//!        bit 3  V4 pool; then bit 4 tokenIn present (else the previous V4 hop's tokenOut, or
//!               the base for hop 0), bit 5 tokenOut present (else the base: the last hop),
//!               bit 6 hooks present (else none), bit 7 the base is native ETH (else WETH)
//! amount the hop's output: exact for a V2 pair, a checked minimum for a V3 or V4 pool
//! ```
//!
//! There is no selector: the owner's transaction carries the program as its whole calldata.
//! The executor checks `last amount - amountIn >= minProfit + bribe` from these numbers alone
//! (a V2 pair pays exactly what `swap` asks or reverts on K; V3 and V4 outputs are checked
//! against their minimum), so every V2 amount must be the exact output computed with that
//! pair's own fee ([`crate::market::math::V2Fee`]): forks with other fees need nothing else. It
//! also refuses a program whose last V2/V3 pool does not pay WETH (`token0()`/`token1()` read on
//! chain); a V4 last hop's output is taken from the PoolManager as WETH (or ETH).
//!
//! The Solidity twin `contracts/test/utils/Programs.sol` encodes with `abi.encodePacked`;
//! `contracts/test/Encoding.t.sol` asserts the same hex vectors as the tests below (two of them
//! also run on the real executor there), so the two encoders cannot drift.

use alloy::primitives::{Address, Bytes, U256};

/// Named offsets and flag bits of the layout (the constants of `Executor.sol`).
pub mod layout {
    /// Offset of the mode byte.
    pub const MODE_OFFSET: usize = 0;
    /// Offset of `amountIn` (uint96).
    pub const AMOUNT_IN_OFFSET: usize = 1;
    /// Offset of `minProfit` (uint96).
    pub const MIN_PROFIT_OFFSET: usize = 13;
    /// Offset of the optional `bribe` (uint96).
    pub const BRIBE_OFFSET: usize = 25;
    /// Header length without a bribe.
    pub const HEADER_LEN: usize = 25;
    /// Length of the optional bribe field.
    pub const BRIBE_LEN: usize = 12;
    /// Width of the header's WETH amounts.
    pub const WETH_AMOUNT_LEN: usize = 12;

    /// Offset of a hop's flags byte within the hop.
    pub const HOP_FLAGS_OFFSET: usize = 0;
    /// Offset of a V2/V3 hop's pool address within the hop.
    pub const HOP_POOL_OFFSET: usize = 1;
    /// Offset of a V2/V3 hop's amount (uint128) within the hop.
    pub const HOP_AMOUNT_OFFSET: usize = 21;
    /// Length of a V2/V3 hop.
    pub const HOP_LEN: usize = 37;
    /// Width of every hop's amount, its last field.
    pub const HOP_AMOUNT_LEN: usize = 16;
    /// Width of a V4 hop's fee (uint24) and of its tick spacing (int24).
    pub const V4_FEE_LEN: usize = 3;

    /// The PoolManager lends the first hop's WETH (V4 programs only).
    pub const MODE_BORROW: u8 = 0x01;
    /// A bribe field follows `minProfit`.
    pub const MODE_BRIBE: u8 = 0x04;
    /// The program runs inside the V4 PoolManager's `unlock`.
    pub const MODE_V4: u8 = 0x08;
    /// Every valid mode byte is below this (so a program never starts like a served selector).
    pub const MODE_MAX: u8 = 0x10;

    /// The hop sells the pool's token0 (currency0).
    pub const HOP_ZERO_FOR_ONE: u8 = 0x01;
    /// A V2 pair swapped as a flash swap (output to the executor, then `uniswapV2Call`).
    pub const HOP_V2_FLASH: u8 = 0x02;
    /// A Uniswap V3 pool.
    pub const HOP_V3: u8 = 0x04;
    /// A Uniswap V4 pool.
    pub const HOP_V4: u8 = 0x08;
    /// V4: the hop's input currency is written.
    pub const HOP_V4_TOKEN_IN: u8 = 0x10;
    /// V4: the hop's output currency is written.
    pub const HOP_V4_TOKEN_OUT: u8 = 0x20;
    /// V4: the pool's hooks address is written.
    pub const HOP_V4_HOOKS: u8 = 0x40;
    /// V4: the cycle's base on this hop (an implied input or output) is native ETH, not WETH.
    pub const HOP_V4_NATIVE: u8 = 0x80;
}

use layout::*;

/// Fewest hops in a cycle.
pub const MIN_HOPS: usize = 2;
/// Most hops in a cycle.
pub const MAX_HOPS: usize = 4;

/// Selector of the executor's `sweep(address,uint256)` (ABI-encoded, unlike programs).
pub const SWEEP_SELECTOR: [u8; 4] = [0x6e, 0xa0, 0x56, 0xa9];

/// Where the cycle's WETH comes from.
///
/// Which to choose (measured, `BENCHMARKS.md`): [`Capital::Inventory`] whenever the executor
/// holds at least `amount_in` WETH: it is the cheapest for every shape. Without inventory,
/// [`Capital::FlashFromLastHop`]: it picks the cheapest lender for the shape (the last V2 pair,
/// the last V3 pool, or the V4 PoolManager in a program with V4 hops).
/// [`Capital::FlashFromPoolManager`] forces the PoolManager as lender even for a cycle of
/// V2/V3 hops only, which costs ~+16,000 gas there (a flash loan for pairs whose fork cannot
/// flash swap, nothing else).
///
/// In the config (`executor.capital`): `"inventory"` (the default), `"flash"`
/// ([`Capital::FlashFromLastHop`]) or `"flash-from-pool-manager"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capital {
    /// WETH the executor holds. With a V3 last hop (V2/V3 programs) or a V4 first hop the
    /// bytes are those of a flash program: the output, or the PoolManager's loan, comes first.
    #[default]
    Inventory,
    /// Borrowed: in a V2/V3 program from the last pool (a V2 last hop is swapped as a flash
    /// swap, a V3 last hop lends by construction); in a program with V4 hops from the
    /// PoolManager (mode BORROW when the first hop is V2/V3; a V4 first hop borrows anyway).
    /// Needs no inventory.
    #[serde(rename = "flash")]
    FlashFromLastHop,
    /// Borrowed from the V4 PoolManager (`take`, settled before `unlock` returns), the program
    /// running inside `unlock` whatever its hops (mode BORROW | V4). Needs no inventory.
    FlashFromPoolManager,
}

/// The builder payment, made by coinbase transfer after the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bribe {
    /// None: bid through the priority fee.
    None,
    /// Paid by coinbase transfer from the executor's ETH balance, unwrapping WETH for any
    /// shortfall (the contract decides from its balance: keeping an ETH float saves the
    /// unwrap, 9,260 gas per bribed backrun).
    FromWeth(U256),
}

/// A Uniswap V4 pool's key (`currency0 < currency1`; the zero address is native ETH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolKey {
    /// The lower currency.
    pub currency0: Address,
    /// The higher currency.
    pub currency1: Address,
    /// LP fee in hundredths of a bip, or the dynamic-fee flag (uint24).
    pub fee: u32,
    /// Tick spacing (int24).
    pub tick_spacing: i32,
    /// The hooks contract, or the zero address.
    pub hooks: Address,
}

/// The pool kind of a hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    /// A Uniswap V2-style pair (any fork: the amount already carries the pair's fee).
    V2,
    /// A Uniswap V3-style pool (exact input: the previous hop's amount).
    V3,
    /// A Uniswap V4 pool in the executor's PoolManager (exact input: what the PoolManager
    /// credited for the previous hop). The hop's `pool` is not encoded.
    V4(PoolKey),
}

/// One hop of the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramHop {
    /// Pair or pool kind.
    pub kind: HopKind,
    /// The pair or pool (V2, V3). Not encoded for V4 hops (decoded as the zero address).
    pub pool: Address,
    /// The hop sells the pool's token0 (currency0).
    pub zero_for_one: bool,
    /// V2: the exact output (`getAmountOut` with the pair's fee). V3, V4: the minimum output
    /// the executor accepts (the simulated output).
    pub amount_out: U256,
}

/// A whole program: what one backrun transaction asks the executor to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// Capital source.
    pub capital: Capital,
    /// WETH into the first hop.
    pub amount_in: U256,
    /// The executor reverts unless the last hop's amount covers `amount_in`, `min_profit` and
    /// the bribe.
    pub min_profit: U256,
    /// Builder payment.
    pub bribe: Bribe,
    /// Hops in cycle order: the first takes WETH (or ETH, on a native V4 pool), the last gives
    /// WETH (or ETH).
    pub hops: Vec<ProgramHop>,
}

/// Why a program cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Cycles have 2 to 4 hops.
    #[error("a cycle has {MIN_HOPS} to {MAX_HOPS} hops, got {0}")]
    HopCount(usize),
    /// A number does not fit its field.
    #[error("{field} = {value} does not fit in {bits} bits")]
    TooLarge {
        /// The field.
        field: &'static str,
        /// The value.
        value: U256,
        /// The field's width.
        bits: usize,
    },
    /// A V4 hop's tick spacing does not fit an int24.
    #[error("tick spacing {0} does not fit in 24 bits")]
    TickSpacing(i32),
}

/// Why bytes are not a program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Empty input.
    #[error("empty program")]
    Empty,
    /// The mode byte is not a program's.
    #[error("mode byte {0:#04x} is not a program's")]
    Mode(u8),
    /// The length is not a header plus 2 to 4 whole hops.
    #[error("{0} bytes is not a header plus {MIN_HOPS} to {MAX_HOPS} whole hops")]
    Length(usize),
    /// A hop's flags are not a known combination.
    #[error("hop {index} has unknown flags {flags:#04x}")]
    Flags {
        /// ProgramHop index.
        index: usize,
        /// The flags byte.
        flags: u8,
    },
}

impl Program {
    /// The mode byte this program encodes to.
    pub fn mode(&self) -> u8 {
        let v4 = self.runs_in_unlock();
        let mut mode = if v4 { MODE_V4 } else { 0 };
        let first_is_v4 = matches!(self.hops.first().map(|h| h.kind), Some(HopKind::V4(_)));
        if self.capital == Capital::FlashFromPoolManager
            || (v4 && self.capital == Capital::FlashFromLastHop && !first_is_v4)
        {
            mode |= MODE_BORROW;
        }
        if matches!(self.bribe, Bribe::FromWeth(_)) {
            mode |= MODE_BRIBE;
        }
        mode
    }

    /// Whether the program runs inside the V4 PoolManager's `unlock` (mode V4).
    pub fn runs_in_unlock(&self) -> bool {
        self.capital == Capital::FlashFromPoolManager
            || self.hops.iter().any(|h| matches!(h.kind, HopKind::V4(_)))
    }

    /// Length in bytes of the encoded program.
    pub fn encoded_len(&self) -> usize {
        let bribe = if matches!(self.bribe, Bribe::None) { 0 } else { BRIBE_LEN };
        HEADER_LEN + bribe + (0..self.hops.len()).map(|i| self.hop_len(i)).sum::<usize>()
    }

    /// The flags byte of hop `i`.
    fn flags(&self, i: usize) -> u8 {
        let n = self.hops.len();
        let hop = &self.hops[i];
        let mut flags = if hop.zero_for_one { HOP_ZERO_FOR_ONE } else { 0 };
        match hop.kind {
            HopKind::V2
                if i == n - 1
                    && self.capital == Capital::FlashFromLastHop
                    && !self.runs_in_unlock() =>
            {
                flags |= HOP_V2_FLASH;
            }
            HopKind::V2 => {}
            HopKind::V3 => flags |= HOP_V3,
            HopKind::V4(key) => {
                flags |= HOP_V4;
                let (token_in, token_out) = v4_tokens(&key, hop.zero_for_one);
                let implied_in = i == 0 || matches!(self.hops[i - 1].kind, HopKind::V4(_));
                if !implied_in {
                    flags |= HOP_V4_TOKEN_IN;
                }
                if i + 1 < n {
                    flags |= HOP_V4_TOKEN_OUT;
                }
                if !key.hooks.is_zero() {
                    flags |= HOP_V4_HOOKS;
                }
                // The base (WETH unless this flag) stands for an implied first input or last
                // output.
                if (i == 0 && token_in.is_zero()) || (i + 1 == n && token_out.is_zero()) {
                    flags |= HOP_V4_NATIVE;
                }
            }
        }
        flags
    }

    /// Encoded length of hop `i`.
    fn hop_len(&self, i: usize) -> usize {
        if !matches!(self.hops[i].kind, HopKind::V4(_)) {
            return HOP_LEN;
        }
        let flags = self.flags(i);
        let opt = |bit: u8| if flags & bit != 0 { 20 } else { 0 };
        1 + opt(HOP_V4_TOKEN_IN)
            + opt(HOP_V4_TOKEN_OUT)
            + 2 * V4_FEE_LEN
            + opt(HOP_V4_HOOKS)
            + HOP_AMOUNT_LEN
    }

    /// The packed calldata, after checking the program's shape and field widths.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        let n = self.hops.len();
        if !(MIN_HOPS..=MAX_HOPS).contains(&n) {
            return Err(EncodeError::HopCount(n));
        }
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push(self.mode());
        put_uint(&mut out, "amount_in", self.amount_in, WETH_AMOUNT_LEN)?;
        put_uint(&mut out, "min_profit", self.min_profit, WETH_AMOUNT_LEN)?;
        if let Bribe::FromWeth(b) = self.bribe {
            put_uint(&mut out, "bribe", b, WETH_AMOUNT_LEN)?;
        }
        for (i, hop) in self.hops.iter().enumerate() {
            let flags = self.flags(i);
            out.push(flags);
            match hop.kind {
                HopKind::V2 | HopKind::V3 => out.extend_from_slice(hop.pool.as_slice()),
                HopKind::V4(key) => {
                    let (token_in, token_out) = v4_tokens(&key, hop.zero_for_one);
                    if flags & HOP_V4_TOKEN_IN != 0 {
                        out.extend_from_slice(token_in.as_slice());
                    }
                    if flags & HOP_V4_TOKEN_OUT != 0 {
                        out.extend_from_slice(token_out.as_slice());
                    }
                    put_uint(&mut out, "fee", U256::from(key.fee), V4_FEE_LEN)?;
                    if !(-(1 << 23)..(1 << 23)).contains(&key.tick_spacing) {
                        return Err(EncodeError::TickSpacing(key.tick_spacing));
                    }
                    out.extend_from_slice(&key.tick_spacing.to_be_bytes()[1..]);
                    if flags & HOP_V4_HOOKS != 0 {
                        out.extend_from_slice(key.hooks.as_slice());
                    }
                }
            }
            put_uint(&mut out, "hop amount_out", hop.amount_out, HOP_AMOUNT_LEN)?;
        }
        debug_assert_eq!(out.len(), self.encoded_len());
        Ok(out.into())
    }

    /// Reads a program back (for logs and review); `weth` is the executor's WETH, which V4 hops
    /// imply rather than write. `encode(decode(b)) == b` for every valid `b`; a program without
    /// BORROW whose last hop is a V2 flash swap decodes as [`Capital::FlashFromLastHop`], and
    /// as [`Capital::Inventory`] otherwise.
    pub fn decode(bytes: &[u8], weth: Address) -> Result<Self, DecodeError> {
        let mode = *bytes.first().ok_or(DecodeError::Empty)?;
        let v4_program = mode & MODE_V4 != 0;
        if mode & !(MODE_BORROW | MODE_BRIBE | MODE_V4) != 0
            || (mode & MODE_BORROW != 0 && !v4_program)
        {
            return Err(DecodeError::Mode(mode));
        }
        let header = if mode & MODE_BRIBE != 0 { HEADER_LEN + BRIBE_LEN } else { HEADER_LEN };
        let len_err = || DecodeError::Length(bytes.len());
        if bytes.len() < header {
            return Err(len_err());
        }
        let weth_at = |at: usize| U256::from_be_slice(&bytes[at..at + WETH_AMOUNT_LEN]);
        let bribe = if mode & MODE_BRIBE != 0 {
            Bribe::FromWeth(weth_at(BRIBE_OFFSET))
        } else {
            Bribe::None
        };
        let mut hops = Vec::with_capacity(MAX_HOPS);
        let mut last_flash = false;
        let mut p = header;
        while p < bytes.len() {
            let index = hops.len();
            if index == MAX_HOPS {
                return Err(len_err());
            }
            let flags = bytes[p];
            let flags_err = DecodeError::Flags { index, flags };
            let mut take = |len: usize| -> Result<&[u8], DecodeError> {
                let field = bytes.get(p..p + len).ok_or_else(len_err)?;
                p += len;
                Ok(field)
            };
            take(1)?;
            let zero_for_one = flags & HOP_ZERO_FOR_ONE != 0;
            let kind_bits = flags & !HOP_ZERO_FOR_ONE;
            let (kind, pool) = if kind_bits & HOP_V4 != 0 {
                if !v4_program || kind_bits & (HOP_V2_FLASH | HOP_V3) != 0 {
                    return Err(flags_err);
                }
                let base = if flags & HOP_V4_NATIVE != 0 { Address::ZERO } else { weth };
                let token_in = if flags & HOP_V4_TOKEN_IN != 0 {
                    Address::from_slice(take(20)?)
                } else {
                    match hops.last() {
                        None => base,
                        Some(ProgramHop { kind: HopKind::V4(prev), zero_for_one, .. }) => {
                            v4_tokens(prev, *zero_for_one).1
                        }
                        Some(_) => return Err(flags_err),
                    }
                };
                let token_out = if flags & HOP_V4_TOKEN_OUT != 0 {
                    Address::from_slice(take(20)?)
                } else {
                    base
                };
                let fee = take(V4_FEE_LEN)?;
                let fee = u32::from_be_bytes([0, fee[0], fee[1], fee[2]]);
                let ts = take(V4_FEE_LEN)?;
                // int24, big-endian: sign-extend through the top byte
                let tick_spacing = i32::from_be_bytes([0, ts[0], ts[1], ts[2]]) << 8 >> 8;
                let hooks = if flags & HOP_V4_HOOKS != 0 {
                    Address::from_slice(take(20)?)
                } else {
                    Address::ZERO
                };
                let (currency0, currency1) =
                    if zero_for_one { (token_in, token_out) } else { (token_out, token_in) };
                let key = PoolKey { currency0, currency1, fee, tick_spacing, hooks };
                (HopKind::V4(key), Address::ZERO)
            } else {
                let kind = match kind_bits {
                    0 | HOP_V2_FLASH => HopKind::V2,
                    HOP_V3 => HopKind::V3,
                    _ => return Err(flags_err),
                };
                (kind, Address::from_slice(take(20)?))
            };
            let amount_out = U256::from_be_slice(take(HOP_AMOUNT_LEN)?);
            last_flash = kind_bits == HOP_V2_FLASH;
            hops.push(ProgramHop { kind, pool, zero_for_one, amount_out });
        }
        let n = hops.len();
        if n < MIN_HOPS {
            return Err(len_err());
        }
        let capital = if mode & MODE_BORROW != 0 {
            Capital::FlashFromPoolManager
        } else if last_flash {
            Capital::FlashFromLastHop
        } else {
            Capital::Inventory
        };
        let program = Self {
            capital,
            amount_in: weth_at(AMOUNT_IN_OFFSET),
            min_profit: weth_at(MIN_PROFIT_OFFSET),
            bribe,
            hops,
        };
        // Bits the encoder would not set (a V4 mode without V4 hops and without BORROW, a
        // NATIVE flag on a hop with no implied ETH, a V2 flash flag anywhere but on the last
        // hop of a V2/V3 program) are refused: decoding is exact.
        if program.mode() != mode {
            return Err(DecodeError::Mode(mode));
        }
        for index in 0..n {
            if program.flags(index) != encoded_flags_at(bytes, header, index) {
                return Err(DecodeError::Flags {
                    index,
                    flags: encoded_flags_at(bytes, header, index),
                });
            }
        }
        Ok(program)
    }

    /// The profit the executor checks, before the bribe: the last hop's amount minus
    /// `amount_in` (`None` if negative or there are no hops).
    pub fn gross_profit(&self) -> Option<U256> {
        self.hops.last()?.amount_out.checked_sub(self.amount_in)
    }
}

/// A V4 hop's (input, output) currencies.
fn v4_tokens(key: &PoolKey, zero_for_one: bool) -> (Address, Address) {
    if zero_for_one { (key.currency0, key.currency1) } else { (key.currency1, key.currency0) }
}

/// The flags byte of hop `index` of an already length-checked program.
fn encoded_flags_at(bytes: &[u8], header: usize, index: usize) -> u8 {
    let mut p = header;
    for _ in 0..index {
        p += encoded_hop_len(bytes[p]);
    }
    bytes[p]
}

/// The length of a hop from its flags byte.
fn encoded_hop_len(flags: u8) -> usize {
    if flags & HOP_V4 == 0 {
        return HOP_LEN;
    }
    let opt = |bit: u8| if flags & bit != 0 { 20 } else { 0 };
    1 + opt(HOP_V4_TOKEN_IN)
        + opt(HOP_V4_TOKEN_OUT)
        + 2 * V4_FEE_LEN
        + opt(HOP_V4_HOOKS)
        + HOP_AMOUNT_LEN
}

/// Calldata for the executor's `sweep(token, amount)`: `token` (the zero address for ETH)
/// goes to the executor's immutable cold wallet.
pub fn encode_sweep(token: Address, amount: U256) -> Bytes {
    let mut out = Vec::with_capacity(4 + 64);
    out.extend_from_slice(&SWEEP_SELECTOR);
    out.extend_from_slice(&[0u8; 12]);
    out.extend_from_slice(token.as_slice());
    out.extend_from_slice(&amount.to_be_bytes::<32>());
    out.into()
}

/// Intrinsic calldata gas of `data` (EIP-2028: 4 per zero byte, 16 per other byte). Under
/// EIP-7623 (Prague) a transaction pays at least 10/40 per byte instead when that is more than
/// its execution gas, which an executor backrun never is.
pub fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum()
}

fn put_uint(
    out: &mut Vec<u8>,
    field: &'static str,
    value: U256,
    width: usize,
) -> Result<(), EncodeError> {
    if value.bit_len() > width * 8 {
        return Err(EncodeError::TooLarge { field, value, bits: width * 8 });
    }
    out.extend_from_slice(&value.to_be_bytes::<32>()[32 - width..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, hex, keccak256};

    /// Mainnet WETH, the base the synthetic vectors imply.
    const WETH: Address = address!("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2");
    /// The forge fixture's WETH9 (vector E).
    const FIXTURE_WETH: Address = address!("0x5615dEB798BB3E4dFa0139dFa1b3D433Cc23b72f");
    use proptest::prelude::*;

    fn eth(milli: u64) -> U256 {
        U256::from(milli) * U256::from(10u64).pow(U256::from(15))
    }

    /// Shared vector A (`Encoding.t.sol`): V3 first hop, 3 hops, a bribe.
    fn vector_a() -> Program {
        Program {
            capital: Capital::Inventory,
            amount_in: eth(1_234),
            min_profit: eth(5),
            bribe: Bribe::FromWeth(eth(3)),
            hops: vec![
                ProgramHop {
                    kind: HopKind::V3,
                    pool: address!("0x1111111111111111111111111111111111111111"),
                    zero_for_one: true,
                    amount_out: eth(2_468_000),
                },
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0x2222222222222222222222222222222222222222"),
                    zero_for_one: false,
                    amount_out: eth(2_470_100),
                },
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0x3333333333333333333333333333333333333333"),
                    zero_for_one: true,
                    amount_out: eth(1_250),
                },
            ],
        }
    }

    const VECTOR_A: &str = "040000000011200c7644d50000000000000011c37937e0800000000000000aa87bee5380000511111111111111111111111111111111111111110000000000000085ca615bf9c01000000022222222222222222222222222222222222222220000000000000085e7860ed96c62000001333333333333333333333333333333333333333300000000000000001158e460913d0000";

    /// Shared vector B (`Encoding.t.sol`, where it also runs on the real executor): the
    /// fixture's WETH -> A -> WETH cycle, sushi pair then uni pair as a flash swap.
    fn vector_b() -> Program {
        Program {
            capital: Capital::FlashFromLastHop,
            amount_in: eth(500),
            min_profit: U256::from(1),
            bribe: Bribe::None,
            hops: vec![
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0xfe90b54D84AD19D0123F8fB038Ec52e3294EBdC3"),
                    zero_for_one: false,
                    amount_out: U256::from(1_041_657_338_169_226_406_364u128),
                },
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0xC729312728E881813A1D2F1510DA642aA8e151f2"),
                    zero_for_one: true,
                    amount_out: U256::from(516_583_738_416_485_747u128),
                },
            ],
        }
    }

    const VECTOR_B: &str = "000000000006f05b59d3b2000000000000000000000000000100fe90b54d84ad19d0123f8fb038ec52e3294ebdc3000000000000003877e64620b7afa9dc03c729312728e881813a1d2f1510da642aa8e151f20000000000000000072b462c510ed573";

    /// Shared vector C (`Encoding.t.sol`): 4 hops with V3 in the middle, a bribe, the extreme
    /// widths.
    fn vector_c() -> Program {
        Program {
            capital: Capital::Inventory,
            amount_in: eth(7_000),
            min_profit: U256::ZERO,
            bribe: Bribe::FromWeth(U256::from(123_456_789u64)),
            hops: vec![
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa"),
                    zero_for_one: false,
                    amount_out: U256::from(u128::MAX),
                },
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"),
                    zero_for_one: true,
                    amount_out: U256::from(1u64),
                },
                ProgramHop {
                    kind: HopKind::V3,
                    pool: address!("0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"),
                    zero_for_one: false,
                    amount_out: U256::ZERO,
                },
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0xDDdDddDdDdddDDddDDddDDDDdDdDDdDDdDDDDDDd"),
                    zero_for_one: true,
                    amount_out: eth(7_100),
                },
            ],
        }
    }

    const VECTOR_C: &str = "04000000006124fee993bc00000000000000000000000000000000000000000000075bcd1500aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaffffffffffffffffffffffffffffffff01bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0000000000000000000000000000000104cccccccccccccccccccccccccccccccccccccccc0000000000000000000000000000000001dddddddddddddddddddddddddddddddddddddddd000000000000000062884461f1460000";

    fn v4(
        currency0: Address,
        currency1: Address,
        fee: u32,
        tick_spacing: i32,
        hooks: Address,
    ) -> HopKind {
        HopKind::V4(PoolKey { currency0, currency1, fee, tick_spacing, hooks })
    }

    /// Shared vector D (`Encoding.t.sol`): every V4 field. A native first hop with hooks
    /// (tokenOut only), a V2 hop, a V4 hop after it (both tokens, the dynamic-fee flag), a V4
    /// last hop (the previous output in, WETH out), a bribe; the first hop borrows from the
    /// PoolManager whatever the capital.
    fn vector_d() -> Program {
        let t1 = address!("0x1111111111111111111111111111111111111111");
        let t3 = address!("0x3333333333333333333333333333333333333333");
        let t5 = address!("0x5555555555555555555555555555555555555555");
        Program {
            capital: Capital::Inventory,
            amount_in: eth(1_000),
            min_profit: U256::from(7),
            bribe: Bribe::FromWeth(eth(2)),
            hops: vec![
                ProgramHop {
                    kind: v4(
                        Address::ZERO,
                        t1,
                        3000,
                        60,
                        address!("0x4444444444444444444444444444444444440080"),
                    ),
                    pool: Address::ZERO,
                    zero_for_one: true,
                    amount_out: eth(2_000_000),
                },
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0x2222222222222222222222222222222222222222"),
                    zero_for_one: false,
                    amount_out: eth(1_999_000),
                },
                ProgramHop {
                    kind: v4(t3, t5, 0x80_0000, 1, Address::ZERO),
                    pool: Address::ZERO,
                    zero_for_one: false,
                    amount_out: eth(1_998_000),
                },
                ProgramHop {
                    kind: v4(t3, WETH, 100, 1, Address::ZERO),
                    pool: Address::ZERO,
                    zero_for_one: true,
                    amount_out: eth(1_003),
                },
            ],
        }
    }

    const VECTOR_D: &str = "0c000000000de0b6b3a76400000000000000000000000000070000000000071afd498d0000e91111111111111111111111111111111111111111000bb800003c4444444444444444444444444444444444440080000000000000006c6b935b8bbd400000002222222222222222222222222222222222222222000000000000006c5db2a4d815dc00003855555555555555555555555555555555555555553333333333333333333333333333333333333333800000000001000000000000006c4fd1ee246e7800000900006400000100000000000000000deb5f2f95b78000";

    /// Shared vector E (`Encoding.t.sol`, where it also runs on the real executor and the
    /// real PoolManager): the fixture's V4 -> V2 cycle, WETH -> A on the V4 pool, A -> WETH
    /// on the uni pair.
    fn vector_e() -> Program {
        let token_a = address!("0x2e234DAe75C793f67A35089C9d99245E1C58470b");
        Program {
            capital: Capital::Inventory,
            amount_in: eth(500),
            min_profit: U256::from(1),
            bribe: Bribe::None,
            hops: vec![
                ProgramHop {
                    kind: v4(token_a, FIXTURE_WETH, 3000, 60, Address::ZERO),
                    pool: Address::ZERO,
                    zero_for_one: false,
                    amount_out: U256::from(1_071_156_019_263_044_970_502u128),
                },
                ProgramHop {
                    kind: HopKind::V2,
                    pool: address!("0xC729312728E881813A1D2F1510DA642aA8e151f2"),
                    zero_for_one: true,
                    amount_out: U256::from(531_135_166_379_536_964u128),
                },
            ],
        }
    }

    const VECTOR_E: &str = "080000000006f05b59d3b20000000000000000000000000001282e234dae75c793f67a35089c9d99245e1c58470b000bb800003c000000000000003a1146a44abb45e80601c729312728e881813a1d2f1510da642aa8e151f20000000000000000075ef89ea7c53244";

    #[test]
    fn shared_vectors_match_solidity() {
        for (program, expected, weth) in [
            (vector_a(), VECTOR_A, WETH),
            (vector_b(), VECTOR_B, WETH),
            (vector_c(), VECTOR_C, WETH),
            (vector_d(), VECTOR_D, WETH),
            (vector_e(), VECTOR_E, FIXTURE_WETH),
        ] {
            let encoded = program.encode().expect("valid program");
            assert_eq!(hex::encode(&encoded), expected, "{program:?}");
            assert_eq!(encoded.len(), program.encoded_len());
            assert_eq!(Program::decode(&encoded, weth), Ok(program));
        }
    }

    #[test]
    fn v4_capital_borrows_from_the_pool_manager() {
        // A V2/V3 first hop in a V4 program: "flash" is the PoolManager's loan (BORROW).
        let mut p = vector_e();
        p.hops.swap(0, 1);
        p.hops[0].zero_for_one = false;
        p.hops[1].zero_for_one = true;
        assert_eq!(p.mode(), MODE_V4);
        p.capital = Capital::FlashFromLastHop;
        assert_eq!(p.mode(), MODE_V4 | MODE_BORROW);
        // ... and never a V2 flash flag in a V4 program.
        assert_eq!(p.encode().expect("valid")[HEADER_LEN + HOP_LEN] & HOP_V2_FLASH, 0);
        // A V4 first hop borrows anyway: no BORROW bit, the same bytes as inventory.
        let mut q = vector_e();
        let inventory = q.encode().expect("valid");
        q.capital = Capital::FlashFromLastHop;
        assert_eq!(q.encode().expect("valid"), inventory);
        // FlashFromPoolManager forces unlock even for V2/V3 hops.
        let mut r = vector_b();
        r.capital = Capital::FlashFromPoolManager;
        assert_eq!(r.mode(), MODE_V4 | MODE_BORROW);
        assert_eq!(Program::decode(&r.encode().expect("valid"), WETH), Ok(r));
    }

    #[test]
    fn v4_tick_spacing_is_a_signed_24_bit_field() {
        let mut p = vector_e();
        let HopKind::V4(key) = &mut p.hops[0].kind else { panic!("V4") };
        key.tick_spacing = -1;
        let bytes = p.encode().expect("valid");
        assert_eq!(Program::decode(&bytes, FIXTURE_WETH), Ok(p.clone()));
        let HopKind::V4(key) = &mut p.hops[0].kind else { panic!("V4") };
        key.tick_spacing = 1 << 23;
        assert_eq!(p.encode(), Err(EncodeError::TickSpacing(1 << 23)));
        let HopKind::V4(key) = &mut p.hops[0].kind else { panic!("V4") };
        key.tick_spacing = 60;
        key.fee = 1 << 24;
        assert!(matches!(p.encode(), Err(EncodeError::TooLarge { field: "fee", .. })));
    }

    #[test]
    fn layout_constants_match_the_contract() {
        // Executor.sol: 25-byte header, 12-byte bribe, 37-byte hops; the first byte of every
        // program is below 0x10, under every selector the contract serves.
        assert_eq!(HEADER_LEN, 1 + 2 * WETH_AMOUNT_LEN);
        assert_eq!(BRIBE_OFFSET, HEADER_LEN);
        assert_eq!(HOP_LEN, 1 + 20 + 16);
        let every_mode_bit = MODE_BORROW | MODE_BRIBE | MODE_V4;
        assert!(every_mode_bit < MODE_MAX);
        // sweep, uniswapV2Call, uniswapV3SwapCallback, unlockCallback, owner, coldWallet, weth,
        // poolManager
        for selector in [0x6e_u8, 0x10, 0xfa, 0x91, 0x8d, 0x6b, 0x3f, 0xdc] {
            assert!(selector >= MODE_MAX);
        }
    }

    #[test]
    fn flash_flag_only_on_a_v2_last_hop() {
        let last_flags = |p: &Program| p.encode().expect("valid")[HEADER_LEN + HOP_LEN];
        let mut p = vector_b();
        assert_eq!(last_flags(&p), HOP_V2_FLASH | HOP_ZERO_FOR_ONE);
        p.capital = Capital::Inventory;
        assert_eq!(last_flags(&p), HOP_ZERO_FOR_ONE);
        // A V3 last hop lends without a flag: inventory and flash are the same bytes.
        p.hops[1].kind = HopKind::V3;
        let inventory = p.encode().expect("valid");
        p.capital = Capital::FlashFromLastHop;
        assert_eq!(p.encode().expect("valid"), inventory);
    }

    #[test]
    fn rejects_bad_shapes_and_widths() {
        let mut p = vector_b();
        p.hops.truncate(1);
        assert_eq!(p.encode(), Err(EncodeError::HopCount(1)));
        let mut p = vector_c();
        p.hops.push(p.hops[0]);
        assert_eq!(p.encode(), Err(EncodeError::HopCount(5)));

        let mut p = vector_b();
        p.amount_in = U256::from(1) << 96;
        assert!(matches!(p.encode(), Err(EncodeError::TooLarge { field: "amount_in", .. })));
        let mut p = vector_b();
        p.hops[0].amount_out = U256::from(1) << 128;
        assert!(matches!(p.encode(), Err(EncodeError::TooLarge { bits: 128, .. })));
        let mut p = vector_b();
        p.bribe = Bribe::FromWeth(U256::MAX);
        assert!(matches!(p.encode(), Err(EncodeError::TooLarge { field: "bribe", .. })));
    }

    #[test]
    fn decode_rejects_garbage() {
        let decode = |b: &[u8]| Program::decode(b, WETH);
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
        assert_eq!(decode(&[0x10]), Err(DecodeError::Mode(0x10)));
        // The removed capital modes (V3_FIRST 0x01 alone, BALANCER 0x02).
        for mode in [0x01, 0x02, 0x03, 0x05, 0x0a] {
            assert_eq!(decode(&[mode; 99]), Err(DecodeError::Mode(mode)));
        }
        let good = vector_b().encode().expect("valid");
        assert_eq!(decode(&good[..good.len() - 1]), Err(DecodeError::Length(98)));
        let mut bad = good.to_vec();
        bad[HEADER_LEN] = HOP_V2_FLASH; // a flash flag on a hop that is not the last
        assert_eq!(decode(&bad), Err(DecodeError::Flags { index: 0, flags: HOP_V2_FLASH }));
        let mut bad = good.to_vec();
        bad[HEADER_LEN] = HOP_V4; // a V4 hop without MODE_V4
        assert_eq!(decode(&bad), Err(DecodeError::Flags { index: 0, flags: HOP_V4 }));
        let mut bad = good.to_vec();
        bad[0] = MODE_V4; // V4 mode, no V4 hop, no BORROW: not what the encoder writes
        assert_eq!(decode(&bad), Err(DecodeError::Mode(MODE_V4)));
        let d = vector_d().encode().expect("valid");
        assert_eq!(decode(&d[..d.len() - 1]), Err(DecodeError::Length(d.len() - 1)));
        let mut five = d.to_vec();
        five.extend_from_slice(&good[HEADER_LEN..HEADER_LEN + HOP_LEN]);
        assert_eq!(decode(&five), Err(DecodeError::Length(five.len())));
    }

    #[test]
    fn sweep_is_abi_encoded() {
        assert_eq!(SWEEP_SELECTOR, keccak256("sweep(address,uint256)")[..4]);
        let data = encode_sweep(Address::ZERO, U256::from(5));
        assert_eq!(data[..4], SWEEP_SELECTOR);
        assert_eq!(data.len(), 4 + 64);
        assert_eq!(data[67], 5);
        assert!(data[0] >= MODE_MAX, "a sweep is never read as a program");
    }

    #[test]
    fn calldata_gas_counts_zero_bytes_cheap() {
        assert_eq!(calldata_gas(&[0, 0, 1, 0xff]), 4 + 4 + 16 + 16);
        // The gas-snapshot route (contracts/test/ExecutorGas.t.sol logs the same figure).
        assert_eq!(vector_b().encoded_len(), 99);
    }

    #[test]
    fn gross_profit_is_last_amount_minus_input() {
        assert_eq!(
            vector_b().gross_profit(),
            Some(U256::from(516_583_738_416_485_747u128 - 500_000_000_000_000_000))
        );
        let mut p = vector_b();
        p.amount_in = eth(600);
        assert_eq!(p.gross_profit(), None);
    }

    fn arb_hop() -> impl Strategy<Value = ProgramHop> {
        (
            0u8..3,
            any::<[u8; 20]>(),
            any::<bool>(),
            any::<u128>(),
            (any::<[u8; 20]>(), 0u32..(1 << 24), -(1i32 << 23)..(1 << 23), any::<bool>()),
        )
            .prop_map(
                |(kind, pool, zero_for_one, amount, (other, fee, tick_spacing, hooked))| {
                    let kind = match kind {
                        0 => HopKind::V2,
                        1 => HopKind::V3,
                        _ => HopKind::V4(PoolKey {
                            currency0: Address::from(pool).min(Address::from(other)),
                            currency1: Address::from(pool).max(Address::from(other)),
                            fee,
                            tick_spacing,
                            hooks: if hooked { Address::from(other) } else { Address::ZERO },
                        }),
                    };
                    let pool =
                        if matches!(kind, HopKind::V4(_)) { Address::ZERO } else { pool.into() };
                    ProgramHop { kind, pool, zero_for_one, amount_out: U256::from(amount) }
                },
            )
    }

    /// Makes V4 hops consistent with the cycle, as the engine's hops are: a V4 hop after a V4
    /// hop takes that hop's output; a V4 first hop takes the base, a V4 last hop gives it
    /// (WETH or ETH).
    fn chain_v4(hops: &mut [ProgramHop], native: bool) {
        let base = if native { Address::ZERO } else { WETH };
        let n = hops.len();
        for i in 0..n {
            let prev_out = match hops.get(i.wrapping_sub(1)).map(|h| (h.kind, h.zero_for_one)) {
                Some((HopKind::V4(k), z)) => Some(v4_tokens(&k, z).1),
                _ => None,
            };
            let HopKind::V4(key) = &mut hops[i].kind else { continue };
            let (mut token_in, mut token_out) = v4_tokens(key, hops[i].zero_for_one);
            if i == 0 {
                token_in = base;
            }
            if let Some(p) = prev_out {
                token_in = p;
            }
            if i + 1 == n {
                token_out = base;
            }
            if token_in == token_out {
                token_out = Address::repeat_byte(0xee);
            }
            key.currency0 = token_in.min(token_out);
            key.currency1 = token_in.max(token_out);
            hops[i].zero_for_one = key.currency0 == token_in;
        }
    }

    fn arb_program() -> impl Strategy<Value = Program> {
        (
            0u8..3,
            any::<bool>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            prop::collection::vec(arb_hop(), MIN_HOPS..=MAX_HOPS),
            any::<bool>(),
        )
            .prop_map(
                |(capital, bribe, amount_in, min_profit, bribe_amount, mut hops, native)| {
                    chain_v4(&mut hops, native);
                    let capital = match capital {
                        0 => Capital::Inventory,
                        1 => Capital::FlashFromLastHop,
                        _ => Capital::FlashFromPoolManager,
                    };
                    let bribe =
                        if bribe { Bribe::FromWeth(U256::from(bribe_amount)) } else { Bribe::None };
                    Program {
                        capital,
                        amount_in: U256::from(amount_in) << 32,
                        min_profit: U256::from(min_profit),
                        bribe,
                        hops,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(program in arb_program()) {
            let bytes = program.encode().expect("valid program");
            prop_assert_eq!(bytes.len(), program.encoded_len());
            prop_assert!(bytes[0] < MODE_MAX);
            let decoded = Program::decode(&bytes, WETH).expect("decodes");
            prop_assert_eq!(decoded.encode().expect("re-encodes"), bytes);
            prop_assert_eq!(decoded.hops, program.hops);
            prop_assert_eq!(decoded.amount_in, program.amount_in);
        }
    }
}
