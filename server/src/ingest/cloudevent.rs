//! Another service's domain event, read from a CloudEvents 1.0 message in either mode of the
//! AMQP and HTTP bindings: structured (the whole event as `application/cloudevents+json`) or
//! binary (attributes in `cloudEvents:`-prefixed application properties, or `ce-` headers;
//! the body is the data).
//!
//! It must not read anything but the message it is given: what the event means is for the
//! rules ([`super::rules`]).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// The media type of a structured-mode CloudEvent in JSON.
pub const STRUCTURED: &str = "application/cloudevents+json";
/// The largest event read, in bytes (the api's request limit).
pub const MAX_BYTES: usize = notify_shared::limits::MAX_REQUEST_BYTES;
/// Longest `id`, `source`, `type` or `subject`, in bytes.
const MAX_ATTRIBUTE_BYTES: usize = 256;

/// A domain event: the CloudEvents attributes the rules may use, and its JSON data.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    /// `id`: unique within its `source`.
    pub id: String,
    /// `source`: who produced it, for example `/tasks`.
    pub source: String,
    /// `type`, for example `com.example.task.assigned`.
    pub kind: String,
    /// `subject`, when given.
    pub subject: Option<String>,
    /// `time`, when given.
    pub time: Option<DateTime<Utc>>,
    /// `data`, parsed as JSON (`null` when it has none).
    pub data: Value,
}

/// Why a message is not a CloudEvent this server can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotCloudEvent {
    /// Larger than [`MAX_BYTES`].
    #[error("the event is {0} bytes; at most {MAX_BYTES} are read")]
    TooLarge(usize),
    /// A structured event that is not a JSON object.
    #[error("not a CloudEvents JSON document: {0}")]
    Json(String),
    /// A required attribute is missing or empty.
    #[error("the required attribute `{0}` is missing or empty")]
    Missing(&'static str),
    /// `specversion` is not 1.0.
    #[error("specversion {0:?} is not supported; send CloudEvents 1.0")]
    Version(String),
    /// An attribute is too long or not a string.
    #[error("the attribute `{0}` must be a string of at most {MAX_ATTRIBUTE_BYTES} bytes")]
    Attribute(&'static str),
    /// `time` is not an RFC 3339 time.
    #[error("the attribute `time` is not an RFC 3339 time: {0}")]
    Time(String),
    /// The data is not JSON.
    #[error("the data must be JSON (datacontenttype application/json): {0}")]
    Data(String),
}

/// The attributes of a structured-mode event.
#[derive(Debug, Deserialize)]
struct Structured {
    specversion: Option<Value>,
    id: Option<Value>,
    source: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    subject: Option<Value>,
    time: Option<Value>,
    datacontenttype: Option<Value>,
    #[serde(default)]
    data: Option<Value>,
    data_base64: Option<Value>,
}

impl DomainEvent {
    /// A structured-mode event: `body` is the whole event as a JSON object.
    pub fn structured(body: &[u8]) -> Result<Self, NotCloudEvent> {
        check_size(body)?;
        let document: Structured =
            serde_json::from_slice(body).map_err(|e| NotCloudEvent::Json(e.to_string()))?;
        let text = |name: &'static str, value: Option<Value>| match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(NotCloudEvent::Attribute(name)),
        };
        if document.data_base64.is_some() {
            return Err(NotCloudEvent::Data(
                "data_base64 is not read; send the data as JSON".into(),
            ));
        }
        let content_type = text("datacontenttype", document.datacontenttype)?;
        if let Some(content_type) = &content_type
            && !is_json(content_type)
        {
            return Err(NotCloudEvent::Data(format!(
                "datacontenttype is {content_type}"
            )));
        }
        Self::build(Attributes {
            specversion: text("specversion", document.specversion)?,
            id: text("id", document.id)?,
            source: text("source", document.source)?,
            kind: text("type", document.kind)?,
            subject: text("subject", document.subject)?,
            time: text("time", document.time)?,
            data: document.data.unwrap_or(Value::Null),
        })
    }

    /// A binary-mode event: `attribute(name)` gives each attribute (`id`, `source`, …) from
    /// the transport's headers or properties, `content_type` is the data's media type, and
    /// `body` the data.
    pub fn binary(
        attribute: impl Fn(&str) -> Option<String>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Self, NotCloudEvent> {
        check_size(body)?;
        if let Some(content_type) = content_type
            && !is_json(content_type)
        {
            return Err(NotCloudEvent::Data(format!(
                "the content type is {content_type}"
            )));
        }
        let data = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(body).map_err(|e| NotCloudEvent::Data(e.to_string()))?
        };
        Self::build(Attributes {
            specversion: attribute("specversion"),
            id: attribute("id"),
            source: attribute("source"),
            kind: attribute("type"),
            subject: attribute("subject"),
            time: attribute("time"),
            data,
        })
    }

    fn build(attributes: Attributes) -> Result<Self, NotCloudEvent> {
        match attributes.specversion.as_deref() {
            Some("1.0") => {}
            Some(other) => return Err(NotCloudEvent::Version(other.to_owned())),
            None => return Err(NotCloudEvent::Missing("specversion")),
        }
        let required = |name: &'static str, value: Option<String>| {
            let value = value
                .filter(|v| !v.is_empty())
                .ok_or(NotCloudEvent::Missing(name))?;
            check_attribute(name, value)
        };
        let subject = attributes
            .subject
            .map(|s| check_attribute("subject", s))
            .transpose()?;
        let time = attributes
            .time
            .map(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| NotCloudEvent::Time(e.to_string()))
            })
            .transpose()?;
        Ok(Self {
            id: required("id", attributes.id)?,
            source: required("source", attributes.source)?,
            kind: required("type", attributes.kind)?,
            subject,
            time,
            data: attributes.data,
        })
    }
}

