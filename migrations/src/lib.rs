//! Latchkey's database schema, one migration per file, run unchanged on SQLite, PostgreSQL and
//! MySQL/MariaDB. A migration's name comes from its file name, so never rename a file once released.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_clients;
mod m20261128_000002_tokens;
mod m20261128_000003_assertion_jtis;
mod m20261128_000004_jwks;
mod m20261129_000005_flows;
mod m20261129_000006_users;
mod m20261129_000007_ui_sessions;
mod m20261201_000008_cache_events;
mod m20261202_000009_device_codes;
mod m20261202_000010_client_secrets;
mod m20261202_000011_trusted_issuers;
mod m20261203_000012_login_session_cookies;

/// The ordered list of every migration Latchkey knows.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_clients::Migration),
            Box::new(m20261128_000002_tokens::Migration),
            Box::new(m20261128_000003_assertion_jtis::Migration),
            Box::new(m20261128_000004_jwks::Migration),
            Box::new(m20261129_000005_flows::Migration),
            Box::new(m20261129_000006_users::Migration),
            Box::new(m20261129_000007_ui_sessions::Migration),
            Box::new(m20261201_000008_cache_events::Migration),
            Box::new(m20261202_000009_device_codes::Migration),
            Box::new(m20261202_000010_client_secrets::Migration),
            Box::new(m20261202_000011_trusted_issuers::Migration),
            Box::new(m20261203_000012_login_session_cookies::Migration),
        ]
    }
}
