//! Shared helpers for the end-to-end tests: starting the devnet, or skipping loudly when the
//! project toolchain is not installed (and failing instead when `SEARCHER_REQUIRE_DEVNET=1`,
//! which `tools/dev test` sets, so CI can never pass by skipping).

pub mod faults;
pub mod operator;

use searcher_devnet::{Devnet, DevnetOptions, toolchain::Toolchain};

/// Starts a devnet, or returns `None` after printing why the calling test is skipped.
///
/// # Panics
/// When the toolchain is missing and `SEARCHER_REQUIRE_DEVNET=1`, or when the devnet fails to
/// start although the toolchain is present.
pub async fn devnet_or_skip(test: &str) -> Option<Devnet> {
    if !toolchain_or_skip(test) {
        return None;
    }
    Some(Devnet::start(DevnetOptions::default()).await.expect("devnet starts"))
}

/// Whether the project toolchain (anvil, forge) is installed; prints why the calling test is
/// skipped when not.
///
/// # Panics
/// When the toolchain is missing and `SEARCHER_REQUIRE_DEVNET=1`.
pub fn toolchain_or_skip(test: &str) -> bool {
    init_tracing();
    if let Err(err) = Toolchain::locate().and_then(|t| t.anvil().and(t.forge())) {
        if std::env::var("SEARCHER_REQUIRE_DEVNET").is_ok_and(|v| v == "1") {
            panic!("{test}: devnet required but unavailable: {err}");
        }
        #[expect(clippy::print_stderr, reason = "a skipped test must say so loudly")]
        {
            eprintln!("SKIPPED {test}: {err}");
        }
        return false;
    }
    true
}

/// Routes `tracing` output to the test harness (once).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// The `searcher` binary (with `searcher demo`) next to this test's deps directory, built once
/// per test process with `cargo build -p searcher-cli --features demo`: `cargo test` does not
/// build another package's binary, and a binary left by an older build must never be the one
/// tested.
///
/// # Panics
/// When it cannot be built.
pub fn searcher_bin() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test exe");
            let bin = exe
                .parent()
                .and_then(std::path::Path::parent)
                .map(|d| d.join("searcher"))
                .expect("target dir");
            // The cargo running these tests (set at run time), else the one that built them.
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
            let status = std::process::Command::new(cargo)
                .args(["build", "-p", "searcher-cli", "--features", "demo", "--bin", "searcher"])
                .status()
                .expect("cargo build");
            assert!(status.success(), "building the searcher binary");
            assert!(bin.exists(), "{} after the build", bin.display());
            bin
        })
        .clone()
}
