//! Pool discovery from the creation logs of configured factories (`PairCreated`,
//! `PoolCreated`), in chunked, resumable block ranges.
//!
//! Each factory is scanned from its cursor (the first block not yet scanned; its
//! `start-block` the first time) to the target block with `eth_getLogs` over `chunk` blocks.
//! Every chunk's pools are committed to the store together with the advanced cursor, so an
//! interrupted scan resumes at the last chunk and a restart never asks for a range twice. On
//! an error (a node's "too many results" / "range too large" limits, timeouts) the chunk is
//! halved and retried, down to a single block; after sparse chunks it doubles again, up to
//! `max-chunk`.
//!
//! Creation logs inside blocks the sync applies are decoded by the same [`decode_creation`].

use crate::{
    abi::{IUniswapV2Factory, IUniswapV3Factory},
    market::{
        config::{FactoryConfig, FactoryKind, MarketConfig},
        error::{MarketError, Result},
        math::v3::state::MAX_TICK_SPACING,
        metrics as m,
        pool::{CreatedAt, Pool, PoolId, PoolKind},
    },
    store::{Store, market::MarketCommit},
};
use alloy::{
    primitives::{Address, B256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
    transports::TransportError,
};
use std::collections::HashMap;
use tracing::{debug, info, warn};

/// Chunks returning fewer logs than this let the chunk size grow.
const SPARSE_CHUNK_LOGS: usize = 1_000;

/// One `eth_getLogs` range that discovery requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScannedRange {
    /// The factory.
    pub factory: Address,
    /// First block.
    pub from: u64,
    /// Last block (inclusive).
    pub to: u64,
    /// Whether the node answered (a failed request is retried with a smaller range).
    pub ok: bool,
}

/// What a discovery run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoveryReport {
    /// Every `eth_getLogs` range requested, in order.
    pub ranges: Vec<ScannedRange>,
    /// Times a chunk was halved after an error.
    pub shrinks: u64,
    /// Pools found.
    pub pools_found: usize,
}

impl DiscoveryReport {
    /// Number of `eth_getLogs` requests.
    pub fn log_requests(&self) -> usize {
        self.ranges.len()
    }
}

/// The creation event a factory kind emits.
pub const fn creation_topic(kind: &FactoryKind) -> B256 {
    match kind {
        FactoryKind::UniswapV2 { .. } => IUniswapV2Factory::PairCreated::SIGNATURE_HASH,
        FactoryKind::UniswapV3 => IUniswapV3Factory::PoolCreated::SIGNATURE_HASH,
    }
}

/// Decodes a factory's creation log into a [`Pool`]. `Ok(None)` for a log that is not a
/// creation event or describes a pool the math cannot hold (a V3 tier with an impossible fee
/// or spacing, logged); `Err` for a creation log that does not decode.
pub fn decode_creation(factory: &FactoryConfig, log: &Log) -> Result<Option<Pool>> {
    let block = log.block_number.unwrap_or_default();
    let created = CreatedAt { block, log_index: log.log_index.unwrap_or_default() };
    if log.topic0() != Some(&creation_topic(&factory.kind)) {
        return Ok(None);
    }
    let decode_err = |event: &'static str, e: alloy::sol_types::Error| MarketError::Decode {
        event,
        block,
        detail: e.to_string(),
    };
    let pool = match factory.kind {
        FactoryKind::UniswapV2 { .. } => {
            let Some(fee) = factory.kind.v2_fee() else {
                return Err(MarketError::Config(format!("{}: invalid V2 fee", factory.dex)));
            };
            let ev = IUniswapV2Factory::PairCreated::decode_log_data(log.data())
                .map_err(|e| decode_err("PairCreated", e))?;
            Pool {
                id: PoolId::Contract(ev.pair),
                kind: PoolKind::UniswapV2 { fee },
                dex: factory.dex.as_str().into(),
                factory: factory.address,
                token0: ev.token0,
                token1: ev.token1,
                created,
            }
        }
        FactoryKind::UniswapV3 => {
            let ev = IUniswapV3Factory::PoolCreated::decode_log_data(log.data())
                .map_err(|e| decode_err("PoolCreated", e))?;
            let fee = ev.fee.to::<u32>();
            let tick_spacing = i32::try_from(ev.tickSpacing).unwrap_or(0);
            if fee >= 1_000_000 || !(1..=MAX_TICK_SPACING).contains(&tick_spacing) {
                warn!(target: "searcher::market", pool = %ev.pool, fee, tick_spacing,
                    "V3 pool with an impossible tier skipped");
                return Ok(None);
            }
            Pool {
                id: PoolId::Contract(ev.pool),
                kind: PoolKind::UniswapV3 { fee, tick_spacing },
                dex: factory.dex.as_str().into(),
                factory: factory.address,
                token0: ev.token0,
                token1: ev.token1,
                created,
            }
        }
    };
    Ok(Some(pool))
}

