//! Uniswap V4 pools as the market sees them: the [`PoolKey`] and its [`PoolKey::id`], which
//! pools may be priced natively ([`HooksPolicy`], from the hook address's permission bits),
//! where a pool's state lives in the PoolManager's storage ([`slots`]), how its words decode,
//! and [`load_v4_pool`], which reads a pool through `extsload` in batched `eth_call`s.
//!
//! [`decode_initialize`] turns the PoolManager's `Initialize` log into the key, checked against
//! the log's indexed id, and the pool's [`HooksPolicy`]. Not yet here (issue 13): wiring these
//! into discovery, a [`crate::market::PoolKind`] for V4 pools and their per-block sync;
//! [`V4PoolState`] already applies `Swap` and `ModifyLiquidity` events. Two facts for that
//! sync: a `Swap` event's `fee` is the swap fee (LP plus protocol fee), not `slot0.lpFee`; and
//! `updateDynamicLPFee` and `setProtocolFee` change `slot0` without a pool event of their own
//! (`setProtocolFee` emits `ProtocolFeeUpdated(id, fee)`; a dynamic LP fee set by a hook emits
//! nothing), so a dynamic-fee pool's `slot0` must be re-read after any block that touched it.
//!
//! One PoolManager holds every pool; the `pools` mapping sits at slot 6 and a pool's
//! `Pool.State` at `keccak256(abi.encodePacked(poolId, uint256(6)))`:
//!
//! ```text
//!  state + 0  slot0   | lpFee (24) | protocolFee (24) | tick (24) | sqrtPriceX96 (160) |
//!                       bit 208      bit 184            bit 160     bit 0
//!  state + 1  feeGrowthGlobal0X128      state + 2  feeGrowthGlobal1X128
//!  state + 3  liquidity (uint128)
//!  state + 4  ticks:      mapping(int24 => Tick.Info)   first word: liquidityNet (high 128) | liquidityGross (low 128)
//!  state + 5  tickBitmap: mapping(int16 => uint256)
//!  state + 6  positions
//! ```
//!
//! (v4-core's `StateLibrary` and `Slot0Library`.) A mapping's entry for key `k` is at
//! `keccak256(abi.encodePacked(int256(k), mappingSlot))`.

use crate::market::{
    config::TickWindowPolicy,
    error::Result,
    loader::{Call, call_batch, window_words},
    math::{TickInfo, V3PoolState, V4PoolState, v4::DYNAMIC_FEE_FLAG},
};
use alloy::{
    primitives::{Address, B256, U256, keccak256},
    providers::Provider,
    sol_types::SolCall,
};

/// A Uniswap V4 pool's key (`currency0 < currency1`; the zero address is native ETH).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

impl PoolKey {
    /// `PoolId`: `keccak256(abi.encode(key))`, five 32-byte words.
    pub fn id(&self) -> B256 {
        let mut words = [0u8; 160];
        words[12..32].copy_from_slice(self.currency0.as_slice());
        words[44..64].copy_from_slice(self.currency1.as_slice());
        words[64..96].copy_from_slice(&U256::from(self.fee & 0xff_ffff).to_be_bytes::<32>());
        // int24, sign-extended to the word.
        words[96..128].copy_from_slice(
            &U256::from_be_bytes(i256_word(self.tick_spacing)).to_be_bytes::<32>(),
        );
        words[140..160].copy_from_slice(self.hooks.as_slice());
        keccak256(words)
    }

    /// Whether the LP fee is dynamic (set by the hook, read from `slot0.lpFee`).
    pub const fn is_dynamic_fee(&self) -> bool {
        self.fee == DYNAMIC_FEE_FLAG
    }
}

/// A signed integer as the 32-byte big-endian word `abi.encode(int256(x))` writes.
fn i256_word(x: i32) -> [u8; 32] {
    let fill = if x < 0 { 0xff } else { 0 };
    let mut word = [fill; 32];
    word[28..].copy_from_slice(&x.to_be_bytes());
    word
}

