//! Escalation: when a notification fails, a new notification tells the configured operations
//! recipient what failed and why. An escalation that fails is not escalated again.
//!
//! It must not deliver anything itself: an escalation is a notification like any other, appended
//! with its outbox rows in the failing saga's transaction.

use notify_shared::api::Priority;
use notify_shared::event::{
    Envelope, Event, NotificationDispatched, NotificationEscalated, NotificationRequested,
};
use notify_shared::limits::{MAX_BODY_BYTES, MAX_TITLE_CHARS};
use sqlx::PgConnection;
use uuid::Uuid;

use super::pending::{Document, Pending, SOURCE};
use crate::config::DeliveryConfig;
use crate::consumer::HandleError;
use crate::{redact, store};

/// The data of a notification's `notification.requested` event.
pub(super) async fn requested(
    tx: &mut PgConnection,
    notification: Uuid,
) -> Result<NotificationRequested, HandleError> {
    let document: Option<Document> =
        sqlx::query_scalar("SELECT document FROM notification_requests WHERE notification_id = $1")
            .bind(notification)
            .fetch_optional(&mut *tx)
            .await?;
    request_data(notification, document)
}

/// The data of a notification's `notification.requested` event, from its stored document.
pub(super) fn request_data(
    notification: Uuid,
    document: Option<Document>,
) -> Result<NotificationRequested, HandleError> {
    match document.map(|json| json.0.event) {
        Some(Event::NotificationRequested(data)) => Ok(data),
        other => Err(HandleError::Failed(format!(
            "notification {notification} has no request: {other:?}"
        ))),
    }
}

/// Sends the escalation of the failed notification in `pending` (its `notification.failed`
/// already pushed) and records `notification.escalated` on it.
pub(super) async fn escalate(
    tx: &mut PgConnection,
    config: &DeliveryConfig,
    pending: &mut Pending,
) -> Result<(), HandleError> {
    let Some(ops) = &config.escalation_recipient else {
        return Ok(());
    };
    let failed_notification = pending.aggregate;
    let is_escalation: bool =
        sqlx::query_scalar("SELECT is_escalation FROM sagas WHERE notification_id = $1")
            .bind(failed_notification)
            .fetch_one(&mut *tx)
            .await?;
    let ops_exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT FROM users WHERE id = $1)")
        .bind(ops.as_str())
        .fetch_one(&mut *tx)
        .await?;
    if is_escalation {
        return Ok(());
    }
    if !ops_exists {
        tracing::warn!(escalation_recipient = %ops, notification = %failed_notification, "cannot escalate: no such user");
        return Ok(());
    }
    let original = requested(tx, failed_notification).await?;
    let failures: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT channel, address, detail FROM deliveries WHERE notification_id = $1 AND status = 'failed' ORDER BY channel",
    )
    .bind(failed_notification)
    .fetch_all(&mut *tx)
    .await?;

    let escalation = Uuid::now_v7();
    let operation = Uuid::now_v7();
    let data = NotificationRequested {
        sender: ops.clone(),
        recipient: ops.clone(),
        title: Some(title(&original)),
        body: body(failed_notification, &original, &failures),
        priority: Priority::High,
        tags: vec!["escalation".into()],
        channels: Vec::new(),
        thread: Some(format!("escalation-{failed_notification}")),
        deliver_at: None,
        cause: None,
    };
    let events = [
        Envelope::new(
            SOURCE,
            operation,
            escalation,
            ops.clone(),
            1,
            Event::NotificationRequested(data),
        ),
        Envelope::new(
            SOURCE,
            operation,
            escalation,
            ops.clone(),
            2,
            Event::NotificationDispatched(NotificationDispatched {}),
        ),
    ];
    store::append(tx, &events).await?;
    sqlx::query("INSERT INTO escalations (escalation_id, of_notification) VALUES ($1, $2)")
        .bind(escalation)
        .bind(failed_notification)
        .execute(&mut *tx)
        .await?;
    pending.push(Event::NotificationEscalated(NotificationEscalated {
        escalation_id: escalation,
        to: ops.clone(),
    }));
    tracing::info!(notification = %failed_notification, %escalation, to = %ops, "escalated a failed notification");
    Ok(())
}

/// "Delivery failed: <what it was about>", within the title limit, one line.
fn title(original: &NotificationRequested) -> String {
    let about = original
        .title
        .clone()
        .unwrap_or_else(|| original.body.lines().next().unwrap_or_default().to_owned());
    let title: String = format!("Delivery failed: {about}")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    title.chars().take(MAX_TITLE_CHARS).collect()
}

/// Who it was for, what failed where and why, and the original message, within the body limit.
fn body(
    id: Uuid,
    original: &NotificationRequested,
    failures: &[(String, String, Option<String>)],
) -> String {
    let mut body = format!(
        "The notification {id} from {} to {} could not be delivered.\n\n",
        original.sender, original.recipient
    );
    for (channel, address, detail) in failures {
        // The escalation is a new event: a webhook URL's secret part stays out of it.
        let address = match channel.as_str() {
            _ if address.is_empty() => "no address".to_owned(),
            "webhook" => redact::webhook_origin(address),
            _ => address.clone(),
        };
        body.push_str(&format!(
            "- {channel} ({address}): {}\n",
            detail.as_deref().unwrap_or("failed")
        ));
    }
    body.push_str(&format!(
        "\nIts history: notify show {id} --events (for {} or {}, or with an admin token)\n\n\
         The message was:\n{}",
        original.sender, original.recipient, original.body
    ));
    if body.len() > MAX_BODY_BYTES {
        let mut end = MAX_BODY_BYTES;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify_shared::UserId;

    fn original(title: Option<&str>, body: &str) -> NotificationRequested {
        NotificationRequested {
            sender: UserId::parse("bob").expect("valid"),
            recipient: UserId::parse("alice").expect("valid"),
            title: title.map(str::to_owned),
            body: body.into(),
            priority: Priority::Normal,
            tags: vec![],
            channels: vec![],
            thread: None,
            deliver_at: None,
            cause: None,
        }
    }

    #[test]
    fn the_escalation_stays_within_the_send_limits() {
        let long = original(
            Some(&"t".repeat(MAX_TITLE_CHARS)),
            &"é".repeat(MAX_BODY_BYTES),
        );
        let failures = vec![(
            "email".to_owned(),
            "a@b.c".to_owned(),
            Some("smtp 550".to_owned()),
        )];
        let request = notify_shared::api::SendRequest {
            to: vec![],
            title: Some(title(&long)),
            body: body(Uuid::now_v7(), &long, &failures),
            priority: Priority::High,
            tags: vec!["escalation".into()],
            channels: vec![],
            thread: None,
            deliver_at: None,
        };
        assert_eq!(notify_shared::limits::check_send(&request), vec![]);
    }

    #[test]
    fn the_escalation_says_what_failed_and_why() {
        let failures = vec![(
            "webhook".to_owned(),
            "https://h.example/x".to_owned(),
            Some("HTTP 500".to_owned()),
        )];
        let text = body(
            Uuid::nil(),
            &original(None, "Deploy finished\nall good"),
            &failures,
        );
        assert!(text.contains("to alice"), "{text}");
        assert!(
            // The hook's path is its credential: the escalation (an event) names its origin.
            text.contains("webhook (https://h.example/…): HTTP 500"),
            "{text}"
        );
        assert_eq!(
            title(&original(None, "Deploy finished\nall good")),
            "Delivery failed: Deploy finished"
        );
    }
}
