//! Enrollment: a site manager makes a one-time code; a phone redeems it at `POST /v1/enroll`
//! for credentials of its own, bound to the site and either to one person (a personal phone)
//! or to the site's roster (a team phone, whose holder picks the worker).

use rand::Rng;
use serde::Serialize;
use serde_json::json;

use crate::keys::random_hex;
use crate::sites;
pub(crate) use crate::store::enrollments::{phone_enrollment, phone_site, site_phones, PhoneSite};
use crate::store::Tx;
use crate::store::{add_phone, Phone, StoreError};
use crate::store::{enrollments, manager_actions, site_persons};
use zj_protocol::phone_api::Binding;

/// Characters of a code: no 0/O, 1/I/L, so it can be read aloud and typed.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a code (31^10 ≈ 8·10^14 codes), shown as `XXXXX-XXXXX`.
const CODE_LEN: usize = 10;

/// A new enrollment code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCode {
    /// The code, `XXXXX-XXXXX`.
    pub code: String,
    /// When it stops working, epoch milliseconds.
    pub expires_at_ms: i64,
}

fn random_code() -> String {
    let mut rng = rand::rng();
    let chars: String = (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..CODE_LEN / 2], &chars[CODE_LEN / 2..])
}

/// A code as typed: upper case, without spaces or dashes, then dashed again.
pub(crate) fn normalise_code(typed: &str) -> String {
    let chars: String = (typed.chars())
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() == CODE_LEN {
        format!("{}-{}", &chars[..CODE_LEN / 2], &chars[CODE_LEN / 2..])
    } else {
        chars
    }
}

/// Why no enrollment code was made. The message (`Display`) is plain Chinese saying what to
/// change; the HTTP edge adds the status and code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    /// No such site.
    #[error("找不到工地 {0}，请检查后重试。")]
    SiteUnknown(String),
    /// A team code was given a person.
    #[error("班组手机（team）不绑定 personId，请去掉 personId")]
    TeamWithPerson,
    /// A personal code without its person.
    #[error("个人手机（personal）需要 personId")]
    PersonalWithoutPerson,
    /// The person is not on the roster of the site's sn.
    #[error("人员 {0} 不在该工地的花名册上，请先在平台下发人员后再试。")]
    PersonUnknown(String),
    /// A lifetime of 0 minutes.
    #[error("ttlMinutes 必须大于 0")]
    NoLifetime,
    /// A lifetime longer than the configured maximum (minutes).
    #[error("ttlMinutes 最多 {0}（{days} 天），请缩短登记码的有效期", days = .0 / (24 * 60))]
    LifetimeTooLong(u32),
}

/// The lifetime of a new code, minutes: `asked`, else `default`; refused past `max`.
pub(crate) fn lifetime(asked: Option<u32>, default: u32, max: u32) -> Result<u32, CodeRefusal> {
    let minutes = asked.unwrap_or(default);
    if minutes > max {
        return Err(CodeRefusal::LifetimeTooLong(max));
    }
    Ok(minutes)
}

/// Makes a code for `site_id`: checked against the site and, for a personal phone, the
/// person on the site's roster.
pub(crate) fn create_code(
    tx: &Tx<'_>,
    site_id: &str,
    binding: Binding,
    person_id: Option<&str>,
    ttl_minutes: u32,
    now_ms: i64,
) -> Result<Result<NewCode, CodeRefusal>, StoreError> {
    let Some(site) = sites::get(tx, site_id)? else {
        return Ok(Err(CodeRefusal::SiteUnknown(site_id.to_owned())));
    };
    let person_id = match (binding, person_id) {
        (Binding::Team, None) => None,
        (Binding::Team, Some(_)) => return Ok(Err(CodeRefusal::TeamWithPerson)),
        (Binding::Personal, None) => return Ok(Err(CodeRefusal::PersonalWithoutPerson)),
        (Binding::Personal, Some(person_id)) => {
            if !site_persons::on_roster(tx, site_id, &site.sn, person_id)? {
                return Ok(Err(CodeRefusal::PersonUnknown(person_id.to_owned())));
            }
            Some(person_id)
        }
    };
    if ttl_minutes == 0 {
        return Ok(Err(CodeRefusal::NoLifetime));
    }
    let new = NewCode {
        code: random_code(),
        expires_at_ms: now_ms + i64::from(ttl_minutes) * 60_000,
    };
    let code = enrollments::NewEnrollment {
        code: &new.code,
        site_id,
        binding,
        person_id,
        created_ms: now_ms,
        expires_ms: new.expires_at_ms,
    };
    enrollments::insert(tx, &code)?;
    Ok(Ok(new))
}

