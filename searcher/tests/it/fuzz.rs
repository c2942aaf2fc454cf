//! Hostile bytes (issue 12) for the engine's decoders that read the outside world: the node's
//! pending-transaction notifications (JSON into alloy's `Transaction`), raw EIP-2718
//! envelopes, the config (file, environment, `--set` flags) and pool logs (the events the
//! market and predict stages decode, and what they do with the values). Every input gets a
//! typed result or a clear error, never a panic.
//!
//! The decode stage's filter is crate-private; its hostile transactions are fuzzed by a unit
//! test in `engine/tests.rs`, and `apply_log` by one in `market/sync/fuzz.rs`.
//!
//! The Arbitrum feed's frames and L2 messages are fuzzed in [`arbitrum`].
//!
//! `FUZZ_CASES` sets the inputs per test (see `hostile.rs`); the full run is
//! `FUZZ_CASES=1000000 cargo test --release -p searcher --test it fuzz`.

#[path = "../../../bundles/tests/it/hostile.rs"]
mod hostile;

mod arbitrum;

use alloy::{
    consensus::{
        SignableTransaction, Signed, TxEip1559, TxEip2930, TxEip4844, TxEip4844Variant, TxEip7702,
        TxEnvelope, TxLegacy, transaction::Recovered,
    },
    eips::{
        eip2718::{Decodable2718, Encodable2718},
        eip2930::{AccessList, AccessListItem},
        eip7702::Authorization,
    },
    primitives::{Address, B256, Bytes, Log, LogData, Signature, TxKind, U256, aliases::I24},
    rpc::types::Transaction,
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::SolEvent,
};
use hostile::{config, deep_nesting, field_replaced, garbage, json_value, mutated};
use proptest::{prelude::*, sample::select};
use searcher::{
    abi::{IUniswapV2Factory, IUniswapV2Pair, IUniswapV3Factory, IUniswapV3Pool},
    config::Config,
    market::{
        FactoryConfig, FactoryKind, TickWindowPolicy,
        discovery::decode_creation,
        loader::window_words,
        math::{Quote, TickWindow, V2Pool, V3PoolState},
    },
};
use serde_json::Value;
use std::sync::LazyLock;

const CHAIN: u64 = 1;

/// Field names of a pending transaction as nodes send it.
const TX_KEYS: &[&str] = &[
    "type",
    "chainId",
    "nonce",
    "gas",
    "gasPrice",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "maxFeePerBlobGas",
    "to",
    "value",
    "input",
    "data",
    "accessList",
    "address",
    "storageKeys",
    "blobVersionedHashes",
    "authorizationList",
    "yParity",
    "v",
    "r",
    "s",
    "hash",
    "from",
    "blockHash",
    "blockNumber",
    "transactionIndex",
    "effectiveGasPrice",
];

/// The test key (any key: nothing is sent).
static KEY: LazyLock<PrivateKeySigner> = LazyLock::new(|| {
    PrivateKeySigner::from_bytes(&B256::with_last_byte(0x42)).expect("a valid key")
});

fn sign<T>(tx: T) -> TxEnvelope
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let signature = KEY.sign_hash_sync(&tx.signature_hash()).expect("a local key signs");
    tx.into_signed(signature).into()
}

