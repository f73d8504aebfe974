//! The simulated platform: what it knows (roster, tasks, sign-ins) and what it does with each
//! verified request. Every check of PROTOCOL.md is the protocol core's
//! [`PlatformHandler`]; this file only carries verified requests out.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::directory::SimDirectory;
use super::photo;
use super::tasks::{posted_person, TaskQueue};
use super::SimConfig;
use zj_protocol::json_form::JsonRequest;
use zj_protocol::params::{
    to_json_text, PageParam, PagePerson, PersonIds, PersonPage, PostPersonsParam, PostTaskParam,
    StatusReport, TaskIds, TaskList,
};
use zj_protocol::sign::RequestView;
use zj_protocol::wire::{RequestRef, Response};
use zj_protocol::{
    Apicode, Channel, ErrorCode, Param, PlatformHandler, ProtocolError, Reply, Verified,
};

/// A person added to the platform's roster (`POST /sim/persons`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPerson {
    /// The platform's person id.
    pub person_id: String,
    /// Name.
    pub name: String,
    /// Identity card number.
    pub idcard_no: Option<String>,
    /// Where the registered face photo is; when absent the simulator draws one and serves it
    /// at `/sim/photos/{personId}.jpg`.
    pub img_url: Option<String>,
}

/// A task for a device (`POST /sim/tasks`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTask {
    /// The device.
    pub sn: String,
    /// One of the six device task apicodes.
    pub apicode: String,
    /// Persons concerned (person tasks); all of the roster when absent.
    pub person_ids: Option<Vec<String>>,
    /// The task's own parameters: `{"excludeFields":"img"}` for `T_POST_DEVICE_PERSON`,
    /// `{"version","size","downloadUrl"}` for `T_UPDATE_DEVICE_VERSION`.
    pub param: Option<Map<String, Value>>,
}

/// Where a person's registered photo is: their own URL, or the simulator's drawing of them.
fn photo_url(base_url: &str, person: &NewPerson) -> String {
    (person.img_url.clone())
        .unwrap_or_else(|| format!("{base_url}/sim/photos/{}.jpg", person.person_id))
}

/// Roster counts a device last reported.
#[derive(Debug, Clone, Copy, Default)]
struct DeviceCounts {
    person_count: u64,
    face_count: u64,
}

/// The platform's state.
pub struct SimState {
    config: SimConfig,
    base_url: String,
    handler: PlatformHandler,
    directory: SimDirectory,
    persons: BTreeMap<String, NewPerson>,
    tasks: TaskQueue,
    signins: Vec<Value>,
    counts: HashMap<String, DeviceCounts>,
    sessions: HashMap<String, Sessions>,
}

/// The platform sessions of one sn: open TCP connections whose `C_AUTH` succeeded.
#[derive(Debug, Clone, Copy, Default)]
struct Sessions {
    /// Open now.
    open: u32,
    /// The most ever open at once since the simulator started.
    most: u32,
}

impl SimState {
    /// A platform with an empty roster. `base_url` is where its HTTP API is reachable (for
    /// photo URLs); `token_seed` must be random.
    pub fn new(config: SimConfig, base_url: String, token_seed: [u8; 32]) -> Self {
        Self {
            handler: PlatformHandler::new(config.limits, token_seed),
            directory: SimDirectory::new(config.credential.clone(), config.sns.clone()),
            config,
            base_url,
            persons: BTreeMap::new(),
            tasks: TaskQueue::default(),
            signins: Vec::new(),
            counts: HashMap::new(),
            sessions: HashMap::new(),
        }
    }

    /// Answers one TCP command frame.
    pub fn command(&mut self, request: &RequestRef<'_>, now_ms: i64) -> Response {
        self.handle(Channel::Command, &RequestView::from(request), now_ms)
            .to_response()
    }

    /// Answers one task API body: the reply JSON, and whether the body was a request object
    /// at all (HTTP 200) or not (HTTP 400).
    pub fn task(&mut self, body: &[u8], now_ms: i64) -> (bool, String) {
        match JsonRequest::parse(body) {
            Ok(request) => {
                let reply = self.handle(Channel::Task, &request.view(), now_ms);
                (true, reply.to_json_reply(Channel::Task).to_json())
            }
            Err(error) => {
                let reply = Reply::refusal("", error);
                (false, reply.to_json_reply(Channel::Task).to_json())
            }
        }
    }

    fn handle(&mut self, channel: Channel, request: &RequestView<'_>, now_ms: i64) -> Reply {
        match self
            .handler
            .verify(channel, request, &self.directory, now_ms)
        {
            Err(refusal) => refusal,
            Ok(verified) => {
                let result = self.carry_out(&verified, now_ms);
                self.handler.answer(&verified, result, now_ms)
            }
        }
    }