/// Hook permission bits (`Hooks.sol`): the low 14 bits of the hook contract's address.
pub mod hook_flags {
    /// `BEFORE_INITIALIZE_FLAG`.
    pub const BEFORE_INITIALIZE: u16 = 1 << 13;
    /// `AFTER_INITIALIZE_FLAG`.
    pub const AFTER_INITIALIZE: u16 = 1 << 12;
    /// `BEFORE_ADD_LIQUIDITY_FLAG`.
    pub const BEFORE_ADD_LIQUIDITY: u16 = 1 << 11;
    /// `AFTER_ADD_LIQUIDITY_FLAG`.
    pub const AFTER_ADD_LIQUIDITY: u16 = 1 << 10;
    /// `BEFORE_REMOVE_LIQUIDITY_FLAG`.
    pub const BEFORE_REMOVE_LIQUIDITY: u16 = 1 << 9;
    /// `AFTER_REMOVE_LIQUIDITY_FLAG`.
    pub const AFTER_REMOVE_LIQUIDITY: u16 = 1 << 8;
    /// `BEFORE_SWAP_FLAG`.
    pub const BEFORE_SWAP: u16 = 1 << 7;
    /// `AFTER_SWAP_FLAG`.
    pub const AFTER_SWAP: u16 = 1 << 6;
    /// `BEFORE_DONATE_FLAG`.
    pub const BEFORE_DONATE: u16 = 1 << 5;
    /// `AFTER_DONATE_FLAG`.
    pub const AFTER_DONATE: u16 = 1 << 4;
    /// `BEFORE_SWAP_RETURNS_DELTA_FLAG`.
    pub const BEFORE_SWAP_RETURNS_DELTA: u16 = 1 << 3;
    /// `AFTER_SWAP_RETURNS_DELTA_FLAG`.
    pub const AFTER_SWAP_RETURNS_DELTA: u16 = 1 << 2;
    /// `AFTER_ADD_LIQUIDITY_RETURNS_DELTA_FLAG`.
    pub const AFTER_ADD_LIQUIDITY_RETURNS_DELTA: u16 = 1 << 1;
    /// `AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA_FLAG`.
    pub const AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA: u16 = 1 << 0;
    /// Every permission.
    pub const ALL: u16 = (1 << 14) - 1;
    /// The permissions that let a hook change a swap's price, fee or amounts, or account
    /// deltas of its own: a pool whose hook holds any of them is not priced natively.
    pub const CHANGES_SWAPS: u16 = BEFORE_SWAP
        | AFTER_SWAP
        | BEFORE_SWAP_RETURNS_DELTA
        | AFTER_SWAP_RETURNS_DELTA
        | AFTER_ADD_LIQUIDITY_RETURNS_DELTA
        | AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA;
}

/// The permission bits of a hook address.
pub fn hook_permissions(hooks: Address) -> u16 {
    let bytes = hooks.as_slice();
    u16::from_be_bytes([bytes[18], bytes[19]]) & hook_flags::ALL
}

/// Whether the market prices a V4 pool natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HooksPolicy {
    /// No hooks, or hooks with none of [`hook_flags::CHANGES_SWAPS`]: the pool's swap is
    /// `Pool.swap` and the native math prices it.
    Native,
    /// The hook may change swaps (`permissions` holds at least one of
    /// [`hook_flags::CHANGES_SWAPS`]): never priced natively; skipped and counted.
    SwapHook {
        /// The hook's permission bits.
        permissions: u16,
    },
}

impl HooksPolicy {
    /// The policy for a pool key.
    pub fn of(key: &PoolKey) -> Self {
        let permissions = hook_permissions(key.hooks);
        if key.hooks == Address::ZERO || permissions & hook_flags::CHANGES_SWAPS == 0 {
            Self::Native
        } else {
            Self::SwapHook { permissions }
        }
    }
}

