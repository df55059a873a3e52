//! Outreach: hardship outreach for organisations whose customers have fallen behind.
//!
//! The folder tree reads like the product: `accounts` (users, clients, keys), `auth` (who is
//! calling), and one module per capability; `db` is the only place that knows two databases exist.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod calls;
pub mod cases;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod health;
pub mod intake;
pub mod json_body;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod payment_guard;
pub mod plans;
pub mod portal;
pub mod queue;
pub mod rate_limit;
pub mod reference;
pub mod reports;
pub mod scheduling;
pub mod startup;
pub mod state;
pub mod supervisor;
pub mod support;
pub mod telemetry;
pub mod web;
