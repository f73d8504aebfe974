//! The platform's tasks for one sn, carried out by the relay as the attendance device it is to
//! the platform: heartbeat task ids → `T_GET_TASKS` → each task (see [`task_work`]) →
//! `T_UPDATE_TASKS_STATUS` with the roster counts.
//!
//! Exactly once across restarts: each task is a row in the store, written when it is first
//! fetched; a paged task records its next page in the same transaction as the page's persons;
//! a finished task keeps its result until the platform has accepted the report. So a task id
//! listed again is never carried out twice, and a relay stopped in the middle of a task goes on
//! from the page it had reached.
//!
//! [`task_work`]: crate::platform::task_work

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{params, Transaction};
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::config::TasksConfig;
use crate::platform::link::PlatformLink;
use crate::platform::roster;
use crate::platform::task_api::{CallError, TaskApi};
use crate::store::{Store, StoreError};
use zj_host::system_clock::now_ms;
use zj_protocol::params::{to_json_text, Failure, StatusReport, TaskList, TaskResult, TaskStatus};
use zj_protocol::Apicode;

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// Fetched, not finished: carried out (or resumed) at the next round.
    Running,
    /// Finished; the result waits for the platform to accept the report.
    Done,
    /// The platform accepted the report.
    Reported,
}

/// A task as the store keeps it.
#[derive(Debug, Clone)]
pub(crate) struct TaskRow {
    /// Task id.
    pub taskid: String,
    /// Its apicode text, as `T_GET_TASKS` gave it.
    pub apicode: String,
    /// The task's own parameters (JSON object text, or empty).
    pub param: String,
    /// Where it stands.
    pub state: TaskState,
    /// The next page to fetch or post, from 1.
    pub next_page: u32,
    /// Pages in all, once known.
    pub total_pages: Option<u32>,
    /// The result, once done.
    pub status: Option<TaskStatus>,
    /// Persons not registered so far.
    pub failed_persons: Vec<Failure>,
    /// Faces not registered so far.
    pub failed_faces: Vec<Failure>,
}

fn state_text(state: TaskState) -> &'static str {
    match state {
        TaskState::Running => "running",
        TaskState::Done => "done",
        TaskState::Reported => "reported",
    }
}

/// The stored rows of `sn`'s tasks among `taskids`.
pub(crate) fn rows(
    tx: &Transaction<'_>,
    sn: &str,
    taskids: &[String],
) -> Result<HashMap<String, TaskRow>, StoreError> {
    let mut statement = tx.prepare(
        "SELECT taskid, apicode, param, state, next_page, total_pages, status, failed_persons,
                failed_faces
         FROM tasks WHERE sn = ?1 AND taskid = ?2",
    )?;
    let mut found = HashMap::new();
    for taskid in taskids {
        let mut rows = statement.query(params![sn, taskid])?;
        if let Some(row) = rows.next()? {
            let state = match row.get::<_, String>(3)?.as_str() {
                "running" => TaskState::Running,
                "done" => TaskState::Done,
                _ => TaskState::Reported,
            };
            let status: Option<u8> = row.get(6)?;
            let failures = |text: String| serde_json::from_str(&text).unwrap_or_default();
            found.insert(
                taskid.clone(),
                TaskRow {
                    taskid: row.get(0)?,
                    apicode: row.get(1)?,
                    param: row.get(2)?,
                    state,
                    next_page: row.get(4)?,
                    total_pages: row.get(5)?,
                    status: status.and_then(|s| TaskStatus::try_from(s).ok()),
                    failed_persons: failures(row.get(7)?),
                    failed_faces: failures(row.get(8)?),
                },
            );
        }
    }
    Ok(found)
}

/// Records a task fetched with `T_GET_TASKS` (a task already known is left as it is).
fn insert(
    tx: &Transaction<'_>,
    sn: &str,
    taskid: &str,
    apicode: &str,
    param: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO tasks (sn, taskid, apicode, param, state, updated_ms)
         VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
        params![sn, taskid, apicode, param, now_ms()],
    )?;
    Ok(())
}

