//! The outcome of one delivery attempt, shared by every channel.
//!
//! This is a plain value: it does no I/O and knows nothing of events. The consumer loop turns it
//! into `delivery.succeeded` or `delivery.failed`; `permanent` decides whether the dispatcher
//! retries.

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Delivered; the detail says how, for people (e.g. "250 2.0.0 Ok: queued as X", "HTTP 200").
    Delivered(String),
    /// Not delivered. `permanent` when retrying cannot help.
    Failed {
        /// What went wrong, short and lowercase-led, for people.
        detail: String,
        /// Retrying the same request cannot succeed (a 5xx SMTP reply, a refused URL, a 404).
        permanent: bool,
    },
}

impl Attempt {
    /// A delivery that succeeded.
    pub fn delivered(detail: impl Into<String>) -> Self {
        Self::Delivered(detail.into())
    }

    /// A failure that a later attempt may get past (a timeout, a 4xx SMTP reply, a 503).
    pub fn transient(detail: impl Into<String>) -> Self {
        Self::Failed {
            detail: detail.into(),
            permanent: false,
        }
    }

    /// A failure that no retry can fix.
    pub fn permanent(detail: impl Into<String>) -> Self {
        Self::Failed {
            detail: detail.into(),
            permanent: true,
        }
    }

    /// Whether the attempt delivered.
    pub fn is_delivered(&self) -> bool {
        matches!(self, Self::Delivered(_))
    }

    /// Whether the attempt failed for good.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::Failed {
                permanent: true,
                ..
            }
        )
    }

    /// The detail, for either outcome.
    pub fn detail(&self) -> &str {
        match self {
            Self::Delivered(detail) | Self::Failed { detail, .. } => detail,
        }
    }
}

/// `text` with its first letter lowercased, as details are written ("Connection refused" becomes
/// "connection refused"), unless it starts an acronym such as "STARTTLS".
pub(super) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.clone().next()) {
        (Some(first), next) if !next.is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_set_permanence() {
        assert!(Attempt::delivered("HTTP 200").is_delivered());
        assert!(!Attempt::transient("timed out").is_permanent());
        assert!(Attempt::permanent("HTTP 404").is_permanent());
        assert_eq!(Attempt::permanent("HTTP 404").detail(), "HTTP 404");
    }

    #[test]
    fn details_are_lowercase_led_but_acronyms_stay() {
        assert_eq!(lowercase_first("Connection refused"), "connection refused");
        assert_eq!(
            lowercase_first("STARTTLS is not supported"),
            "STARTTLS is not supported"
        );
        assert_eq!(lowercase_first("É"), "é");
        assert_eq!(lowercase_first(""), "");
    }
}
