//! Session tokens issued by a platform (or by the relay, to phones): 32 hex digits, valid until
//! an idle period passes with no successful request carrying them (PROTOCOL.md §6).

use std::collections::HashMap;

use md5::{Digest, Md5};

/// Most live tokens one device may hold; the oldest goes when another is issued.
pub const MAX_TOKENS_PER_SN: usize = 8;

/// Who a token was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenOwner {
    pub access_id: String,
    pub sn: String,
    /// Last successful use, Unix epoch milliseconds.
    pub last_used_ms: i64,
}

/// Live tokens. Token text comes from MD5 over a secret seed, a counter and the owner, so it is
/// unpredictable without the seed and needs no random source inside the pure core.
pub(crate) struct TokenTable {
    seed: [u8; 32],
    issued: u64,
    idle_ms: i64,
    tokens: HashMap<String, TokenOwner>,
}

impl TokenTable {
    pub(crate) fn new(seed: [u8; 32], idle_ms: i64) -> Self {
        Self {
            seed,
            issued: 0,
            idle_ms,
            tokens: HashMap::new(),
        }
    }

    /// Issues a fresh token to `access_id` for `sn`.
    pub(crate) fn issue(&mut self, access_id: &str, sn: &str, now_ms: i64) -> String {
        self.issued += 1;
        let mut digest = Md5::new();
        digest.update(self.seed);
        digest.update(self.issued.to_le_bytes());
        digest.update(now_ms.to_le_bytes());
        digest.update(sn.as_bytes());
        let token = format!("{:x}", digest.finalize());
        let owner = TokenOwner {
            access_id: access_id.to_owned(),
            sn: sn.to_owned(),
            last_used_ms: now_ms,
        };
        self.insert(token.clone(), owner, now_ms);
        token
    }

    /// Keeps `token` as `owner`'s, dropping expired tokens and the device's oldest ones
    /// beyond [`MAX_TOKENS_PER_SN`].
    pub(crate) fn insert(&mut self, token: String, owner: TokenOwner, now_ms: i64) {
        let idle_ms = self.idle_ms;
        self.tokens
            .retain(|_, owner| now_ms - owner.last_used_ms < idle_ms);
        let mut held: Vec<(i64, String)> = (self.tokens.iter())
            .filter(|(_, held)| held.sn == owner.sn)
            .map(|(token, held)| (held.last_used_ms, token.clone()))
            .collect();
        if held.len() >= MAX_TOKENS_PER_SN {
            held.sort();
            for (_, token) in &held[..=held.len() - MAX_TOKENS_PER_SN] {
                self.tokens.remove(token);
            }
        }
        self.tokens.insert(token, owner);
    }

    /// The owner of a live token, or `None` when it is unknown or has been idle too long.
    pub(crate) fn owner(&self, token: &str, now_ms: i64) -> Option<&TokenOwner> {
        self.tokens
            .get(token)
            .filter(|owner| now_ms - owner.last_used_ms < self.idle_ms)
    }

    /// Marks a successful use of `token`, restarting its idle period.
    pub(crate) fn touch(&mut self, token: &str, now_ms: i64) {
        if let Some(owner) = self.tokens.get_mut(token) {
            owner.last_used_ms = owner.last_used_ms.max(now_ms);
        }
    }
}