/// Records a page carried out: the next page, the pages in all, and the page's failures
/// added to the task's.
pub(crate) fn page_done(
    tx: &Transaction<'_>,
    sn: &str,
    taskid: &str,
    next_page: u32,
    total_pages: u32,
    failed_persons: &[Failure],
    failed_faces: &[Failure],
) -> Result<(), StoreError> {
    let known = rows(tx, sn, &[taskid.to_owned()])?;
    let row = known
        .get(taskid)
        .ok_or_else(|| StoreError::new(format!("task {taskid} is not recorded")))?;
    let joined = |held: &[Failure], new: &[Failure]| {
        to_json_text(&held.iter().chain(new).collect::<Vec<_>>())
    };
    tx.execute(
        "UPDATE tasks SET next_page = ?3, total_pages = ?4, failed_persons = ?5,
                          failed_faces = ?6, updated_ms = ?7
         WHERE sn = ?1 AND taskid = ?2",
        params![
            sn,
            taskid,
            next_page,
            total_pages,
            joined(&row.failed_persons, failed_persons),
            joined(&row.failed_faces, failed_faces),
            now_ms()
        ],
    )?;
    Ok(())
}

fn set_state(
    tx: &Transaction<'_>,
    sn: &str,
    taskid: &str,
    state: TaskState,
    status: Option<TaskStatus>,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE tasks SET state = ?3, status = COALESCE(?4, status), updated_ms = ?5
         WHERE sn = ?1 AND taskid = ?2",
        params![
            sn,
            taskid,
            state_text(state),
            status.map(u8::from),
            now_ms()
        ],
    )?;
    Ok(())
}

/// Records the firmware version a `T_UPDATE_DEVICE_VERSION` task offered.
pub(crate) fn record_version(
    tx: &Transaction<'_>,
    sn: &str,
    taskid: &str,
    version: &zj_protocol::params::DeviceVersion,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO device_versions (sn, version, size, download_url, taskid, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (sn) DO UPDATE SET version = excluded.version, size = excluded.size,
             download_url = excluded.download_url, taskid = excluded.taskid,
             updated_ms = excluded.updated_ms",
        params![
            sn,
            version.version,
            version.size as i64,
            version.download_url,
            taskid,
            now_ms()
        ],
    )?;
    Ok(())
}

/// Called with the sn whenever a task changed its roster (MR860 logs waiting for a person are
/// retried then).
pub(crate) type RosterChanged = Arc<dyn Fn(&str) + Send + Sync>;

/// Carries out one sn's tasks.
#[derive(Clone)]
pub(crate) struct TaskRunner {
    /// The task API, as this sn.
    pub api: TaskApi,
    /// The client photos are fetched with.
    pub photos: reqwest::Client,
    /// The store.
    pub store: Store,
    /// Limits.
    pub config: TasksConfig,
    /// Told when the roster changed.
    pub roster_changed: RosterChanged,
}

impl TaskRunner {
    /// Runs until `stop` turns true: a round at each heartbeat that lists task ids.
    pub(crate) fn spawn(
        self,
        link: &PlatformLink,
        mut stop: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        let mut pending = link.pending_tasks();
        let token = link.token();
        tokio::spawn(async move {
            loop {
                let taskids = pending.borrow_and_update().clone();
                let token = token.borrow().clone();
                if let (false, Some(token)) = (taskids.is_empty(), token) {
                    tokio::select! {
                        _ = stop.changed() => return,
                        done = self.round(&token, &taskids) => if let Err(error) = done {
                            warn!(sn = %self.api.sn, %error, "platform tasks: will try again at the next heartbeat");
                        },
                    }
                }
                tokio::select! {
                    _ = stop.changed() => return,
                    changed = pending.changed() => if changed.is_err() { return },
                }
            }
        })
    }

    async fn rows(&self, taskids: &[String]) -> Result<HashMap<String, TaskRow>, StoreError> {
        let (sn, taskids) = (self.api.sn.clone(), taskids.to_vec());
        self.store.run(move |tx| rows(tx, &sn, &taskids)).await
    }

