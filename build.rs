//! `embed_migrations!` reads the migration folders at compile time, but cargo does not know it
//! did: without this, a new migration is missing from the binary until something else changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
