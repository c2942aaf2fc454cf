//! The executor's packed calldata: the one Rust encoder (and decoder) of the *program* that
//! `contracts/src/Executor.sol` runs, byte for byte.
//!
//! ```text
//! header, 25 bytes (37 with a builder payment); WETH amounts are uint96, big-endian
//!   0        1                    13                   25                   37
//!   | mode   | amountIn  (u96)    | minProfit (u96)    | bribe (u96, opt)   |
//!
//! then 2..=4 hops in cycle order, 37 bytes each
//!   0        1                                 21                          37
//!   | flags  | pool / pair (address)           | amount (u128)             |
//!
//! mode   bit 2    a bribe field follows minProfit (paid from the executor's ETH balance,
//!                 unwrapping WETH for any shortfall); every other bit is zero
//! flags  bit 0    zeroForOne    bit 1  V2 pair swapped as a flash swap    bit 2  V3 pool
//! amount the hop's output: exact for a V2 pair, a checked minimum for a V3 pool
//! ```
//!
//! There is no selector: the owner's transaction carries the program as its whole calldata.
//! The executor checks `last amount - amountIn >= minProfit + bribe` from these numbers alone
//! (a V2 pair pays exactly what `swap` asks or reverts on K; V3 outputs are checked against
//! their minimum), so every V2 amount must be the exact output computed with that pair's own
//! fee ([`crate::market::math::V2Fee`]): forks with other fees need nothing else. It also
//! refuses a program whose last pool does not pay WETH (`token0()`/`token1()` read on chain).
//!
//! The Solidity twin `contracts/test/utils/Programs.sol` encodes with `abi.encodePacked`;
//! `contracts/test/Encoding.t.sol` asserts the same hex vectors as the tests below (one of them
//! is also run on the real executor there), so the two encoders cannot drift.

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
    /// Offset of a hop's pool address within the hop.
    pub const HOP_POOL_OFFSET: usize = 1;
    /// Offset of a hop's amount (uint128) within the hop.
    pub const HOP_AMOUNT_OFFSET: usize = 21;
    /// Length of one hop.
    pub const HOP_LEN: usize = 37;

    /// A bribe field follows `minProfit`.
    pub const MODE_BRIBE: u8 = 0x04;
    /// Every valid mode byte is below this (so a program never starts like a served selector).
    pub const MODE_MAX: u8 = 0x10;

    /// The hop sells the pool's token0.
    pub const HOP_ZERO_FOR_ONE: u8 = 0x01;
    /// A V2 pair swapped as a flash swap (output to the executor, then `uniswapV2Call`).
    pub const HOP_V2_FLASH: u8 = 0x02;
    /// A Uniswap V3 pool.
    pub const HOP_V3: u8 = 0x04;
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
/// Which to choose: [`Capital::Inventory`] whenever the executor holds at least `amount_in`
/// WETH (it is the cheapest for every shape); else [`Capital::FlashFromLastHop`]. They differ
/// only for a V2 last hop (+1,486 gas as a flash swap on the V3 -> V2 cycle, +1,528 on
/// V2 -> V2); with a V3 last hop both encode to the same bytes (the pool pays first anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capital {
    /// WETH the executor holds (with a V3 last hop the output arrives first anyway).
    Inventory,
    /// Borrowed from the cycle's last pool: a V2 last hop is swapped as a flash swap, a V3
    /// last hop lends by construction. Needs no inventory.
    FlashFromLastHop,
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

/// The pool kind of a hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    /// A Uniswap V2-style pair (any fork: the amount already carries the pair's fee).
    V2,
    /// A Uniswap V3-style pool (exact input: the previous hop's amount).
    V3,
}

/// One hop of the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop {
    /// Pair or pool kind.
    pub kind: PoolKind,
    /// The pair or pool.
    pub pool: Address,
    /// The hop sells the pool's token0.
    pub zero_for_one: bool,
    /// V2: the exact output (`getAmountOut` with the pair's fee). V3: the minimum output the
    /// executor accepts (the simulated output).
    pub amount_out: U256,
}

/// A whole program: what one backrun transaction asks the executor to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// Capital source.
    pub capital: Capital,
    /// WETH into the first hop.
    pub amount_in: U256,
    /// The executor reverts unless the last hop's amount covers `amount_in`, any flash fee,
    /// `min_profit` and the bribe.
    pub min_profit: U256,
    /// Builder payment.
    pub bribe: Bribe,
    /// Hops in cycle order: the first takes WETH, the last gives WETH.
    pub hops: Vec<Hop>,
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
        /// Hop index.
        index: usize,
        /// The flags byte.
        flags: u8,
    },
}

impl Program {
    /// The mode byte this program encodes to.
    pub fn mode(&self) -> u8 {
        match self.bribe {
            Bribe::None => 0,
            Bribe::FromWeth(_) => MODE_BRIBE,
        }
    }

