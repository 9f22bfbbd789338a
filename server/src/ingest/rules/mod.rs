//! The rules that turn another service's domain event into a send: which event (`type`, and
//! `source` when given), to whom (a field of the event, a fixed list, or both), and what
//! (title, body and thread as templates over the event; priority, tags, channels; a delivery
//! time relative to a field).
//!
//! Templates are minijinja with strict undefined: a field the event does not have is an error,
//! never an empty string. The template context is the event: `id`, `source`, `type`,
//! `subject`, `time` and `data`.
//!
//! It must not check the send's limits or its recipients: the send command does, as for every
//! other send.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use notify_shared::UserId;
use notify_shared::api::{Channel, Priority, SendRequest};
use notify_shared::event::Cause;
use serde::Deserialize;
use serde_json::{Value, json};

use super::cloudevent::DomainEvent;

/// A rules file: `[[rule]]` tables, the first that matches an event wins.
#[derive(Debug, Default)]
pub struct Rules {
    rules: Vec<Rule>,
    templates: Environment<'static>,
}

/// One `[[rule]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    /// The event `type` it matches.
    #[serde(rename = "type")]
    kind: String,
    /// The event `source` it matches; any when left out.
    source: Option<String>,
    /// A field of the event naming the recipients: a user id, or a list of them.
    recipients_from: Option<String>,
    /// Recipients every matching event goes to.
    #[serde(default)]
    recipients: Vec<UserId>,
    /// Template of the title.
    title: Option<String>,
    /// Template of the body.
    body: String,
    /// Priority of every notification it makes.
    #[serde(default)]
    priority: Priority,
    /// Tags of every notification it makes.
    #[serde(default)]
    tags: Vec<String>,
    /// Channels; the recipients' preferences when empty.
    #[serde(default)]
    channels: Vec<Channel>,
    /// Template of the thread key.
    thread: Option<String>,
    /// A field of the event holding an RFC 3339 time to deliver at (or before).
    deliver_at: Option<String>,
    /// How long before `deliver_at` to deliver, for example `1h`.
    #[serde(default, deserialize_with = "humantime_serde_option::deserialize")]
    deliver_before: Option<Duration>,
}

/// The file's shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rule: Vec<Rule>,
}

/// A rules file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not TOML, or not rules.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// Where and why.
        message: String,
    },
    /// A rule that cannot work.
    #[error("{path}: rule {number} ({kind}): {message}")]
    Rule {
        /// The file.
        path: String,
        /// The rule's number, from 1.
        number: usize,
        /// Its event type.
        kind: String,
        /// Why.
        message: String,
    },
}

/// Why an event makes no send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmatched {
    /// No rule is for this event.
    #[error("no rule matches type {kind} from source {from}")]
    NoRule {
        /// Its type.
        kind: String,
        /// Its source.
        from: String,
    },
    /// The matching rule cannot be applied to this event.
    #[error("{0}")]
    Render(String),
}

/// What a rule made of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The send (`deliver_at` already relative to the event's field).
    pub request: SendRequest,
    /// The event, as the notifications record it.
    pub cause: Cause,
}

