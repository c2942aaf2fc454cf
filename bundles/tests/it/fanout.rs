//! Fan-out against fault servers: isolation and measured latency, answer shapes, per-flavour
//! request shapes, signing once, rate limits, replacement, cancel and MEV-Share.

use crate::fault::{Fault, FaultServer};
use alloy::{
    primitives::{Address, B256, Bytes, b256},
    signers::local::PrivateKeySigner,
};
use bundles::{
    AuthConfig, Bundle, Fanout, MevShareBackrun, RateLimitConfig, Refund, RelayConfig,
    RelayFlavour, RelayOutcome, RequestKind, SubmissionRecord, new_replacement_uuid,
    server::UNAUTHORIZED, verify_signature,
};
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Timeout of every relay in these tests.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Bound on a healthy local relay's latency, far below [`TIMEOUT`].
const FAST: Duration = Duration::from_millis(200);

fn relay(name: &str, server: &FaultServer, flavour: RelayFlavour) -> RelayConfig {
    let mut config = RelayConfig::new(name, server.url.clone(), flavour);
    config.timeout_ms = TIMEOUT.as_millis() as u64;
    config
}

fn bundle(target_block: u64, seed: u8) -> Bundle {
    Bundle::new(
        vec![Bytes::from(vec![0x02, seed, 1]), Bytes::from(vec![0x02, seed, 2])],
        target_block,
    )
    .expect("a valid bundle")
}

fn by_relay<'a>(records: &'a [SubmissionRecord], name: &str) -> &'a SubmissionRecord {
    records.iter().find(|r| r.relay == name).unwrap_or_else(|| panic!("no record for {name}"))
}

#[tokio::test]
async fn slow_failing_and_garbage_relays_do_not_delay_good_ones() {
    let good_a = FaultServer::start(Fault::Good { verify: true }).await;
    let good_b = FaultServer::start(Fault::Good { verify: true }).await;
    let slow = FaultServer::start(Fault::Slow(Duration::from_secs(4))).await;
    let failing = FaultServer::start(Fault::Fixed { status: 500, body: "internal error" }).await;
    let garbage =
        FaultServer::start(Fault::Fixed { status: 200, body: "<html>\u{1}not json" }).await;
    // A port nobody listens on: the connection is refused.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", listener.local_addr().unwrap())
    };
    let mut refused = RelayConfig::new("refused", closed, RelayFlavour::Titan);
    refused.timeout_ms = TIMEOUT.as_millis() as u64;
    let identity = PrivateKeySigner::random();

    // Baseline: the two good relays alone.
    let baseline_fanout = Fanout::new(
        &[
            relay("good-a", &good_a, RelayFlavour::Flashbots),
            relay("good-b", &good_b, RelayFlavour::Buildernet),
        ],
        identity.clone(),
    )
    .unwrap();
    let baseline = baseline_fanout.send_bundle(&bundle(10, 0)).await.unwrap();
    assert!(baseline.iter().all(|r| r.outcome.is_accepted()), "{baseline:#?}");

    let fanout = Fanout::new(
        &[
            relay("slow", &slow, RelayFlavour::Titan),
            relay("failing", &failing, RelayFlavour::Rsync),
            relay("good-a", &good_a, RelayFlavour::Flashbots),
            relay("garbage", &garbage, RelayFlavour::Beaverbuild),
            refused,
            relay("good-b", &good_b, RelayFlavour::Buildernet),
        ],
        identity,
    )
    .unwrap();
    let bundle = bundle(11, 1);
    let started = Instant::now();
    let mut stream = fanout.dispatch(fanout.prepare_send(&bundle).await.unwrap());
    let mut records = Vec::new();
    let mut arrived = Vec::new();
    while let Some(record) = stream.next().await {
        arrived.push((record.relay.clone(), started.elapsed()));
        records.push(record);
    }
    let total = started.elapsed();

    assert_eq!(records.len(), 6, "one record per relay");
    for name in ["good-a", "good-b"] {
        let r = by_relay(&records, name);
        assert_eq!(
            r.outcome,
            RelayOutcome::Accepted { bundle_hash: Some(bundle.hash()) },
            "{name}"
        );
        assert_eq!(r.http_status, Some(200));
        assert!(r.latency < FAST, "{name} latency {:?} with a slow relay beside it", r.latency);
        let (_, at) = arrived.iter().find(|(n, _)| n == name).unwrap();
        assert!(*at < FAST, "{name} record arrived after {at:?}");
    }
    assert_eq!(
        by_relay(&records, "failing").outcome,
        RelayOutcome::HttpError { status: 500, snippet: "internal error".into() }
    );
    assert!(
        matches!(&by_relay(&records, "garbage").outcome, RelayOutcome::Garbage { snippet } if snippet.starts_with("<html>\\u{1}"))
    );
    assert!(matches!(by_relay(&records, "refused").outcome, RelayOutcome::Transport { .. }));
    let slow_record = by_relay(&records, "slow");
    assert_eq!(slow_record.outcome, RelayOutcome::Timeout);
    assert!(
        slow_record.latency >= TIMEOUT && slow_record.latency < TIMEOUT + FAST,
        "{:?}",
        slow_record.latency
    );
    assert_eq!(slow.count(), 1, "the slow relay was sent the request");
    // The slow relay's record comes last; everything else was in before it.
    assert_eq!(arrived.last().unwrap().0, "slow");
    assert!(total < TIMEOUT + FAST, "whole fan-out took {total:?}");
    for r in &records {
        assert!(
            r.sent_at_ms > 1_600_000_000_000
                && r.kind == RequestKind::SendBundle
                && r.target_block == 11
        );
    }

    eprintln!("fan-out figures (timeout {TIMEOUT:?}):");
    for r in &baseline {
        eprintln!("  baseline {:<8} latency {:>9.3?}", r.relay, r.latency);
    }
    for (r, (_, at)) in records.iter().zip(&arrived) {
        eprintln!(
            "  {:<8} {:<12} latency {:>9.3?} record at {:>9.3?}",
            r.relay,
            r.outcome.label(),
            r.latency,
            at
        );
    }
}

