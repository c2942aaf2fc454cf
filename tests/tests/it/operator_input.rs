//! Bad operator input (issue 12): each mistake an operator can make gives one clear line on
//! stderr naming the problem and a non-zero exit, never a backtrace, never a source location,
//! never key material. The `searcher` binary is run as an operator runs it.

use searcher_devnet::{
    DevBuilders, Role,
    setup::{
        BlockTicker, DEMO_IDENTITY_KEY_ENV, DEMO_TRADING_KEY_ENV, SearcherSetup, deploy_executor,
        searcher_config, write_config,
    },
};
use std::{path::Path, process::Output};

const TRADING_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const IDENTITY_KEY: &str = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

fn run(args: &[&str], dir: &Path) -> Output {
    run_with(args, dir, TRADING_KEY)
}

/// With `trading_key` as the trading key, and `KS_PASSWORD` set to a wrong password.
fn run_with(args: &[&str], dir: &Path, trading_key: &str) -> Output {
    std::process::Command::new(e2e::searcher_bin())
        .args(args)
        .current_dir(dir)
        .env(DEMO_TRADING_KEY_ENV, trading_key)
        .env("KS_PASSWORD", "not-the-password")
        .env(DEMO_IDENTITY_KEY_ENV, IDENTITY_KEY)
        .env_remove("RUST_LOG")
        .env("RUST_BACKTRACE", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run searcher")
}

/// One line, naming `expect`, non-zero exit, no location, no backtrace, no key.
fn assert_one_clear_line(what: &str, out: &Output, expect: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert!(!out.status.success(), "{what}: must fail: {stderr}");
    assert_eq!(lines.len(), 1, "{what}: one error line, got:\n{stderr}");
    let line = lines[0];
    for needle in expect {
        assert!(line.contains(needle), "{what}: the line names `{needle}`: {line}");
    }
    for banned in ["Location:", "backtrace", "searcher/src/", ".rs:"] {
        assert!(!stderr.contains(banned), "{what}: `{banned}` in the output:\n{stderr}");
    }
    for key in [TRADING_KEY, IDENTITY_KEY] {
        assert!(!stderr.contains(&key[2..]), "{what}: key material in the output");
    }
    eprintln!("{what}: {line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_mistake_is_one_clear_line() {
    let Some(devnet) = e2e::devnet_or_skip("operator_input").await else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // A valid config to break in different ways (its executor address has no code yet).
    let setup = SearcherSetup {
        executor: devnet.address(Role::ColdWallet),
        relays: vec![],
        builders: vec![],
        store: d.join("s.db"),
        metrics: None,
        kill_switch_file: None,
    };
    let config = searcher_config(&devnet, &setup);
    write_config(&config, &d.join("good.toml")).unwrap();
    let good = std::fs::read_to_string(d.join("good.toml")).unwrap();

    // Malformed TOML: the line and column.
    std::fs::write(d.join("bad.toml"), format!("{good}\n[strategy\nmax-input-wei = 1\n")).unwrap();
    let out = run(&["run", "--config", "bad.toml"], d);
    assert_one_clear_line("malformed TOML", &out, &["bad.toml", "line"]);

    // An unknown key: which one and where.
    assert!(good.contains("\n[strategy]\n"), "the config has a [strategy] table");
    let unknown = good.replacen("\n[strategy]\n", "\n[strategy]\nmax-hopz = 3\n", 1);
    std::fs::write(d.join("unknown.toml"), unknown).unwrap();
    let out = run(&["run", "--config", "unknown.toml"], d);
    assert_one_clear_line("unknown key", &out, &["max-hopz", "strategy"]);

    // A keystore that does not exist.
    let missing = good.replace(
        &format!("source = \"env\"\nvar = \"{DEMO_TRADING_KEY_ENV}\""),
        "source = \"keystore\"\npath = \"no-such-keystore.json\"\npassword-env = \"KS_PASSWORD\"",
    );
    assert_ne!(missing, good, "the config names the trading key by environment variable");
    std::fs::write(d.join("keystore.toml"), missing).unwrap();
    let out = run(&["run", "--config", "keystore.toml"], d);
    assert_one_clear_line("missing keystore", &out, &["no-such-keystore.json"]);

    // A keystore (as `cast wallet new` writes it) and a wrong password.
    let cast = devnet.toolchain().cast().expect("cast");
    let made = std::process::Command::new(&cast)
        .args(["wallet", "new"])
        .arg(d)
        .args(["trading.json", "--unsafe-password", "the-password"])
        .output()
        .expect("cast wallet new");
    assert!(made.status.success(), "cast wallet new: {}", String::from_utf8_lossy(&made.stderr));
    let keystore = good.replace(
        &format!("source = \"env\"\nvar = \"{DEMO_TRADING_KEY_ENV}\""),
        "source = \"keystore\"\npath = \"trading.json\"\npassword-env = \"KS_PASSWORD\"",
    );
    std::fs::write(d.join("password.toml"), keystore).unwrap();
    let out = run(&["run", "--config", "password.toml"], d);
    assert_one_clear_line("wrong keystore password", &out, &["trading.json", "wrong password"]);

    // The real executor, owned by the devnet's searcher, run with another trading key.
    let builders = std::sync::Arc::new(DevBuilders::start(&devnet).await.unwrap());
    let ticker = BlockTicker::start(builders.clone(), std::time::Duration::from_millis(200));
    let executor = deploy_executor(&devnet).await.expect("executor deployed");
    ticker.stop().await;
    let owned = searcher_config(&devnet, &SearcherSetup { executor, ..setup.clone() });
    write_config(&owned, &d.join("owned.toml")).unwrap();
    let other = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
    let out = run_with(&["run", "--config", "owned.toml"], d, other);
    assert_one_clear_line(
        "executor with another owner",
        &out,
        &["is owned by", "not by the trading key"],
    );

    // An executor address with no code.
    let out = run(&["run", "--config", "good.toml"], d);
    assert_one_clear_line("executor without code", &out, &["has no code"]);

    // A node that does not answer.
    std::fs::write(
        d.join("nonode.toml"),
        good.replace(&devnet.ipc_path().display().to_string(), "/nonexistent/reth.ipc"),
    )
    .unwrap();
    let out = run(&["run", "--config", "nonode.toml"], d);
    assert_one_clear_line("node down at start", &out, &["/nonexistent/reth.ipc"]);

    // `searcher bundles --db` on a file that is not a database.
    std::fs::write(d.join("not-a.db"), "this is not a database\n".repeat(100)).unwrap();
    let out = run(&["bundles", "--db", "not-a.db"], d);
    assert_one_clear_line("bundles on a non-database", &out, &["not-a.db"]);
}