impl Rules {
    /// Reads and checks the rules file at `path`: TOML, known keys, templates that compile,
    /// recipients given one way or another.
    pub fn load(path: &Path) -> Result<Self, RulesError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: name.clone(),
            source,
        })?;
        Self::parse(&name, &text)
    }

    /// Checks the rules in `text` (from the file `path`, for messages).
    pub fn parse(path: &str, text: &str) -> Result<Self, RulesError> {
        let file: File = toml::from_str(text).map_err(|e| RulesError::Syntax {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let mut templates = Environment::new();
        templates.set_undefined_behavior(UndefinedBehavior::Strict);
        templates.set_auto_escape_callback(|_| AutoEscape::None);
        for (index, rule) in file.rule.iter().enumerate() {
            let refuse = |message: String| RulesError::Rule {
                path: path.to_owned(),
                number: index + 1,
                kind: rule.kind.clone(),
                message,
            };
            if rule.recipients_from.is_none() && rule.recipients.is_empty() {
                return Err(refuse(
                    "it names no recipients: give recipients_from, recipients, or both".into(),
                ));
            }
            if rule.deliver_before.is_some() && rule.deliver_at.is_none() {
                return Err(refuse(
                    "deliver_before needs deliver_at, the field it counts back from".into(),
                ));
            }
            for (part, source) in rule.templates() {
                templates
                    .add_template_owned(template_name(index, part), source.to_owned())
                    .map_err(|e| refuse(format!("{part}: {e}")))?;
            }
        }
        Ok(Self {
            rules: file.rule,
            templates,
        })
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The send the first matching rule makes of `event`, with delivery times counted from
    /// `now` (a time already past delivers now).
    pub fn render(&self, event: &DomainEvent, now: DateTime<Utc>) -> Result<Rendered, Unmatched> {
        let (index, rule) = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, rule)| {
                rule.kind == event.kind && rule.source.as_ref().is_none_or(|s| *s == event.source)
            })
            .ok_or_else(|| Unmatched::NoRule {
                kind: event.kind.clone(),
                from: event.source.clone(),
            })?;
        let context = json!({
            "id": event.id,
            "source": event.source,
            "type": event.kind,
            "subject": event.subject,
            "time": event.time,
            "data": event.data,
        });
        let render = |part: &str| -> Result<String, Unmatched> {
            let template = self
                .templates
                .get_template(&template_name(index, part))
                .map_err(|e| Unmatched::Render(format!("{part}: {e}")))?;
            template
                .render(minijinja::value::Serde(&context))
                .map_err(|e| Unmatched::Render(format!("{part}: {}", describe(&e))))
        };
        let mut to = Vec::new();
        if let Some(path) = &rule.recipients_from {
            to.extend(recipients(&context, path)?);
        }
        for user in &rule.recipients {
            if !to.contains(user) {
                to.push(user.clone());
            }
        }
        let deliver_at = match &rule.deliver_at {
            None => None,
            Some(path) => {
                let at = time_at(&context, path)?;
                let before = rule.deliver_before.unwrap_or_default();
                let at = at
                    - chrono::TimeDelta::from_std(before)
                        .map_err(|e| Unmatched::Render(format!("deliver_before: {e}")))?;
                (at > now).then_some(at)
            }
        };
        let request = SendRequest {
            to,
            title: rule.title.as_ref().map(|_| render("title")).transpose()?,
            body: render("body")?,
            priority: rule.priority,
            tags: rule.tags.clone(),
            channels: rule.channels.clone(),
            thread: rule.thread.as_ref().map(|_| render("thread")).transpose()?,
            deliver_at,
        };
        Ok(Rendered {
            request,
            cause: Cause {
                source: event.source.clone(),
                id: event.id.clone(),
                kind: event.kind.clone(),
            },
        })
    }
}

impl Rule {
    /// Its templates, by the part they make.
    fn templates(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("title", self.title.as_deref()),
            ("body", Some(self.body.as_str())),
            ("thread", self.thread.as_deref()),
        ]
        .into_iter()
        .filter_map(|(part, source)| source.map(|s| (part, s)))
    }
}

fn template_name(index: usize, part: &str) -> String {
    format!("rule {}: {part}", index + 1)
}

/// A template error in one line: what went wrong, without the template's name.
fn describe(error: &minijinja::Error) -> String {
    match error.detail() {
        Some(detail) => format!("{detail} ({})", error.kind()),
        None => error.kind().to_string(),
    }
}

/// The value at a dotted `path` (`data.assignee`) of the event's context.
fn field<'a>(context: &'a Value, path: &str) -> Result<&'a Value, Unmatched> {
    path.split('.')
        .try_fold(context, |value, key| value.get(key))
        .filter(|value| !value.is_null())
        .ok_or_else(|| Unmatched::Render(format!("the event has no field {path}")))
}

/// The users named at `path`: one user id, or a list of them.
fn recipients(context: &Value, path: &str) -> Result<Vec<UserId>, Unmatched> {
    let parse = |value: &Value| {
        value
            .as_str()
            .and_then(|name| UserId::parse(name).ok())
            .ok_or_else(|| Unmatched::Render(format!("{path} holds {value}, not a user id")))
    };
    match field(context, path)? {
        Value::Array(values) => values.iter().map(parse).collect(),
        value => Ok(vec![parse(value)?]),
    }
}

/// The RFC 3339 time at `path`.
fn time_at(context: &Value, path: &str) -> Result<DateTime<Utc>, Unmatched> {
    let value = field(context, path)?;
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
        .ok_or_else(|| Unmatched::Render(format!("{path} holds {value}, not an RFC 3339 time")))
}

/// `deliver_before = "1h"` (humantime's durations).
mod humantime_serde_option {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| humantime::parse_duration(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests;
