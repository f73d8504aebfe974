//! The attendance record on the phone, before and after it is saved (pure).
//!
//! - [`location`]: a location reading from each source, normalised to WGS-84, with the warning
//!   signs a browser can see (stale fix, suspicious accuracy, sources that disagree, impossible
//!   speed since the last record).
//! - [`SignInDraft`]: everything a clock-in knows when the worker presses the button; it becomes
//!   the §7 `C_SIGN_IN` param (plus the evidence members the relay keeps and strips) only when it
//!   is sent, so a record kept offline for hours is still signed with a fresh `timeStamp`.
//! - [`clock`]: the device clock corrected by the relay's clock.
//! - [`outbox`]: the queue of saved records: states, retry with back-off, ordering, and the store
//!   trait with its in-memory twin.
//! - [`site`]: the site, binding and fence as the relay describes them.
//! - [`RequestsWatch`]: when a heartbeat means the out-of-fence requests should be fetched again.
//! - [`upload`]: what a relay's answer means for a record (delivered, kept as an out-of-fence
//!   request, retry, re-authenticate, re-sign, stop, failed).
//!
//! Nothing here reads a clock or a socket; times are epoch milliseconds passed in.

pub mod clock;
mod fence_decision;
pub mod location;
pub mod outbox;
mod phone_frame;
mod record_id;
mod requests_watch;
mod sign_in;
pub mod site;
pub mod upload;

pub use fence_decision::{decide_fence, FenceDecision, FenceEvidence};
pub use phone_frame::{signed_frame, FrameError};
pub use record_id::record_id_from_random;
pub use requests_watch::RequestsWatch;
pub use sign_in::{ClockEvidence, DraftText, SignInDraft};
pub use zj_protocol::phone_api::{PhoneCredentials, UncertainPolicy};
