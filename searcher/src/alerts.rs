//! Alerts through a webhook (Telegram-compatible): a landed bundle above a threshold, an
//! error burst, the node unreachable, the kill switch.
//!
//! The URL comes from an environment variable (a Telegram URL embeds the bot token, so it is a
//! secret); the body is `{"chat_id": .., "text": ..}` when a chat id is configured, else
//! `{"text": ..}`. Sending never blocks the caller: each alert is posted from its own task with
//! a timeout, and a failed post is logged, never retried in a loop.

use crate::config::AlertsConfig;
use alloy::primitives::U256;
use std::{
    collections::VecDeque,
    sync::Mutex,
    time::{Duration, Instant},
};
use tracing::{debug, warn};

/// Metric: alerts fired, by `kind`.
pub const ALERTS_TOTAL: &str = "searcher_alerts_total";

/// Registers the alerts' metric description.
pub fn describe() {
    metrics::describe_counter!(ALERTS_TOTAL, metrics::Unit::Count, "Alerts fired, by kind");
}

/// Timeout of one webhook post.
const POST_TIMEOUT: Duration = Duration::from_secs(5);

/// What an alert is about (also its metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A landed bundle above the threshold.
    Landed,
    /// Many errors in a short window.
    ErrorBurst,
    /// The node stopped answering (fired when the connection is lost, during the outage).
    NodeUnreachable,
    /// The node answers again.
    NodeBack,
    /// The kill switch changed.
    KillSwitch,
    /// The store refuses writes (nothing is sent meanwhile), or takes them again.
    Store,
}

impl AlertKind {
    /// Stable label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Landed => "landed",
            Self::ErrorBurst => "error_burst",
            Self::NodeUnreachable => "node_unreachable",
            Self::NodeBack => "node_back",
            Self::KillSwitch => "kill_switch",
            Self::Store => "store",
        }
    }
}

/// The alert sender.
#[derive(Debug)]
pub struct Alerter {
    url: Option<String>,
    chat_id: Option<String>,
    threshold: U256,
    burst_count: usize,
    burst_window: Duration,
    errors: Mutex<(VecDeque<Instant>, Option<Instant>)>,
    client: reqwest::Client,
}

impl Alerter {
    /// From the `[alerts]` config; the URL is read from its environment variable now.
    pub fn new(config: &AlertsConfig) -> Self {
        let url = config.webhook_url_env.as_deref().and_then(|v| std::env::var(v).ok());
        Self {
            url,
            chat_id: config.telegram_chat_id.clone(),
            threshold: config.landed_profit_threshold_wei,
            burst_count: config.error_burst_count.max(1) as usize,
            burst_window: Duration::from_secs(config.error_burst_window_secs.max(1)),
            errors: Mutex::new((VecDeque::new(), None)),
            client: reqwest::Client::builder().timeout(POST_TIMEOUT).build().unwrap_or_default(),
        }
    }

    /// Whether a webhook is configured.
    pub fn enabled(&self) -> bool {
        self.url.is_some()
    }

    /// A bundle landed with `profit` wei.
    pub fn landed(&self, profit: U256, text: impl FnOnce() -> String) {
        if profit >= self.threshold {
            self.fire(AlertKind::Landed, text());
        }
    }

    /// Counts an error; alerts once per window when the burst threshold is reached.
    pub fn error(&self, what: &str) {
        let now = Instant::now();
        let mut guard = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        let (times, last_alert) = &mut *guard;
        times.push_back(now);
        while times.front().is_some_and(|t| now.duration_since(*t) > self.burst_window) {
            times.pop_front();
        }
        let quiet = last_alert.is_none_or(|t| now.duration_since(t) > self.burst_window);
        if times.len() >= self.burst_count && quiet {
            *last_alert = Some(now);
            let n = times.len();
            drop(guard);
            self.fire(
                AlertKind::ErrorBurst,
                format!("searcher: {n} errors in {}s (last: {what})", self.burst_window.as_secs()),
            );
        }
    }

