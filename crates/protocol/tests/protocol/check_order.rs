//! PROTOCOL.md §8's check order as cases that every transport must answer alike: the
//! simulator's TCP commands and `POST /api/device`, the relay's `/v1/frame` and `/v1/link`, and
//! the protocol core's platform handler under all of them.
//!
//! The apicode is checked right after `version` and `sn`, because which other fields are
//! required depends on it: an empty apicode is `402_04` and an unknown one `400_01` whatever
//! else is missing.
#![allow(dead_code)]

use zj_protocol::wire::Request;
use zj_protocol::{Apicode, Channel};

/// One request and the §8 code it must be refused with.
pub struct OrderCase {
    /// What is wrong with the request, for failure messages.
    pub name: String,
    /// The request, as a frame (an empty field is a missing one).
    pub request: Request,
    /// The expected `errorcode`.
    pub code: &'static str,
}

/// A field of a request that a case may leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Version,
    Sn,
    Apicode,
    Token,
    AccessId,
    AccessKey,
    TimeStamp,
    Param,
    Sign,
}

fn clear(request: &mut Request, field: Field) {
    let text = match field {
        Field::Version => &mut request.version,
        Field::Sn => &mut request.sn,
        Field::Apicode => &mut request.apicode,
        Field::Token => &mut request.token,
        Field::AccessId => &mut request.access_id,
        Field::AccessKey => &mut request.access_key,
        Field::TimeStamp => &mut request.time_stamp,
        Field::Param => &mut request.param,
        Field::Sign => &mut request.sign,
    };
    text.clear();
}

/// An apicode that no channel knows.
pub const UNKNOWN_APICODE: &str = "C_NOPE";

/// An apicode known, but on the other channel than `channel`.
pub fn other_channels_apicode(channel: Channel) -> &'static str {
    match channel {
        Channel::Command => Apicode::TGetTasks.as_str(),
        Channel::Task => Apicode::CHeartbeat.as_str(),
    }
}

/// The fields §8 requires, in its order of checks, each with the code its absence gets.
fn required_in_order(channel: Channel) -> Vec<(Field, &'static str)> {
    let mut fields = vec![
        (Field::Version, "402_01"),
        (Field::Sn, "402_02"),
        (Field::Apicode, "402_04"),
        (Field::Token, "402_03"),
    ];
    if channel == Channel::Command {
        fields.push((Field::TimeStamp, "402_05"));
    }
    fields.extend([(Field::Param, "402_06"), (Field::Sign, "402_07")]);
    fields
}

/// One case per step of §8's order: the request loses that step's field and every later one,
/// and the step's code is the answer; between the apicode and the token, an unknown apicode
/// and another channel's, with every later field missing, are `400_01`. `valid` is a request
/// that `channel` accepts and that requires a token, a param and a sign (a `C_HEARTBEAT` or
/// `C_SIGN_IN` on commands, `T_GET_TASKS` on tasks).
pub fn each_step_of_the_order(channel: Channel, valid: &Request) -> Vec<OrderCase> {
    let fields = required_in_order(channel);
    let without = |from: usize| {
        let mut request = valid.clone();
        for (field, _) in &fields[from..] {
            clear(&mut request, *field);
        }
        if request == Request::default() {
            // An empty frame is a framing error (§2, `400_02`), not a missing version: an
            // accessId, which only `C_AUTH` reads, keeps it a message.
            request.access_id = "not-read".to_owned();
        }
        request
    };
    let mut cases: Vec<OrderCase> = (0..fields.len())
        .map(|step| OrderCase {
            name: format!(
                "{channel:?}: {:?} and every later field missing",
                fields[step].0
            ),
            request: without(step),
            code: fields[step].1,
        })
        .collect();
    let after_apicode = 1 + fields
        .iter()
        .position(|(f, _)| *f == Field::Apicode)
        .unwrap();
    for apicode in [UNKNOWN_APICODE, other_channels_apicode(channel)] {
        let mut request = without(after_apicode);
        request.apicode = apicode.to_owned();
        cases.push(OrderCase {
            name: format!("{channel:?}: apicode {apicode} and every later field missing"),
            request,
            code: "400_01",
        });
    }
    cases
}

/// An empty, an unknown and another channel's apicode, each with every combination of a
/// missing token, accessId and accessKey: `402_04`, `400_01` and `400_01`, whatever else is
/// missing. `auth` is a complete `C_AUTH` (it gains `token` as the present token).
pub fn apicode_before_the_fields_it_requires(
    channel: Channel,
    auth: &Request,
    token: &str,
) -> Vec<OrderCase> {
    let apicodes = [
        ("empty", "", "402_04"),
        ("unknown", UNKNOWN_APICODE, "400_01"),
        (
            "of the other channel",
            other_channels_apicode(channel),
            "400_01",
        ),
    ];
    let optional = [Field::Token, Field::AccessId, Field::AccessKey];
    let mut cases = Vec::new();
    for (what, apicode, code) in apicodes {
        for subset in 0..1u8 << optional.len() {
            let mut request = auth.clone();
            request.apicode = apicode.to_owned();
            request.token = token.to_owned();
            let missing: Vec<Field> = (optional.iter().enumerate())
                .filter(|(bit, _)| subset & (1 << bit) != 0)
                .map(|(_, field)| *field)
                .collect();
            for field in &missing {
                clear(&mut request, *field);
            }
            cases.push(OrderCase {
                name: format!("{channel:?}: apicode {what} ({apicode:?}), missing {missing:?}"),
                request,
                code,
            });
        }
    }
    cases
}

/// Every case of this module for `channel`.
pub fn all_cases(channel: Channel, valid: &Request, auth: &Request, token: &str) -> Vec<OrderCase> {
    let mut cases = each_step_of_the_order(channel, valid);
    cases.extend(apicode_before_the_fields_it_requires(channel, auth, token));
    cases
}

/// Asserts that each case got its code (`answers` pairs each case with the `errorcode` a
/// transport replied with), reporting every mismatch at once.
pub fn assert_answers(answers: Vec<(OrderCase, Option<String>)>) {
    let total = answers.len();
    let mismatches: Vec<String> = (answers.into_iter())
        .filter(|(case, got)| got.as_deref() != Some(case.code))
        .map(|(case, got)| format!("{}: expected {}, got {got:?}", case.name, case.code))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {total} cases answered out of §8's order:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
