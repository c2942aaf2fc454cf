//! Stream faults against a scripted server speaking raw HTTP/1.1: each accepted connection
//! plays the next script (bytes written with pauses, then closed or held open in silence).

use super::*;
use std::sync::Mutex;
use tokio::{io::AsyncWriteExt, net::TcpListener};

const OK: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n";
const HASH_1: &str = "0x0000000000000000000000000000000000000000000000000000000000000001";
const HASH_2: &str = "0x0000000000000000000000000000000000000000000000000000000000000002";

fn event(hash: &str) -> String {
    format!(
        "data: {{\"hash\":\"{hash}\",\"logs\":[{{\"address\":\"0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc\",\"topics\":[\"0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822\"],\"data\":\"0x\"}}],\"txs\":null}}\n\n"
    )
}

/// What one connection does.
#[derive(Clone)]
struct Script {
    /// Writes, each after its pause.
    writes: Vec<(Duration, Vec<u8>)>,
    /// Hold the connection open (silent) after the writes instead of closing it.
    hold: bool,
}

impl Script {
    fn close(writes: &[&[u8]]) -> Self {
        Self { writes: writes.iter().map(|w| (Duration::ZERO, w.to_vec())).collect(), hold: false }
    }

    fn hold(writes: &[&[u8]]) -> Self {
        Self { hold: true, ..Self::close(writes) }
    }
}

struct FaultServer {
    url: String,
    accepted: Arc<Mutex<Vec<Instant>>>,
}

