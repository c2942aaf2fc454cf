//! The market checkpoint: tokens (metadata and probe results), pools (identity, kind, DEX,
//! factory, fee, flags), the discovery cursor of each factory and the last synced block.
//!
//! Every write goes through [`Store::commit_market`], one transaction: a discovery chunk's
//! pools land together with the cursor that covers them, a synced block's new pools with the
//! head that announced them, and a reorg's rollback with the branch that replaces it. A crash
//! between two commits resumes at the last one.

use super::{Result, Store, StoreError};
use crate::market::{
    health::HealthFlags,
    math::V2Fee,
    pool::{CreatedAt, Pool, PoolId, PoolKind, Token},
    sync::BlockRef,
};
use alloy::primitives::{Address, B256};
use sqlx::Row;
use std::collections::HashMap;

/// Everything the market checkpointed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketCheckpoint {
    /// Known tokens with their metadata and flags.
    pub tokens: Vec<Token>,
    /// Known pools in creation order, with the flags of the last checkpoint.
    pub pools: Vec<(Pool, HealthFlags)>,
    /// Per factory: the first block discovery has not scanned.
    pub cursors: HashMap<Address, u64>,
    /// The last block whose logs were applied.
    pub head: Option<BlockRef>,
}

/// One atomic write of market progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarketCommit<'a> {
    /// First, forget everything created after this block and pull cursors back to it
    /// (a reorg rolled back to this common ancestor).
    pub rollback_to: Option<u64>,
    /// Pools to insert (ignored when already known).
    pub pools: &'a [(Pool, HealthFlags)],
    /// Tokens to insert or update.
    pub tokens: &'a [Token],
    /// Pool flags to update.
    pub pool_flags: &'a [(PoolId, HealthFlags)],
    /// Discovery cursors to set: `(factory, next_block)`.
    pub cursors: &'a [(Address, u64)],
    /// The new last synced block.
    pub head: Option<BlockRef>,
}

fn blob(a: Address) -> Vec<u8> {
    a.to_vec()
}