/// The attributes as read from either mode, before they are checked.
struct Attributes {
    specversion: Option<String>,
    id: Option<String>,
    source: Option<String>,
    kind: Option<String>,
    subject: Option<String>,
    time: Option<String>,
    data: Value,
}

fn check_size(body: &[u8]) -> Result<(), NotCloudEvent> {
    if body.len() > MAX_BYTES {
        return Err(NotCloudEvent::TooLarge(body.len()));
    }
    Ok(())
}

fn check_attribute(name: &'static str, value: String) -> Result<String, NotCloudEvent> {
    if value.len() > MAX_ATTRIBUTE_BYTES || value.chars().any(char::is_control) {
        return Err(NotCloudEvent::Attribute(name));
    }
    Ok(value)
}

/// Whether a media type is JSON (`application/json`, `…+json`, with parameters or not).
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence == "text/json"
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn assigned() -> Value {
        json!({
            "specversion": "1.0",
            "id": "e-1",
            "source": "/tasks",
            "type": "com.example.task.assigned",
            "subject": "task-7",
            "time": "2026-12-06T10:00:00Z",
            "datacontenttype": "application/json",
            "data": {"assignee": "alice", "task": "Review"},
        })
    }

    #[test]
    fn a_structured_event_gives_its_attributes_and_data() {
        let event = DomainEvent::structured(assigned().to_string().as_bytes()).unwrap();
        assert_eq!(event.id, "e-1");
        assert_eq!(event.source, "/tasks");
        assert_eq!(event.kind, "com.example.task.assigned");
        assert_eq!(event.subject.as_deref(), Some("task-7"));
        assert_eq!(
            event.time.unwrap().to_rfc3339(),
            "2026-12-06T10:00:00+00:00"
        );
        assert_eq!(event.data["assignee"], "alice");
    }

    #[test]
    fn a_binary_event_reads_its_attributes_from_the_transport() {
        let attributes = |name: &str| match name {
            "specversion" => Some("1.0".to_owned()),
            "id" => Some("e-2".to_owned()),
            "source" => Some("/tasks".to_owned()),
            "type" => Some("com.example.task.assigned".to_owned()),
            _ => None,
        };
        let event = DomainEvent::binary(
            attributes,
            Some("application/json; charset=utf-8"),
            br#"{"assignee":"bob"}"#,
        )
        .unwrap();
        assert_eq!(event.id, "e-2");
        assert_eq!(event.subject, None);
        assert_eq!(event.data, json!({"assignee": "bob"}));
    }

    #[test]
    fn what_is_not_a_readable_cloudevent_says_why() {
        let without = |key: &str| {
            let mut event = assigned();
            event.as_object_mut().unwrap().remove(key);
            DomainEvent::structured(event.to_string().as_bytes()).unwrap_err()
        };
        assert_eq!(without("id"), NotCloudEvent::Missing("id"));
        assert_eq!(without("type"), NotCloudEvent::Missing("type"));
        assert_eq!(
            without("specversion"),
            NotCloudEvent::Missing("specversion")
        );
        let mut old = assigned();
        old["specversion"] = json!("0.3");
        assert_eq!(
            DomainEvent::structured(old.to_string().as_bytes()).unwrap_err(),
            NotCloudEvent::Version("0.3".into())
        );
        let mut number = assigned();
        number["source"] = json!(7);
        assert_eq!(
            DomainEvent::structured(number.to_string().as_bytes()).unwrap_err(),
            NotCloudEvent::Attribute("source")
        );
        let mut xml = assigned();
        xml["datacontenttype"] = json!("application/xml");
        assert!(matches!(
            DomainEvent::structured(xml.to_string().as_bytes()),
            Err(NotCloudEvent::Data(_))
        ));
        assert!(matches!(
            DomainEvent::structured(b"hello"),
            Err(NotCloudEvent::Json(_))
        ));
        let huge = vec![b' '; MAX_BYTES + 1];
        assert_eq!(
            DomainEvent::structured(&huge).unwrap_err(),
            NotCloudEvent::TooLarge(MAX_BYTES + 1)
        );
    }
}
