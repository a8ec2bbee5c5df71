//! The authentication session cookie becomes a secret of its own: a login session keeps the
//! SHA-256 digest of its cookie, and a browser is recognised by that digest, never by the session
//! id (the id is the `sid` every ID token, logout token and front-channel logout URL publishes).
//! Sessions stored before this migration have no digest, so no cookie opens them any more: their
//! users sign in again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginSessions {
    Table,
    CookieDigest,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginSessions::Table)
                    .add_column(string_len_null(LoginSessions::CookieDigest, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("login_sessions_cookie_idx")
                    .table(LoginSessions::Table)
                    .col(LoginSessions::CookieDigest)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("login_sessions_cookie_idx")
                    .table(LoginSessions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginSessions::Table)
                    .drop_column(LoginSessions::CookieDigest)
                    .to_owned(),
            )
            .await
    }
}
