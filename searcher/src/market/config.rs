//! The market's configuration: which factories to discover pools from (kind, address, fee of
//! V2 forks, first block), the base tokens cycles start and end in, and the knobs of
//! discovery, state loading and reorg handling.
//!
//! ```toml
//! [market]
//! base-tokens = ["0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"]   # WETH (the default)
//! known-fee-on-transfer = []
//! undo-depth = 64
//!
//! [market.discovery]
//! initial-chunk = 10000        # blocks per eth_getLogs, halved on "too many results"
//!
//! [market.load]
//! batch-size = 500             # eth_calls per JSON-RPC batch
//! tick-window = { words = 2 }  # or "all"
//!
//! [[market.factories]]
//! dex = "uniswap-v2"
//! kind = { uniswap-v2 = { fee-numerator = 997, fee-denominator = 1000 } }
//! address = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
//! start-block = 10000835
//!
//! [[market.factories]]
//! dex = "uniswap-v3"
//! kind = "uniswap-v3"
//! address = "0x1F98431c8aD98523631AE4a59f267346ea31F984"
//! start-block = 12369621
//! ```

use crate::market::math::V2Fee;
use alloy::primitives::{Address, address};
use serde::{Deserialize, Serialize};

/// Mainnet WETH9: the default base token.
pub const MAINNET_WETH: Address = address!("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2");
/// Default number of blocks the undo log keeps (and so the deepest reorg handled in place).
pub const DEFAULT_UNDO_DEPTH: usize = 64;
/// Default blocks per `eth_getLogs` request when discovery starts.
pub const DEFAULT_INITIAL_CHUNK: u64 = 10_000;
/// Default upper bound of the adaptive chunk size.
pub const DEFAULT_MAX_CHUNK: u64 = 500_000;
/// Default number of `eth_call`s per JSON-RPC batch.
pub const DEFAULT_BATCH_SIZE: usize = 500;
/// Default tick-bitmap words loaded on each side of a V3 pool's current word.
pub const DEFAULT_TICK_WINDOW_WORDS: u16 = 2;
/// Default largest head gap synced block by block; a larger gap reloads state at the head.
pub const DEFAULT_MAX_CATCH_UP: u64 = 256;

/// Everything the market needs to know up front.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct MarketConfig {
    /// Factories whose pools are discovered.
    pub factories: Vec<FactoryConfig>,
    /// Tokens cycles start and end in.
    pub base_tokens: Vec<Address>,
    /// Tokens flagged fee-on-transfer without probing (a known list; probing still runs).
    pub known_fee_on_transfer: Vec<Address>,
    /// Tokens never traded, whatever the probes say.
    pub blocked_tokens: Vec<Address>,
    /// Blocks kept in the undo log: the deepest reorg rolled back in place.
    pub undo_depth: usize,
    /// Largest gap between our head and a new head that is synced block by block.
    pub max_catch_up: u64,
    /// Discovery knobs.
    pub discovery: DiscoveryConfig,
    /// State-loading knobs.
    pub load: LoadConfig,
}

impl Default for MarketConfig {
    fn default() -> Self {
        Self {
            factories: Vec::new(),
            base_tokens: vec![MAINNET_WETH],
            known_fee_on_transfer: Vec::new(),
            blocked_tokens: Vec::new(),
            undo_depth: DEFAULT_UNDO_DEPTH,
            max_catch_up: DEFAULT_MAX_CATCH_UP,
            discovery: DiscoveryConfig::default(),
            load: LoadConfig::default(),
        }
    }
}

impl MarketConfig {
    /// The factory configured at `address`.
    pub fn factory(&self, address: Address) -> Option<&FactoryConfig> {
        self.factories.iter().find(|f| f.address == address)
    }
}

/// A factory whose creation logs announce pools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FactoryConfig {
    /// The DEX's name, recorded with each pool (`uniswap-v2`, `sushiswap`, ...).
    pub dex: String,
    /// What the factory creates.
    pub kind: FactoryKind,
    /// The factory's address.
    pub address: Address,
    /// First block to scan (the factory's deployment block).
    #[serde(default)]
    pub start_block: u64,
}