/// Scans every configured factory from its cursor through `to_block`, committing each chunk
/// to the store; returns the pools found (in creation order) and what was requested.
pub async fn discover<P: Provider>(
    provider: &P,
    store: &Store,
    config: &MarketConfig,
    cursors: &HashMap<Address, u64>,
    to_block: u64,
) -> Result<(Vec<Pool>, DiscoveryReport)> {
    let mut report = DiscoveryReport::default();
    let mut found = Vec::new();
    for factory in &config.factories {
        let from = cursors.get(&factory.address).copied().unwrap_or(0).max(factory.start_block);
        scan_factory(provider, store, config, factory, from, to_block, &mut found, &mut report)
            .await?;
    }
    found.sort_by_key(|p: &Pool| p.created);
    report.pools_found = found.len();
    info!(target: "searcher::market", pools = found.len(), requests = report.log_requests(),
        shrinks = report.shrinks, to_block, "discovery done");
    Ok((found, report))
}

#[expect(clippy::too_many_arguments, reason = "one scan's inputs and its two outputs")]
async fn scan_factory<P: Provider>(
    provider: &P,
    store: &Store,
    config: &MarketConfig,
    factory: &FactoryConfig,
    mut from: u64,
    to_block: u64,
    found: &mut Vec<Pool>,
    report: &mut DiscoveryReport,
) -> Result<()> {
    let mut chunk = config.discovery.initial_chunk.max(1);
    let max_chunk = config.discovery.max_chunk.max(chunk);
    let topic = creation_topic(&factory.kind);
    while from <= to_block {
        let to = from.saturating_add(chunk - 1).min(to_block);
        let filter = Filter::new()
            .address(factory.address)
            .event_signature(topic)
            .from_block(from)
            .to_block(to);
        metrics::counter!(m::DISCOVERY_LOG_REQUESTS).increment(1);
        let answer = provider.get_logs(&filter).await;
        report.ranges.push(ScannedRange { factory: factory.address, from, to, ok: answer.is_ok() });
        let logs = match answer {
            Ok(logs) => logs,
            Err(e) if chunk > 1 && should_shrink(&e) => {
                chunk = (chunk / 2).max(1);
                report.shrinks += 1;
                metrics::counter!(m::DISCOVERY_CHUNK_SHRINKS).increment(1);
                debug!(target: "searcher::market", factory = %factory.address, from, to, chunk,
                    error = %e, "eth_getLogs failed, halving the range");
                continue;
            }
            Err(e) => {
                return Err(MarketError::transport(
                    format!("eth_getLogs {from}..={to} of {}", factory.address),
                    e,
                ));
            }
        };
        let mut pools = Vec::new();
        for log in &logs {
            if let Some(pool) = decode_creation(factory, log)? {
                metrics::counter!(m::POOLS_DISCOVERED, "kind" => pool.kind.name()).increment(1);
                pools.push(pool);
            }
        }
        let rows: Vec<_> =
            pools.iter().map(|p| (p.clone(), crate::market::health::HealthFlags::NONE)).collect();
        store
            .commit_market(&MarketCommit {
                pools: &rows,
                cursors: &[(factory.address, to + 1)],
                ..Default::default()
            })
            .await?;
        debug!(target: "searcher::market", factory = %factory.address, from, to,
            pools = pools.len(), "scanned");
        found.extend(pools);
        if logs.len() < SPARSE_CHUNK_LOGS {
            chunk = chunk.saturating_mul(2).min(max_chunk);
        }
        from = to + 1;
    }
    Ok(())
}