/// A V4 pool as its `Initialize` log announces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V4Initialized {
    /// The key, from the log's fields.
    pub key: PoolKey,
    /// `keccak256(abi.encode(key))`, equal to the log's indexed id.
    pub id: B256,
    /// Whether it may be priced natively.
    pub policy: HooksPolicy,
    /// The initial `sqrtPriceX96`.
    pub sqrt_price_x96: U256,
    /// The initial tick.
    pub tick: i32,
}

/// Why an `Initialize` log was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitializeRefused {
    /// Not the PoolManager's `Initialize` event.
    #[error("not an Initialize log")]
    NotInitialize,
    /// The log does not decode as `Initialize`.
    #[error("undecodable Initialize log: {0}")]
    Undecodable(String),
    /// The log's indexed id is not the hash of its key: not the v4-core PoolManager's log.
    #[error("Initialize id {logged} is not the key's hash {computed}")]
    IdMismatch {
        /// The indexed id.
        logged: B256,
        /// `keccak256(abi.encode(key))`.
        computed: B256,
    },
    /// A key the PoolManager cannot initialize (currencies out of order, a tick spacing
    /// outside `1..=32767`, an LP fee above 100% without the dynamic flag).
    #[error("impossible pool key: {0}")]
    ImpossibleKey(&'static str),
}

/// Decodes a PoolManager `Initialize` log (the caller checks it was emitted by the configured
/// PoolManager). Never panics; a refused log is the caller's to count.
pub fn decode_initialize(
    log: &alloy::primitives::Log,
) -> std::result::Result<V4Initialized, InitializeRefused> {
    use crate::abi::IPoolManager::Initialize;
    use alloy::sol_types::SolEvent;
    if log.topics().first() != Some(&Initialize::SIGNATURE_HASH) {
        return Err(InitializeRefused::NotInitialize);
    }
    let ev =
        Initialize::decode_log(log).map_err(|e| InitializeRefused::Undecodable(e.to_string()))?;
    let key = PoolKey {
        currency0: ev.currency0,
        currency1: ev.currency1,
        fee: ev.fee.to::<u32>(),
        tick_spacing: i32::try_from(ev.tickSpacing).unwrap_or(0),
        hooks: ev.hooks,
    };
    if key.currency0 >= key.currency1 {
        return Err(InitializeRefused::ImpossibleKey("currency0 >= currency1"));
    }
    if !(1..=i32::from(i16::MAX)).contains(&key.tick_spacing) {
        return Err(InitializeRefused::ImpossibleKey("tick spacing outside 1..=32767"));
    }
    if !key.is_dynamic_fee() && key.fee > crate::market::math::v4::MAX_SWAP_FEE {
        return Err(InitializeRefused::ImpossibleKey("LP fee above 100%"));
    }
    let id = key.id();
    if id != ev.id {
        return Err(InitializeRefused::IdMismatch { logged: ev.id, computed: id });
    }
    Ok(V4Initialized {
        key,
        id,
        policy: HooksPolicy::of(&key),
        sqrt_price_x96: U256::from(ev.sqrtPriceX96),
        tick: i32::try_from(ev.tick).unwrap_or(0),
    })
}

/// Storage slots of a pool's state in the PoolManager (`StateLibrary`).
pub mod slots {
    use super::*;

    /// The `pools` mapping's slot.
    pub const POOLS_SLOT: u64 = 6;
    /// Offset of `liquidity` in `Pool.State`.
    pub const LIQUIDITY_OFFSET: u64 = 3;
    /// Offset of the `ticks` mapping.
    pub const TICKS_OFFSET: u64 = 4;
    /// Offset of the `tickBitmap` mapping.
    pub const TICK_BITMAP_OFFSET: u64 = 5;

    /// `keccak256(abi.encodePacked(poolId, uint256(6)))`: `slot0`.
    pub fn state(id: B256) -> B256 {
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(id.as_slice());
        buf[32..].copy_from_slice(&U256::from(POOLS_SLOT).to_be_bytes::<32>());
        keccak256(buf)
    }

