//! Public holidays. UK bank holidays are computed (they differ between England & Wales,
//! Scotland and Northern Ireland); one-off days and other countries come from the
//! `public_holidays` table, which admins extend.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex, OnceLock},
};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::domain::Region;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HolidayRegion {
    EnglandWales,
    Scotland,
    NorthernIreland,
    /// Somewhere in the UK, nation unknown: every nation's bank holidays, so none is called on.
    UnitedKingdom,
    /// No computed holidays; only the table's.
    Elsewhere,
}

impl HolidayRegion {
    pub fn of(region: &Region) -> HolidayRegion {
        match region {
            Region::England | Region::Wales => HolidayRegion::EnglandWales,
            Region::Scotland => HolidayRegion::Scotland,
            Region::NorthernIreland => HolidayRegion::NorthernIreland,
            Region::Country(_) if region.in_uk() => HolidayRegion::UnitedKingdom,
            Region::Country(_) | Region::Subdivision(_) => HolidayRegion::Elsewhere,
        }
    }
}

/// The holidays that apply to one customer: computed ones plus extra dates.
#[derive(Clone, Debug)]
pub struct HolidayCalendar {
    region: HolidayRegion,
    extra: BTreeSet<NaiveDate>,
}

impl HolidayCalendar {
    pub fn new(region: HolidayRegion, extra: impl IntoIterator<Item = NaiveDate>) -> Self {
        HolidayCalendar {
            region,
            extra: extra.into_iter().collect(),
        }
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.extra.contains(&date) || cached_no_call_days(self.region, date.year()).contains(&date)
    }
}

type YearCache = HashMap<(HolidayRegion, i32), Arc<BTreeSet<NaiveDate>>>;

/// Holidays depend only on region and year, and the rules ask about the same few years
/// over and over (every claim, every imported row): compute each once per process.
fn cached_no_call_days(region: HolidayRegion, year: i32) -> Arc<BTreeSet<NaiveDate>> {
    static CACHE: OnceLock<Mutex<YearCache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .entry((region, year))
        .or_insert_with(|| Arc::new(no_call_days(region, year)))
        .clone()
}

/// Western Easter Sunday (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a real date")
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("fixed holiday dates exist")
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
        .expect("every month has a Monday")
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 5).unwrap_or_else(|| {
        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 4).expect("four Mondays")
    })
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Fixed-date holidays falling on a weekend move to the next weekday not already a holiday
/// (so Christmas on Saturday and Boxing Day on Sunday become Monday and Tuesday).
fn with_substitutes(fixed: &[NaiveDate], movable: &[NaiveDate]) -> BTreeSet<NaiveDate> {
    let mut taken: BTreeSet<NaiveDate> = movable.iter().copied().collect();
    for &day in fixed {
        let mut observed = day;
        while is_weekend(observed) || taken.contains(&observed) {
            observed += Duration::days(1);
        }
        taken.insert(observed);
    }
    taken
}

/// A nation's fixed-date holidays (which move to a weekday when they fall on a weekend) and its
/// movable ones; `None` for a region that is not one nation.
fn nation_days(region: HolidayRegion, year: i32) -> Option<(Vec<NaiveDate>, Vec<NaiveDate>)> {
    let easter = easter_sunday(year);
    let good_friday = easter - Duration::days(2);
    let easter_monday = easter + Duration::days(1);
    let early_may = first_monday(year, 5);
    let spring = last_monday(year, 5);
    let christmas = [date(year, 12, 25), date(year, 12, 26)];
    match region {
        HolidayRegion::Elsewhere | HolidayRegion::UnitedKingdom => None,
        HolidayRegion::EnglandWales => Some((
            vec![date(year, 1, 1), christmas[0], christmas[1]],
            vec![
                good_friday,
                easter_monday,
                early_may,
                spring,
                last_monday(year, 8),
            ],
        )),
        HolidayRegion::Scotland => Some((
            vec![
                date(year, 1, 1),
                date(year, 1, 2),
                date(year, 11, 30),
                christmas[0],
                christmas[1],
            ],
            vec![good_friday, early_may, spring, first_monday(year, 8)],
        )),
        HolidayRegion::NorthernIreland => Some((
            vec![
                date(year, 1, 1),
                date(year, 3, 17),
                date(year, 7, 12),
                christmas[0],
                christmas[1],
            ],
            vec![
                good_friday,
                easter_monday,
                early_may,
                spring,
                last_monday(year, 8),
            ],
        )),
    }
}

/// Every nation's days for a UK customer whose nation is not known; each nation's own otherwise.
fn per_nation(
    region: HolidayRegion,
    year: i32,
    days: fn(HolidayRegion, i32) -> BTreeSet<NaiveDate>,
) -> BTreeSet<NaiveDate> {
    match region {
        HolidayRegion::UnitedKingdom => [
            HolidayRegion::EnglandWales,
            HolidayRegion::Scotland,
            HolidayRegion::NorthernIreland,
        ]
        .into_iter()
        .flat_map(|nation| days(nation, year))
        .collect(),
        _ => days(region, year),
    }
}

/// The bank holidays as published: a fixed date on a weekend is replaced by its substitute day.
pub fn bank_holidays(region: HolidayRegion, year: i32) -> BTreeSet<NaiveDate> {
    per_nation(region, year, |region, year| {
        nation_days(region, year)
            .map(|(fixed, movable)| with_substitutes(&fixed, &movable))
            .unwrap_or_default()
    })
}

/// The days nobody is called for a holiday: the bank holidays, and the holiday itself when it
/// falls on a Saturday (a calling day) and a weekday stands in for it, as for Christmas 2027.
pub fn no_call_days(region: HolidayRegion, year: i32) -> BTreeSet<NaiveDate> {
    per_nation(region, year, |region, year| {
        nation_days(region, year)
            .map(|(fixed, movable)| {
                let mut days = with_substitutes(&fixed, &movable);
                days.extend(fixed);
                days
            })
            .unwrap_or_default()
    })
}
