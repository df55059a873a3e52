//! The call: outcomes and what they do to a case, for the call pages and the API alike.

pub mod api;
pub mod outcome;
pub mod record;
