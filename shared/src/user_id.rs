//! `UserId`: a user name that is safe inside routing keys, queue names and URLs.
//!
//! A `UserId` must not be made but by parsing: it is valid by construction.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A user id matching `^[a-z0-9][a-z0-9_-]{0,62}$`.
///
/// [`UserId::parse`] is the only way to build one, so a value of this type is always valid;
/// deserialization goes through it too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, pattern = "^[a-z0-9][a-z0-9_-]{0,62}$", example = "alice"))]
pub struct UserId(String);

/// Why a string is not a user id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid user id {0:?}: use 1 to 63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit"
)]
pub struct InvalidUserId(pub String);

impl UserId {
    /// The longest user id, in bytes.
    pub const MAX_LEN: usize = 63;

    /// Checks `s` against the user id rule.
    pub fn parse(s: impl Into<String>) -> Result<Self, InvalidUserId> {
        let s = s.into();
        let mut bytes = s.bytes();
        let first_ok = bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok =
            bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if first_ok && rest_ok && s.len() <= Self::MAX_LEN {
            Ok(Self(s))
        } else {
            Err(InvalidUserId(s))
        }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserId {
    type Error = InvalidUserId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> Self {
        id.0
    }
}

impl std::str::FromStr for UserId {
    type Err = InvalidUserId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_ids() {
        for ok in ["a", "alice", "0day", "al-ice_2", &"a".repeat(63)] {
            assert_eq!(
                UserId::parse(ok).map(|u| u.to_string()),
                Ok(ok.to_string()),
                "{ok}"
            );
        }
    }

    #[test]
    fn rejects_invalid_ids() {
        for bad in [
            "",
            "Alice",
            "-al",
            "_al",
            "al.ice",
            "al ice",
            "al*",
            "al#",
            "ål",
            &"a".repeat(64),
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn deserialization_validates() {
        assert!(serde_json::from_str::<UserId>("\"Bob\"").is_err());
        assert_eq!(
            serde_json::from_str::<UserId>("\"bob\"")
                .ok()
                .map(|u| u.to_string()),
            Some("bob".into())
        );
    }
}
