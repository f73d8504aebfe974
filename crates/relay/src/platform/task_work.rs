//! What each task apicode does on the relay (seed 001 part 2 §3.3–3.8):
//!
//! - `T_SEND_PERSON`, `T_UPDATE_DEVICE_PERSON`: every page; persons upserted with their face
//!   photo fetched from `imgUrls` (capped in size and time; a failure is a `failedFaces` entry,
//!   a person without id or name a `failedPersons` entry `400_1`).
//! - `T_DEL_DEVICE_PERSON`: the persons the reply lists leave the roster.
//! - `T_CLEAR_DEVICE_PERSON`: the roster is emptied.
//! - `T_POST_DEVICE_PERSON`: the roster, paged, without the task's `excludeFields`.
//! - `T_UPDATE_DEVICE_VERSION`: the version is recorded; status 3 (a relay has no firmware to
//!   install).
//!
//! Each page commits its persons together with the task's progress.

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::platform::task_api::{fetch_photo, CallError, PhotoError};
use crate::platform::tasks::{page_done, record_version, TaskRow, TaskRunner};
use crate::store::roster::{self, RosterEntry, Source};
use crate::store::Tx;
use zj_host::system_clock::now_ms;
use zj_protocol::params::{
    to_json_text, DeviceVersion, Failure, PageParam, PersonIds, PersonPage, PostPersonsParam,
    PostTaskParam, TaskStatus,
};
use zj_protocol::Apicode;

/// A reply that does not have the shape its apicode promises fails the task.
fn misshapen(apicode: Apicode, error: impl std::fmt::Display) -> CallError {
    CallError::Failed(format!("{apicode} reply does not fit: {error}"))
}

fn stored(error: crate::store::StoreError) -> CallError {
    CallError::Transient(error.to_string())
}

impl TaskRunner {
    /// Carries out one task from where it stands; its status once finished.
    pub(super) async fn carry_out(
        &self,
        token: &str,
        row: &TaskRow,
    ) -> Result<TaskStatus, CallError> {
        let Ok(apicode) = row.apicode.parse::<Apicode>() else {
            return Ok(TaskStatus::Unsupported);
        };
        let taskid = row.taskid.as_str();
        match apicode {
            Apicode::TSendPerson | Apicode::TUpdateDevicePerson => {
                self.person_pages(token, apicode, row).await
            }
            Apicode::TDelDevicePerson => {
                let text = self.api.call(token, apicode, Some(taskid), None).await?;
                let ids: PersonIds =
                    serde_json::from_str(&text).map_err(|e| misshapen(apicode, e))?;
                self.roster_write(move |tx, sn| roster::delete(tx, sn, &ids.person_ids))
                    .await?;
                Ok(TaskStatus::Done)
            }
            Apicode::TClearDevicePerson => {
                self.api.call(token, apicode, Some(taskid), None).await?;
                self.roster_write(roster::clear).await?;
                Ok(TaskStatus::Done)
            }
            Apicode::TPostDevicePerson => self.post_pages(token, row).await,
            Apicode::TUpdateDeviceVersion => {
                let version: DeviceVersion = serde_json::from_str(&row.param)
                    .map_err(|e| CallError::Failed(format!("the task's param: {e}")))?;
                let param = to_json_text(&version);
                self.api
                    .call(token, apicode, Some(taskid), Some(&param))
                    .await?;
                let taskid = taskid.to_owned();
                self.roster_write(move |tx, sn| record_version(tx, sn, &taskid, &version))
                    .await?;
                Ok(TaskStatus::Unsupported)
            }
            _ => Ok(TaskStatus::Unsupported),
        }
    }

