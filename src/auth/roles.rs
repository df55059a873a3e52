//! Roles, and the extractor that makes a route state who may call it.

use std::{fmt, marker::PhantomData, ops::Deref, str::FromStr};

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};

use super::session::CurrentUser;
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    Handler,
    /// A user of a client organisation, tied to that one client.
    Client,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Supervisor, Role::Handler, Role::Client];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Handler => "handler",
            Role::Client => "client",
        }
    }

    /// Where this role lands after logging in.
    pub fn home(self) -> &'static str {
        match self {
            Role::Admin => "/admin/users",
            Role::Supervisor => "/supervisor",
            Role::Handler => "/queue",
            Role::Client => "/portal",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| "must be one of admin, supervisor, handler, client".to_string())
    }
}

/// Who a route admits.
pub trait Allowed {
    const ROLES: &'static [Role];
}

pub struct AdminOnly;
impl Allowed for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Supervisors, and admins who stand in for them.
pub struct SupervisorsOnly;
impl Allowed for SupervisorsOnly {
    const ROLES: &'static [Role] = &[Role::Supervisor, Role::Admin];
}

/// People who make calls: handlers and supervisors.
pub struct CallStaff;
impl Allowed for CallStaff {
    const ROLES: &'static [Role] = &[Role::Handler, Role::Supervisor];
}

pub struct ClientUsers;
impl Allowed for ClientUsers {
    const ROLES: &'static [Role] = &[Role::Client];
}

/// A logged-in user whose role the route admits. Taking this as a handler argument is the only
/// way to get a user, so a page cannot forget its role check.
pub struct Authorized<P: Allowed> {
    pub user: CurrentUser,
    _policy: PhantomData<P>,
}

impl<P: Allowed> Deref for Authorized<P> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

impl<P: Allowed + 'static> FromRequest for Authorized<P> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            if P::ROLES.contains(&user.role) {
                Ok(Authorized {
                    user,
                    _policy: PhantomData,
                })
            } else {
                Err(AppError::Forbidden)
            }
        })
    }
}

impl Authorized<ClientUsers> {
    /// The client this user belongs to (every client user has one; the database enforces it).
    pub fn client(&self) -> Result<i64, AppError> {
        self.user.client_id.ok_or(AppError::Forbidden)
    }
}

pub type Admin = Authorized<AdminOnly>;
pub type Supervisor = Authorized<SupervisorsOnly>;
pub type Staff = Authorized<CallStaff>;
pub type ClientUser = Authorized<ClientUsers>;
