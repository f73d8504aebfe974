//! The day sheet and the punch list, built from a site's roster and punches.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::day::{AttendanceDays, Date, DayRange};
use super::flags::{Flag, FlagSet};
use super::punch::Punch;

/// A person on the site's roster (or, for one who punched but is not on it, a name known from
/// the sn's roster; empty when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The platform's person id.
    pub person_id: String,
    /// Name.
    pub name: String,
}

/// What a sheet or punch list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetQuery {
    /// The days.
    pub range: DayRange,
    /// Only rows (punches) with a flag.
    pub flagged: bool,
    /// Only absent persons (sheet only). With `flagged`: rows that are either.
    pub absent: bool,
    /// Only the person with this id, or whose name contains it.
    pub person: Option<String>,
}

impl SheetQuery {
    /// Whether `person_id` named `name` is asked for.
    fn wants_person(&self, person_id: &str, name: &str) -> bool {
        self.person
            .as_deref()
            .is_none_or(|wanted| person_id == wanted || name.contains(wanted))
    }
}

/// A person's line on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetRow {
    /// The platform's person id.
    pub person_id: String,
    /// Name (empty when not known).
    pub name: String,
    /// Whether the person is on the site's roster.
    pub on_roster: bool,
    /// The first punch's `recordTime`, epoch ms.
    pub first_ms: Option<i64>,
    /// The last punch's `recordTime`, epoch ms.
    pub last_ms: Option<i64>,
    /// How many punches.
    pub punches: usize,
    /// Every flag of the day's punches.
    pub flags: Vec<Flag>,
    /// On the roster without a punch that day.
    pub absent: bool,
}

/// One attendance day of the sheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Persons with a punch that day (on the roster or not), before filters.
    pub present: usize,
    /// Persons on the roster without a punch that day, before filters.
    pub absent: usize,
    /// The rows the query asks for: roster persons in the roster's order, then persons not on
    /// the roster by person id.
    pub rows: Vec<SheetRow>,
}

/// The day sheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sheet {
    /// The site.
    pub site_id: String,
    /// The hour its days start at, Beijing time.
    pub day_start_hour: u8,
    /// Each day of the range, in order.
    pub days: Vec<SheetDay>,
}

/// A person's punches of one day, folded.
#[derive(Default)]
struct Tally {
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    punches: usize,
    flags: FlagSet,
}

impl Tally {
    fn add(&mut self, punch: &Punch) {
        let at = punch.row.record_time;
        self.first_ms = Some(self.first_ms.map_or(at, |first| first.min(at)));
        self.last_ms = Some(self.last_ms.map_or(at, |last| last.max(at)));
        self.punches += 1;
        self.flags = self.flags.union(punch.flags);
    }
}

/// The sheet of `site_id` over `query`'s days: each roster person's first and last punch, count
/// and flags (absent without one), and each person who punched without being on the roster
/// (`onRoster: false`, named from `names` when known). Only punches that count
/// ([`PunchState::counts`](super::punch::PunchState::counts)) inside the days are used.
pub fn build_sheet(
    site_id: &str,
    days: AttendanceDays,
    roster: &[Person],
    names: &HashMap<String, String>,
    punches: &[Punch],
    query: &SheetQuery,
) -> Sheet {
    let mut tallies: HashMap<(Date, &str), Tally> = HashMap::new();
    for punch in punches.iter().filter(|p| p.state.counts()) {
        let day = days.day_of(punch.row.record_time);
        let key = (day, punch.row.person_id.as_str());
        tallies.entry(key).or_default().add(punch);
    }
    let on_roster: HashMap<&str, &Person> =
        (roster.iter()).map(|p| (p.person_id.as_str(), p)).collect();
    let mut off_roster_by_day: HashMap<Date, BTreeMap<&str, &Tally>> = HashMap::new();
    for ((day, person_id), tally) in &tallies {
        if !on_roster.contains_key(person_id) {
            let day = off_roster_by_day.entry(*day).or_default();
            day.insert(person_id, tally);
        }
    }
    let sheet_days = (query.range.days())
        .map(|date| {
            let off_roster = off_roster_by_day.remove(&date).unwrap_or_default();
            let listed = (roster.iter()).map(|person| {
                (
                    person,
                    true,
                    tallies.get(&(date, person.person_id.as_str())),
                )
            });
            let unlisted = off_roster.into_iter().map(|(person_id, tally)| {
                let name = names.get(person_id).cloned().unwrap_or_default();
                let person = Person {
                    person_id: person_id.to_owned(),
                    name,
                };
                (person, false, Some(tally))
            });
            let rows: Vec<SheetRow> = (listed.map(|(p, on, t)| row(p, on, t)))
                .chain(unlisted.map(|(p, on, t)| row(&p, on, t)))
                .collect();
            let absent = rows.iter().filter(|row| row.absent).count();
            SheetDay {
                date: date.to_string(),
                present: rows.len() - absent,
                absent,
                rows: rows.into_iter().filter(|r| wanted_row(query, r)).collect(),
            }
        })
        .collect();
    Sheet {
        site_id: site_id.to_owned(),
        day_start_hour: days.start_hour(),
        days: sheet_days,
    }
}

/// A person's row from their tally (none: absent).
fn row(person: &Person, on_roster: bool, tally: Option<&Tally>) -> SheetRow {
    SheetRow {
        person_id: person.person_id.clone(),
        name: person.name.clone(),
        on_roster,
        first_ms: tally.and_then(|t| t.first_ms),
        last_ms: tally.and_then(|t| t.last_ms),
        punches: tally.map_or(0, |t| t.punches),
        flags: tally.map_or_else(Vec::new, |t| t.flags.flags()),
        absent: tally.is_none(),
    }
}

/// Whether the query keeps `row`: its person, and (when either is asked) flagged or absent.
fn wanted_row(query: &SheetQuery, row: &SheetRow) -> bool {
    let by_state = match (query.flagged, query.absent) {
        (false, false) => true,
        (flagged, absent) => (flagged && !row.flags.is_empty()) || (absent && row.absent),
    };
    by_state && query.wants_person(&row.person_id, &row.name)
}

/// The punch list: every record of the query's days (refused and rejected ones too), oldest
/// first, of the person asked for, flagged ones only when asked.
pub fn punch_list<'a>(
    days: AttendanceDays,
    names: &HashMap<String, String>,
    punches: &'a [Punch],
    query: &SheetQuery,
) -> Vec<&'a Punch> {
    let (start, end) = query.range.bounds_ms(days);
    let mut listed: Vec<&Punch> = (punches.iter())
        .filter(|p| (start..end).contains(&p.row.record_time))
        .filter(|p| !query.flagged || !p.flags.is_empty())
        .filter(|p| {
            let name = names.get(&p.row.person_id).map_or("", String::as_str);
            query.wants_person(&p.row.person_id, name)
        })
        .collect();
    listed.sort_by_key(|p| p.row.record_time);
    listed
}
