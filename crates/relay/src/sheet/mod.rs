//! The site manager's day sheet (issue 17): who of a site's roster punched on each attendance
//! day (first, last, how many, what to look at), who was absent, who punched without being
//! on the roster; the punch list behind it; their CSV and XLSX exports.
//!
//! The core is pure (no I/O, tested natively): [`day`] cuts time into Beijing attendance days
//! with the site's start hour, [`flags`] reads a record's evidence once at admission,
//! [`punch`] adds what became of the record, [`build`] makes the sheet and the list,
//! [`query`] checks a query, [`export`] writes the tables. [`load`] reads a site's records
//! from the store for a query: the HTTP handlers and the benchmark call it.

pub mod build;
pub mod day;
pub mod export;
pub mod flags;
pub mod punch;
pub mod query;

use std::collections::HashMap;

pub use build::{build_sheet, punch_list, Person, Sheet, SheetDay, SheetQuery, SheetRow};
pub use day::{AttendanceDays, Date, DayRange};
pub use flags::{Flag, FlagSet, PunchFacts, Source};
pub use punch::{Punch, PunchRow, PunchState, RequestRef};
pub use query::{parse_query, Listing, QueryError};

use crate::store::{self, sites, Store, StoreError};

/// A site's records loaded for a query, with what a sheet needs beside them.
#[derive(Debug, Clone)]
pub struct SiteRecords {
    /// The site.
    pub site_id: String,
    /// Its name (for export file names).
    pub site_name: String,
    /// How it cuts time into days.
    pub days: AttendanceDays,
    /// The query, checked.
    pub query: SheetQuery,
    /// Its roster.
    pub roster: Vec<Person>,
    /// The name of each person of its sn, by person id.
    pub names: HashMap<String, String>,
    /// Its records of the query's days, oldest first.
    pub punches: Vec<Punch>,
}

impl SiteRecords {
    /// The day sheet.
    pub fn sheet(&self) -> Sheet {
        let (days, names) = (self.days, &self.names);
        build_sheet(
            &self.site_id,
            days,
            &self.roster,
            names,
            &self.punches,
            &self.query,
        )
    }

    /// The punch list.
    pub fn punch_list(&self) -> Vec<&Punch> {
        punch_list(self.days, &self.names, &self.punches, &self.query)
    }

    /// The name of `person_id` (empty when unknown).
    pub fn name(&self, person_id: &str) -> &str {
        self.names.get(person_id).map_or("", String::as_str)
    }
}

/// Why a sheet cannot be made.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetError {
    /// No such site.
    UnknownSite,
    /// The query is refused.
    Query(QueryError),
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for SheetError {
    fn from(error: StoreError) -> Self {
        SheetError::Store(error)
    }
}

/// Site `site_id`'s records for the query `params` of `listing` (checked with the site's
/// start hour; "today" is the attendance day of `now_ms`, epoch ms), read in one store read.
pub async fn load(
    store: &Store,
    site_id: &str,
    params: HashMap<String, String>,
    listing: Listing,
    now_ms: i64,
) -> Result<SiteRecords, SheetError> {
    let site_id = site_id.to_owned();
    store
        .run_deferred(move |tx| {
            let Some(site) = sites::get(tx, &site_id)? else {
                return Ok(Err(SheetError::UnknownSite));
            };
            let days = AttendanceDays::new(site.day_start_hour.into())
                .unwrap_or(AttendanceDays::BEIJING_MIDNIGHT);
            let query = match parse_query(&params, listing, days, now_ms) {
                Ok(query) => query,
                Err(refused) => return Ok(Err(SheetError::Query(refused))),
            };
            let (start, end) = query.range.bounds_ms(days);
            let rows = store::sheet::punch_rows(tx, &site.site_id, start, end)?;
            Ok(Ok(SiteRecords {
                roster: store::sheet::roster_persons(tx, &site)?,
                names: store::sheet::names(tx, &site.sn)?,
                punches: rows.into_iter().map(Punch::new).collect(),
                site_id: site.site_id,
                site_name: site.name,
                days,
                query,
            }))
        })
        .await?
}