    fn offset(state: B256, by: u64) -> B256 {
        B256::from(U256::from_be_bytes(state.0).wrapping_add(U256::from(by)))
    }

    fn mapping_entry(key: i32, mapping: B256) -> B256 {
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(&i256_word(key));
        buf[32..].copy_from_slice(mapping.as_slice());
        keccak256(buf)
    }

    /// The in-range liquidity's slot.
    pub fn liquidity(id: B256) -> B256 {
        offset(state(id), LIQUIDITY_OFFSET)
    }

    /// The first word of `ticks[tick]` (`liquidityGross`, `liquidityNet`).
    pub fn tick(id: B256, tick: i32) -> B256 {
        mapping_entry(tick, offset(state(id), TICKS_OFFSET))
    }

    /// `tickBitmap[word]`.
    pub fn bitmap_word(id: B256, word: i16) -> B256 {
        mapping_entry(i32::from(word), offset(state(id), TICK_BITMAP_OFFSET))
    }
}

/// `slot0` decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot0 {
    /// `sqrtPriceX96` (zero: the pool is not initialized).
    pub sqrt_price_x96: U256,
    /// The current tick.
    pub tick: i32,
    /// Protocol fee, 12 bits per direction.
    pub protocol_fee: u32,
    /// LP fee in pips.
    pub lp_fee: u32,
}

/// Bit offsets in the packed `slot0` (`Slot0Library`).
const TICK_OFFSET: usize = 160;
const PROTOCOL_FEE_OFFSET: usize = 184;
const LP_FEE_OFFSET: usize = 208;

impl Slot0 {
    /// Decodes the packed word.
    pub fn decode(word: B256) -> Self {
        let w = U256::from_be_bytes(word.0);
        let mask24 = U256::from(0xff_ffffu32);
        let field = |offset: usize| ((w >> offset) & mask24).to::<u32>();
        let raw_tick = field(TICK_OFFSET);
        // signextend(2, ...): 24-bit two's complement.
        let tick = ((raw_tick << 8) as i32) >> 8;
        Self {
            sqrt_price_x96: w & ((U256::from(1) << 160) - U256::from(1)),
            tick,
            protocol_fee: field(PROTOCOL_FEE_OFFSET),
            lp_fee: field(LP_FEE_OFFSET),
        }
    }
}

/// Decodes the first word of `Tick.Info`: gross liquidity (low 128 bits) and net liquidity
/// (high 128 bits, signed).
pub fn decode_tick(word: B256) -> TickInfo {
    let bytes = word.0;
    let mut high = [0u8; 16];
    let mut low = [0u8; 16];
    high.copy_from_slice(&bytes[..16]);
    low.copy_from_slice(&bytes[16..]);
    TickInfo { liquidity_gross: u128::from_be_bytes(low), liquidity_net: i128::from_be_bytes(high) }
}

/// A storage word read as an unsigned integer.
fn word(w: B256) -> U256 {
    U256::from_be_bytes(w.0)
}

/// What [`load_v4_pool`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V4Load {
    /// The pool's swap state.
    Loaded(V4PoolState),
    /// `slot0` is empty: no pool with this key is initialized.
    Uninitialized,
    /// The PoolManager's answer cannot be used (an `extsload` reverted or did not decode, or
    /// the state is one no pool can be in): the pool is not priced. Per-pool, never fatal.
    Refused(String),
}

