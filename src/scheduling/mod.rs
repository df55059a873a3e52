//! Fair contact scheduling: when may this customer next be called? A pure function of the
//! contact policy, the case's history and the current time ([`rules::next_contact`]); the rest of
//! the service stores what it answers.

pub mod api;
pub mod customer_rules;
pub mod holiday_pages;
pub mod holidays;
pub mod policy;
pub mod rules;

pub use customer_rules::CustomerRules;
pub use holidays::{HolidayCalendar, HolidayRegion};
pub use policy::ContactPolicy;
pub use rules::{next_contact, ContactHistory, HoldPeriod, NextContact};

#[cfg(test)]
mod limit_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
