-- What the hot path found and sent, every relay's answer, and what became of each bundle.
-- These rows are the source of truth for `searcher bundles` (the relays' own stats APIs are
-- gone). Wei amounts are decimal TEXT (U256 does not fit an INTEGER); sums are done in Rust.

CREATE TABLE opportunities (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at_ms    INTEGER NOT NULL,
    head_block       INTEGER NOT NULL,
    target_block     INTEGER NOT NULL,
    victim_hash      BLOB    NOT NULL,
    -- The cycle, human-readable: "WETH -(uniswap-v2 0x..)-> TKA -(sushiswap 0x..)-> WETH".
    cycle            TEXT    NOT NULL,
    amount_in        TEXT    NOT NULL,
    -- Native-math profit before gas and bid, and revm's figure (the one used).
    predicted_profit TEXT    NOT NULL,
    simulated_profit TEXT,
    gas_used         INTEGER,
    bid              TEXT,
    bid_mode         TEXT,
    net_profit       TEXT,
    backrun_hash     BLOB,
    -- 'bundled', or the reason it was not: 'below_costs', 'sim_reverted', 'risk:<rule>', ...
    status           TEXT    NOT NULL
) STRICT;

CREATE INDEX opportunities_by_victim ON opportunities (victim_hash);

CREATE TABLE bundles (
    bundle_hash      BLOB    PRIMARY KEY NOT NULL,
    opportunity_id   INTEGER REFERENCES opportunities (id),
    target_block     INTEGER NOT NULL,
    replacement_uuid TEXT,
    victim_hash      BLOB    NOT NULL,
    backrun_hash     BLOB    NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    predicted_profit TEXT    NOT NULL,
    bid              TEXT    NOT NULL,
    -- Inclusion, filled after the target block: 'landed' | 'landed_in_other_block' |
    -- 'victim_landed_without_us' | 'not_landed'.
    inclusion        TEXT,
    landed_block     INTEGER,
    builder          TEXT,
    fee_recipient    BLOB,
    realised_profit  TEXT,
    gas_used         INTEGER,
    bid_paid         TEXT,
    decided_at_ms    INTEGER
) STRICT;

CREATE INDEX bundles_by_target ON bundles (target_block);
CREATE INDEX bundles_undecided ON bundles (target_block) WHERE inclusion IS NULL;

CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    bundle_hash   BLOB    NOT NULL,
    -- 'send' | 'cancel' | 'mev_share'
    kind          TEXT    NOT NULL,
    relay         TEXT    NOT NULL,
    method        TEXT    NOT NULL,
    sent_at_ms    INTEGER NOT NULL,
    latency_us    INTEGER NOT NULL,
    http_status   INTEGER,
    -- RelayOutcome label: 'accepted' | 'rejected' | 'http_error' | 'garbage' | 'timeout' | ...
    outcome       TEXT    NOT NULL,
    -- The relay's bundle hash, or its error message / a snippet of the body.
    detail        TEXT
) STRICT;

CREATE INDEX submissions_by_bundle ON submissions (bundle_hash);
CREATE INDEX submissions_by_relay ON submissions (relay, sent_at_ms);
