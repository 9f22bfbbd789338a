//! A Server-Sent Events reader for `GET /v1/stream`: what a client receives, event by event,
//! with the heartbeat comments counted.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// One event as received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SseEvent {
    /// `event:`.
    pub event: String,
    /// `id:` (empty when absent).
    pub id: String,
    /// `data:`, parsed.
    pub data: Value,
}

/// An open stream.
pub struct Sse {
    response: reqwest::Response,
    buffer: String,
    /// Comment lines received (heartbeats).
    pub comments: usize,
}

impl std::fmt::Debug for Sse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sse")
            .field("comments", &self.comments)
            .finish()
    }
}

/// Opens `GET {url}/v1/stream` with `token`, resuming after `last_event_id`; the status and
/// body when it is refused.
pub async fn open(
    url: &str,
    token: &str,
    last_event_id: Option<&str>,
) -> Result<Sse, (StatusCode, Value)> {
    let mut request = reqwest::Client::new()
        .get(format!("{url}/v1/stream"))
        .bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.send().await.expect("connect to the stream");
    let status = response.status();
    if status != StatusCode::OK {
        return Err((status, response.json().await.unwrap_or_default()));
    }
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    Ok(Sse {
        response,
        buffer: String::new(),
        comments: 0,
    })
}

/// Opens the stream as [`open`] does, retrying while the api answers 503 (a server that just
/// started: its projector has not made the read model yet).
pub async fn open_when_ready(url: &str, token: &str) -> Sse {
    for _ in 0..100 {
        match open(url, token, None).await {
            Ok(stream) => return stream,
            Err((StatusCode::SERVICE_UNAVAILABLE, _)) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(refused) => panic!("the stream was refused: {refused:?}"),
        }
    }
    panic!("the stream answered 503 for 10 s")
}

impl Sse {
    /// The next event, waiting at most `timeout`; `None` when none came or the stream ended.
    pub async fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        tokio::time::timeout(timeout, self.next_event())
            .await
            .ok()
            .flatten()
    }

    async fn next_event(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = self.parse(&block) {
                    return Some(event);
                }
                continue;
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// An event block's event; `None` for a block of comments only.
    fn parse(&mut self, block: &str) -> Option<SseEvent> {
        let mut event = SseEvent::default();
        let mut data = String::new();
        let mut any = false;
        for line in block.lines().filter(|line| !line.is_empty()) {
            if line.starts_with(':') {
                self.comments += 1;
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            any = true;
            match field {
                "event" => event.event = value.to_owned(),
                "id" => event.id = value.to_owned(),
                "data" => data.push_str(value),
                _ => {}
            }
        }
        if !any {
            return None;
        }
        event.data = serde_json::from_str(&data).unwrap_or(Value::String(data));
        Some(event)
    }

    /// Events until `done` holds for the last one, each within `timeout` of the one before.
    pub async fn until(
        &mut self,
        timeout: Duration,
        done: impl Fn(&SseEvent) -> bool,
    ) -> Vec<SseEvent> {
        let mut seen = Vec::new();
        loop {
            let Some(event) = self.next(timeout).await else {
                panic!("the stream went quiet or ended; so far: {seen:#?}");
            };
            let last = done(&event);
            seen.push(event);
            if last {
                return seen;
            }
        }
    }
}
