//! `searcher demo` as a user runs it (a separate process): it ends by itself with landed
//! bundles and a profit summary, its Prometheus endpoint answers while it runs, and it leaves a
//! database `searcher bundles` can read.

use std::{process::Stdio, time::Duration};
use tokio::io::AsyncReadExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_lands_bundles_reports_profit_and_serves_metrics() {
    // The demo starts its own devnet; only the toolchain must be there.
    if !e2e::toolchain_or_skip("demo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let metrics = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut child = tokio::process::Command::new(e2e::searcher_bin())
        .args(["demo", "--blocks", "6", "--large-percent", "100", "--block-time-ms", "1200"])
        .arg("--dir")
        .arg(dir.path())
        .arg("--metrics")
        .arg(metrics.to_string())
        .env("RUST_LOG", "info,sqlx=warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("searcher demo starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_task = tokio::spawn(async move {
        let mut s = String::new();
        stdout.read_to_string(&mut s).await.map(|_| s)
    });
    let err_task = tokio::spawn(async move {
        let mut s = String::new();
        stderr.read_to_string(&mut s).await.map(|_| s)
    });

    // The endpoint answers while the demo runs (poll until the head gauge shows up).
    let url = format!("http://{metrics}/metrics");
    let mut served = false;
    for _ in 0..600 {
        if let Ok(resp) = reqwest::get(&url).await
            && let Ok(text) = resp.text().await
            && text.contains("searcher_head_block")
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = tokio::time::timeout(Duration::from_secs(300), child.wait())
        .await
        .expect("the demo stops by itself")
        .unwrap();
    let out = out_task.await.unwrap().unwrap();
    let err = err_task.await.unwrap().unwrap();
    assert!(status.success(), "demo failed:\n{out}\n{err}");
    assert!(served, "the Prometheus endpoint answered during the demo");
    assert!(out.contains("searcher demo: summary"), "{out}");
    let landed: u64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("landed"))
        .and_then(|v| v.trim().parse().ok())
        .expect("a landed line");
    assert!(landed >= 1, "bundles landed:\n{out}");
    assert!(out.contains("profit realised"));

    let review = std::process::Command::new(e2e::searcher_bin())
        .args(["bundles", "--json", "--db"])
        .arg(dir.path().join("searcher.db"))
        .output()
        .unwrap();
    assert!(review.status.success());
    let json: serde_json::Value = serde_json::from_slice(&review.stdout).unwrap();
    assert_eq!(json["totals"]["landed"].as_u64(), Some(landed));
    for b in json["bundles"].as_array().unwrap().iter().filter(|b| b["inclusion"] == "landed") {
        assert_eq!(b["simulated_profit"], b["realised_profit"], "exact to the wei: {b}");
        assert!(b["builder"].as_str().unwrap().starts_with("devnet-builder-"));
    }
}