fn int(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

fn address(bytes: &[u8], what: &'static str) -> Result<Address> {
    if bytes.len() != 20 {
        return Err(StoreError::Corrupt { what, detail: format!("{} address bytes", bytes.len()) });
    }
    Ok(Address::from_slice(bytes))
}

fn hash(bytes: &[u8], what: &'static str) -> Result<B256> {
    if bytes.len() != 32 {
        return Err(StoreError::Corrupt { what, detail: format!("{} hash bytes", bytes.len()) });
    }
    Ok(B256::from_slice(bytes))
}

fn uint<T: TryFrom<i64>>(x: i64, what: &'static str) -> Result<T> {
    T::try_from(x).map_err(|_| StoreError::Corrupt { what, detail: format!("{x} out of range") })
}

fn flags(x: i64) -> HealthFlags {
    HealthFlags(u32::try_from(x).unwrap_or(u32::MAX))
}

/// Kind columns: `(kind, fee, fee_denominator, tick_spacing)`.
fn kind_columns(kind: &PoolKind) -> (&'static str, i64, Option<i64>, Option<i64>) {
    match *kind {
        PoolKind::UniswapV2 { fee } => {
            (kind.name(), fee.numerator.into(), Some(fee.denominator.into()), None)
        }
        PoolKind::UniswapV3 { fee, tick_spacing } => {
            (kind.name(), fee.into(), None, Some(tick_spacing.into()))
        }
    }
}

fn kind_from_columns(
    kind: &str,
    fee: i64,
    denominator: Option<i64>,
    spacing: Option<i64>,
) -> Result<PoolKind> {
    let what = "market_pools.kind";
    match (kind, denominator, spacing) {
        ("uniswap-v2", Some(d), None) => {
            let fee = V2Fee::new(uint(fee, what)?, uint(d, what)?)
                .map_err(|e| StoreError::Corrupt { what, detail: e.to_string() })?;
            Ok(PoolKind::UniswapV2 { fee })
        }
        ("uniswap-v3", None, Some(s)) => {
            Ok(PoolKind::UniswapV3 { fee: uint(fee, what)?, tick_spacing: uint(s, what)? })
        }
        _ => Err(StoreError::Corrupt {
            what,
            detail: format!("kind {kind} with denominator {denominator:?}, spacing {spacing:?}"),
        }),
    }
}

impl Store {
    /// Reads the whole market checkpoint.
    pub async fn load_market(&self) -> Result<MarketCheckpoint> {
        let mut checkpoint = MarketCheckpoint::default();
        let rows = sqlx::query(
            "SELECT address, symbol, decimals, probed, flags, transfer_fee_bps, flag_detail \
             FROM market_tokens ORDER BY rowid",
        )
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::query("load tokens"))?;
        for row in rows {
            let what = "market_tokens";
            checkpoint.tokens.push(Token {
                address: address(row.get::<&[u8], _>(0), what)?,
                symbol: row.get(1),
                decimals: row.get::<Option<i64>, _>(2).map(|d| uint(d, what)).transpose()?,
                probed: row.get::<i64, _>(3) != 0,
                flags: flags(row.get(4)),
                transfer_fee_bps: row
                    .get::<Option<i64>, _>(5)
                    .map(|d| uint(d, what))
                    .transpose()?,
                flag_detail: row.get(6),
            });
        }

        let rows = sqlx::query(
            "SELECT pool_id, kind, dex, factory, token0, token1, fee, fee_denominator, \
             tick_spacing, created_block, created_log_index, flags \
             FROM market_pools ORDER BY created_block, created_log_index",
        )
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::query("load pools"))?;
        for row in rows {
            let what = "market_pools";
            let id_bytes: &[u8] = row.get(0);
            let id = PoolId::from_bytes(id_bytes).ok_or_else(|| StoreError::Corrupt {
                what,
                detail: format!("pool id of {} bytes", id_bytes.len()),
            })?;
            let pool = Pool {
                id,
                kind: kind_from_columns(row.get(1), row.get(6), row.get(7), row.get(8))?,
                dex: row.get::<&str, _>(2).into(),
                factory: address(row.get::<&[u8], _>(3), what)?,
                token0: address(row.get::<&[u8], _>(4), what)?,
                token1: address(row.get::<&[u8], _>(5), what)?,
                created: CreatedAt {
                    block: uint(row.get(9), what)?,
                    log_index: uint(row.get(10), what)?,
                },
            };
            checkpoint.pools.push((pool, flags(row.get(11))));
        }

        let rows = sqlx::query("SELECT factory, next_block FROM market_discovery_cursors")
            .fetch_all(self.pool())
            .await
            .map_err(StoreError::query("load cursors"))?;
        for row in rows {
            let what = "market_discovery_cursors";
            checkpoint
                .cursors
                .insert(address(row.get::<&[u8], _>(0), what)?, uint(row.get(1), what)?);
        }

        let head = sqlx::query(
            "SELECT block_number, block_hash, parent_hash FROM market_sync_head WHERE id = 1",
        )
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::query("load head"))?;
        if let Some(row) = head {
            let what = "market_sync_head";
            checkpoint.head = Some(BlockRef {
                number: uint(row.get(0), what)?,
                hash: hash(row.get::<&[u8], _>(1), what)?,
                parent_hash: hash(row.get::<&[u8], _>(2), what)?,
            });
        }
        Ok(checkpoint)
    }

    /// Applies one [`MarketCommit`] atomically.
    pub async fn commit_market(&self, commit: &MarketCommit<'_>) -> Result<()> {
        let mut tx = self.begin_write("begin").await?;
        write_commit(&mut tx, commit).await?;
        tx.commit().await.map_err(StoreError::query("commit"))
    }

    /// Replaces the whole checkpoint with `checkpoint`, atomically: how the market catches up
    /// after commits failed (a full disk) and the stored checkpoint fell behind its memory.
    pub async fn rewrite_market(&self, checkpoint: &MarketCheckpoint) -> Result<()> {
        let mut tx = self.begin_write("begin").await?;
        for clear in [
            "DELETE FROM market_pools",
            "DELETE FROM market_tokens",
            "DELETE FROM market_discovery_cursors",
            "DELETE FROM market_sync_head",
        ] {
            sqlx::query(clear)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("clear checkpoint"))?;
        }
        let cursors: Vec<(Address, u64)> =
            checkpoint.cursors.iter().map(|(a, n)| (*a, *n)).collect();
        write_commit(
            &mut tx,
            &MarketCommit {
                rollback_to: None,
                pools: &checkpoint.pools,
                tokens: &checkpoint.tokens,
                pool_flags: &[],
                cursors: &cursors,
                head: checkpoint.head,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::query("commit"))
    }
}