/// One signed transaction of every type the node relays (and a creation).
static ENVELOPES: LazyLock<Vec<TxEnvelope>> = LazyLock::new(|| {
    let pool = Address::repeat_byte(0xaa);
    let input = Bytes::from_static(&[0x02, 0x2c, 0x0d, 0x9f, 0, 0, 0, 1]);
    let access_list = AccessList(vec![AccessListItem {
        address: pool,
        storage_keys: vec![B256::with_last_byte(8)],
    }]);
    let authorization = Authorization { chain_id: U256::from(CHAIN), address: pool, nonce: 3 };
    let auth_signature =
        KEY.sign_hash_sync(&authorization.signature_hash()).expect("a local key signs");
    vec![
        sign(TxLegacy {
            chain_id: Some(CHAIN),
            nonce: 1,
            gas_price: 30_000_000_000,
            gas_limit: 200_000,
            to: TxKind::Call(pool),
            value: U256::from(1),
            input: input.clone(),
        }),
        sign(TxLegacy {
            chain_id: None,
            to: TxKind::Create,
            input: input.clone(),
            ..Default::default()
        }),
        sign(TxEip2930 {
            chain_id: CHAIN,
            nonce: 2,
            gas_price: 1,
            gas_limit: 21_000,
            to: TxKind::Call(pool),
            value: U256::ZERO,
            access_list: access_list.clone(),
            input: input.clone(),
        }),
        sign(TxEip1559 {
            chain_id: CHAIN,
            nonce: 3,
            gas_limit: 300_000,
            max_fee_per_gas: 40_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(pool),
            value: U256::MAX,
            access_list: access_list.clone(),
            input: input.clone(),
        }),
        sign::<TxEip4844Variant>(TxEip4844Variant::TxEip4844(TxEip4844 {
            chain_id: CHAIN,
            to: pool,
            blob_versioned_hashes: vec![B256::repeat_byte(1)],
            max_fee_per_blob_gas: 7,
            input: input.clone(),
            ..Default::default()
        })),
        sign(TxEip7702 {
            chain_id: CHAIN,
            to: pool,
            authorization_list: vec![authorization.into_signed(auth_signature)],
            input,
            ..Default::default()
        }),
    ]
});

/// The node's notification of each envelope (`eth_subscribe` `newPendingTransactions` with
/// full transactions).
static NOTIFICATIONS: LazyLock<Vec<Value>> = LazyLock::new(|| {
    ENVELOPES
        .iter()
        .map(|envelope| {
            let tx = Transaction {
                inner: Recovered::new_unchecked(envelope.clone(), KEY.address()),
                block_hash: None,
                block_number: None,
                transaction_index: None,
                effective_gas_price: None,
                block_timestamp: None,
            };
            serde_json::to_value(&tx).expect("serialises")
        })
        .collect()
});

fn notification_bytes() -> Vec<Vec<u8>> {
    NOTIFICATIONS.iter().map(|v| v.to_string().into_bytes()).collect()
}

fn raw_envelopes() -> Vec<Vec<u8>> {
    ENVELOPES.iter().map(|e| e.encoded_2718()).collect()
}

/// A pending-transaction notification: garbage, mutated real ones, real ones with one field
/// of the wrong type or range, JSON of any shape with transaction keys, deep nesting.
fn notification() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => garbage(),
        4 => mutated(notification_bytes()),
        4 => field_replaced(NOTIFICATIONS.clone(), TX_KEYS)
            .prop_map(|v| v.to_string().into_bytes()),
        2 => json_value(TX_KEYS).prop_map(|v| v.to_string().into_bytes()),
        1 => deep_nesting(),
    ]
}

/// Raw EIP-2718 bytes: garbage (type bytes first half the time) or mutated real envelopes.
fn raw_tx() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => garbage(),
        2 => (0u8..=5, garbage()).prop_map(|(ty, mut rest)| {
            rest.insert(0, ty);
            rest
        }),
        5 => mutated(raw_envelopes()),
    ]
}

/// What the engine does with a decoded envelope: its hash, its fields, its encoding again
/// (the victim's raw bytes in a bundle), and the signer (alloy's recovery).
fn exercise(envelope: &TxEnvelope) {
    use alloy::consensus::Transaction as _;
    let _ = (envelope.tx_hash(), envelope.to(), envelope.input().len(), envelope.chain_id());
    let _ = (envelope.gas_limit(), envelope.max_fee_per_gas(), envelope.is_eip4844());
    let raw = envelope.encoded_2718();
    let _ = TxEnvelope::decode_2718(&mut raw.as_slice());
    let _ = alloy::consensus::transaction::SignerRecoverable::recover_signer(envelope);
}

// ---- the config ----------------------------------------------------------------------------

static EXAMPLE: LazyLock<String> = LazyLock::new(|| {
    // The runtime variable cargo sets, not `env!` (the build directory is shared).
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test");
    std::fs::read_to_string(std::path::Path::new(&manifest).join("../searcher.example.toml"))
        .expect("the example config")
});

const MINIMAL: &str = r#"
[node]
endpoint = "/tmp/reth.ipc"
[keys.trading]
source = "env"
var = "SEARCHER_TRADING_KEY"
[keys.identity]
source = "env"
var = "SEARCHER_IDENTITY_KEY"
[executor]
address = "0x00000000000000000000000000000000000000ee"
"#;

