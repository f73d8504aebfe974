//! When the phone should fetch its out-of-fence requests (外勤) again.

/// What the phone last knew of its requests: the `changedAtMs` of the list it fetched, or the
/// last `requestsChangedMs` a heartbeat announced (epoch milliseconds; `None` while no request
/// is decided). A heartbeat that announces another value means a manager decided one since.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RequestsWatch {
    seen_ms: Option<i64>,
}

impl RequestsWatch {
    /// The list was fetched; `changed_at_ms` is its `changedAtMs`.
    pub fn fetched(&mut self, changed_at_ms: Option<i64>) {
        self.seen_ms = changed_at_ms;
    }

    /// A heartbeat announced `requests_changed_ms`: whether the list should be fetched again.
    /// True once per change, so a page that does not fetch is not told again and again.
    pub fn announced(&mut self, requests_changed_ms: Option<i64>) -> bool {
        std::mem::replace(&mut self.seen_ms, requests_changed_ms) != requests_changed_ms
    }
}
