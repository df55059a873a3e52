//! E-mail to customers, supervisors and clients. Messages are written to the durable outbox in
//! the same transaction as whatever caused them, then rendered and sent by the worker.

pub mod catcher;
pub mod compose;
pub mod outbox;
pub mod render;
mod sending;
pub mod transport;
pub mod worker;
