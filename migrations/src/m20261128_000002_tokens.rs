//! Access and refresh tokens. Only the HMAC signature of a token is stored, never the token, so a
//! database leak yields nothing usable. Every row carries the id of the request (grant) it came
//! from, so a whole family can be revoked in one statement.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tokens {
    Table,
    Signature,
    Kind,
    RequestId,
    ClientId,
    Subject,
    Scope,
    Audience,
    Extra,
    IssuedAt,
    ExpiresAt,
    Active,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tokens::Table)
                    .if_not_exists()
                    .col(string_len(Tokens::Signature, 128).primary_key())
                    .col(string_len(Tokens::Kind, 16))
                    .col(string_len(Tokens::RequestId, 64))
                    .col(string_len(Tokens::ClientId, 255))
                    .col(string_len(Tokens::Subject, 255))
                    .col(text(Tokens::Scope))
                    .col(text(Tokens::Audience))
                    .col(text(Tokens::Extra))
                    .col(big_integer(Tokens::IssuedAt))
                    .col(big_integer(Tokens::ExpiresAt))
                    .col(boolean(Tokens::Active))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("tokens_client_idx", Tokens::ClientId),
            ("tokens_request_idx", Tokens::RequestId),
            ("tokens_expires_idx", Tokens::ExpiresAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Tokens::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tokens::Table).to_owned())
            .await
    }
}
