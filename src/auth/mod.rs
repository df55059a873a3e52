//! Who is calling: passwords, sessions, CSRF, roles and API credentials.

pub mod api;
pub mod cookies;
pub mod csrf;
pub mod lockout;
pub mod login;
pub mod password;
pub mod password_change;
pub mod roles;
pub mod routes;
pub mod session;
pub mod store;
pub mod tokens;

pub use roles::Role;
pub use session::CurrentUser;