#[tokio::test]
async fn every_answer_shape_is_classified_over_http() {
    const HASH: B256 = b256!("0x2228f5d8954ce31dc1601a8ba264dbd401bf1428388ce88238932815c5d6f23f");
    let shapes: Vec<(&str, u16, &'static str, RelayOutcome)> = vec![
        (
            "object",
            200,
            r#"{"jsonrpc":"2.0","id":1,"result":{"bundleHash":"0x2228f5d8954ce31dc1601a8ba264dbd401bf1428388ce88238932815c5d6f23f"}}"#,
            RelayOutcome::Accepted { bundle_hash: Some(HASH) },
        ),
        (
            "string",
            200,
            r#"{"jsonrpc":"2.0","id":1,"result":"0x2228f5d8954ce31dc1601a8ba264dbd401bf1428388ce88238932815c5d6f23f"}"#,
            RelayOutcome::Accepted { bundle_hash: Some(HASH) },
        ),
        (
            "null",
            200,
            r#"{"jsonrpc":"2.0","id":1,"result":null}"#,
            RelayOutcome::Accepted { bundle_hash: None },
        ),
        ("titan-200", 200, "200", RelayOutcome::Accepted { bundle_hash: None }),
        (
            "rpc-error",
            200,
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"bundle rejected"}}"#,
            RelayOutcome::Rejected { code: Some(-32000), message: "bundle rejected".into() },
        ),
        (
            "429",
            429,
            "Too Many Requests",
            RelayOutcome::HttpError { status: 429, snippet: "Too Many Requests".into() },
        ),
        ("503", 503, "", RelayOutcome::HttpError { status: 503, snippet: String::new() }),
        (
            "garbage",
            200,
            "\u{0}\u{7f}garbage",
            RelayOutcome::Garbage { snippet: "\\u{0}\\u{7f}garbage".into() },
        ),
    ];
    let mut servers = Vec::new();
    let mut configs = Vec::new();
    for (name, status, body, _) in &shapes {
        let server = FaultServer::start(Fault::Fixed { status: *status, body }).await;
        configs.push(relay(name, &server, RelayFlavour::Titan));
        servers.push(server);
    }
    let fanout = Fanout::new(&configs, PrivateKeySigner::random()).unwrap();
    let records = fanout.send_bundle(&bundle(1, 2)).await.unwrap();
    assert_eq!(records.len(), shapes.len());
    for (name, status, _, want) in shapes {
        let r = by_relay(&records, name);
        assert_eq!(r.outcome, want, "{name}");
        assert_eq!(r.http_status, Some(status), "{name}");
    }
}

