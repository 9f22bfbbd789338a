//! The messages of the server's own queues (see [`PIPELINE_EXCHANGE`]): a batch of stored
//! events from the relay, or one event (from a republish below, or a test standing in for the
//! relay). Unpacking them, and putting one item of a batch back into its queue alone.
//!
//! A batch is settled as a whole: acked once every item was handled. An item that could not
//! be handled (it failed, or is not an event) is published again alone into the same queue
//! first, where it follows the rules of a single message (returned until the delivery limit
//! dead-letters it; dead-lettered at once when it is not an event), so one bad item never
//! holds up or loses the others.

use lapin::message::Delivery;
use lapin::options::BasicPublishOptions;
use lapin::types::ShortString;
use lapin::{BasicProperties, Channel, Confirmation, PublisherConfirm};
use notify_shared::event::{CONTENT_TYPE, Envelope};
use notify_shared::routing::{BATCH_CONTENT_TYPE, PIPELINE_EXCHANGE};
use serde_json::value::RawValue;

/// One event of a message, as its bytes and as parsed.
#[derive(Debug)]
pub struct Item {
    /// The event's document, as it came.
    pub raw: Vec<u8>,
    /// The event, or why it is not one.
    pub event: Result<Envelope, serde_json::Error>,
}

impl Item {
    fn parse(raw: &[u8]) -> Self {
        Self {
            raw: raw.to_vec(),
            event: serde_json::from_slice(raw),
        }
    }
}

/// What a message holds.
#[derive(Debug)]
pub enum Unpacked {
    /// One event (or what should have been one).
    One(Box<Item>),
    /// A batch: its items in the order the relay published them.
    Batch(Vec<Item>),
}

/// Unpacks `delivery`; an error when it claims to be a batch and is not a JSON array.
pub fn unpack(delivery: &Delivery) -> Result<Unpacked, serde_json::Error> {
    let batch = delivery
        .properties
        .content_type()
        .as_ref()
        .is_some_and(|content_type| content_type.as_str() == BATCH_CONTENT_TYPE);
    if !batch {
        return Ok(Unpacked::One(Box::new(Item::parse(&delivery.data))));
    }
    let documents: Vec<&RawValue> = serde_json::from_slice(&delivery.data)?;
    Ok(Unpacked::Batch(
        documents
            .into_iter()
            .map(|document| Item::parse(document.get().as_bytes()))
            .collect(),
    ))
}

/// The body of a batch of `documents` (each one JSON document).
pub fn batch_body<'a>(documents: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut body = vec![b'['];
    for (i, document) in documents.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(document.as_bytes());
    }
    body.push(b']');
    body
}

/// Publishes `body` (of `content_type`) persistent into server queue `queue`; its confirm is
/// to be awaited. `mandatory`: every server queue exists (declared at connect), so a message
/// that no queue takes comes back as an error, never silently dropped.
pub async fn publish(
    channel: &Channel,
    queue: &str,
    body: &[u8],
    content_type: &str,
) -> lapin::Result<PublisherConfirm> {
    channel
        .basic_publish(
            PIPELINE_EXCHANGE.into(),
            queue.into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            body,
            BasicProperties::default()
                .with_content_type(ShortString::from(content_type))
                .with_delivery_mode(2),
        )
        .await
}

/// Why an item could not be put back.
#[derive(Debug, thiserror::Error)]
pub enum RepublishError {
    /// The broker failed or closed the channel.
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    /// The broker refused it.
    #[error("the broker refused an item put back into {0}")]
    Refused(String),
}

/// Publishes `item` alone into `queue` and waits for the broker's confirm; `channel` is in
/// confirm mode.
pub async fn republish(channel: &Channel, queue: &str, item: &Item) -> Result<(), RepublishError> {
    let confirm = publish(channel, queue, &item.raw, CONTENT_TYPE)
        .await?
        .await?;
    match confirm {
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        Confirmation::Ack(Some(_)) | Confirmation::Nack(_) => {
            Err(RepublishError::Refused(queue.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_body_is_a_json_array_of_the_documents() {
        let body = batch_body(["{\"a\":1}", "{\"b\":[2]}"]);
        let parsed: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("an array");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1]["b"][0], 2);
        assert_eq!(batch_body([]), b"[]");
    }
}