/// Every dotted key of the example config (`market.load.tick-window.words`, ...): what
/// `--set` and `SEARCHER__...` name.
static KEYS: LazyLock<Vec<String>> = LazyLock::new(|| {
    fn walk(prefix: &str, value: &toml::Value, out: &mut Vec<String>) {
        if let toml::Value::Table(table) = value {
            for (k, v) in table {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                out.push(key.clone());
                walk(&key, v, out);
            }
        }
    }
    let value: toml::Value = toml::from_str(&EXAMPLE).expect("the example parses");
    let mut keys = Vec::new();
    walk("", &value, &mut keys);
    keys
});

/// A config file: garbage, the example or the minimal config mutated, deep nesting.
fn config_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => garbage(),
        6 => mutated(vec![EXAMPLE.clone().into_bytes(), MINIMAL.as_bytes().to_vec()]),
        1 => deep_nesting(),
    ]
}

/// An override value: typed TOML of every kind, hostile tokens, any text.
fn override_value() -> impl Strategy<Value = String> {
    prop_oneof![
        select(hostile::TOKENS).prop_map(str::to_owned),
        any::<i64>().prop_map(|x| x.to_string()),
        "[0-9]{1,90}",
        "\"(0x)?[0-9a-f]{0,70}\"",
        "(ws|wss|http|ipc)://.{0,16}",
        Just("{ words = 70000 }".to_owned()),
        Just("{ uniswap-v2 = { fee-numerator = 0, fee-denominator = 0 } }".to_owned()),
        Just("[{ name = \"a\", url = \"\", flavour = \"titan\" }]".to_owned()),
        ".{0,40}",
    ]
}

/// A dotted key: a real one, a real one extended or cut, or any text.
fn override_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(KEYS.clone()),
        1 => (select(KEYS.clone()), "[a-z.-]{0,12}").prop_map(|(k, s)| format!("{k}{s}")),
        1 => "[a-z._ -]{0,24}",
        1 => ".{0,24}",
    ]
}

/// `--set` flags: well-formed `key=value`, or any text (no `=`, `=` only).
fn flags() -> impl Strategy<Value = Vec<String>> {
    let flag = prop_oneof![
        6 => (override_key(), override_value()).prop_map(|(k, v)| format!("{k}={v}")),
        1 => ".{0,40}",
    ];
    prop::collection::vec(flag, 0..4)
}

/// `SEARCHER__...` variables (and unrelated ones), from the dotted keys.
fn env() -> impl Strategy<Value = Vec<(String, String)>> {
    let var = prop_oneof![
        4 => (override_key(), override_value()).prop_map(|(k, v)| {
            let name: String =
                k.split('.').map(|s| s.to_uppercase().replace('-', "_")).collect::<Vec<_>>().join("__");
            (format!("SEARCHER__{name}"), v)
        }),
        1 => ("SEARCHER__.{0,20}", ".{0,20}"),
        1 => (".{0,12}", ".{0,12}"),
    ];
    prop::collection::vec(var, 0..3)
}

// ---- pool logs ---------------------------------------------------------------------------

/// One valid log of every event the market and predict stages decode, from a tracked pool or
/// factory, with extreme values.
fn event_logs() -> Vec<LogData> {
    let a = Address::repeat_byte(1);
    let tick = |t: i32| I24::try_from(t).expect("fits int24");
    vec![
        IUniswapV2Pair::Sync {
            reserve0: alloy::primitives::aliases::U112::MAX,
            reserve1: alloy::primitives::aliases::U112::from(1),
        }
        .encode_log_data(),
        IUniswapV3Pool::Swap {
            sender: a,
            recipient: a,
            amount0: alloy::primitives::I256::MIN,
            amount1: alloy::primitives::I256::MAX,
            sqrtPriceX96: alloy::primitives::aliases::U160::from(1u64 << 40),
            liquidity: u128::MAX,
            tick: tick(-887_272),
        }
        .encode_log_data(),
        IUniswapV3Pool::Mint {
            sender: a,
            owner: a,
            tickLower: tick(-60),
            tickUpper: tick(60),
            amount: u128::MAX,
            amount0: U256::MAX,
            amount1: U256::ZERO,
        }
        .encode_log_data(),
        IUniswapV3Pool::Burn {
            owner: a,
            tickLower: tick(-887_220),
            tickUpper: tick(887_220),
            amount: 1,
            amount0: U256::ZERO,
            amount1: U256::ZERO,
        }
        .encode_log_data(),
        IUniswapV3Pool::Initialize {
            sqrtPriceX96: alloy::primitives::aliases::U160::from(1u64 << 32),
            tick: tick(0),
        }
        .encode_log_data(),
        IUniswapV2Factory::PairCreated { token0: a, token1: a, pair: a, _3: U256::MAX }
            .encode_log_data(),
        IUniswapV3Factory::PoolCreated {
            token0: a,
            token1: a,
            fee: alloy::primitives::aliases::U24::MAX,
            tickSpacing: tick(-1),
            pool: a,
        }
        .encode_log_data(),
    ]
}

