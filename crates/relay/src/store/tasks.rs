//! The tasks and device_versions tables: each platform task the relay fetched, page by page,
//! with its failures and result, and the firmware version a task offered.

use std::collections::HashMap;

use super::StoreError;
use crate::args;
use crate::store::Tx;
use zj_host::system_clock::now_ms;
use zj_protocol::params::{to_json_text, Failure, TaskStatus};

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
    tx: &Tx<'_>,
    sn: &str,
    taskids: &[String],
) -> Result<HashMap<String, TaskRow>, StoreError> {
    let statement = tx.prepare(
        "SELECT taskid, apicode, param, state, next_page, total_pages, status, failed_persons,
                failed_faces
         FROM tasks WHERE sn = ?1 AND taskid = ?2",
    );
    let mut found = HashMap::new();
    for taskid in taskids {
        let row = statement.query_opt(args![sn, taskid], |row| Ok(row.clone()))?;
        if let Some(row) = row {
            let state = match row.get::<String>(3)?.as_str() {
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
pub(crate) fn insert(
    tx: &Tx<'_>,
    sn: &str,
    taskid: &str,
    apicode: &str,
    param: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO tasks (sn, taskid, apicode, param, state, updated_ms)
         VALUES (?1, ?2, ?3, ?4, 'running', ?5)
         ON CONFLICT DO NOTHING",
        args![sn, taskid, apicode, param, now_ms()],
    )?;
    Ok(())
}

/// Records a page carried out: the next page, the pages in all, and the page's failures
/// added to the task's.
pub(crate) fn page_done(
    tx: &Tx<'_>,
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
        args![
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

/// Moves a task to `state`, with its result once it has one.
pub(crate) fn set_state(
    tx: &Tx<'_>,
    sn: &str,
    taskid: &str,
    state: TaskState,
    status: Option<TaskStatus>,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE tasks SET state = ?3, status = COALESCE(?4, status), updated_ms = ?5
         WHERE sn = ?1 AND taskid = ?2",
        args![
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
    tx: &Tx<'_>,
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
        args![
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
