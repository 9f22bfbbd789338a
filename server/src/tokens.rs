//! API tokens: `ntf_<token id, hex>_<secret, base64url>`, 128 bits of id and 256 of secret.
//!
//! Only the SHA-256 of the secret is stored; a presented token is looked up by its id (not a
//! secret) and its secret hash compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

const PREFIX: &str = "ntf_";

/// A freshly made token: the string to show once, and what to store.
#[derive(Debug)]
pub struct NewToken {
    /// The token id (stored in clear).
    pub id: Uuid,
    /// SHA-256 of the secret (stored).
    pub secret_hash: [u8; 32],
    /// The whole token, shown to the user once and never stored.
    pub token: String,
}

/// Makes a new random token.
pub fn generate() -> NewToken {
    let id = Uuid::from_bytes(rand::random());
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    NewToken {
        id,
        secret_hash: hash(&secret),
        token: format!("{PREFIX}{}_{secret}", id.simple()),
    }
}

/// A presented token split into its id and secret; `None` when it is not of our form.
pub fn parse(token: &str) -> Option<(Uuid, &str)> {
    let (id, secret) = token.strip_prefix(PREFIX)?.split_once('_')?;
    Uuid::try_parse(id).ok().map(|id| (id, secret))
}

/// Whether `secret` hashes to `stored`, compared in constant time.
pub fn verify(secret: &str, stored: &[u8]) -> bool {
    hash(secret).ct_eq(stored).into()
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_verifies() {
        let new = generate();
        let (id, secret) = parse(&new.token).expect("our own form");
        assert_eq!(id, new.id);
        assert!(verify(secret, &new.secret_hash));
        assert!(!verify(&format!("{secret}x"), &new.secret_hash));
    }

    #[test]
    fn tokens_differ_and_are_long_enough() {
        let (a, b) = (generate(), generate());
        assert_ne!(a.token, b.token);
        let (_, secret) = parse(&a.token).expect("our own form");
        assert!(secret.len() >= 43, "256-bit secret in base64url");
    }

    #[test]
    fn foreign_strings_do_not_parse() {
        for bad in ["", "ntf_", "ntf_zz_abc", "Bearer x", "xyz_0123"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
