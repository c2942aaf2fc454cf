-- Market checkpoint: the tokens and pools discovered, how far discovery has scanned each
-- factory, and the last block whose logs were applied. Pool state itself is not stored: a
-- restart reloads it at the head in batches (cheaper than replaying logs, never stale).
-- Addresses and hashes are BLOBs (20 / 32 bytes); block numbers are INTEGERs.

CREATE TABLE market_tokens (
    address          BLOB    PRIMARY KEY NOT NULL,
    symbol           TEXT,
    decimals         INTEGER,
    -- 1 once transfers were probed (eth_simulateV1); unprobed tokens are probed again.
    probed           INTEGER NOT NULL DEFAULT 0,
    -- HealthFlags bits (token-level) and what was observed.
    flags            INTEGER NOT NULL DEFAULT 0,
    transfer_fee_bps INTEGER,
    flag_detail      TEXT
) STRICT;

CREATE TABLE market_pools (
    -- PoolId bytes: the pool contract's address (longer ids for singleton pools later).
    pool_id           BLOB    PRIMARY KEY NOT NULL,
    -- 'uniswap-v2' | 'uniswap-v3'
    kind              TEXT    NOT NULL,
    dex               TEXT    NOT NULL,
    factory           BLOB    NOT NULL,
    token0            BLOB    NOT NULL,
    token1            BLOB    NOT NULL,
    -- V2: fee numerator (997); V3: fee in pips (3000).
    fee               INTEGER NOT NULL,
    -- V2 only: fee denominator (1000).
    fee_denominator   INTEGER,
    -- V3 only.
    tick_spacing      INTEGER,
    created_block     INTEGER NOT NULL,
    created_log_index INTEGER NOT NULL,
    -- HealthFlags at the last checkpoint (informative; recomputed from state on restart).
    flags             INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX market_pools_by_creation ON market_pools (created_block, created_log_index);

-- Discovery has scanned [start_block, next_block) of each factory.
CREATE TABLE market_discovery_cursors (
    factory    BLOB    PRIMARY KEY NOT NULL,
    next_block INTEGER NOT NULL
) STRICT;

-- The last block whose logs the market applied (one row).
CREATE TABLE market_sync_head (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    block_number INTEGER NOT NULL,
    block_hash   BLOB    NOT NULL,
    parent_hash  BLOB    NOT NULL
) STRICT;