    fn carry_out(
        &mut self,
        v: &Verified<'_>,
        now_ms: i64,
    ) -> Result<Option<String>, ProtocolError> {
        let taskid = v.taskid;
        match &v.param {
            Param::None if v.apicode == Apicode::CAuth => Ok(None),
            Param::Heartbeat(_) => Ok(Some(to_json_text(&TaskIds {
                taskids: self.tasks.unfinished(v.sn),
            }))),
            Param::SignIn(_) => self.accept_sign_in(v, now_ms),
            Param::TaskIds(ids) => {
                let tasks = (ids.taskids.iter())
                    .map(|id| Ok(self.tasks.for_device(v.sn, Some(id), None)?.item()))
                    .collect::<Result<_, ProtocolError>>()?;
                Ok(Some(to_json_text(&TaskList { tasks })))
            }
            Param::StatusReport(report) => self.accept_report(v.sn, report),
            Param::Page(page) => self.person_page(v.sn, v.apicode, taskid, *page),
            Param::PostPersons(posted) => self.accept_posted(v.sn, taskid, posted),
            Param::None | Param::DeviceVersion(_) => {
                let task = self.tasks.for_device(v.sn, taskid, Some(v.apicode))?;
                Ok(match v.apicode {
                    Apicode::TDelDevicePerson => Some(to_json_text(&PersonIds {
                        person_ids: task.person_ids.clone(),
                    })),
                    _ => None,
                })
            }
        }
    }

    /// Stores a sign-in as the members received, with `img` replaced by the decoded size.
    fn accept_sign_in(
        &mut self,
        v: &Verified<'_>,
        now_ms: i64,
    ) -> Result<Option<String>, ProtocolError> {
        let bad = |why: &str| ProtocolError::with_detail(ErrorCode::ParamUnparsable, why);
        let param_prime = v
            .param_prime
            .as_ref()
            .map(|p| p.to_text())
            .unwrap_or_default();
        let mut members: Map<String, Value> =
            serde_json::from_str(&param_prime).map_err(|_| bad("param is not an object"))?;
        let img_bytes = match v.img() {
            None if v
                .param_prime
                .as_ref()
                .is_some_and(|p| p.removed_values().next().is_some()) =>
            {
                return Err(bad("img is not a string"))
            }
            None => 0,
            Some(img) => base64::engine::general_purpose::STANDARD
                .decode(img.as_bytes())
                .map_err(|_| bad("img is not base64"))?
                .len(),
        };
        let sn = v.sn;
        members.insert("imgBytes".into(), json!(img_bytes));
        members.insert("sn".into(), json!(sn));
        members.insert("receivedAt".into(), json!(now_ms));
        self.signins.push(Value::Object(members));
        Ok(None)
    }

    fn accept_report(
        &mut self,
        sn: &str,
        report: &StatusReport,
    ) -> Result<Option<String>, ProtocolError> {
        // Check every task before changing any, so a refused report changes nothing.
        for result in &report.task {
            self.tasks.for_device(sn, Some(&result.taskid), None)?;
        }
        for result in &report.task {
            self.tasks
                .for_device(sn, Some(&result.taskid), None)?
                .result = Some(result.clone());
        }
        self.counts.insert(
            sn.to_owned(),
            DeviceCounts {
                person_count: report.person_count,
                face_count: report.face_count,
            },
        );
        Ok(None)
    }

    fn person_page(
        &mut self,
        sn: &str,
        apicode: Apicode,
        taskid: Option<&str>,
        page: PageParam,
    ) -> Result<Option<String>, ProtocolError> {
        let page_size = self.config.page_size.max(1);
        let task = self.tasks.for_device(sn, taskid, Some(apicode))?;
        let total_page = task.person_ids.len().div_ceil(page_size).max(1);
        let current = page.current_page as usize;
        if current == 0 || current > total_page {
            return Err(ProtocolError::with_detail(
                ErrorCode::ParamUnparsable,
                format_args!("currentPage {current} is not within 1..={total_page}"),
            ));
        }
        let ids = task.person_ids.iter().skip((current - 1) * page_size);
        let data = (ids.take(page_size))
            .filter_map(|id| self.persons.get(id))
            .map(|person| PagePerson {
                person_id: person.person_id.clone(),
                name: person.name.clone(),
                img_urls: vec![photo_url(&self.base_url, person)],
                idcard_no: person.idcard_no.clone(),
            })
            .collect();
        Ok(Some(to_json_text(&PersonPage {
            data,
            current_page: page.current_page,
            total_page: total_page as u32,
        })))
    }

