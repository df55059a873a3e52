//! The emergency and non-emergency numbers shown when a risk to life is raised, for where the
//! customer is. UK numbers (999, 101, 111) reach UK services only, so a customer abroad gets
//! their own country's numbers where an admin has entered them, and never the UK's.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    db::{schema::emergency_contacts, DbConn},
    domain::region::Region,
    error::AppResult,
};

#[derive(Queryable, Serialize, Deserialize, Debug, ToSchema, PartialEq, Eq)]
pub struct EmergencyContact {
    pub service: String,
    pub phone: String,
    pub note: Option<String>,
}

/// The numbers for one customer, and whether they are in the UK (the page's advice differs).
#[derive(Debug, Serialize)]
pub struct EmergencyNumbers {
    pub region: String,
    pub in_uk: bool,
    pub contacts: Vec<EmergencyContact>,
}

/// Whether a number entered for `contact_region` — "uk" (every UK nation), one nation, or a
/// country code for customers abroad — applies to a customer in `customer`. A customer in a
/// subdivision (US-FL) gets their country's numbers.
pub fn applies(contact_region: &str, customer: &Region) -> bool {
    if contact_region == "uk" {
        return customer.in_uk();
    }
    contact_region.eq_ignore_ascii_case(&customer.as_code())
        || (!customer.in_uk()
            && customer
                .country()
                .is_some_and(|country| contact_region.eq_ignore_ascii_case(&country)))
}

/// The numbers for a customer in `region` (as stored on the case), those for the whole UK or
/// country first, then the nation's or subdivision's, each in the order they were entered.
pub fn numbers_for(conn: &mut DbConn, region: &str) -> AppResult<EmergencyNumbers> {
    let customer = Region::parse(region).unwrap_or_else(|_| Region::Country(region.to_uppercase()));
    let mut rows: Vec<(i64, String, EmergencyContact)> = emergency_contacts::table
        .order(emergency_contacts::id)
        .select((
            emergency_contacts::id,
            emergency_contacts::region,
            (
                emergency_contacts::service,
                emergency_contacts::phone,
                emergency_contacts::note,
            ),
        ))
        .load(conn)?;
    rows.retain(|(_, contact_region, _)| applies(contact_region, &customer));
    let exact = customer.as_code();
    rows.sort_by_key(|(id, contact_region, _)| (contact_region.eq_ignore_ascii_case(&exact), *id));
    Ok(EmergencyNumbers {
        in_uk: customer.in_uk(),
        region: exact,
        contacts: rows.into_iter().map(|(_, _, contact)| contact).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Region {
        Region::parse(code).unwrap()
    }

    #[test]
    fn uk_numbers_reach_every_nation_and_only_the_uk() {
        for nation in [
            "england",
            "wales",
            "scotland",
            "northern_ireland",
            "GB",
            "UK",
        ] {
            assert!(applies("uk", &region(nation)), "{nation}");
        }
        for abroad in ["IE", "US", "US-FL", "FR"] {
            assert!(!applies("uk", &region(abroad)), "{abroad}");
        }
    }

    #[test]
    fn a_nation_s_numbers_stay_in_that_nation() {
        assert!(applies("scotland", &region("scotland")));
        assert!(applies("scotland", &region("GB-SCT")));
        assert!(!applies("scotland", &region("england")));
        assert!(!applies("scotland", &region("GB")));
    }

    #[test]
    fn a_country_s_numbers_reach_its_subdivisions_but_not_the_uk() {
        assert!(applies("US", &region("US")));
        assert!(applies("US", &region("US-FL")));
        assert!(applies("US-FL", &region("US-FL")));
        assert!(!applies("US-FL", &region("US-TX")));
        assert!(!applies("IE", &region("US")));
        // "GB" is entered as "uk"; a stray "GB" entry does not leak to a nation twice.
        assert!(!applies("GB", &region("england")));
    }
}
