//! Fault injectors for the end-to-end tests, each named as what it stands in for:
//!
//! - [`CuttableProxy`]: a node that goes away. A relay between the searcher and anvil's real
//!   IPC socket (or its WebSocket port, over TCP) that drops every connection it carries and
//!   refuses new ones while paused (a real node connection cannot be cut on demand otherwise).
//! - [`BadRelay`]: relays that misbehave over real TCP/HTTP: a closed port, a server that
//!   accepts and never answers, one that answers 500, one that answers garbage, a slow one.
//! - [`Tmpfs`]: a small real filesystem (tmpfs, mounted by the test) the store's database
//!   lives on, and that the test fills up.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream, UnixListener, UnixStream},
    sync::watch,
    task::JoinSet,
};

/// Fault injector: relays connections to the node (anvil's real IPC socket, or its WebSocket
/// port over TCP); [`Self::cut`] drops every live connection; while paused, new connections
/// are dropped at once (the node is "down").
#[derive(Debug)]
pub struct CuttableProxy {
    endpoint: String,
    cut: watch::Sender<u64>,
    paused: Arc<AtomicBool>,
    accept: tokio::task::JoinHandle<()>,
}

impl CuttableProxy {
    /// Listens on the Unix socket `path`, relaying to the IPC socket `upstream`.
    ///
    /// # Panics
    /// When `path` cannot be bound.
    pub fn start(upstream: PathBuf, path: PathBuf) -> Self {
        let listener = UnixListener::bind(&path).expect("bind proxy socket");
        Self::spawn(path.display().to_string(), UnixSide { listener, upstream })
    }

    /// Listens on 127.0.0.1 (a free port), relaying to the TCP address `upstream` (anvil's
    /// WebSocket port); [`Self::endpoint`] is `127.0.0.1:<port>`.
    ///
    /// # Panics
    /// When 127.0.0.1 cannot be bound.
    pub fn start_tcp(upstream: std::net::SocketAddr) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let endpoint = std_listener.local_addr().expect("local addr").to_string();
        let listener = TcpListener::from_std(std_listener).expect("tokio listener");
        Self::spawn(endpoint, TcpSide { listener, upstream })
    }

    fn spawn<A: Relay>(endpoint: String, side: A) -> Self {
        let (cut, cut_rx) = watch::channel(0u64);
        let paused = Arc::new(AtomicBool::new(false));
        let is_paused = paused.clone();
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                let Some(mut client) = side.accept().await else { return };
                if is_paused.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let connect = side.connect();
                let mut cut_rx = cut_rx.clone();
                cut_rx.borrow_and_update();
                conns.spawn(async move {
                    let Ok(mut server) = connect.await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Self { endpoint, cut, paused, accept: task }
    }

    /// The proxy's socket path (IPC) or `host:port` (TCP).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The proxy's socket (IPC): the searcher's node endpoint.
    pub fn path(&self) -> &Path {
        Path::new(&self.endpoint)
    }

    /// Drops every live connection (new ones are accepted unless paused).
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Pausing cuts every connection and refuses new ones until unpaused.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        if paused {
            self.cut();
        }
    }
}

/// Dialling the upstream for one relayed connection.
type UpstreamConnect<S> =
    std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<S>> + Send>>;

/// One side of a [`CuttableProxy`]: where it listens and what it dials.
trait Relay: Send + Sync + 'static {
    type Client: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    type Server: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept(&self) -> impl std::future::Future<Output = Option<Self::Client>> + Send;
    fn connect(&self) -> UpstreamConnect<Self::Server>;
}

struct UnixSide {
    listener: UnixListener,
    upstream: PathBuf,
}

impl Relay for UnixSide {
    type Client = UnixStream;
    type Server = UnixStream;
    async fn accept(&self) -> Option<UnixStream> {
        self.listener.accept().await.ok().map(|(c, _)| c)
    }
    fn connect(&self) -> UpstreamConnect<UnixStream> {
        let upstream = self.upstream.clone();
        Box::pin(async move { UnixStream::connect(upstream).await })
    }
}

struct TcpSide {
    listener: TcpListener,
    upstream: std::net::SocketAddr,
}