    fn accept_posted(
        &mut self,
        sn: &str,
        taskid: Option<&str>,
        posted: &PostPersonsParam,
    ) -> Result<Option<String>, ProtocolError> {
        let task = self
            .tasks
            .for_device(sn, taskid, Some(Apicode::TPostDevicePerson))?;
        let param: PostTaskParam = serde_json::from_str(&task.param).unwrap_or_default();
        let bad = |why: String| ProtocolError::with_detail(ErrorCode::ParamUnparsable, why);
        let mut persons = Vec::with_capacity(posted.data.len());
        for (index, person) in posted.data.iter().enumerate() {
            if let Some(field) = param.excluded().find(|field| person.contains_key(*field)) {
                return Err(bad(format!("data[{index}].{field} is in excludeFields")));
            }
            for required in ["personId", "name"] {
                if !person.get(required).is_some_and(Value::is_string) {
                    return Err(bad(format!("data[{index}].{required} is missing")));
                }
            }
            let img_bytes = match person.get("img") {
                None => None,
                Some(Value::String(img)) => Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(img)
                        .map_err(|_| bad(format!("data[{index}].img is not base64")))?
                        .len(),
                ),
                Some(_) => return Err(bad(format!("data[{index}].img is not a string"))),
            };
            persons.push(posted_person(person.clone(), img_bytes));
        }
        task.posted.insert(posted.current_page, persons);
        Ok(None)
    }

    /// Adds or replaces persons on the roster; returns the roster's size.
    pub fn add_persons(&mut self, persons: Vec<NewPerson>) -> usize {
        for person in persons {
            self.persons.insert(person.person_id.clone(), person);
        }
        self.persons.len()
    }

    /// Queues a task; the error says what is wrong with the request.
    pub fn add_task(&mut self, task: NewTask, now_ms: i64) -> Result<String, String> {
        if !self.directory.sns().contains(&task.sn) {
            return Err(format!("sn {} is not registered", task.sn));
        }
        let apicode = (task.apicode.parse::<Apicode>())
            .ok()
            .filter(|apicode| apicode.has_taskid())
            .ok_or_else(|| format!("{} is not a device task apicode", task.apicode))?;
        let person_ids = match task.person_ids {
            Some(ids) => ids,
            None => self.persons.keys().cloned().collect(),
        };
        if let Some(unknown) = (person_ids.iter())
            .filter(|_| apicode != Apicode::TDelDevicePerson)
            .find(|id| !self.persons.contains_key(*id))
        {
            return Err(format!("person {unknown} is not on the roster"));
        }
        let param = Value::Object(task.param.unwrap_or_default());
        if apicode == Apicode::TUpdateDeviceVersion {
            serde_json::from_value::<zj_protocol::params::DeviceVersion>(param.clone()).map_err(
                |e| {
                    format!(
                        "T_UPDATE_DEVICE_VERSION needs param {{version, size, downloadUrl}}: {e}"
                    )
                },
            )?;
        }
        let param = to_json_text(&param);
        Ok(self
            .tasks
            .create(&task.sn, apicode, person_ids, param, now_ms))
    }

    /// `GET /sim/tasks/{taskid}`.
    pub(crate) fn task_json(&self, taskid: &str) -> Option<Value> {
        self.tasks.get(taskid).map(|task| task.to_json())
    }

    /// `GET /sim/signins`: every accepted sign-in, oldest first.
    pub fn signins(&self) -> &[Value] {
        &self.signins
    }

    /// A TCP connection's `C_AUTH` for `sn` succeeded: one more session of `sn`.
    pub(crate) fn session_opened(&mut self, sn: &str) {
        let sessions = self.sessions.entry(sn.to_owned()).or_default();
        sessions.open += 1;
        sessions.most = sessions.most.max(sessions.open);
    }

    /// A TCP connection holding a session of `sn` closed (or authenticated as another sn).
    pub(crate) fn session_closed(&mut self, sn: &str) {
        if let Some(sessions) = self.sessions.get_mut(sn) {
            sessions.open = sessions.open.saturating_sub(1);
        }
    }

    /// `GET /sim/devices`: each registered sn's state.
    pub fn devices(&self, now_ms: i64) -> Value {
        let devices: Vec<Value> = (self.directory.sns().iter())
            .map(|sn| {
                let counts = self.counts.get(sn).copied().unwrap_or_default();
                let sessions = self.sessions.get(sn).copied().unwrap_or_default();
                json!({
                    "sessions": sessions.open,
                    "maxSessions": sessions.most,
                    "sn": sn,
                    "online": self.handler.is_online(sn, now_ms),
                    "lastHeartbeat": self.handler.last_heartbeat(sn),
                    "personCount": counts.person_count,
                    "faceCount": counts.face_count,
                })
            })
            .collect();
        Value::Array(devices)
    }

    /// The JPEG served for a roster person without an `imgUrl` of their own.
    pub fn photo(&self, person_id: &str) -> Option<Vec<u8>> {
        self.persons
            .get(person_id)
            .filter(|person| person.img_url.is_none())
            .map(|person| photo::face_jpeg(&person.person_id))
    }
}