const TOPICS: [B256; 7] = [
    IUniswapV2Pair::Sync::SIGNATURE_HASH,
    IUniswapV3Pool::Swap::SIGNATURE_HASH,
    IUniswapV3Pool::Mint::SIGNATURE_HASH,
    IUniswapV3Pool::Burn::SIGNATURE_HASH,
    IUniswapV3Pool::Initialize::SIGNATURE_HASH,
    IUniswapV2Factory::PairCreated::SIGNATURE_HASH,
    IUniswapV3Factory::PoolCreated::SIGNATURE_HASH,
];

/// A 32-byte word a decoder may not expect: all ones, a sign-extended negative, a value just
/// past a narrow type (uint112, uint160, int24), or random.
fn word() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        Just([0xff; 32]),
        Just([0; 32]),
        (1usize..32, any::<u8>()).prop_map(|(at, x)| {
            let mut w = [0; 32];
            w[at] = x | 1;
            w
        }),
        (0usize..32).prop_map(|at| {
            let mut w = [0xff; 32];
            w[..at].fill(0);
            w
        }),
        any::<[u8; 32]>(),
    ]
}

/// Log data: a real event's data with words replaced, truncated or extended; or any words.
fn log_data() -> impl Strategy<Value = LogData> {
    let topics = prop::collection::vec(
        prop_oneof![3 => select(&TOPICS[..]), 1 => any::<[u8; 32]>().prop_map(B256::from)],
        0..5,
    );
    prop_oneof![
        3 => (select(event_logs()), prop::collection::vec((any::<usize>(), word()), 0..4), any::<bool>(), mutated_len())
            .prop_map(|(log, words, keep_topics, len)| {
                let mut data = log.data.to_vec();
                let count = data.len() / 32;
                for (at, w) in words {
                    if count > 0 {
                        let at = at % count * 32;
                        data[at..at + 32].copy_from_slice(&w);
                    }
                }
                if let Some(len) = len {
                    data.resize(len.min(data.len() + 64), 0);
                }
                let topics = if keep_topics { log.topics().to_vec() } else { log.topics()[..1].to_vec() };
                LogData::new_unchecked(topics, data.into())
            }),
        1 => (topics, prop::collection::vec(word(), 0..9)).prop_map(|(topics, words)| {
            LogData::new_unchecked(topics, words.concat().into())
        }),
    ]
}

fn mutated_len() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![3 => Just(None), 1 => (0usize..300).prop_map(Some)]
}

/// Applies a decoded V3 event to a real pool state and quotes through it, as the market does.
fn v3_after(state: &mut V3PoolState, data: &LogData, amount: U256) {
    let i24 = |t: I24| t.as_i32();
    if let Ok(ev) = IUniswapV3Pool::Swap::decode_log_data(data) {
        state.apply_swap_event(U256::from(ev.sqrtPriceX96), ev.liquidity, i24(ev.tick));
    }
    if let Ok(ev) = IUniswapV3Pool::Mint::decode_log_data(data) {
        let _ = state.apply_mint(i24(ev.tickLower), i24(ev.tickUpper), ev.amount);
    }
    if let Ok(ev) = IUniswapV3Pool::Burn::decode_log_data(data) {
        let _ = state.apply_burn(i24(ev.tickLower), i24(ev.tickUpper), ev.amount);
    }
    if let Ok(ev) = IUniswapV3Pool::Initialize::decode_log_data(data)
        && let Ok(fresh) = V3PoolState::new(
            U256::from(ev.sqrtPriceX96),
            i24(ev.tick),
            0,
            state.fee,
            state.tick_spacing,
            TickWindow::FULL,
        )
    {
        *state = fresh;
    }
    let _ = window_words(TickWindowPolicy::Words(2), state.tick, state.tick_spacing);
    for zero_for_one in [true, false] {
        let _ = state.amount_out(zero_for_one, amount);
        let _ = state.amount_in(zero_for_one, amount);
    }
}

