//! Spawning the app and talking to it like its users do.

pub mod app;
pub mod browser;
pub mod plans;
pub mod postgres;
pub mod session;

pub use app::{referred_count, spawn_app, Backend, TestApp};
pub use session::Session;

/// Whether `text` shows the test card number (4111 1111 1111 1111), whole or its digits in
/// groups. Looking for "4111" alone is not enough: pages carry random hex (form tokens,
/// support-link codes) in which those four digits turn up by chance.
pub fn shows_test_card(text: &str) -> bool {
    [
        "4111 1111",
        "1111 1111",
        "41111111",
        "11111111",
        "4111-1111",
    ]
    .iter()
    .any(|shape| text.contains(shape))
}

/// Declares a test that runs once per backend: `<name>::sqlite` and `<name>::postgres`.
/// The PostgreSQL run is skipped (and says so) when `OUTREACH_TEST_POSTGRES_URL` is unset,
/// unless `OUTREACH_TEST_REQUIRE_POSTGRES=1`, in which case a missing database fails it.
#[macro_export]
macro_rules! backend_test {
    // A test that spawns its own app (with mail, say) is given the backend instead.
    ($name:ident, given_the_backend) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres::available() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        }
    };
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !$crate::helpers::postgres::available() {
                    return;
                }
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await;
                super::$name(app).await;
            }
        }
    };
}