/// Serves the scripts in order; connections past the last one get the last script again.
async fn serve(scripts: Vec<Script>) -> FaultServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&accepted);
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            log.lock().expect("lock").push(Instant::now());
            let script = scripts[n.min(scripts.len() - 1)].clone();
            n += 1;
            tokio::spawn(async move {
                // The request is read by nobody: it fits the socket buffer.
                for (pause, bytes) in script.writes {
                    tokio::time::sleep(pause).await;
                    if socket.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                if script.hold {
                    tokio::time::sleep(Duration::from_secs(600)).await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    FaultServer { url, accepted }
}

fn config(url: &str) -> HintConfig {
    HintConfig { idle_timeout: Duration::from_secs(5), ..HintConfig::new(url) }
}

/// Waits until the stats satisfy `done` (10 s at most).
async fn until(stats: &HintStats, done: impl Fn(&HintStatsSnapshot) -> bool) -> HintStatsSnapshot {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let snap = stats.snapshot();
        if done(&snap) {
            return snap;
        }
        assert!(Instant::now() < deadline, "timed out; stats: {snap:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn next_hint(channels: &mut HintChannels) -> Hint {
    tokio::time::timeout(Duration::from_secs(10), channels.hints.recv())
        .await
        .expect("a hint within 10 s")
        .expect("the source is running")
}

#[tokio::test]
async fn garbage_and_a_disconnect_mid_event_are_counted_and_survived() {
    let first = format!(
        "{OK}:ping\n\n{}data: not json\n\ndata: {{}}\n\ngarbage without a colon\n\n\u{1}\u{2}\n\ndata: {{\"hash\":\"0x00",
        event(HASH_1)
    );
    let mut garbage = first.into_bytes();
    garbage.extend_from_slice(b"\xff\xfe");
    let second = format!("{OK}{}", event(HASH_2));
    let server = serve(vec![Script::close(&[&garbage]), Script::hold(&[second.as_bytes()])]).await;
    let (_stop, shutdown) = watch::channel(false);
    let (mut channels, _task) = HintSource::spawn(config(&server.url), shutdown);

    let hint = next_hint(&mut channels).await;
    assert_eq!(hint.event.hash.to_string(), HASH_1);
    assert_eq!(hint.event.logs.len(), 1);
    assert!(hint.event.logs[0].data.is_empty(), "the default hint hides the amounts");
    let hint = next_hint(&mut channels).await;
    assert_eq!(hint.event.hash.to_string(), HASH_2, "the source reconnected");

    let stats = until(&channels.stats, |s| s.connects == 2).await;
    assert_eq!(stats.hints, 2);
    assert_eq!(stats.pings, 1);
    assert_eq!(stats.dropped(DropReason::Malformed), 1, "{stats:?}");
    assert_eq!(stats.dropped(DropReason::NoHash), 1);
    assert_eq!(stats.dropped(DropReason::Truncated), 1);
    assert_eq!(stats.disconnected(Disconnect::Closed), 1);
    assert_eq!(server.accepted.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured() {
    let limited = b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let ok = format!("{OK}{}", event(HASH_1));
    let server = serve(vec![Script::close(&[limited]), Script::hold(&[ok.as_bytes()])]).await;
    let (_stop, shutdown) = watch::channel(false);
    let (mut channels, _task) = HintSource::spawn(config(&server.url), shutdown);

    next_hint(&mut channels).await;
    let stats = channels.stats.snapshot();
    assert_eq!(stats.disconnected(Disconnect::RateLimited), 1);
    assert_eq!(stats.retry_waits, 1);
    let accepted = server.accepted.lock().expect("lock").clone();
    assert_eq!(accepted.len(), 2);
    let waited = accepted[1] - accepted[0];
    // The backoff alone would have waited 25 ms.
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[tokio::test]
async fn a_silent_stream_is_dropped_and_reconnected() {
    let quiet = format!("{OK}:ping\n\n");
    let ok = format!("{OK}{}", event(HASH_1));
    let server =
        serve(vec![Script::hold(&[quiet.as_bytes()]), Script::hold(&[ok.as_bytes()])]).await;
    let (_stop, shutdown) = watch::channel(false);
    let config = HintConfig { idle_timeout: Duration::from_millis(300), ..config(&server.url) };
    let (mut channels, _task) = HintSource::spawn(config, shutdown);

    next_hint(&mut channels).await;
    let stats = channels.stats.snapshot();
    assert_eq!(stats.disconnected(Disconnect::Silent), 1);
    assert_eq!(stats.pings, 1);
    let accepted = server.accepted.lock().expect("lock").clone();
    assert!(accepted[1] - accepted[0] >= Duration::from_millis(300));
}

#[tokio::test]
async fn pings_keep_a_slow_stream_alive() {
    // Pings every 100 ms with a 300 ms idle timeout: never silent.
    let mut writes = vec![(Duration::ZERO, OK.as_bytes().to_vec())];
    writes.extend((0..8).map(|_| (Duration::from_millis(100), b":ping\n\n".to_vec())));
    writes.push((Duration::from_millis(100), event(HASH_1).into_bytes()));
    let server = serve(vec![Script { writes, hold: true }]).await;
    let (_stop, shutdown) = watch::channel(false);
    let config = HintConfig { idle_timeout: Duration::from_millis(300), ..config(&server.url) };
    let (mut channels, _task) = HintSource::spawn(config, shutdown);

    next_hint(&mut channels).await;
    let stats = channels.stats.snapshot();
    assert_eq!(stats.pings, 8);
    assert_eq!(stats.disconnected(Disconnect::Silent), 0);
    assert_eq!(stats.connects, 1);
}

#[tokio::test]
async fn oversized_events_are_discarded_and_a_full_channel_drops() {
    let big = format!("data: {{\"hash\":\"{HASH_1}\",\"pad\":\"{}\"}}\n\n", "a".repeat(4_000));
    let mut body = format!("{OK}{big}");
    for _ in 0..5 {
        body.push_str(&event(HASH_2));
    }
    let server = serve(vec![Script::hold(&[body.as_bytes()])]).await;
    let (_stop, shutdown) = watch::channel(false);
    let config = HintConfig { max_event_bytes: 1_024, capacity: 2, ..config(&server.url) };
    let (mut channels, _task) = HintSource::spawn(config, shutdown);

    let stats = until(&channels.stats, |s| s.hints == 5).await;
    assert_eq!(stats.dropped(DropReason::Oversized), 1);
    assert_eq!(stats.dropped(DropReason::ConsumerFull), 3);
    assert_eq!(next_hint(&mut channels).await.event.hash.to_string(), HASH_2);
    assert_eq!(next_hint(&mut channels).await.event.hash.to_string(), HASH_2);
}

#[tokio::test]
async fn error_statuses_and_refused_connections_are_retried_until_shutdown() {
    let error =
        b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let server = serve(vec![Script::close(&[error])]).await;
    let (stop, shutdown) = watch::channel(false);
    let (channels, task) = HintSource::spawn(config(&server.url), shutdown);
    until(&channels.stats, |s| s.disconnected(Disconnect::HttpStatus) >= 3).await;
    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(2), task).await.expect("stops").expect("no panic");

    // Nothing listens on this port once the listener is dropped.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (stop, shutdown) = watch::channel(false);
    let (channels, task) =
        HintSource::spawn(config(&format!("http://127.0.0.1:{port}/")), shutdown);
    until(&channels.stats, |s| s.disconnected(Disconnect::ConnectFailed) >= 3).await;
    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(2), task).await.expect("stops").expect("no panic");
}

#[tokio::test]
async fn the_source_stops_when_its_consumer_goes() {
    let mut writes = vec![(Duration::ZERO, OK.as_bytes().to_vec())];
    writes.extend((0..100).map(|_| (Duration::from_millis(20), event(HASH_1).into_bytes())));
    let server = serve(vec![Script { writes, hold: true }]).await;
    let (_stop, shutdown) = watch::channel(false);
    let (channels, task) = HintSource::spawn(config(&server.url), shutdown);
    until(&channels.stats, |s| s.hints >= 1).await;
    drop(channels);
    tokio::time::timeout(Duration::from_secs(3), task).await.expect("stops").expect("no panic");
}

#[test]
fn retry_after_forms() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
    assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
    assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
    // 2015-10-21 07:28:00 GMT is `now`; 07:28:30 is 30 s later.
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("-1", now), None);
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("99999999999999999999999", now), None);
}