fn v3_pool() -> V3PoolState {
    // sqrt(1) * 2^96, tick 0, fee 0.3%, spacing 60, the whole range known.
    V3PoolState::new(U256::from(1u128 << 96), 0, 1_000_000_000_000, 3_000, 60, TickWindow::FULL)
        .expect("a valid pool")
}

proptest! {
    #![proptest_config(config())]

    /// Pending transactions as the node notifies them: JSON into alloy's `Transaction`, then
    /// what the engine does with the envelope.
    #[test]
    fn fuzz_pending_transactions(bytes in notification()) {
        if let Ok(tx) = serde_json::from_slice::<Transaction>(&bytes) {
            exercise(tx.inner.inner());
        }
    }

    /// Raw signed transactions (EIP-2718), as bundles and relays carry them.
    #[test]
    fn fuzz_raw_transactions(bytes in raw_tx()) {
        if let Ok(envelope) = TxEnvelope::decode_2718(&mut bytes.as_slice()) {
            exercise(&envelope);
        }
        let _ = TxEnvelope::decode_2718_exact(&bytes);
    }

    /// The config given by flags only (no file): any `--set` keys and values.
    #[test]
    fn fuzz_config_flags(flags in flags(), env in env()) {
        let flags: Vec<String> = [
            "node.endpoint=/tmp/reth.ipc",
            "keys.trading.source=env",
            "keys.trading.var=T",
            "keys.identity.source=env",
            "keys.identity.var=I",
            "executor.address=0x00000000000000000000000000000000000000ee",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain(flags)
        .collect();
        match Config::load_with_env(None, &flags, env) {
            Ok(config) => prop_assert!(config.validate().is_ok()),
            Err(e) => prop_assert!(!format!("{e:#}").trim().is_empty(), "an empty error"),
        }
    }

    /// Pool and factory logs: every event decoder, pool discovery, and the V2/V3 state
    /// updates and quotes that follow a decoded event.
    #[test]
    fn fuzz_pool_logs(data in log_data(), amount in any::<u128>(), block in any::<u64>()) {
        let log = alloy::rpc::types::Log {
            inner: Log { address: Address::repeat_byte(0xfa), data: data.clone() },
            block_number: Some(block),
            log_index: Some(block),
            ..Default::default()
        };
        for kind in [FactoryKind::UNISWAP_V2, FactoryKind::UniswapV3] {
            let factory = FactoryConfig {
                dex: "dex".into(),
                kind,
                address: Address::repeat_byte(0xfa),
                start_block: 0,
            };
            if let Ok(Some(pool)) = decode_creation(&factory, &log) {
                let _ = pool.state_at_creation();
            }
        }
        if let Ok(ev) = IUniswapV2Pair::Sync::decode_log_data(&data) {
            // What the market and predict stages do with the reserves.
            let mut pool = V2Pool { reserve0: 1, reserve1: 1, fee: searcher::market::math::V2Fee::UNISWAP };
            pool.apply_sync(ev.reserve0.to::<u128>(), ev.reserve1.to::<u128>());
            for zero_for_one in [true, false] {
                let _ = pool.amount_out(zero_for_one, U256::from(amount));
                let _ = pool.amount_in(zero_for_one, U256::from(amount));
            }
        }
        let mut state = v3_pool();
        v3_after(&mut state, &data, U256::from(amount));
    }
}

/// The config: a hostile file, environment and `--set` flags load into a config or a clear
/// error. One file rewritten per input (a directory per input made the run disk-bound).
#[test]
fn fuzz_config() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("searcher.toml");
    let inputs = (config_text(), flags(), env());
    let result =
        proptest::test_runner::TestRunner::new(config()).run(&inputs, |(text, flags, env)| {
            std::fs::write(&path, &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            match Config::load_with_env(Some(&path), &flags, env) {
                Ok(config) => prop_assert!(config.validate().is_ok()),
                Err(e) => prop_assert!(!format!("{e:#}").trim().is_empty(), "an empty error"),
            }
            Ok(())
        });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