    /// The node is unreachable (now).
    pub fn node_unreachable(&self, detail: &str) {
        self.fire(AlertKind::NodeUnreachable, format!("searcher: {detail}"));
    }

    /// The node answers again.
    pub fn node_back(&self) {
        self.fire(AlertKind::NodeBack, "searcher: node reachable again; resyncing".into());
    }

    /// The kill switch turned on or off.
    pub fn kill_switch(&self, on: bool) {
        let state = if on { "ON: no new bundles" } else { "off: sending resumes" };
        self.fire(AlertKind::KillSwitch, format!("searcher: kill switch {state}"));
    }

    /// The store stopped (or resumed) taking writes.
    pub fn store(&self, healthy: bool) {
        let text = if healthy {
            "searcher: the store takes writes again; sending resumes"
        } else {
            "searcher: the store refuses writes (full disk?); nothing is sent until it recovers"
        };
        self.fire(AlertKind::Store, text.into());
    }

    /// Posts an alert in the background.
    pub fn fire(&self, kind: AlertKind, text: String) {
        metrics::counter!(ALERTS_TOTAL, "kind" => kind.as_str()).increment(1);
        let Some(url) = self.url.clone() else {
            debug!(target: "searcher::alerts", kind = kind.as_str(), %text, "alert (no webhook configured)");
            return;
        };
        let body = match &self.chat_id {
            Some(chat) => serde_json::json!({ "chat_id": chat, "text": text }),
            None => serde_json::json!({ "text": text }),
        };
        let client = self.client.clone();
        let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
        handle.spawn(async move {
            match client.post(&url).json(&body).send().await {
                Ok(resp) if resp.status().is_success() => {}
                // Neither the URL (it may hold a token) nor the body is logged.
                Ok(resp) => warn!(target: "searcher::alerts", kind = kind.as_str(), status = resp.status().as_u16(), "webhook refused the alert"),
                Err(err) => warn!(target: "searcher::alerts", kind = kind.as_str(), timeout = err.is_timeout(), "webhook unreachable"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Json, Router, extract::State, routing::post};
    use std::sync::Arc;
    use tokio::sync::Mutex as AsyncMutex;

    #[tokio::test]
    async fn posts_telegram_bodies_for_landed_bursts_and_kill_switch() {
        let got: Arc<AsyncMutex<Vec<serde_json::Value>>> = Arc::default();
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State(got): State<Arc<AsyncMutex<Vec<serde_json::Value>>>>,
                     Json(v): Json<serde_json::Value>| async move {
                        got.lock().await.push(v);
                        "ok"
                    },
                ),
            )
            .with_state(got.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        unsafe { std::env::set_var("SEARCHER_TEST_WEBHOOK", format!("http://{addr}/hook")) };
        let alerter = Alerter::new(&AlertsConfig {
            webhook_url_env: Some("SEARCHER_TEST_WEBHOOK".into()),
            telegram_chat_id: Some("42".into()),
            landed_profit_threshold_wei: U256::from(100),
            error_burst_count: 3,
            error_burst_window_secs: 60,
        });
        alerter.landed(U256::from(99), || "small".into()); // below threshold: nothing
        alerter.landed(U256::from(100), || "landed 100 wei".into());
        for _ in 0..5 {
            alerter.error("relay timeout"); // one burst alert, not three
        }
        alerter.kill_switch(true);

        let deadline = Instant::now() + Duration::from_secs(5);
        while got.lock().await.len() < 3 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let got = got.lock().await;
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.iter().all(|v| v["chat_id"] == "42"));
        let texts: Vec<&str> = got.iter().filter_map(|v| v["text"].as_str()).collect();
        assert!(texts.contains(&"landed 100 wei"));
        assert!(texts.iter().any(|t| t.contains("3 errors")));
        assert!(texts.iter().any(|t| t.contains("kill switch ON")));
        server.abort();
    }
}
