//! The embedded database: one SQLite file (WAL mode) behind a [`Store`] handle, its schema
//! kept by sqlx migrations in `searcher/migrations/`.
//!
//! Each subsystem owns one submodule of queries on [`Store`] and adds its tables in a new
//! migration file (`000N_<subsystem>.sql`): [`market`] holds the market checkpoint (tokens,
//! pools, discovery cursors, last synced block); opportunities, bundles and relay answers
//! follow the same pattern (`store/bundles.rs`, `migrations/0002_bundles.sql`, ...).
//!
//! Queries use sqlx's runtime functions (`sqlx::query(..).bind(..)`), not the compile-time
//! checked macros: the build needs no database.

pub mod bundles;
pub mod market;
pub mod writer;

pub use writer::{WriteError, Writer};

use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// Result alias of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How long a writer waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections of a file database (WAL: readers do not block the writer).
const MAX_CONNECTIONS: u32 = 4;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error("opening the store at {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Applying the migrations failed.
    #[error("migrating the store: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("store query `{what}` failed: {source}")]
    Query {
        /// Which query.
        what: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A write failed and was not retried here (the writer holds such records; a bundle that
    /// met it was not sent).
    #[error("the store cannot be written: {detail}")]
    Unavailable {
        /// The failure of the write that was refused.
        detail: String,
    },
    /// A row holds something this version cannot read.
    #[error("store row unreadable ({what}): {detail}")]
    Corrupt {
        /// Which table or column.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl StoreError {
    /// Wraps a driver error with the query's name.
    pub(crate) fn query(what: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Query { what, source }
    }
}

/// The pool options of a database file, `max` connections.
///
/// A write that fails with `SQLITE_FULL` may be rolled back by SQLite itself; sqlx's own
/// rollback then fails and the connection keeps a transaction depth of 1, so its next
/// `BEGIN IMMEDIATE` would be refused for good. Such a connection is closed instead of reused.
pub(crate) fn file_pool_options(max: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new().max_connections(max).before_acquire(|conn, _| {
        Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
    })
}

/// A handle to the database; cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the database file at `path` in WAL mode and applies the
    /// pending migrations.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = file_pool_options(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        Self::migrated(pool).await
    }

    /// A private in-memory database (tests, dry runs): one connection that lives as long as
    /// the handle.
    pub async fn open_in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::new().in_memory(true).foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { path: ":memory:".into(), source })?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<Self> {
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool, for subsystems' query modules.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Begins a write transaction with `BEGIN IMMEDIATE`: the write lock is taken up front,
    /// waiting out the busy timeout. A deferred `BEGIN` would take it at the first write and,
    /// when another connection committed in between, fail at once with `SQLITE_BUSY`
    /// ("database is locked": the busy timeout does not apply to a stale snapshot), which the
    /// market checkpoint and the record writer met whenever they wrote together.
    pub async fn begin_write(
        &self,
        what: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(StoreError::query(what))
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_file_in_wal_mode_and_migrates_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("searcher.sqlite");
        let store = Store::open(&path).await.unwrap();
        let mode: String =
            sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.pool()).await.unwrap();
        assert_eq!(mode, "wal");
        store.close().await;
        // Reopening applies nothing new and keeps the schema.
        let store = Store::open(&path).await.unwrap();
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'market_%'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(tables, 4);
    }

    /// An in-memory database lives in its one connection: the pool must never close it (no
    /// idle timeout, no lifetime, one connection kept), or every record would vanish.
    #[tokio::test]
    async fn in_memory_store_never_drops_its_connection() {
        let store = Store::open_in_memory().await.unwrap();
        let options = store.pool().options();
        assert_eq!(options.get_idle_timeout(), None);
        assert_eq!(options.get_max_lifetime(), None);
        assert_eq!((options.get_min_connections(), options.get_max_connections()), (1, 1));
        sqlx::query("INSERT INTO market_sync_head (id, block_number, block_hash, parent_hash) VALUES (1, 7, x'00', x'00')")
            .execute(store.pool())
            .await
            .unwrap();
        // Released and taken again: the same database, with the row.
        for _ in 0..3 {
            let mut conn = store.pool().acquire().await.unwrap();
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM market_sync_head")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(n, 1);
        }
    }
}
