//! The device-session state machine driven against the platform-handler state machine in
//! memory, on a simulated clock (pure core; also runs as wasm).

use wasm_bindgen_test::wasm_bindgen_test;

use zj_protocol::json_form::ReplyError;
use zj_protocol::params::{to_json_text, TaskIds};
use zj_protocol::sign::RequestView;
use zj_protocol::wire::{Request, Response};
use zj_protocol::{
    Apicode, Channel, Credential, CredentialDirectory, DeviceConfig, DeviceSession, ErrorCode,
    HandlerConfig, NotAuthenticated, PlatformHandler, ProtocolError, RequestFailure, RequestId,
    SessionEvent, MAX_HEARTBEAT_INTERVAL_MS,
};

const SN: &str = "1388186";
/// 2026-11-22 12:00:00 in Beijing, Unix epoch milliseconds.
const START_MS: i64 = 1_795_320_000_000;
const SIGN_IN: &str = r#"{"personId":"p1","type":"64","img":"/9j/4AAQ","recordTime":1795320000000,"coordinate":{"longitude":120.15,"latitude":30.28}}"#;

fn credential() -> Credential {
    Credential {
        access_id: "vendor-id".into(),
        access_key: "vendor-key".into(),
        access_secret: "vendor-secret".into(),
    }
}

struct Directory {
    revoked: bool,
}

impl CredentialDirectory for Directory {
    fn credential(&self, access_id: &str) -> Option<Credential> {
        (!self.revoked && access_id == "vendor-id").then(credential)
    }
    fn owner_of(&self, sn: &str) -> Option<String> {
        (sn == SN).then(|| "vendor-id".to_owned())
    }
}

/// A device session and a platform handler joined by function calls: each sent frame is
/// answered by the handler, and the reply is fed back in order.
struct Link {
    device: DeviceSession,
    platform: PlatformHandler,
    directory: Directory,
    now_ms: i64,
    /// Task ids the platform lists in heartbeat replies.
    tasks: Vec<String>,
    /// Frames sent and not yet answered, for tests that hold replies back.
    held: Vec<Request>,
}

impl Link {
    fn new() -> Self {
        Self::with_interval(30_000)
    }

    fn with_interval(heartbeat_interval_ms: i64) -> Self {
        let mut device = DeviceSession::new(DeviceConfig {
            sn: SN.into(),
            credential: credential(),
            device_version: "zj-attendance 0.1".into(),
            device_ip: "192.168.1.11".into(),
            heartbeat_interval_ms,
        });
        device.connected();
        Self {
            device,
            platform: PlatformHandler::new(HandlerConfig::default(), [7; 32]),
            directory: Directory { revoked: false },
            now_ms: START_MS,
            tasks: Vec::new(),
            held: Vec::new(),
        }
    }

    /// The platform's answer to one frame.
    fn answer(&mut self, request: &Request) -> Response {
        let view = RequestView::from(request);
        match (self.platform).verify(Channel::Command, &view, &self.directory, self.now_ms) {
            Err(refusal) => refusal.to_response(),
            Ok(verified) => {
                let response = (verified.apicode == Apicode::CHeartbeat).then(|| {
                    to_json_text(&TaskIds {
                        taskids: self.tasks.clone(),
                    })
                });
                let reply = self.platform.answer(&verified, Ok(response), self.now_ms);
                reply.to_response()
            }
        }
    }

    /// Sends everything the device has to send, answering each frame; returns the apicodes
    /// sent, in order.
    fn pump(&mut self) -> Vec<String> {
        let mut sent = Vec::new();
        while let Some(request) = self.device.poll_transmit(self.now_ms) {
            sent.push(request.apicode.clone());
            let response = self.answer(&request);
            self.device
                .handle_response(response, self.now_ms)
                .expect("replies come in order");
        }
        sent
    }

    /// Takes every frame the device has to send without answering any.
    fn hold(&mut self) -> Vec<String> {
        let mut sent = Vec::new();
        while let Some(request) = self.device.poll_transmit(self.now_ms) {
            sent.push(request.apicode.clone());
            self.held.push(request);
        }
        sent
    }

    /// Answers the held frames in order.
    fn release(&mut self) {
        for request in std::mem::take(&mut self.held) {
            let response = self.answer(&request);
            self.device.handle_response(response, self.now_ms).unwrap();
        }
    }

    fn events(&mut self) -> Vec<SessionEvent> {
        std::iter::from_fn(|| self.device.poll_event()).collect()
    }

