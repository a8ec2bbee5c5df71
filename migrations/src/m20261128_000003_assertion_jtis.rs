//! `jti` values of client assertions already used (RFC 7523 §3, item 7): a replayed assertion is
//! refused. The key is a SHA-256 over client id and jti, so any jti length fits; rows can go once
//! the assertion they record has expired.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AssertionJtis {
    Table,
    Id,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AssertionJtis::Table)
                    .if_not_exists()
                    .col(string_len(AssertionJtis::Id, 64).primary_key())
                    .col(big_integer(AssertionJtis::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AssertionJtis::Table).to_owned())
            .await
    }
}