/// Characters of an enrollment code the log of manager actions keeps (`codeEnd`): enough to
/// tell codes apart, too few to redeem one (the code is a one-time secret).
const LOGGED_CODE_CHARS: usize = 4;

/// [`create_code`], and when a code is made, its
/// `enrollment.create` record by account `by` (binding, person, expiry and the code's last
/// [`LOGGED_CODE_CHARS`] characters) in the same transaction.
pub(crate) fn create_recorded_code(
    tx: &Tx<'_>,
    by: &str,
    site_id: &str,
    binding: Binding,
    person_id: Option<&str>,
    ttl_minutes: u32,
    now_ms: i64,
) -> Result<Result<NewCode, CodeRefusal>, StoreError> {
    let made = create_code(tx, site_id, binding, person_id, ttl_minutes, now_ms)?;
    if let Ok(code) = &made {
        let code_end = &code.code[code.code.len().saturating_sub(LOGGED_CODE_CHARS)..];
        let detail = json!({"binding": binding, "personId": person_id,
            "expiresAtMs": code.expires_at_ms, "codeEnd": code_end});
        let site_id = Some(site_id);
        manager_actions::record(tx, by, site_id, "enrollment.create", detail, now_ms)?;
    }
    Ok(made)
}

/// The account name `relay enroll` records its codes under in the log of manager actions.
const COMMAND_LINE: &str = "relay enroll";

/// Why `relay enroll` made no code.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The store could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request was refused (unknown site, bad binding, person not on the roster).
    #[error(transparent)]
    Refused(CodeRefusal),
}

/// `relay enroll`: makes a code in the store at `store` (the relay may be running), recorded
/// as made by [`COMMAND_LINE`].
pub async fn issue_code(
    store: &crate::store::StoreLocation,
    site_id: &str,
    binding: Binding,
    person_id: Option<&str>,
    ttl_minutes: u32,
) -> Result<NewCode, IssueError> {
    let (store, _) = crate::store::Store::open_at(store, false)?;
    let site_id = site_id.to_owned();
    let person_id = person_id.map(str::to_owned);
    let now = zj_host::system_clock::now_ms();
    let made = store
        .run(move |tx| {
            let person_id = person_id.as_deref();
            create_recorded_code(
                tx,
                COMMAND_LINE,
                &site_id,
                binding,
                person_id,
                ttl_minutes,
                now,
            )
        })
        .await?;
    made.map_err(IssueError::Refused)
}

/// Why a code was not redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// No such code.
    Unknown,
    /// Past its expiry.
    Expired,
    /// Already redeemed.
    Used,
}

/// Redeems `code`: in one transaction, the phone's new credentials, its binding, and the code
/// marked used. Returns the phone and its site.
pub(crate) fn redeem(
    tx: &Tx<'_>,
    code: &str,
    now_ms: i64,
) -> Result<Result<(Phone, sites::Site), Refused>, StoreError> {
    let Some(found) = enrollments::find(tx, code)? else {
        return Ok(Err(Refused::Unknown));
    };
    if found.used_ms.is_some() {
        return Ok(Err(Refused::Used));
    }
    if now_ms >= found.expires_ms {
        return Ok(Err(Refused::Expired));
    }
    let Some(site) = sites::get(tx, &found.site_id)? else {
        return Ok(Err(Refused::Unknown));
    };
    let phone = Phone {
        access_id: format!("phone-{}", random_hex(8)),
        access_key: random_hex(16),
        access_secret: random_hex(16),
        sn: format!("PHONE-{}", random_hex(6).to_uppercase()),
        platform_sn: site.sn.clone(),
        revoked: false,
    };
    // Marked first, and only if still unused: another relay redeeming the same code at the
    // same moment is refused here rather than enrolling a second phone.
    if !enrollments::mark_used(tx, code, &phone.access_id, now_ms)? {
        return Ok(Err(Refused::Used));
    }
    add_phone(tx, &phone)?;
    let binding = PhoneSite {
        site_id: found.site_id,
        binding: found.binding,
        person_id: found.person_id,
    };
    enrollments::bind_phone(tx, &phone.access_id, &binding, now_ms)?;
    Ok(Ok((phone, site)))
}