    fn completion(&mut self, id: RequestId) -> Result<String, RequestFailure> {
        self.events()
            .into_iter()
            .find_map(|event| match event {
                SessionEvent::Completed { id: done, result } if done == id => Some(result),
                _ => None,
            })
            .expect("the request completed")
    }
}

fn refused(code: ErrorCode) -> Result<String, RequestFailure> {
    Err(RequestFailure::Refused(ProtocolError::new(code)))
}

#[wasm_bindgen_test(unsupported = test)]
fn authenticates_then_heartbeats_then_sends_the_record() {
    let mut link = Link::new();
    link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    assert_eq!(link.pump(), ["C_AUTH", "C_HEARTBEAT", "C_SIGN_IN"]);
    assert_eq!(link.device.token().map(str::len), Some(32));
    assert_eq!(link.events()[0], SessionEvent::Authenticated);
    assert_eq!(link.device.outstanding(), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_submitted_record_completes_with_success() {
    let mut link = Link::new();
    let id = link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    link.pump();
    assert_eq!(link.completion(id), Ok(String::new()));
}

#[wasm_bindgen_test(unsupported = test)]
fn nothing_is_sent_before_connecting() {
    let mut link = Link::new();
    link.device.disconnected();
    link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    assert!(link.device.poll_transmit(link.now_ms).is_none());
    assert_eq!(link.device.poll_timeout(), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn requests_wait_for_the_token_then_are_pipelined() {
    let mut link = Link::new();
    for _ in 0..3 {
        link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    }
    assert_eq!(
        link.hold(),
        ["C_AUTH"],
        "nothing but C_AUTH until it is answered"
    );
    link.release();
    assert_eq!(
        link.hold(),
        ["C_HEARTBEAT", "C_SIGN_IN", "C_SIGN_IN", "C_SIGN_IN"],
        "all sent before any reply"
    );
    link.release();
    let completed = (link.events().into_iter())
        .filter(|e| matches!(e, SessionEvent::Completed { result: Ok(_), .. }))
        .count();
    assert_eq!(completed, 3);
}

#[wasm_bindgen_test(unsupported = test)]
fn each_frame_is_signed_with_the_time_it_is_sent() {
    let mut link = Link::new();
    link.pump();
    link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    link.now_ms += 4 * 3600 * 1000; // kept offline for hours: a fresh timeStamp anyway
    let request = link
        .device
        .poll_transmit(link.now_ms)
        .expect("heartbeat due");
    assert_eq!(request.apicode, "C_HEARTBEAT");
    assert_eq!(request.time_stamp, "20261122160000");
}

#[wasm_bindgen_test(unsupported = test)]
fn heartbeats_follow_the_interval() {
    let mut link = Link::new();
    link.pump();
    let due = link
        .device
        .poll_timeout()
        .expect("a heartbeat is scheduled");
    assert_eq!(due, START_MS + 30_000);
    link.now_ms = due - 1;
    assert!(link.pump().is_empty());
    link.now_ms = due;
    assert_eq!(link.pump(), ["C_HEARTBEAT"]);
    assert_eq!(link.device.poll_timeout(), Some(due + 30_000));
}

#[wasm_bindgen_test(unsupported = test)]
fn heartbeat_interval_stays_under_sixty_seconds() {
    let mut link = Link::with_interval(120_000);
    link.pump();
    let next = link
        .device
        .poll_timeout()
        .expect("a heartbeat is scheduled");
    assert_eq!(next, START_MS + MAX_HEARTBEAT_INTERVAL_MS);
    assert!(next - START_MS < 60_000);
}

#[wasm_bindgen_test(unsupported = test)]
fn heartbeat_reply_task_ids_become_an_event() {
    let mut link = Link::new();
    link.tasks = vec!["6543831380287827968".into()];
    link.pump();
    assert!(link
        .events()
        .contains(&SessionEvent::Tasks(vec!["6543831380287827968".into()])));
}

#[wasm_bindgen_test(unsupported = test)]
fn an_expired_token_is_renewed_and_the_request_replayed_once() {
    let mut link = Link::new();
    link.pump();
    link.events();
    // 31 idle minutes: the platform has forgotten the token.
    link.now_ms += 31 * 60 * 1000;
    let old_token = link.device.token().unwrap().to_owned();
    let id = link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    // Heartbeat and record go out together; both come back 401_01.
    assert_eq!(link.hold(), ["C_HEARTBEAT", "C_SIGN_IN"]);
    link.release();
    assert_eq!(link.pump(), ["C_AUTH", "C_HEARTBEAT", "C_SIGN_IN"]);
    assert_ne!(link.device.token(), Some(old_token.as_str()));
    assert_eq!(link.completion(id), Ok(String::new()));
}

/// Sends everything the device has to send; the platform answers `401_01` to the apicodes
/// in `refuse` and normally to the rest. Returns the apicodes sent.
fn pump_refusing(link: &mut Link, refuse: &[&str]) -> Vec<String> {
    let mut sent = Vec::new();
    while let Some(request) = link.device.poll_transmit(link.now_ms) {
        sent.push(request.apicode.clone());
        let response = if refuse.contains(&request.apicode.as_str()) {
            refusal_response(&request.apicode, ErrorCode::TokenUnknown)
        } else {
            link.answer(&request)
        };
        link.device.handle_response(response, link.now_ms).unwrap();
    }
    sent
}

#[wasm_bindgen_test(unsupported = test)]
fn a_second_token_refusal_is_final() {
    let mut link = Link::new();
    link.pump();
    let id = link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    assert_eq!(
        pump_refusing(&mut link, &["C_SIGN_IN"]),
        [
            "C_SIGN_IN",
            "C_AUTH",
            "C_HEARTBEAT",
            "C_SIGN_IN",
            "C_AUTH",
            "C_HEARTBEAT"
        ]
    );
    assert_eq!(link.completion(id), refused(ErrorCode::TokenUnknown));
}

#[wasm_bindgen_test(unsupported = test)]
fn fresh_tokens_that_are_refused_at_once_are_renewed_with_back_off() {
    let mut link = Link::new();
    link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    let refuse = ["C_HEARTBEAT", "C_SIGN_IN"];
    assert_eq!(pump_refusing(&mut link, &refuse), ["C_AUTH", "C_HEARTBEAT"]);
    let retry_at = link.device.poll_timeout().expect("a retry is scheduled");
    assert!(retry_at > link.now_ms, "no tight C_AUTH loop");
    link.now_ms = retry_at;
    assert_eq!(pump_refusing(&mut link, &refuse), ["C_AUTH", "C_HEARTBEAT"]);
    let second_retry_at = link.device.poll_timeout().unwrap();
    assert!(
        second_retry_at - link.now_ms > retry_at - START_MS,
        "the back-off grows"
    );
    assert_eq!(
        link.device.outstanding(),
        1,
        "the record is kept, not dropped"
    );
}

fn refusal_response(apicode: &str, code: ErrorCode) -> Response {
    Response {
        version: "v1.0.0".into(),
        success: false,
        apicode: apicode.into(),
        error: to_json_text(&ProtocolError::new(code)),
        response: String::new(),
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_permanent_refusal_completes_the_request() {
    let mut link = Link::new();
    let id = link.device.submit(
        Apicode::CSignIn,
        r#"{"personId":"p1","type":"5","recordTime":1}"#.into(),
    );
    link.pump();
    assert_eq!(
        link.completion(id),
        refused(ErrorCode::AttendanceTypeInvalid)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn refused_credentials_fail_the_queue_and_back_off() {
    let mut link = Link::new();
    link.directory.revoked = true;
    let id = link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    assert_eq!(link.pump(), ["C_AUTH"]);
    let events = link.events();
    assert!(events
        .iter()
        .any(|e| matches!(e, SessionEvent::AuthRefused(error)
        if error.code() == Some(ErrorCode::CredentialsRevoked))));
    assert!(events
        .iter()
        .any(|e| matches!(e, SessionEvent::Completed { id: done, result: Err(_) } if *done == id)));
    // No new attempt until the back-off ends, then one.
    let retry_at = link.device.poll_timeout().expect("a retry is scheduled");
    assert!(retry_at > link.now_ms);
    assert!(link.pump().is_empty());
    link.now_ms = retry_at;
    link.directory.revoked = false;
    assert_eq!(link.pump(), ["C_AUTH", "C_HEARTBEAT"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_lost_link_fails_what_was_in_flight_and_keeps_the_queue() {
    let mut link = Link::new();
    link.pump();
    let in_flight = link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    link.hold();
    let queued = link.device.submit(Apicode::CSignIn, SIGN_IN.into());
    link.held.clear();
    link.device.disconnected();
    assert_eq!(link.completion(in_flight), Err(RequestFailure::LinkLost));
    assert_eq!(link.device.outstanding(), 1);
    link.device.connected();
    assert_eq!(link.pump(), ["C_AUTH", "C_HEARTBEAT", "C_SIGN_IN"]);
    assert_eq!(link.completion(queued), Ok(String::new()));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_reply_nobody_asked_for_breaks_the_link() {
    let mut link = Link::new();
    let stray = refusal_response("C_SIGN_IN", ErrorCode::SystemError);
    assert!(link
        .device
        .handle_response(stray.clone(), link.now_ms)
        .is_err());
    link.hold(); // C_AUTH in flight
    assert!(
        link.device.handle_response(stray, link.now_ms).is_err(),
        "a C_SIGN_IN reply cannot answer C_AUTH"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn task_requests_need_a_token_and_verify_at_the_platform() {
    let mut link = Link::new();
    let param = r#"{"taskids":["1"]}"#;
    assert_eq!(
        link.device
            .task_request(Apicode::TGetTasks, None, Some(param)),
        Err(NotAuthenticated)
    );
    link.pump();
    let body = (link.device)
        .task_request(Apicode::TGetTasks, None, Some(param))
        .unwrap();
    let request = zj_protocol::json_form::JsonRequest::parse(body.as_bytes()).unwrap();
    let verified = (link.platform)
        .verify(Channel::Task, &request.view(), &link.directory, link.now_ms)
        .expect("the platform accepts the device's signature");
    assert_eq!(verified.apicode, Apicode::TGetTasks);
}

#[wasm_bindgen_test(unsupported = test)]
fn task_replies_are_checked_and_an_expired_token_is_dropped() {
    let mut link = Link::new();
    link.pump();
    let body = (link.device)
        .task_request(Apicode::TClearDevicePerson, Some("42"), None)
        .unwrap();
    let request = zj_protocol::json_form::JsonRequest::parse(body.as_bytes()).unwrap();
    let verified = (link.platform)
        .verify(Channel::Task, &request.view(), &link.directory, link.now_ms)
        .unwrap();
    let reply = link.platform.answer(&verified, Ok(None), link.now_ms);
    let reply_body = reply.to_json_reply(Channel::Task).to_json();
    assert_eq!(
        link.device
            .task_reply(Apicode::TClearDevicePerson, reply_body.as_bytes()),
        Ok("{}".into())
    );
    let tampered = reply_body.replace("\"42\"", "\"43\"");
    assert_eq!(
        link.device
            .task_reply(Apicode::TClearDevicePerson, tampered.as_bytes()),
        Err(ReplyError::BadSignature)
    );
    link.now_ms += 31 * 60 * 1000;
    let refusal = (link.platform)
        .verify(Channel::Task, &request.view(), &link.directory, link.now_ms)
        .unwrap_err();
    let refusal_body = refusal.to_json_reply(Channel::Task).to_json();
    assert!(matches!(
        link.device.task_reply(Apicode::TClearDevicePerson, refusal_body.as_bytes()),
        Err(ReplyError::Refused(error)) if error.code() == Some(ErrorCode::TokenUnknown)
    ));
    assert_eq!(
        link.device.token(),
        None,
        "the session re-authenticates next"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn platform_marks_devices_online_by_heartbeat() {
    let mut link = Link::new();
    assert!(!link.platform.is_online(SN, link.now_ms));
    link.pump();
    assert!(link.platform.is_online(SN, link.now_ms));
    assert!(!link.platform.is_online(SN, link.now_ms + 60_000));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_failed_request_does_not_keep_the_token_alive() {
    let mut link = Link::new();
    link.pump();
    let token = link.device.token().unwrap().to_owned();
    // A bad signature every 9 minutes: refused with 400_04 each time, and the token still
    // dies 30 minutes after its last successful use.
    for _ in 0..3 {
        link.now_ms += 9 * 60 * 1000;
        let mut forged = link
            .device
            .poll_transmit(link.now_ms)
            .expect("heartbeat due");
        forged.sign = "0".repeat(32);
        assert_eq!(forged.token, token);
        let reply = link.answer(&forged);
        assert!(reply.error.contains(ErrorCode::SignMismatch.as_str()));
        link.device.handle_response(reply, link.now_ms).unwrap();
    }
    link.now_ms = START_MS + 30 * 60 * 1000;
    let heartbeat = link.device.poll_transmit(link.now_ms);
    let reply = link.answer(&heartbeat.unwrap());
    assert!(reply.error.contains(ErrorCode::TokenUnknown.as_str()));
}