    /// Length in bytes of the encoded program.
    pub fn encoded_len(&self) -> usize {
        let bribe = if matches!(self.bribe, Bribe::None) { 0 } else { BRIBE_LEN };
        HEADER_LEN + bribe + HOP_LEN * self.hops.len()
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
        match self.bribe {
            Bribe::None => {}
            Bribe::FromWeth(b) => {
                put_uint(&mut out, "bribe", b, WETH_AMOUNT_LEN)?;
            }
        }
        for (i, hop) in self.hops.iter().enumerate() {
            let mut flags = if hop.zero_for_one { HOP_ZERO_FOR_ONE } else { 0 };
            match hop.kind {
                PoolKind::V3 => flags |= HOP_V3,
                PoolKind::V2 if i == n - 1 && self.capital == Capital::FlashFromLastHop => {
                    flags |= HOP_V2_FLASH;
                }
                PoolKind::V2 => {}
            }
            out.push(flags);
            out.extend_from_slice(hop.pool.as_slice());
            put_uint(&mut out, "hop amount_out", hop.amount_out, 16)?;
        }
        debug_assert_eq!(out.len(), self.encoded_len());
        Ok(out.into())
    }

    /// Reads a program back (for logs and review). `encode(decode(b)) == b` for every valid
    /// `b`; a DIRECT program whose last hop calls back decodes as [`Capital::FlashFromLastHop`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mode = *bytes.first().ok_or(DecodeError::Empty)?;
        if mode & !MODE_BRIBE != 0 {
            return Err(DecodeError::Mode(mode));
        }
        let header = if mode & MODE_BRIBE != 0 { HEADER_LEN + BRIBE_LEN } else { HEADER_LEN };
        let body = bytes.len().checked_sub(header).ok_or(DecodeError::Length(bytes.len()))?;
        let n = body / HOP_LEN;
        if body % HOP_LEN != 0 || !(MIN_HOPS..=MAX_HOPS).contains(&n) {
            return Err(DecodeError::Length(bytes.len()));
        }
        let weth = |at: usize| U256::from_be_slice(&bytes[at..at + WETH_AMOUNT_LEN]);
        let bribe =
            if mode & MODE_BRIBE != 0 { Bribe::FromWeth(weth(BRIBE_OFFSET)) } else { Bribe::None };
        let mut hops = Vec::with_capacity(n);
        let mut last_flash = false;
        for index in 0..n {
            let h = &bytes[header + index * HOP_LEN..header + (index + 1) * HOP_LEN];
            let flags = h[HOP_FLAGS_OFFSET];
            let kind = match flags & !HOP_ZERO_FOR_ONE {
                0 => PoolKind::V2,
                HOP_V3 => PoolKind::V3,
                HOP_V2_FLASH if index == n - 1 => {
                    last_flash = true;
                    PoolKind::V2
                }
                _ => return Err(DecodeError::Flags { index, flags }),
            };
            hops.push(Hop {
                kind,
                pool: Address::from_slice(&h[HOP_POOL_OFFSET..HOP_AMOUNT_OFFSET]),
                zero_for_one: flags & HOP_ZERO_FOR_ONE != 0,
                amount_out: U256::from_be_slice(&h[HOP_AMOUNT_OFFSET..HOP_LEN]),
            });
        }
        let capital = if last_flash { Capital::FlashFromLastHop } else { Capital::Inventory };
        Ok(Self {
            capital,
            amount_in: weth(AMOUNT_IN_OFFSET),
            min_profit: weth(MIN_PROFIT_OFFSET),
            bribe,
            hops,
        })
    }

    /// The profit the executor checks, before the bribe: the last hop's amount minus
    /// `amount_in` (`None` if negative or there are no hops).
    pub fn gross_profit(&self) -> Option<U256> {
        self.hops.last()?.amount_out.checked_sub(self.amount_in)
    }
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
                Hop {
                    kind: PoolKind::V3,
                    pool: address!("0x1111111111111111111111111111111111111111"),
                    zero_for_one: true,
                    amount_out: eth(2_468_000),
                },
                Hop {
                    kind: PoolKind::V2,
                    pool: address!("0x2222222222222222222222222222222222222222"),
                    zero_for_one: false,
                    amount_out: eth(2_470_100),
                },
                Hop {
                    kind: PoolKind::V2,
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
                Hop {
                    kind: PoolKind::V2,
                    pool: address!("0xfe90b54D84AD19D0123F8fB038Ec52e3294EBdC3"),
                    zero_for_one: false,
                    amount_out: U256::from(1_041_657_338_169_226_406_364u128),
                },
                Hop {
                    kind: PoolKind::V2,
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
                Hop {
                    kind: PoolKind::V2,
                    pool: address!("0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa"),
                    zero_for_one: false,
                    amount_out: U256::from(u128::MAX),
                },
                Hop {
                    kind: PoolKind::V2,
                    pool: address!("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"),
                    zero_for_one: true,
                    amount_out: U256::from(1u64),
                },
                Hop {
                    kind: PoolKind::V3,
                    pool: address!("0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"),
                    zero_for_one: false,
                    amount_out: U256::ZERO,
                },
                Hop {
                    kind: PoolKind::V2,
                    pool: address!("0xDDdDddDdDdddDDddDDddDDDDdDdDDdDDdDDDDDDd"),
                    zero_for_one: true,
                    amount_out: eth(7_100),
                },
            ],
        }
    }

    const VECTOR_C: &str = "04000000006124fee993bc00000000000000000000000000000000000000000000075bcd1500aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaffffffffffffffffffffffffffffffff01bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0000000000000000000000000000000104cccccccccccccccccccccccccccccccccccccccc0000000000000000000000000000000001dddddddddddddddddddddddddddddddddddddddd000000000000000062884461f1460000";

    #[test]
    fn shared_vectors_match_solidity() {
        for (program, expected) in
            [(vector_a(), VECTOR_A), (vector_b(), VECTOR_B), (vector_c(), VECTOR_C)]
        {
            let encoded = program.encode().expect("valid program");
            assert_eq!(hex::encode(&encoded), expected, "{program:?}");
            assert_eq!(encoded.len(), program.encoded_len());
            assert_eq!(Program::decode(&encoded), Ok(program));
        }
    }

    #[test]
    fn layout_constants_match_the_contract() {
        // Executor.sol: 25-byte header, 12-byte bribe, 37-byte hops; the first byte of every
        // program is below 0x10, under every selector the contract serves.
        assert_eq!(HEADER_LEN, 1 + 2 * WETH_AMOUNT_LEN);
        assert_eq!(BRIBE_OFFSET, HEADER_LEN);
        assert_eq!(HOP_LEN, 1 + 20 + 16);
        assert!(MODE_BRIBE < MODE_MAX);
        // sweep, uniswapV2Call, uniswapV3SwapCallback, owner, coldWallet, weth
        for selector in [0x6e_u8, 0x10, 0xfa, 0x8d, 0x6b, 0x3f] {
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
        p.hops[1].kind = PoolKind::V3;
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
        assert_eq!(Program::decode(&[]), Err(DecodeError::Empty));
        assert_eq!(Program::decode(&[0x10]), Err(DecodeError::Mode(0x10)));
        // The removed capital modes (V3_FIRST 0x01, BALANCER 0x02) and bribe-from-WETH (0x08).
        for mode in [0x01, 0x02, 0x03, 0x08, 0x0c] {
            assert_eq!(Program::decode(&[mode; 99]), Err(DecodeError::Mode(mode)));
        }
        let good = vector_b().encode().expect("valid");
        assert_eq!(Program::decode(&good[..good.len() - 1]), Err(DecodeError::Length(98)));
        let mut bad = good.to_vec();
        bad[HEADER_LEN] = HOP_V2_FLASH; // a flash flag on a hop that is not the last
        assert_eq!(
            Program::decode(&bad),
            Err(DecodeError::Flags { index: 0, flags: HOP_V2_FLASH })
        );
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

    fn arb_hop() -> impl Strategy<Value = Hop> {
        (any::<bool>(), any::<[u8; 20]>(), any::<bool>(), any::<u128>()).prop_map(
            |(v3, pool, zero_for_one, amount)| Hop {
                kind: if v3 { PoolKind::V3 } else { PoolKind::V2 },
                pool: Address::from(pool),
                zero_for_one,
                amount_out: U256::from(amount),
            },
        )
    }

    fn arb_program() -> impl Strategy<Value = Program> {
        (
            any::<bool>(),
            any::<bool>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            prop::collection::vec(arb_hop(), MIN_HOPS..=MAX_HOPS),
        )
            .prop_map(|(flash, bribe, amount_in, min_profit, bribe_amount, hops)| {
                let capital = if flash { Capital::FlashFromLastHop } else { Capital::Inventory };
                let bribe =
                    if bribe { Bribe::FromWeth(U256::from(bribe_amount)) } else { Bribe::None };
                Program {
                    capital,
                    amount_in: U256::from(amount_in) << 32,
                    min_profit: U256::from(min_profit),
                    bribe,
                    hops,
                }
            })
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(program in arb_program()) {
            let bytes = program.encode().expect("valid program");
            prop_assert_eq!(bytes.len(), program.encoded_len());
            prop_assert!(bytes[0] < MODE_MAX);
            let decoded = Program::decode(&bytes).expect("decodes");
            prop_assert_eq!(decoded.encode().expect("re-encodes"), bytes);
            prop_assert_eq!(decoded.hops, program.hops);
            prop_assert_eq!(decoded.amount_in, program.amount_in);
        }
    }
}
