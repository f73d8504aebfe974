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

use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::config::TasksConfig;
use crate::platform::link::PlatformLink;
use crate::platform::task_api::{CallError, TaskApi};
use crate::store::roster;
use crate::store::tasks::{insert, set_state};
pub(crate) use crate::store::tasks::{page_done, record_version, rows, TaskRow, TaskState};
use crate::store::{Store, StoreError};
use zj_protocol::params::{to_json_text, StatusReport, TaskList, TaskResult, TaskStatus};
use zj_protocol::Apicode;

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