#[tokio::test]
async fn request_shapes_per_flavour_and_one_signature_per_body() {
    let flavours = RelayFlavour::ALL;
    let mut servers = Vec::new();
    for _ in flavours {
        servers.push(FaultServer::start(Fault::Good { verify: false }).await);
    }
    let configs: Vec<RelayConfig> =
        flavours.iter().zip(&servers).map(|(f, s)| relay(f.as_str(), s, *f)).collect();
    let identity = PrivateKeySigner::random();
    let fanout = Fanout::with_secrets(&configs, identity.clone(), |var| {
        (var == "BLOXROUTE_AUTH_HEADER").then(|| "secret-token".to_owned())
    })
    .unwrap();
    let uuid = new_replacement_uuid();
    let bundle = bundle(0x20, 3)
        .with_replacement_uuid(uuid)
        .with_refund(Refund { percent: 50, recipient: None })
        .unwrap();
    let prepared = fanout.prepare_send(&bundle).await.unwrap();
    // Bodies: the common eth_sendBundle (flashbots, buildernet, titan, beaverbuild), rsync's
    // (refund dropped), bloXroute's. Signed: common once, rsync once; beaverbuild and
    // bloXroute do not sign.
    assert_eq!((prepared.body_count(), prepared.signature_count()), (3, 2));
    let records: Vec<_> = fanout.dispatch(prepared).collect().await;
    assert!(records.iter().all(|r| r.outcome.is_accepted()), "{records:#?}");

    let got = |flavour: RelayFlavour| {
        let i = flavours.iter().position(|f| *f == flavour).unwrap();
        let received = servers[i].received();
        assert_eq!(received.len(), 1, "{flavour}");
        received[0].clone()
    };
    let common = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendBundle", "params": [{
        "txs": ["0x020301", "0x020302"],
        "blockNumber": "0x20",
        "replacementUuid": uuid.to_string(),
        "refundPercent": 50,
    }]});
    let mut signature = None;
    for flavour in [RelayFlavour::Flashbots, RelayFlavour::Buildernet, RelayFlavour::Titan] {
        let received = got(flavour);
        assert_eq!(received.json(), common, "{flavour}");
        let header = received.header("x-flashbots-signature").expect("signed").to_owned();
        assert_eq!(verify_signature(&header, &received.body).unwrap(), identity.address());
        // Same body, same signature: computed once.
        assert_eq!(signature.get_or_insert_with(|| header.clone()), &header);
    }
    let beaver = got(RelayFlavour::Beaverbuild);
    assert_eq!(beaver.json(), common);
    assert!(beaver.header("x-flashbots-signature").is_none(), "beaverbuild needs no signature");

    let rsync = got(RelayFlavour::Rsync);
    let mut without_refund = common.clone();
    without_refund["params"][0].as_object_mut().unwrap().remove("refundPercent");
    assert_eq!(
        rsync.json(),
        without_refund,
        "rsync discards refundPercent without refundRecipient"
    );
    verify_signature(rsync.header("x-flashbots-signature").unwrap(), &rsync.body).unwrap();

    let blx = got(RelayFlavour::Bloxroute);
    assert_eq!(
        blx.json(),
        json!({"jsonrpc": "2.0", "id": 1, "method": "blxr_submit_bundle", "params": {
            "transaction": ["020301", "020302"],
            "block_number": "0x20",
            "uuid": uuid.to_string(),
        }})
    );
    assert_eq!(blx.header("authorization"), Some("secret-token"));
    assert!(blx.header("x-flashbots-signature").is_none());
    for received in servers.iter().flat_map(FaultServer::received) {
        assert_eq!(received.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn missing_or_bad_signature_is_rejected_by_a_verifying_relay() {
    let verifying = FaultServer::start(Fault::Good { verify: true }).await;
    let mut unsigned = relay("unsigned", &verifying, RelayFlavour::Flashbots);
    unsigned.auth = Some(AuthConfig::None);
    let fanout = Fanout::new(&[unsigned], PrivateKeySigner::random()).unwrap();
    let records = fanout.send_bundle(&bundle(1, 4)).await.unwrap();
    assert!(
        matches!(&records[0].outcome, RelayOutcome::Rejected { code: Some(UNAUTHORIZED), .. }),
        "{records:#?}"
    );
}

#[tokio::test]
async fn rate_limit_is_respected_without_sending() {
    let server = FaultServer::start(Fault::Good { verify: false }).await;
    let mut limited = relay("limited", &server, RelayFlavour::Titan);
    limited.rate_limit = Some(RateLimitConfig { requests: 2, window_ms: 60_000 });
    let fanout = Fanout::new(&[limited], PrivateKeySigner::random()).unwrap();
    let mut outcomes = Vec::new();
    for seed in 0..4 {
        let records = fanout.send_bundle(&bundle(1, seed)).await.unwrap();
        assert_eq!(records.len(), 1);
        outcomes.push(records[0].outcome.label());
        if !records[0].outcome.was_sent() {
            assert_eq!((records[0].latency, records[0].http_status), (Duration::ZERO, None));
        }
    }
    assert_eq!(outcomes, ["accepted", "accepted", "rate_limited", "rate_limited"]);
    assert_eq!(server.count(), 2, "rate-limited submissions are not sent");
}

#[tokio::test]
async fn replacement_then_cancel_per_flavour() {
    let fb = FaultServer::start(Fault::Good { verify: true }).await;
    let bn = FaultServer::start(Fault::Good { verify: true }).await;
    let beaver = FaultServer::start(Fault::Good { verify: false }).await;
    let titan = FaultServer::start(Fault::Good { verify: false }).await;
    let no_cancel = FaultServer::start(Fault::Good { verify: false }).await;
    let mut rsync = relay("rsync", &no_cancel, RelayFlavour::Rsync);
    rsync.supports_cancel = false;
    let fanout = Fanout::new(
        &[
            relay("flashbots", &fb, RelayFlavour::Flashbots),
            relay("buildernet", &bn, RelayFlavour::Buildernet),
            relay("beaverbuild", &beaver, RelayFlavour::Beaverbuild),
            relay("titan", &titan, RelayFlavour::Titan),
            rsync,
        ],
        PrivateKeySigner::random(),
    )
    .unwrap();

    let uuid = new_replacement_uuid();
    let first = bundle(100, 5).with_replacement_uuid(uuid);
    let second = bundle(101, 6).with_replacement_uuid(uuid);
    assert_ne!(first.hash(), second.hash());
    for b in [&first, &second] {
        let records = fanout.send_bundle(b).await.unwrap();
        assert!(
            records.iter().all(|r| r.outcome.is_accepted() && r.replacement_uuid == Some(uuid))
        );
    }
    let cancel = second.cancel().unwrap();
    let records = fanout.cancel(&cancel).await.unwrap();
    assert_eq!(records.len(), 5);
    for r in &records {
        assert_eq!(
            (r.kind, r.bundle_hash, r.replacement_uuid),
            (RequestKind::CancelBundle, second.hash(), Some(uuid))
        );
    }
    assert_eq!(by_relay(&records, "rsync").outcome, RelayOutcome::Unsupported);
    assert_eq!(by_relay(&records, "rsync").method, "eth_cancelBundle");
    for name in ["flashbots", "buildernet", "beaverbuild", "titan"] {
        assert!(by_relay(&records, name).outcome.is_accepted(), "{name}: {records:#?}");
    }
    assert_eq!(by_relay(&records, "buildernet").method, "eth_sendBundle");

    let uuid = Value::String(uuid.to_string());
    // Replacement: two submissions with the same uuid, different content.
    for server in [&fb, &bn, &beaver, &titan, &no_cancel] {
        let received = server.received();
        let (a, b) = (received[0].json(), received[1].json());
        assert_eq!(a["params"][0]["replacementUuid"], uuid);
        assert_eq!(b["params"][0]["replacementUuid"], uuid);
        assert_eq!(
            (a["params"][0]["blockNumber"].clone(), b["params"][0]["blockNumber"].clone()),
            (json!("0x64"), json!("0x65"))
        );
        assert_ne!(a["params"][0]["txs"], b["params"][0]["txs"]);
    }
    assert_eq!(no_cancel.count(), 2, "no cancel sent where unsupported");
    let rpc_cancel = |id| json!({"jsonrpc": "2.0", "id": id, "method": "eth_cancelBundle", "params": [{"replacementUuid": uuid}]});
    let empty_cancel = |id| {
        json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendBundle",
        "params": [{"txs": [], "blockNumber": "0x65", "replacementUuid": uuid}]})
    };
    assert_eq!(fb.received()[2].json(), rpc_cancel(3));
    assert_eq!(titan.received()[2].json(), rpc_cancel(3));
    assert_eq!(bn.received()[2].json(), empty_cancel(3));
    assert_eq!(beaver.received()[2].json(), empty_cancel(3));
}