/// `extsload(bytes32[])` on the PoolManager at `block`, through [`call_batch`]; `Err(reason)`
/// inside when the manager's answer is unusable.
async fn extsload<P: Provider>(
    provider: &P,
    manager: Address,
    block: B256,
    slots: &[B256],
    batch_size: usize,
) -> Result<std::result::Result<Vec<B256>, String>> {
    use crate::abi::IPoolManager::extsload_2Call as Extsload;
    // Several calls for many slots: a node caps a call's gas and return size.
    const SLOTS_PER_CALL: usize = 256;
    let calls: Vec<Call> = slots
        .chunks(SLOTS_PER_CALL)
        .map(|chunk| Call {
            to: manager,
            data: Extsload { slots: chunk.to_vec() }.abi_encode().into(),
        })
        .collect();
    let answers = call_batch(provider, block, &calls, batch_size).await?;
    let mut out = Vec::with_capacity(slots.len());
    for answer in answers {
        let Some(bytes) = answer else {
            return Ok(Err(format!("extsload on {manager} reverted")));
        };
        match Extsload::abi_decode_returns(&bytes) {
            Ok(values) => out.extend(values),
            Err(e) => return Ok(Err(format!("extsload answer: {e}"))),
        }
    }
    if out.len() != slots.len() {
        return Ok(Err(format!("extsload answered {} of {} slots", out.len(), slots.len())));
    }
    Ok(Ok(out))
}

