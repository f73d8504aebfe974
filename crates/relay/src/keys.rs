//! Random secrets the relay issues (manager tokens, terminal keys, session ids, enrollment
//! credentials) and how it keeps and compares them: only a hash of a long random secret is
//! stored, and comparisons take the same time wherever the texts differ.

use sha2::{Digest, Sha256};

/// `bytes` random bytes as lowercase hex (`2 × bytes` characters).
pub(crate) fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// The SHA-256 of a random secret, lowercase hex: what the store keeps instead of it. (A
/// password needs a slow hash; a 128-bit random token does not.)
pub(crate) fn token_hash(token: &str) -> String {
    (Sha256::digest(token.as_bytes()).iter())
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && (given.bytes().zip(expected.bytes())).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