#[tokio::test]
async fn mev_share_backrun_goes_to_mev_share_relays_as_v0_1() {
    let share = FaultServer::start(Fault::Good { verify: true }).await;
    let plain = FaultServer::start(Fault::Good { verify: true }).await;
    let mut share_relay = relay("mev-share", &share, RelayFlavour::Flashbots);
    share_relay.mev_share = true;
    let identity = PrivateKeySigner::random();
    let fanout = Fanout::new(
        &[share_relay, relay("plain", &plain, RelayFlavour::Flashbots)],
        identity.clone(),
    )
    .unwrap();
    let victim = B256::repeat_byte(0x77);
    let backrun =
        MevShareBackrun::new(victim, Bytes::from_static(&[0x02, 0xbe, 0xef]), 50, Some(52))
            .unwrap();
    let records = fanout.send_mev_share(&backrun).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].relay.as_str(), records[0].kind, records[0].method),
        ("mev-share", RequestKind::MevSendBundle, "mev_sendBundle")
    );
    assert_eq!(records[0].bundle_hash, backrun.hash());
    assert!(records[0].outcome.is_accepted(), "{records:#?}");
    assert_eq!(plain.count(), 0);
    let received = &share.received()[0];
    assert_eq!(
        received.json()["params"],
        json!([{
            "version": "v0.1",
            "inclusion": {"block": "0x32", "maxBlock": "0x34"},
            "body": [{"hash": victim}, {"tx": "0x02beef", "canRevert": false}],
        }])
    );
    let signer =
        verify_signature(received.header("x-flashbots-signature").unwrap(), &received.body)
            .unwrap();
    assert_eq!(signer, identity.address());
    assert_ne!(signer, Address::ZERO);
}

