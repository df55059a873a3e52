//! E-mail to customers and clients. Messages are written to the durable outbox in the same
//! transaction as whatever caused them; they are rendered and sent later (see `outbox`).

pub mod outbox;