    /// Runs `write` on this sn's tables in one durable transaction.
    async fn roster_write(
        &self,
        write: impl FnOnce(&Tx<'_>, &str) -> Result<(), crate::store::StoreError> + Send + 'static,
    ) -> Result<(), CallError> {
        let sn = self.api.sn.clone();
        self.store
            .run(move |tx| write(tx, &sn))
            .await
            .map_err(stored)
    }

    /// `T_SEND_PERSON` / `T_UPDATE_DEVICE_PERSON`: every page from the one reached.
    async fn person_pages(
        &self,
        token: &str,
        apicode: Apicode,
        row: &TaskRow,
    ) -> Result<TaskStatus, CallError> {
        let mut page = row.next_page.max(1);
        let mut total = row.total_pages.unwrap_or(0);
        while total == 0 || page <= total {
            let param = to_json_text(&PageParam {
                current_page: page,
                total_page: total,
            });
            let text = (self.api)
                .call(token, apicode, Some(&row.taskid), Some(&param))
                .await?;
            let reply: PersonPage =
                serde_json::from_str(&text).map_err(|e| misshapen(apicode, e))?;
            if reply.current_page != page {
                return Err(misshapen(
                    apicode,
                    format_args!("page {} came for page {page}", reply.current_page),
                ));
            }
            total = reply.total_page.max(1);
            let (persons, failed_persons, failed_faces) = self.page_persons(reply).await;
            let taskid = row.taskid.clone();
            self.roster_write(move |tx, sn| {
                for person in &persons {
                    roster::upsert(tx, sn, person, Source::Platform, now_ms())?;
                }
                page_done(
                    tx,
                    sn,
                    &taskid,
                    page + 1,
                    total,
                    &failed_persons,
                    &failed_faces,
                )
            })
            .await?;
            page += 1;
        }
        Ok(TaskStatus::Done)
    }

    /// One page's persons with their faces, and what failed.
    async fn page_persons(
        &self,
        page: PersonPage,
    ) -> (Vec<RosterEntry>, Vec<Failure>, Vec<Failure>) {
        let (mut persons, mut failed_persons, mut failed_faces) = (vec![], vec![], vec![]);
        for person in page.data {
            if person.person_id.is_empty() || person.name.is_empty() {
                failed_persons.push(Failure {
                    person_id: person.person_id,
                    err_code: "400_1".into(),
                });
                continue;
            }
            let face = match self.fetch_face(&person.img_urls).await {
                Ok(face) => Some(face),
                Err(error) => {
                    failed_faces.push(Failure {
                        person_id: person.person_id.clone(),
                        err_code: error.err_code().into(),
                    });
                    None
                }
            };
            persons.push(RosterEntry {
                person_id: person.person_id,
                name: person.name,
                idcard_no: person.idcard_no.filter(|no| !no.is_empty()),
                face,
            });
        }
        (persons, failed_persons, failed_faces)
    }

    /// The first of `urls` that gives a photo, or the last error.
    async fn fetch_face(&self, urls: &[String]) -> Result<Vec<u8>, PhotoError> {
        let timeout = Duration::from_secs(self.config.photo_timeout_secs);
        let mut last = PhotoError::Unreachable;
        for url in urls {
            match fetch_photo(&self.photos, url, self.config.photo_max_bytes, timeout).await {
                Ok(photo) => return Ok(photo),
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    /// `T_POST_DEVICE_PERSON`: the roster, page by page from the one reached.
    async fn post_pages(&self, token: &str, row: &TaskRow) -> Result<TaskStatus, CallError> {
        let task_param: PostTaskParam = serde_json::from_str(&row.param).unwrap_or_default();
        let excluded: Vec<String> = task_param.excluded().map(str::to_owned).collect();
        let size = self.config.post_page_size.max(1);
        let sn = self.api.sn.clone();
        let counted = sn.clone();
        let (count, _) = (self.store)
            .run(move |tx| roster::counts(tx, &counted))
            .await
            .map_err(stored)?;
        let total =
            (row.total_pages).unwrap_or_else(|| (count as usize).div_ceil(size).max(1) as u32);
        for page in row.next_page.max(1)..=total {
            let (listed, offset) = (sn.clone(), (page as usize - 1) * size);
            let persons = (self.store)
                .run(move |tx| roster::page(tx, &listed, offset, size))
                .await
                .map_err(stored)?;
            let data = persons
                .iter()
                .map(|person| posted_person(person, &excluded))
                .collect();
            let param = to_json_text(&PostPersonsParam {
                current_page: page,
                total_page: total,
                data,
            });
            (self.api)
                .call(
                    token,
                    Apicode::TPostDevicePerson,
                    Some(&row.taskid),
                    Some(&param),
                )
                .await?;
            let taskid = row.taskid.clone();
            self.roster_write(move |tx, sn| page_done(tx, sn, &taskid, page + 1, total, &[], &[]))
                .await?;
        }
        Ok(TaskStatus::Done)
    }
}

/// A roster person as `T_POST_DEVICE_PERSON` reports them, without the excluded fields.
fn posted_person(person: &RosterEntry, excluded: &[String]) -> Map<String, Value> {
    let mut posted = Map::new();
    posted.insert("personId".into(), json!(person.person_id));
    posted.insert("name".into(), json!(person.name));
    if let Some(face) = &person.face {
        let img = base64::engine::general_purpose::STANDARD.encode(face);
        posted.insert("img".into(), json!(img));
    }
    posted.insert("hasImg".into(), json!(u8::from(person.face.is_some())));
    if let Some(idcard_no) = &person.idcard_no {
        posted.insert("idcardNo".into(), json!(idcard_no));
    }
    for field in excluded {
        posted.remove(field);
    }
    posted
}