#[tokio::test]
async fn config_errors_are_reported_before_sending() {
    let server = FaultServer::start(Fault::Good { verify: false }).await;
    let a = relay("same", &server, RelayFlavour::Titan);
    assert!(matches!(
        Fanout::new(&[a.clone(), a.clone()], PrivateKeySigner::random()),
        Err(bundles::FanoutError::DuplicateName(_))
    ));
    let blx = relay("blx", &server, RelayFlavour::Bloxroute);
    assert!(matches!(
        Fanout::with_secrets(&[blx], PrivateKeySigner::random(), |_| None),
        Err(bundles::FanoutError::MissingSecret { .. })
    ));
    let mut bad = relay("bad", &server, RelayFlavour::Titan);
    bad.url = "not a url".into();
    assert!(matches!(
        Fanout::new(&[bad], PrivateKeySigner::random()),
        Err(bundles::FanoutError::InvalidUrl { .. })
    ));
    let mut off = relay("off", &server, RelayFlavour::Titan);
    off.enabled = false;
    let fanout = Fanout::new(&[a, off], PrivateKeySigner::random()).unwrap();
    assert_eq!(fanout.relays().count(), 1);
}

#[tokio::test]
async fn connections_are_kept_alive_across_submissions() {
    let server = FaultServer::start(Fault::Good { verify: false }).await;
    let fanout =
        Fanout::new(&[relay("titan", &server, RelayFlavour::Titan)], PrivateKeySigner::random())
            .unwrap();
    let mut latencies = Vec::new();
    for seed in 0..5 {
        let records = fanout.send_bundle(&bundle(1, seed)).await.unwrap();
        assert!(records[0].outcome.is_accepted());
        latencies.push(records[0].latency);
    }
    let peers: Vec<_> = server.received().iter().map(|r| r.peer).collect();
    assert!(peers.iter().all(|p| *p == peers[0]), "one connection reused: {peers:?}");
    eprintln!("keep-alive latencies (first includes connect): {latencies:?}");
}
