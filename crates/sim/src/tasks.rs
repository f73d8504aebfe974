//! The simulator's task queue: tasks a platform operator (a test) creates for a device, listed
//! in heartbeats until the device reports a status.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use zj_protocol::params::{TaskItem, TaskResult};
use zj_protocol::{Apicode, ErrorCode, ProtocolError};

/// One queued task.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    /// 19-digit id, like the seed's examples.
    pub taskid: String,
    /// The device it is for.
    pub sn: String,
    /// What to do.
    pub apicode: Apicode,
    /// The persons concerned (person tasks), fixed when the task is created.
    pub person_ids: Vec<String>,
    /// The task's own parameters (JSON object text; `{}` when none).
    pub param: String,
    /// The device's report, once made.
    pub result: Option<TaskResult>,
    /// `T_POST_DEVICE_PERSON`: the persons received, by page, images replaced by their size.
    pub posted: BTreeMap<u32, Vec<Value>>,
}

impl Task {
    /// The task as `T_GET_TASKS` lists it.
    pub(crate) fn item(&self) -> TaskItem {
        TaskItem {
            taskid: self.taskid.clone(),
            apicode: self.apicode.as_str().to_owned(),
            param: self.param.clone(),
        }
    }

    /// The task as `GET /sim/tasks/{taskid}` shows it.
    pub(crate) fn to_json(&self) -> Value {
        let mut shown = json!({
            "taskid": self.taskid,
            "sn": self.sn,
            "apicode": self.apicode.as_str(),
            "status": self.result.as_ref().map(|r| u8::from(r.status)),
            "personIds": self.person_ids,
        });
        if let Some(result) = &self.result {
            shown["failedPersons"] = json!(result.failed_persons);
            shown["failedFaces"] = json!(result.failed_faces);
        }
        if self.apicode == Apicode::TPostDevicePerson {
            let persons: Vec<&Value> = self.posted.values().flatten().collect();
            shown["posted"] = json!(persons);
        }
        shown
    }
}

/// All tasks, by id.
#[derive(Debug, Default)]
pub(crate) struct TaskQueue {
    tasks: HashMap<String, Task>,
    order: Vec<String>,
    created: u64,
}

impl TaskQueue {
    /// Queues a task and returns its id, made from the time and a counter as a platform's
    /// snowflake ids are.
    pub(crate) fn create(
        &mut self,
        sn: &str,
        apicode: Apicode,
        person_ids: Vec<String>,
        param: String,
        now_ms: i64,
    ) -> String {
        self.created += 1;
        let id = (now_ms.max(0) as u64) << 22 | (self.created & 0x3f_ffff);
        let taskid = id.to_string();
        self.order.push(taskid.clone());
        self.tasks.insert(
            taskid.clone(),
            Task {
                taskid: taskid.clone(),
                sn: sn.to_owned(),
                apicode,
                person_ids,
                param,
                result: None,
                posted: BTreeMap::new(),
            },
        );
        taskid
    }

    /// A task by id.
    pub(crate) fn get(&self, taskid: &str) -> Option<&Task> {
        self.tasks.get(taskid)
    }

    /// Ids of `sn`'s tasks without a report, oldest first.
    pub(crate) fn unfinished(&self, sn: &str) -> Vec<String> {
        (self.order.iter())
            .filter(|id| self.tasks[*id].sn == sn && self.tasks[*id].result.is_none())
            .cloned()
            .collect()
    }

    /// The task `taskid`, checked to be `sn`'s and, when `apicode` is given, of that apicode;
    /// anything else is `400_02` saying which.
    pub(crate) fn for_device(
        &mut self,
        sn: &str,
        taskid: Option<&str>,
        apicode: Option<Apicode>,
    ) -> Result<&mut Task, ProtocolError> {
        let unknown = |why: String| ProtocolError::with_detail(ErrorCode::ParamUnparsable, why);
        let taskid = taskid.ok_or_else(|| unknown("taskid is missing".into()))?;
        let task = (self.tasks.get_mut(taskid))
            .filter(|task| task.sn == sn)
            .ok_or_else(|| unknown(format!("taskid {taskid} is not a task of sn {sn}")))?;
        match apicode {
            Some(apicode) if apicode != task.apicode => Err(unknown(format!(
                "task {taskid} is {}, not {apicode}",
                task.apicode
            ))),
            _ => Ok(task),
        }
    }
}

/// A `T_POST_DEVICE_PERSON` person as the simulator keeps it: every member as received, but
/// `img` replaced by `imgBytes`, the size of the decoded image.
pub(crate) fn posted_person(mut person: Map<String, Value>, img_bytes: Option<usize>) -> Value {
    person.remove("img");
    if let Some(size) = img_bytes {
        person.insert("imgBytes".into(), json!(size));
    }
    Value::Object(person)
}
