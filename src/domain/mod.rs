//! Value types shared by several capabilities. Each is parsed once at the edge; afterwards its
//! guarantee holds wherever it travels.

pub mod calendar;
pub mod email;
pub mod money;
pub mod region;

pub use email::Email;
pub use money::{Currency, Money};
pub use region::Region;
