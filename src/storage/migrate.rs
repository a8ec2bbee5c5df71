//! Schema state: which migrations are applied and which are pending, and applying them.

use migrations::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{ConnectionTrait, DbErr, Statement};

use super::Db;

/// Where a database stands against the migrations this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaState {
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    /// Applied migrations this binary does not know: the database is newer than the binary.
    pub unknown: Vec<String>,
}

impl SchemaState {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }

    /// Why `serve` must refuse this database, with the command that fixes it, or `None`.
    pub fn refusal(&self) -> Option<String> {
        if !self.unknown.is_empty() {
            return Some(format!(
                "the database has migrations this binary does not know ({}): upgrade latchkey",
                self.unknown.join(", ")
            ));
        }
        if self.pending.is_empty() {
            return None;
        }
        let what = if self.applied.is_empty() {
            "not migrated"
        } else {
            "only partly migrated"
        };
        Some(format!(
            "database {what} ({} of {} migrations pending): run `latchkey migrate sql up -e --yes`",
            self.pending.len(),
            self.pending.len() + self.applied.len()
        ))
    }
}

/// Reads the migration table without creating it (a missing table means nothing is applied).
pub async fn state(db: &Db) -> Result<SchemaState, DbErr> {
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let recorded = if SchemaManager::new(&db.conn)
        .has_table("seaql_migrations")
        .await?
    {
        let rows = db
            .conn
            .query_all_raw(Statement::from_string(
                db.conn.get_database_backend(),
                "SELECT version FROM seaql_migrations",
            ))
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String>("", "version"))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    Ok(SchemaState {
        applied: known
            .iter()
            .filter(|k| recorded.contains(k))
            .cloned()
            .collect(),
        pending: known
            .iter()
            .filter(|k| !recorded.contains(k))
            .cloned()
            .collect(),
        unknown: recorded
            .into_iter()
            .filter(|r| !known.contains(r))
            .collect(),
    })
}

/// Applies every pending migration.
pub async fn up(db: &Db) -> Result<(), DbErr> {
    Migrator::up(&db.conn, None).await
}
