//! The nonce a challenge is drawn from, and who made it.

use serde::{Deserialize, Serialize};

/// A challenge seed: the relay's `POST /v1/challenge` nonce (32 hex digits), or a local one made
/// from the phone's random bytes when offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nonce(String);

/// Where a nonce came from; the evidence says so (`"nonceSource"`), and only a relay nonce can be
/// verified by the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NonceSource {
    /// Issued by the relay (`POST /v1/challenge`).
    Relay,
    /// Made on the phone (offline); the relay cannot vouch for its freshness.
    Local,
}

/// A nonce text that cannot seed a challenge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    /// Shorter than 16 or longer than 64 characters.
    #[error("nonce must be 16 to 64 characters, got {0}")]
    Length(usize),
    /// A character outside `0-9 a-z A-Z - _`.
    #[error("nonce may hold only letters, digits, '-' and '_'")]
    Character,
}

impl Nonce {
    /// Checks a nonce text: 16 to 64 characters of `0-9 a-z A-Z - _` (the relay's are 32 hex).
    pub fn new(text: &str) -> Result<Self, NonceError> {
        if !(16..=64).contains(&text.len()) {
            return Err(NonceError::Length(text.chars().count()));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(NonceError::Character);
        }
        Ok(Self(text.to_owned()))
    }

    /// A local nonce: the 16 random bytes (from `crypto.getRandomValues`) as 32 hex digits.
    pub fn local(random: [u8; 16]) -> Self {
        Self(random.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The nonce text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
