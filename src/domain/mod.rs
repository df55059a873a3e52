//! Value types shared by several capabilities. Each is parsed once at the edge; afterwards its
//! guarantee holds wherever it travels.

pub mod email;

pub use email::Email;