    /// One round over the task ids a heartbeat listed.
    async fn round(&self, token: &str, taskids: &[String]) -> Result<(), String> {
        let sn = self.api.sn.clone();
        let known = self.rows(taskids).await.map_err(|e| e.to_string())?;
        let unknown: Vec<String> = (taskids.iter())
            .filter(|id| !known.contains_key(*id))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            self.fetch(token, unknown).await?;
        }
        let known = self.rows(taskids).await.map_err(|e| e.to_string())?;
        for taskid in taskids {
            let Some(row) = known.get(taskid).filter(|r| r.state == TaskState::Running) else {
                continue;
            };
            let status = match self.carry_out(token, row).await {
                Ok(status) => status,
                Err(CallError::Transient(why)) => return Err(why),
                Err(CallError::Failed(why)) => {
                    error!(%sn, taskid, apicode = %row.apicode, %why, "platform task failed");
                    TaskStatus::Failed
                }
            };
            let (sn, taskid) = (sn.clone(), taskid.clone());
            (self.store)
                .run(move |tx| set_state(tx, &sn, &taskid, TaskState::Done, Some(status)))
                .await
                .map_err(|e| e.to_string())?;
            (self.roster_changed)(&self.api.sn);
        }
        self.report(token, taskids).await
    }

    /// `T_GET_TASKS` for ids not seen before; records them. A reply that cannot be trusted
    /// fails them all.
    async fn fetch(&self, token: &str, unknown: Vec<String>) -> Result<(), String> {
        let param = to_json_text(&json!({ "taskids": unknown }));
        let listed = match self
            .api
            .call(token, Apicode::TGetTasks, None, Some(&param))
            .await
        {
            Ok(text) => serde_json::from_str::<TaskList>(&text)
                .map_err(|e| CallError::Failed(format!("T_GET_TASKS reply: {e}"))),
            Err(error) => Err(error),
        };
        let sn = self.api.sn.clone();
        match listed {
            Ok(list) => {
                let tasks: Vec<_> = (list.tasks.into_iter())
                    .filter(|task| unknown.contains(&task.taskid))
                    .collect();
                info!(%sn, count = tasks.len(), "platform tasks fetched");
                (self.store)
                    .run(move |tx| {
                        for task in &tasks {
                            insert(tx, &sn, &task.taskid, &task.apicode, &task.param)?;
                        }
                        Ok(())
                    })
                    .await
            }
            Err(CallError::Transient(why)) => return Err(why),
            Err(CallError::Failed(why)) => {
                error!(%sn, ?unknown, %why, "T_GET_TASKS failed: the tasks are reported failed");
                (self.store)
                    .run(move |tx| {
                        for taskid in &unknown {
                            insert(tx, &sn, taskid, "", "")?;
                            set_state(tx, &sn, taskid, TaskState::Done, Some(TaskStatus::Failed))?;
                        }
                        Ok(())
                    })
                    .await
            }
        }
        .map_err(|e| e.to_string())
    }

    /// `T_UPDATE_TASKS_STATUS` for every listed task that is finished, with the roster counts.
    async fn report(&self, token: &str, taskids: &[String]) -> Result<(), String> {
        let known = self.rows(taskids).await.map_err(|e| e.to_string())?;
        let task: Vec<TaskResult> = (taskids.iter())
            .filter_map(|id| known.get(id))
            .filter(|row| row.state != TaskState::Running)
            .map(|row| TaskResult {
                taskid: row.taskid.clone(),
                status: row.status.unwrap_or(TaskStatus::Failed),
                failed_persons: row.failed_persons.clone(),
                failed_faces: row.failed_faces.clone(),
            })
            .collect();
        if task.is_empty() {
            return Ok(());
        }
        let sn = self.api.sn.clone();
        let counted = sn.clone();
        let (person_count, face_count) = (self.store)
            .run(move |tx| roster::counts(tx, &counted))
            .await
            .map_err(|e| e.to_string())?;
        let ids: Vec<String> = task.iter().map(|t| t.taskid.clone()).collect();
        let report = StatusReport {
            task,
            person_count,
            face_count,
        };
        let param = to_json_text(&report);
        let call = self
            .api
            .call(token, Apicode::TUpdateTasksStatus, None, Some(&param));
        match call.await {
            Ok(_) => {
                info!(%sn, tasks = ?ids, person_count, face_count, "platform tasks reported");
                (self.store)
                    .run(move |tx| {
                        for taskid in &ids {
                            set_state(tx, &sn, taskid, TaskState::Reported, None)?;
                        }
                        Ok(())
                    })
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(CallError::Transient(why)) => Err(why),
            Err(CallError::Failed(why)) => {
                error!(%sn, tasks = ?ids, %why, "the task report was not accepted; it is sent again at the next heartbeat");
                Ok(())
            }
        }
    }
}