/// The statements of one [`MarketCommit`], inside the caller's transaction.
async fn write_commit(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    commit: &MarketCommit<'_>,
) -> Result<()> {
    if let Some(block) = commit.rollback_to {
        sqlx::query("DELETE FROM market_pools WHERE created_block > ?")
            .bind(int(block))
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query("rollback pools"))?;
        sqlx::query("UPDATE market_discovery_cursors SET next_block = ? WHERE next_block > ?")
            .bind(int(block + 1))
            .bind(int(block + 1))
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query("rollback cursors"))?;
    }
    for token in commit.tokens {
        sqlx::query(
            "INSERT INTO market_tokens \
                 (address, symbol, decimals, probed, flags, transfer_fee_bps, flag_detail) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (address) DO UPDATE SET symbol = excluded.symbol, \
                 decimals = excluded.decimals, probed = excluded.probed, flags = excluded.flags, \
                 transfer_fee_bps = excluded.transfer_fee_bps, flag_detail = excluded.flag_detail",
        )
        .bind(blob(token.address))
        .bind(token.symbol.as_deref())
        .bind(token.decimals.map(i64::from))
        .bind(i64::from(token.probed))
        .bind(i64::from(token.flags.0))
        .bind(token.transfer_fee_bps.map(i64::from))
        .bind(token.flag_detail.as_deref())
        .execute(&mut **tx)
        .await
        .map_err(StoreError::query("upsert token"))?;
    }
    for (pool, pool_flags) in commit.pools {
        let (kind, fee, denominator, spacing) = kind_columns(&pool.kind);
        sqlx::query(
            "INSERT INTO market_pools (pool_id, kind, dex, factory, token0, token1, fee, \
                 fee_denominator, tick_spacing, created_block, created_log_index, flags) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pool_id) DO NOTHING",
        )
        .bind(pool.id.to_bytes())
        .bind(kind)
        .bind(&*pool.dex)
        .bind(blob(pool.factory))
        .bind(blob(pool.token0))
        .bind(blob(pool.token1))
        .bind(fee)
        .bind(denominator)
        .bind(spacing)
        .bind(int(pool.created.block))
        .bind(int(pool.created.log_index))
        .bind(i64::from(pool_flags.0))
        .execute(&mut **tx)
        .await
        .map_err(StoreError::query("insert pool"))?;
    }
    for (id, pool_flags) in commit.pool_flags {
        sqlx::query("UPDATE market_pools SET flags = ? WHERE pool_id = ?")
            .bind(i64::from(pool_flags.0))
            .bind(id.to_bytes())
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query("update pool flags"))?;
    }
    for (factory, next_block) in commit.cursors {
        sqlx::query(
            "INSERT INTO market_discovery_cursors (factory, next_block) VALUES (?, ?) \
                 ON CONFLICT (factory) DO UPDATE SET next_block = excluded.next_block",
        )
        .bind(blob(*factory))
        .bind(int(*next_block))
        .execute(&mut **tx)
        .await
        .map_err(StoreError::query("set cursor"))?;
    }
    if let Some(head) = commit.head {
        sqlx::query(
            "INSERT INTO market_sync_head (id, block_number, block_hash, parent_hash) \
                 VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET \
                 block_number = excluded.block_number, block_hash = excluded.block_hash, \
                 parent_hash = excluded.parent_hash",
        )
        .bind(int(head.number))
        .bind(head.hash.to_vec())
        .bind(head.parent_hash.to_vec())
        .execute(&mut **tx)
        .await
        .map_err(StoreError::query("set head"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256};

    fn pool(n: u8, kind: PoolKind, block: u64) -> Pool {
        Pool {
            id: PoolId::Contract(Address::with_last_byte(n)),
            kind,
            dex: "dex".into(),
            factory: address!("0x00000000000000000000000000000000000000f1"),
            token0: Address::with_last_byte(1),
            token1: Address::with_last_byte(2),
            created: CreatedAt { block, log_index: u64::from(n) },
        }
    }

    #[tokio::test]
    async fn checkpoint_round_trip_and_rollback() {
        let store = Store::open_in_memory().await.unwrap();
        assert_eq!(store.load_market().await.unwrap(), MarketCheckpoint::default());

        let v2 = pool(10, PoolKind::UniswapV2 { fee: V2Fee::new(9975, 10000).unwrap() }, 5);
        let v3 = pool(11, PoolKind::UniswapV3 { fee: 500, tick_spacing: 10 }, 7);
        let mut token = Token::new(Address::with_last_byte(1));
        token.symbol = Some("TKA".into());
        token.decimals = Some(6);
        token.probed = true;
        token.flags = HealthFlags::FEE_ON_TRANSFER;
        token.transfer_fee_bps = Some(100);
        token.flag_detail = Some("sent 1000, got 990".into());
        let factory = v2.factory;
        let head = BlockRef {
            number: 7,
            hash: b256!("0x0707070707070707070707070707070707070707070707070707070707070707"),
            parent_hash: B256::with_last_byte(6),
        };
        let pools = [(v3.clone(), HealthFlags::EMPTY), (v2.clone(), HealthFlags::NONE)];
        store
            .commit_market(&MarketCommit {
                pools: &pools,
                tokens: std::slice::from_ref(&token),
                cursors: &[(factory, 8)],
                head: Some(head),
                ..Default::default()
            })
            .await
            .unwrap();
        // Inserting a known pool again is a no-op; flags update separately.
        store
            .commit_market(&MarketCommit {
                pools: &pools[1..],
                pool_flags: &[(v3.id, HealthFlags::NONE)],
                ..Default::default()
            })
            .await
            .unwrap();

        let cp = store.load_market().await.unwrap();
        assert_eq!(cp.tokens, vec![token]);
        assert_eq!(cp.pools, vec![(v2, HealthFlags::NONE), (v3, HealthFlags::NONE)]);
        assert_eq!(cp.cursors.get(&factory), Some(&8));
        assert_eq!(cp.head, Some(head));

        store
            .commit_market(&MarketCommit { rollback_to: Some(5), ..Default::default() })
            .await
            .unwrap();
        let cp = store.load_market().await.unwrap();
        assert_eq!(cp.pools.len(), 1, "the pool created at block 7 is forgotten");
        assert_eq!(cp.cursors.get(&factory), Some(&6));
    }

    /// A whole rewrite replaces every table: what was there and is not in the new checkpoint
    /// is gone, and loading gives back exactly what was written.
    #[tokio::test]
    async fn rewrite_replaces_the_whole_checkpoint() {
        let store = Store::open_in_memory().await.unwrap();
        let old = pool(20, PoolKind::UniswapV3 { fee: 3000, tick_spacing: 60 }, 3);
        let stale = Token::new(Address::with_last_byte(9));
        store
            .commit_market(&MarketCommit {
                pools: &[(old, HealthFlags::NONE)],
                tokens: std::slice::from_ref(&stale),
                cursors: &[(Address::with_last_byte(0xf9), 4)],
                head: Some(BlockRef {
                    number: 3,
                    hash: B256::with_last_byte(3),
                    parent_hash: B256::with_last_byte(2),
                }),
                ..Default::default()
            })
            .await
            .unwrap();

        let v2 = pool(10, PoolKind::UniswapV2 { fee: V2Fee::new(997, 1000).unwrap() }, 5);
        let wanted = MarketCheckpoint {
            tokens: vec![Token::new(Address::with_last_byte(1))],
            pools: vec![(v2.clone(), HealthFlags::EMPTY)],
            cursors: HashMap::from([(v2.factory, 9)]),
            head: Some(BlockRef {
                number: 8,
                hash: B256::with_last_byte(8),
                parent_hash: B256::with_last_byte(7),
            }),
        };
        store.rewrite_market(&wanted).await.unwrap();
        assert_eq!(store.load_market().await.unwrap(), wanted);
    }
}
