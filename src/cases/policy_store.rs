//! Per-client contact policies and the holiday calendar, loaded for the scheduling rules.

use chrono::{NaiveDate, NaiveTime, Timelike};
use diesel::prelude::*;

use crate::{
    db::{
        schema::{contact_policies, public_holidays},
        DbConn,
    },
    domain::Region,
    error::AppResult,
    scheduling::{policy::ClientPolicies, ContactPolicy, HolidayCalendar, HolidayRegion},
};

fn minute_to_time(minute: i32) -> NaiveTime {
    let minute = minute.clamp(0, 24 * 60 - 1) as u32;
    NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN)
}

fn time_to_minute(t: NaiveTime) -> i32 {
    (t.hour() * 60 + t.minute()) as i32
}

/// A stored policy row: minutes since midnight for the hours, weekdays as `ContactPolicy`
/// stores them.
type PolicyRow = (String, i32, i32, String, i32, i32, i32, i32, i32);

fn policy_of(row: &PolicyRow) -> ContactPolicy {
    let (_, earliest, latest, weekdays, max7, max24, gap, quiet, cap) = row;
    let defaults = ContactPolicy::default();
    let policy = ContactPolicy {
        earliest: minute_to_time(*earliest),
        latest: minute_to_time(*latest),
        weekdays: ContactPolicy::parse_weekdays(weekdays).unwrap_or(defaults.weekdays),
        max_attempts_7_days: (*max7).max(1) as u32,
        max_attempts_24_hours: (*max24).max(1) as u32,
        min_hours_between_attempts: (*gap).max(0) as u32,
        quiet_days_after_conversation: (*quiet).max(0) as u32,
        max_total_attempts: (*cap).max(1) as u32,
    };
    // A stored policy is never applied looser than the defaults (a row saved under older,
    // looser defaults, or edited by hand). Each part is held to them on its own: replacing the
    // whole policy with the defaults would drop the parts that are stricter (a client's 10:00 to
    // 16:00 on weekdays would become 08:00 to 20:00 with Saturdays, because its cap was too high).
    policy.strictest(&defaults)
}

/// The client's general policy (the defaults when it has none) and its tighter regional ones.
pub fn policies_for(conn: &mut DbConn, client_id: i64) -> AppResult<ClientPolicies> {
    let rows: Vec<PolicyRow> = contact_policies::table
        .filter(contact_policies::client_id.eq(client_id))
        .select((
            contact_policies::region,
            contact_policies::earliest_minute,
            contact_policies::latest_minute,
            contact_policies::weekdays,
            contact_policies::max_attempts_7_days,
            contact_policies::max_attempts_24_hours,
            contact_policies::min_hours_between_attempts,
            contact_policies::quiet_days_after_conversation,
            contact_policies::max_total_attempts,
        ))
        .load(conn)?;
    let mut policies = ClientPolicies::default();
    for row in &rows {
        match row.0.as_str() {
            GENERAL => policies.general = policy_of(row),
            region => {
                policies.regions.insert(region.to_string(), policy_of(row));
            }
        }
    }
    Ok(policies)
}

/// The region key of a client's general policy.
pub const GENERAL: &str = "";

/// Stores a client's policy: the general one (`region` = [`GENERAL`]) or one region's.
pub fn save_policy(
    conn: &mut DbConn,
    client_id: i64,
    region: &str,
    policy: &ContactPolicy,
    now: chrono::NaiveDateTime,
) -> AppResult<()> {
    let values = (
        contact_policies::earliest_minute.eq(time_to_minute(policy.earliest)),
        contact_policies::latest_minute.eq(time_to_minute(policy.latest)),
        contact_policies::weekdays.eq(policy.weekdays_code()),
        contact_policies::max_attempts_7_days.eq(policy.max_attempts_7_days as i32),
        contact_policies::max_attempts_24_hours.eq(policy.max_attempts_24_hours as i32),
        contact_policies::min_hours_between_attempts.eq(policy.min_hours_between_attempts as i32),
        contact_policies::quiet_days_after_conversation
            .eq(policy.quiet_days_after_conversation as i32),
        contact_policies::max_total_attempts.eq(policy.max_total_attempts as i32),
        contact_policies::updated_at.eq(now),
    );
    // One statement: two first saves at once (two instances) must not both find no row and
    // both insert, the second then failing on the key.
    let upsert = diesel::insert_into(contact_policies::table)
        .values((
            contact_policies::client_id.eq(client_id),
            contact_policies::region.eq(region),
            values.clone(),
        ))
        .on_conflict((contact_policies::client_id, contact_policies::region))
        .do_update()
        .set(values);
    crate::db::portable::execute(upsert, conn)?;
    Ok(())
}

/// Removes one region's policy; false when there was none.
pub fn delete_region_policy(conn: &mut DbConn, client_id: i64, region: &str) -> AppResult<bool> {
    let deleted = diesel::delete(contact_policies::table.find((client_id, region)))
        .filter(contact_policies::region.ne(GENERAL))
        .execute(conn)?;
    Ok(deleted == 1)
}

/// Computed bank holidays for the customer's region plus the admin-maintained extra days.
pub fn calendar_for(conn: &mut DbConn, region: &str) -> AppResult<HolidayCalendar> {
    let parsed = Region::parse(region).unwrap_or(Region::England);
    let holiday_region = HolidayRegion::of(&parsed);
    // A country's extra days apply in each of its subdivisions too. A customer known only to be
    // in the UK may be in any of its nations: every nation's holidays are theirs, computed
    // (`HolidayRegion::UnitedKingdom`) and extra alike.
    let mut codes = parsed.rule_codes();
    if holiday_region == HolidayRegion::UnitedKingdom {
        codes.extend(
            [
                Region::England,
                Region::Wales,
                Region::Scotland,
                Region::NorthernIreland,
            ]
            .iter()
            .map(Region::as_code),
        );
    }
    let extra: Vec<NaiveDate> = public_holidays::table
        .filter(public_holidays::region.eq_any(codes))
        .select(public_holidays::holiday_date)
        .load(conn)?;
    Ok(HolidayCalendar::new(holiday_region, extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_policy_looser_in_one_part_keeps_its_stricter_parts() {
        let defaults = ContactPolicy::default();
        let row: PolicyRow = (
            GENERAL.into(),
            10 * 60,
            16 * 60,
            "1111100".into(),
            defaults.max_attempts_7_days as i32,
            defaults.max_attempts_24_hours as i32,
            defaults.min_hours_between_attempts as i32,
            defaults.quiet_days_after_conversation as i32,
            defaults.max_total_attempts as i32 + 2,
        );
        let applied = policy_of(&row);
        assert_eq!(applied.max_total_attempts, defaults.max_total_attempts);
        assert_eq!(applied.earliest, minute_to_time(10 * 60));
        assert_eq!(applied.latest, minute_to_time(16 * 60));
        assert_eq!(applied.weekdays_code(), "1111100");
        assert!(applied.check_not_looser_than(&defaults).is_ok());
    }
}