impl Relay for TcpSide {
    type Client = TcpStream;
    type Server = TcpStream;
    async fn accept(&self) -> Option<TcpStream> {
        self.listener.accept().await.ok().map(|(c, _)| c)
    }
    fn connect(&self) -> UpstreamConnect<TcpStream> {
        let upstream = self.upstream;
        Box::pin(async move { TcpStream::connect(upstream).await })
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// How a [`BadRelay`] misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayFault {
    /// Nothing listens on the port: every connection is refused.
    Refuse,
    /// Accepts the connection and the request, never answers.
    Silent,
    /// Answers `500 Internal Server Error`.
    Status500,
    /// Answers `200 OK` with a body that is not JSON.
    Garbage,
    /// Answers a well-formed JSON-RPC result after the given delay.
    Slow(Duration),
}

/// A misbehaving relay on 127.0.0.1 (raw HTTP/1.1 over real TCP, keep-alive honoured).
#[derive(Debug)]
pub struct BadRelay {
    /// Its URL.
    pub url: String,
    /// How it misbehaves.
    pub fault: RelayFault,
    requests: Arc<AtomicUsize>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl BadRelay {
    /// Starts one.
    ///
    /// # Panics
    /// When 127.0.0.1 cannot be bound.
    pub async fn start(fault: RelayFault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let url = format!("http://{}/", listener.local_addr().expect("local addr"));
        let requests = Arc::new(AtomicUsize::new(0));
        if fault == RelayFault::Refuse {
            drop(listener); // the port is closed: connections are refused
            return Self { url, fault, requests, task: None };
        }
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                conns.spawn(serve(stream, fault, counter.clone()));
            }
        });
        Self { url, fault, requests, task: Some(task) }
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for BadRelay {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn serve(mut stream: TcpStream, fault: RelayFault, requests: Arc<AtomicUsize>) {
    let mut buf = Vec::new();
    loop {
        let Some(body) = read_request(&mut stream, &mut buf).await else { return };
        requests.fetch_add(1, Ordering::SeqCst);
        let (status, payload) = match fault {
            RelayFault::Refuse => return,
            RelayFault::Silent => {
                // Hold the connection open and never answer.
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            RelayFault::Status500 => {
                ("500 Internal Server Error", br#"{"error":"internal"}"#.to_vec())
            }
            RelayFault::Garbage => ("200 OK", b"\x00\xffnot json <html>".to_vec()),
            RelayFault::Slow(delay) => {
                tokio::time::sleep(delay).await;
                let id = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .unwrap_or(serde_json::Value::Null);
                let answer = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": id,
                    "result": { "bundleHash": format!("0x{}", "ab".repeat(32)) },
                });
                ("200 OK", answer.to_string().into_bytes())
            }
        };
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            payload.len()
        );
        if stream.write_all(head.as_bytes()).await.is_err()
            || stream.write_all(&payload).await.is_err()
        {
            return;
        }
    }
}

/// Reads one HTTP/1.1 request (headers and a `content-length` body); `None` at EOF.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            let total = end + 4 + length;
            if buf.len() >= total {
                let body = buf[end + 4..total].to_vec();
                buf.drain(..total);
                return Some(body);
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A tmpfs of a fixed size, mounted by the test (unmounted when dropped).
#[derive(Debug)]
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` at `path` (created if missing).
    ///
    /// # Errors
    /// When mounting is not permitted here (say, an unprivileged container), with `mount`'s
    /// own message.
    pub fn mount(path: &Path, bytes: u64) -> Result<Self, String> {
        std::fs::create_dir_all(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| format!("running mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self { path: path.to_path_buf() })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills the filesystem to the last byte with a filler file; returns the bytes written.
    /// Removing the file gives the space back.
    ///
    /// # Panics
    /// On any error but a full filesystem.
    pub fn fill(&self) -> u64 {
        use std::io::Write;
        let mut file = std::fs::File::create(self.filler()).expect("filler file");
        let block = vec![0xa5u8; 4096];
        let mut written = 0u64;
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        let _ = file.sync_all();
        written
    }

    /// Gives the space back (removes the filler file).
    pub fn free(&self) {
        let _ = std::fs::remove_file(self.filler());
    }

    fn filler(&self) -> PathBuf {
        self.path.join("filler")
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