/// Whether a failed `eth_getLogs` may succeed over a smaller range: the node's result or
/// range limits (answered as error responses, e.g. -32005 "query returned more than 10000
/// results", -32602 "block range too large") and timeouts.
fn should_shrink(e: &TransportError) -> bool {
    match e {
        TransportError::ErrorResp(_) => true,
        TransportError::Transport(kind) => {
            let text = kind.to_string().to_ascii_lowercase();
            text.contains("timeout") || text.contains("timed out") || kind.is_retry_err()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::config::DiscoveryConfig;
    use alloy::{
        primitives::{Address, LogData, U256, aliases::I24, aliases::U24},
        providers::ProviderBuilder,
        transports::mock::Asserter,
    };

    fn factory(kind: FactoryKind) -> FactoryConfig {
        FactoryConfig {
            dex: "dex".into(),
            kind,
            address: Address::with_last_byte(0xfa),
            start_block: 100,
        }
    }

    fn rpc_log(address: Address, data: LogData, block: u64, index: u64) -> Log {
        Log {
            inner: alloy::primitives::Log { address, data },
            block_number: Some(block),
            log_index: Some(index),
            ..Default::default()
        }
    }

    #[test]
    fn decodes_both_creation_events_and_skips_impossible_tiers() {
        let v2 = factory(FactoryKind::UNISWAP_V2);
        let ev = IUniswapV2Factory::PairCreated {
            token0: Address::with_last_byte(1),
            token1: Address::with_last_byte(2),
            pair: Address::with_last_byte(3),
            _3: U256::from(1),
        };
        let pool = decode_creation(&v2, &rpc_log(v2.address, ev.encode_log_data(), 7, 2))
            .unwrap()
            .unwrap();
        assert_eq!(pool.id, PoolId::Contract(Address::with_last_byte(3)));
        assert_eq!(pool.kind, PoolKind::UniswapV2 { fee: crate::market::math::V2Fee::UNISWAP });
        assert_eq!(pool.created, CreatedAt { block: 7, log_index: 2 });

        let v3 = factory(FactoryKind::UniswapV3);
        let mut ev = IUniswapV3Factory::PoolCreated {
            token0: Address::with_last_byte(1),
            token1: Address::with_last_byte(2),
            fee: U24::from(100),
            tickSpacing: I24::try_from(1).unwrap(),
            pool: Address::with_last_byte(4),
        };
        let log = rpc_log(v3.address, ev.encode_log_data(), 8, 0);
        let pool = decode_creation(&v3, &log).unwrap().unwrap();
        assert_eq!(pool.kind, PoolKind::UniswapV3 { fee: 100, tick_spacing: 1 });
        // A V2 factory ignores V3 events and vice versa.
        assert_eq!(decode_creation(&v2, &log).unwrap(), None);
        ev.tickSpacing = I24::try_from(0).unwrap();
        assert_eq!(
            decode_creation(&v3, &rpc_log(v3.address, ev.encode_log_data(), 8, 0)).unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn halves_the_range_on_errors_resumes_from_the_cursor_and_never_repeats() {
        let asserter = Asserter::new();
        let provider = ProviderBuilder::new().connect_mocked_client(asserter.clone());
        let store = Store::open_in_memory().await.unwrap();
        let f = factory(FactoryKind::UNISWAP_V2);
        let config = MarketConfig {
            factories: vec![f.clone()],
            discovery: DiscoveryConfig { initial_chunk: 1000, max_chunk: 1000 },
            ..MarketConfig::default()
        };
        let pair = IUniswapV2Factory::PairCreated {
            token0: Address::with_last_byte(1),
            token1: Address::with_last_byte(2),
            pair: Address::with_last_byte(3),
            _3: U256::from(1),
        };
        // 100..=1099 is too big; 100..=599 succeeds with one pair; the chunk grows back
        // (capped at 1000) and 600..=1599 succeeds empty.
        asserter.push_failure_msg("query returned more than 10000 results");
        asserter.push_success(&vec![rpc_log(f.address, pair.encode_log_data(), 300, 0)]);
        asserter.push_success(&Vec::<Log>::new());
        let (pools, report) =
            discover(&provider, &store, &config, &HashMap::new(), 1599).await.unwrap();
        assert_eq!(pools.len(), 1);
        assert_eq!(report.shrinks, 1);
        let ranges: Vec<_> = report.ranges.iter().map(|r| (r.from, r.to, r.ok)).collect();
        assert_eq!(ranges, vec![(100, 1099, false), (100, 599, true), (600, 1599, true)]);
        let checkpoint = store.load_market().await.unwrap();
        assert_eq!(checkpoint.cursors.get(&f.address), Some(&1600));
        assert_eq!(checkpoint.pools.len(), 1);

        // Resuming from the cursor asks only for the new blocks.
        asserter.push_success(&Vec::<Log>::new());
        let (_, report) =
            discover(&provider, &store, &config, &checkpoint.cursors, 1700).await.unwrap();
        let ranges: Vec<_> = report.ranges.iter().map(|r| (r.from, r.to)).collect();
        assert_eq!(ranges, vec![(1600, 1700)]);
        // Up to date: no request at all.
        let checkpoint = store.load_market().await.unwrap();
        let (_, report) =
            discover(&provider, &store, &config, &checkpoint.cursors, 1700).await.unwrap();
        assert_eq!(report.log_requests(), 0);
        // A node error on a one-block range is an error, not a loop.
        let one = MarketConfig {
            discovery: DiscoveryConfig { initial_chunk: 1, max_chunk: 1 },
            ..config
        };
        asserter.push_failure_msg("boom");
        assert!(discover(&provider, &store, &one, &checkpoint.cursors, 1701).await.is_err());
    }
}
