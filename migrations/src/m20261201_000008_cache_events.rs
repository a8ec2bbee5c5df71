//! The change log that carries cache events between nodes where the database has no
//! notifications (MySQL/MariaDB, several processes on one SQLite file): each writing transaction
//! that changes what a cache may hold appends one row with its events, and every node polls for
//! rows after the last it applied. Rows are pruned after a few minutes. PostgreSQL nodes use
//! `LISTEN/NOTIFY` instead and leave this table empty.
//!
//! Sequence numbers come from the one row of `cache_counter`, incremented by the writing
//! transaction just before it commits: the row lock is held until the commit, so numbers are
//! committed in order and a poller that sees number n+1 can rely on n being visible (an
//! auto-increment column is assigned at insert and committed in any order, so a poller could
//! skip a number that commits later), and a rolled-back transaction leaves no hole.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CacheCounter {
    Table,
    Id,
    Seq,
}

#[derive(DeriveIden)]
enum CacheEvents {
    Table,
    Seq,
    Node,
    Events,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CacheEvents::Table)
                    .if_not_exists()
                    .col(big_integer(CacheEvents::Seq).primary_key())
                    .col(string_len(CacheEvents::Node, 64))
                    .col(text(CacheEvents::Events))
                    .col(big_integer(CacheEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("cache_events_created_idx")
                    .table(CacheEvents::Table)
                    .col(CacheEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CacheCounter::Table)
                    .if_not_exists()
                    .col(integer(CacheCounter::Id).primary_key())
                    .col(big_integer(CacheCounter::Seq))
                    .to_owned(),
            )
            .await?;
        let mut first = Query::insert();
        first
            .into_table(CacheCounter::Table)
            .columns([CacheCounter::Id, CacheCounter::Seq])
            .values([1.into(), 0.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        manager.exec_stmt(first).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CacheCounter::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CacheEvents::Table).to_owned())
            .await
    }
}