/// The kind of pools a factory creates. A new kind (V4 `Initialize` on the PoolManager,
/// Balancer `PoolRegistered`, Curve registries) is a new variant plus its decoder in
/// [`crate::market::discovery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactoryKind {
    /// Uniswap V2-style: `PairCreated`, constant product with the factory's fee.
    UniswapV2 {
        /// Share of the input kept after the fee, numerator (997 for Uniswap).
        #[serde(rename = "fee-numerator")]
        fee_numerator: u32,
        /// Denominator of the fee fraction (1000 for Uniswap).
        #[serde(rename = "fee-denominator")]
        fee_denominator: u32,
    },
    /// Uniswap V3-style: `PoolCreated` carries each pool's fee tier and tick spacing, so every
    /// tier the factory enables (including ones enabled later) is covered.
    UniswapV3,
}

impl FactoryKind {
    /// Uniswap V2's 0.3% fee.
    pub const UNISWAP_V2: Self = Self::UniswapV2 { fee_numerator: 997, fee_denominator: 1000 };

    /// The V2 fee, when this is a V2 factory with a valid fee.
    pub fn v2_fee(&self) -> Option<V2Fee> {
        match *self {
            Self::UniswapV2 { fee_numerator, fee_denominator } => {
                V2Fee::new(fee_numerator, fee_denominator).ok()
            }
            Self::UniswapV3 => None,
        }
    }
}

/// Discovery knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// Blocks per `eth_getLogs` when a scan starts.
    pub initial_chunk: u64,
    /// Upper bound the chunk grows to after successful requests.
    pub max_chunk: u64,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self { initial_chunk: DEFAULT_INITIAL_CHUNK, max_chunk: DEFAULT_MAX_CHUNK }
    }
}

/// State-loading knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct LoadConfig {
    /// `eth_call`s per JSON-RPC batch.
    pub batch_size: usize,
    /// Which initialized ticks of V3 pools are loaded.
    pub tick_window: TickWindowPolicy,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            tick_window: TickWindowPolicy::Words(DEFAULT_TICK_WINDOW_WORDS),
        }
    }
}

/// Which part of a V3 pool's tick bitmap is loaded. The loaded range is recorded in the
/// pool's state ([`crate::market::math::TickWindow`]) and the math refuses swaps that would
/// leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TickWindowPolicy {
    /// Every word of the bitmap (116 words at spacing 60, 3,466 at spacing 1).
    All,
    /// This many 256-tick-spacing words on each side of the current tick's word.
    Words(u16),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip_and_defaults() {
        let text = r#"
            base-tokens = ["0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"]
            [load]
            tick-window = "all"
            [[factories]]
            dex = "sushiswap"
            kind = { uniswap-v2 = { fee-numerator = 997, fee-denominator = 1000 } }
            address = "0xC0AEe478e3658e2610c5F7A4A2E1777cE9e4f2Ac"
            start-block = 10794229
            [[factories]]
            dex = "uniswap-v3"
            kind = "uniswap-v3"
            address = "0x1F98431c8aD98523631AE4a59f267346ea31F984"
        "#;
        let config: MarketConfig = toml::from_str(text).expect("parses");
        assert_eq!(config.factories.len(), 2);
        assert_eq!(config.factories[0].kind, FactoryKind::UNISWAP_V2);
        assert_eq!(config.factories[0].kind.v2_fee(), Some(V2Fee::UNISWAP));
        assert_eq!(config.factories[1].kind, FactoryKind::UniswapV3);
        assert_eq!(config.factories[1].start_block, 0);
        assert_eq!(config.load.tick_window, TickWindowPolicy::All);
        assert_eq!(config.load.batch_size, DEFAULT_BATCH_SIZE);
        assert_eq!(config.undo_depth, DEFAULT_UNDO_DEPTH);
        let back: MarketConfig =
            toml::from_str(&toml::to_string(&config).expect("serializes")).expect("parses");
        assert_eq!(back, config);
        let words: LoadConfig = toml::from_str("tick-window = { words = 3 }").expect("parses");
        assert_eq!(words.tick_window, TickWindowPolicy::Words(3));
    }
}