/// Reads a V4 pool's swap state at `block` through the PoolManager's `extsload`: `slot0` and
/// `liquidity`, then the tick-bitmap words of the policy's window, then every initialized
/// tick in them (three round trips). The state is validated as the V3 math does (a tick
/// spacing above 16,383 is refused). Fails only on transport errors or a vanished block.
pub async fn load_v4_pool<P: Provider>(
    provider: &P,
    manager: Address,
    block: B256,
    key: &PoolKey,
    policy: TickWindowPolicy,
    batch_size: usize,
) -> Result<V4Load> {
    let id = key.id();
    let head = match extsload(
        provider,
        manager,
        block,
        &[slots::state(id), slots::liquidity(id)],
        batch_size,
    )
    .await?
    {
        Ok(head) => head,
        Err(reason) => return Ok(V4Load::Refused(reason)),
    };
    let slot0 = Slot0::decode(head[0]);
    if slot0.sqrt_price_x96.is_zero() {
        return Ok(V4Load::Uninitialized);
    }
    let Ok(liquidity) = u128::try_from(word(head[1])) else {
        return Ok(V4Load::Refused(format!("V4 pool {id}: liquidity above uint128")));
    };
    if !(1..=i32::from(i16::MAX)).contains(&key.tick_spacing) {
        return Ok(V4Load::Refused(format!("V4 pool {id}: tick spacing {}", key.tick_spacing)));
    }
    let (first, last, window) = window_words(policy, slot0.tick, key.tick_spacing);
    let amm = match V3PoolState::new(
        slot0.sqrt_price_x96,
        slot0.tick,
        liquidity,
        slot0.lp_fee,
        key.tick_spacing,
        window,
    ) {
        Ok(amm) => amm,
        Err(e) => return Ok(V4Load::Refused(format!("V4 pool {id}: {e}"))),
    };
    let mut state = V4PoolState { amm, protocol_fee: slot0.protocol_fee };

    let words: Vec<i16> = (first..=last).collect();
    let word_slots: Vec<B256> = words.iter().map(|&w| slots::bitmap_word(id, w)).collect();
    let bitmap = match extsload(provider, manager, block, &word_slots, batch_size).await? {
        Ok(bitmap) => bitmap,
        Err(reason) => return Ok(V4Load::Refused(reason)),
    };
    let mut ticks = Vec::new();
    for (&w, bits) in words.iter().zip(bitmap) {
        let bits = word(bits);
        for bit in 0..256usize {
            if bits.bit(bit) {
                ticks.push((i32::from(w) * 256 + bit as i32) * key.tick_spacing);
            }
        }
    }
    let tick_slots: Vec<B256> = ticks.iter().map(|&t| slots::tick(id, t)).collect();
    let infos = match extsload(provider, manager, block, &tick_slots, batch_size).await? {
        Ok(infos) => infos,
        Err(reason) => return Ok(V4Load::Refused(reason)),
    };
    for (&t, info) in ticks.iter().zip(infos) {
        if let Err(e) = state.amm.insert_tick(t, decode_tick(info)) {
            return Ok(V4Load::Refused(format!("V4 pool {id} tick {t}: {e}")));
        }
    }
    Ok(V4Load::Loaded(state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256};

    #[test]
    fn pool_id_is_the_keys_hash() {
        // abi.encode of a key with a negative-looking spacing and a fee with the flag.
        let key = PoolKey {
            currency0: Address::ZERO,
            currency1: address!("0x00000000000000000000000000000000000000aa"),
            fee: 3000,
            tick_spacing: 60,
            hooks: Address::ZERO,
        };
        let mut encoded = Vec::new();
        for w in [U256::ZERO, U256::from(0xaa), U256::from(3000), U256::from(60), U256::ZERO] {
            encoded.extend_from_slice(&w.to_be_bytes::<32>());
        }
        assert_eq!(key.id(), keccak256(&encoded));
        assert_eq!(i256_word(-1), [0xff; 32]);
    }

    #[test]
    fn hooks_policy_reads_the_low_bits() {
        let mut key = PoolKey {
            currency0: Address::ZERO,
            currency1: Address::with_last_byte(1),
            fee: DYNAMIC_FEE_FLAG,
            tick_spacing: 60,
            hooks: Address::ZERO,
        };
        assert!(key.is_dynamic_fee());
        assert_eq!(HooksPolicy::of(&key), HooksPolicy::Native);
        // Initialize-only hook (bits 13, 12).
        key.hooks = address!("0x0000000000000000000000000000000000003000");
        assert_eq!(HooksPolicy::of(&key), HooksPolicy::Native);
        // beforeSwap.
        key.hooks = address!("0x0000000000000000000000000000000000000080");
        assert_eq!(HooksPolicy::of(&key), HooksPolicy::SwapHook { permissions: 0x80 });
        // afterSwapReturnsDelta only.
        key.hooks = address!("0xffff000000000000000000000000000000000004");
        assert_eq!(HooksPolicy::of(&key), HooksPolicy::SwapHook { permissions: 0x04 });
        // Bits above the 14 are not permissions.
        key.hooks = address!("0x000000000000000000000000000000000000c000");
        assert_eq!(hook_permissions(key.hooks), 0);
    }

    fn initialize_log(key: &PoolKey, id: B256) -> alloy::primitives::Log {
        use crate::abi::IPoolManager::Initialize;
        use alloy::primitives::aliases::{I24, U24, U160};
        use alloy::sol_types::SolEvent;
        let ev = Initialize {
            id,
            currency0: key.currency0,
            currency1: key.currency1,
            fee: U24::from(key.fee),
            tickSpacing: I24::try_from(key.tick_spacing).unwrap(),
            hooks: key.hooks,
            sqrtPriceX96: U160::from(1u128 << 96),
            tick: I24::ZERO,
        };
        alloy::primitives::Log { address: Address::ZERO, data: ev.encode_log_data() }
    }

    #[test]
    fn initialize_logs_decode_or_are_refused() {
        let key = PoolKey {
            currency0: Address::ZERO,
            currency1: Address::with_last_byte(7),
            fee: DYNAMIC_FEE_FLAG,
            tick_spacing: 10,
            hooks: address!("0x0000000000000000000000000000000000000080"),
        };
        let ok = decode_initialize(&initialize_log(&key, key.id())).unwrap();
        assert_eq!((ok.key, ok.id, ok.tick), (key, key.id(), 0));
        assert_eq!(ok.policy, HooksPolicy::SwapHook { permissions: 0x80 });
        assert_eq!(ok.sqrt_price_x96, U256::from(1u128 << 96));
        assert!(matches!(
            decode_initialize(&initialize_log(&key, B256::ZERO)),
            Err(InitializeRefused::IdMismatch { .. })
        ));
        let flipped = PoolKey { currency0: key.currency1, currency1: key.currency0, ..key };
        assert!(matches!(
            decode_initialize(&initialize_log(&flipped, flipped.id())),
            Err(InitializeRefused::ImpossibleKey(_))
        ));
        let mut truncated = initialize_log(&key, key.id());
        truncated.data = alloy::primitives::LogData::new_unchecked(
            truncated.data.topics().to_vec(),
            truncated.data.data.slice(..40),
        );
        assert!(matches!(decode_initialize(&truncated), Err(InitializeRefused::Undecodable(_))));
        let other = alloy::primitives::Log::new_unchecked(
            Address::ZERO,
            vec![B256::ZERO],
            Default::default(),
        );
        assert_eq!(decode_initialize(&other), Err(InitializeRefused::NotInitialize));
    }

    /// Hostile logs: random topics and data, and valid logs with random bytes changed; the
    /// decoder answers every one without panicking.
    #[test]
    fn hostile_initialize_logs_never_panic() {
        use alloy::sol_types::SolEvent;
        let mut x: u64 = 0x5eed_0013;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let key = PoolKey {
            currency0: Address::ZERO,
            currency1: Address::with_last_byte(9),
            fee: 3000,
            tick_spacing: 60,
            hooks: Address::ZERO,
        };
        let valid = initialize_log(&key, key.id());
        for _ in 0..20_000 {
            let mut topics = valid.data.topics().to_vec();
            let mut data = valid.data.data.to_vec();
            match next() % 4 {
                0 => {
                    let at = (next() % data.len() as u64) as usize;
                    data[at] = next() as u8;
                }
                1 => data.truncate((next() % (data.len() as u64 + 1)) as usize),
                2 => {
                    let t = (next() % topics.len() as u64) as usize;
                    let mut word = topics[t].0;
                    word[(next() % 32) as usize] ^= 1 << (next() % 8);
                    topics[t] = B256::from(word);
                }
                _ => {
                    topics.truncate((next() % 5) as usize);
                    data = (0..next() % 400).map(|_| next() as u8).collect();
                    if next() % 2 == 0 && !topics.is_empty() {
                        topics[0] = crate::abi::IPoolManager::Initialize::SIGNATURE_HASH;
                    }
                }
            }
            let log = alloy::primitives::Log::new_unchecked(Address::ZERO, topics, data.into());
            if let Ok(ok) = decode_initialize(&log) {
                assert_eq!(ok.id, ok.key.id());
            }
        }
    }

    #[test]
    fn slot0_and_tick_words_decode() {
        // lpFee 3000, protocolFee 0x0fa1f4 (500 | 250 << 12), tick -1, sqrtPrice 2^96.
        let w = (U256::from(3000u32) << 208)
            | (U256::from(500u32 | (250 << 12)) << 184)
            | (U256::from(0xff_ffffu32) << 160)
            | (U256::from(1) << 96);
        let s = Slot0::decode(B256::from(w));
        assert_eq!(s.lp_fee, 3000);
        assert_eq!(s.protocol_fee, 500 | (250 << 12));
        assert_eq!(s.tick, -1);
        assert_eq!(s.sqrt_price_x96, U256::from(1) << 96);
        let t = (U256::from(-5i128 as u128) << 128) | U256::from(7u8);
        let info = decode_tick(B256::from(t));
        assert_eq!((info.liquidity_gross, info.liquidity_net), (7, -5));
    }

    #[test]
    fn state_slot_matches_state_library() {
        // keccak256(abi.encodePacked(bytes32(0), uint256(6))).
        assert_eq!(
            slots::state(B256::ZERO),
            keccak256(
                b256!("0x0000000000000000000000000000000000000000000000000000000000000000")
                    .iter()
                    .chain(U256::from(6).to_be_bytes::<32>().iter())
                    .copied()
                    .collect::<Vec<u8>>()
            )
        );
    }
}
