//! The built-in login app's own sessions (tower-sessions records): id, JSON data, expiry.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UiSessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UiSessions::Table)
                    .if_not_exists()
                    .col(string_len(UiSessions::Id, 64).primary_key())
                    .col(text(UiSessions::Data))
                    .col(big_integer(UiSessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ui_sessions_expires_idx")
                    .table(UiSessions::Table)
                    .col(UiSessions::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UiSessions::Table).to_owned())
            .await
    }
}
