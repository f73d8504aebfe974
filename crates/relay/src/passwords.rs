//! Manager passwords: kept as argon2id PHC strings (the argon2 crate's recommended parameters:
//! 19 MiB, two passes, one lane), never in the clear; the shortest password a manager may
//! choose.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Fewest characters in a password.
pub(crate) const MIN_PASSWORD_CHARS: usize = 10;
/// Most bytes in a password (longer ones are refused before hashing).
const MAX_PASSWORD_BYTES: usize = 256;

/// Why a password was refused, in plain Chinese.
pub(crate) fn refusal(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some(format!(
            "密码至少 {MIN_PASSWORD_CHARS} 个字符，请换一个更长的密码"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Some(format!(
            "密码最多 {MAX_PASSWORD_BYTES} 字节，请换一个短一些的密码"
        ));
    }
    None
}

/// The argon2id PHC string of `password` with a fresh random 128-bit salt.
pub(crate) fn hash(password: &str) -> String {
    let salt =
        SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes are a valid salt");
    (Argon2::default().hash_password(password.as_bytes(), &salt))
        .expect("argon2 with its default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches the PHC string `phc` (false for a malformed one). With no
/// `phc` (no such account, or one without a password) a hash is still checked, so the
/// answer takes as long and does not tell which accounts exist.
pub(crate) fn verify(password: &str, phc: Option<&str>) -> bool {
    static UNMATCHABLE: LazyLock<String> = LazyLock::new(|| hash(&crate::keys::random_hex(16)));
    let (phc, real) = match phc {
        Some(phc) => (phc, true),
        None => (UNMATCHABLE.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let matches = (Argon2::default().verify_password(password.as_bytes(), &parsed)).is_ok();
    matches && real
}
