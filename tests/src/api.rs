//! A small authenticated client of the real api, for assertions on status codes and bodies.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

/// One user's view of the api.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    /// A client of the api at `url` with `token`.
    pub fn new(url: &str, token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            token: token.to_owned(),
        }
    }

    /// The token this client sends.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// GET `path` (with its query); the status and the JSON body (`Null` when there is none).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        answer(
            self.http
                .get(format!("{}{path}", self.url))
                .bearer_auth(&self.token)
                .send()
                .await,
        )
        .await
    }

    /// DELETE `path`.
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        answer(
            self.http
                .delete(format!("{}{path}", self.url))
                .bearer_auth(&self.token)
                .send()
                .await,
        )
        .await
    }

    /// POST `body` to `path` with a fresh idempotency key.
    pub async fn post(&self, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        self.post_with_key(path, Uuid::now_v7(), body).await
    }

    /// POST `body` to `path` with idempotency key `key`.
    pub async fn post_with_key(
        &self,
        path: &str,
        key: Uuid,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key.to_string());
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request.send().await).await
    }

    /// PUT `body` to `path` with a fresh idempotency key.
    pub async fn put(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let request = self
            .http
            .put(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", Uuid::now_v7().to_string())
            .json(body);
        answer(request.send().await).await
    }

    /// Sets preferences and waits until they are applied; returns the answer.
    pub async fn set_preferences(&self, preferences: Value) -> Value {
        let (status, answer) = self.put("/v1/preferences", &preferences).await;
        assert_eq!(
            status,
            StatusCode::ACCEPTED,
            "preferences refused: {answer}"
        );
        self.wait_operation(
            answer["operation_id"].as_str().expect("operation id"),
            "applied",
        )
        .await;
        answer
    }

    /// Sends `body` to `to` and returns the notification ids, one per recipient.
    pub async fn send(&self, to: &[&str], body: &str, extra: Value) -> Vec<Uuid> {
        self.send_operation(to, body, extra).await.1
    }

    /// Sends `body` to `to` and returns the operation id and the notification ids.
    pub async fn send_operation(
        &self,
        to: &[&str],
        body: &str,
        extra: Value,
    ) -> (String, Vec<Uuid>) {
        let mut request = serde_json::json!({"to": to, "body": body});
        if let (Some(request), Value::Object(extra)) = (request.as_object_mut(), extra) {
            request.extend(extra);
        }
        let (status, answer) = self.post("/v1/notifications", Some(&request)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "send failed: {answer}");
        let ids = answer["notifications"]
            .as_array()
            .expect("notifications")
            .iter()
            .map(|n| {
                n["id"]
                    .as_str()
                    .and_then(|id| Uuid::try_parse(id).ok())
                    .expect("notification id")
            })
            .collect();
        (
            answer["operation_id"]
                .as_str()
                .expect("operation id")
                .to_owned(),
            ids,
        )
    }

    /// Polls `GET path` until `done` holds for its body (panics after 20 s).
    pub async fn wait_for(&self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..400 {
            let (status, body) = self.get(path).await;
            if status == StatusCode::OK && done(&body) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (status, body) = self.get(path).await;
        panic!("{what}: never happened; GET {path} is {status} {body}");
    }

    /// Waits until operation `id` has status `status`.
    pub async fn wait_operation(&self, id: &str, status: &str) -> Value {
        self.wait_for(
            &format!("/v1/operations/{id}"),
            &format!("operation {id} {status}"),
            |op| op["status"] == status,
        )
        .await
    }
}

async fn answer(response: reqwest::Result<reqwest::Response>) -> (StatusCode, Value) {
    let response = response.expect("the api answers");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}
