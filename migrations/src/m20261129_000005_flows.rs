//! Completed authorizations and remembered logins.
//!
//! - `flows`: one row per authorization whose consent completed (Hydra's consent sessions). Its id
//!   is the `request_id` of every code and token issued from it, so revoking a consent revokes
//!   its tokens in one statement. What is only read back whole (the original request, the
//!   session claims, `acr`/`amr`, the PKCE challenge) is one JSON document; what is searched on
//!   is a column. Flows in progress are never stored: they travel sealed in the challenges.
//! - `login_sessions`: a login the user asked to be remembered (the authentication session cookie
//!   holds its id).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Flows {
    Table,
    Id,
    ClientId,
    Subject,
    LoginSessionId,
    ConsentSkip,
    Remember,
    RememberUntil,
    GrantedScope,
    GrantedAudience,
    Document,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoginSessions {
    Table,
    Id,
    Subject,
    AuthenticatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Flows::Table)
                    .if_not_exists()
                    .col(string_len(Flows::Id, 64).primary_key())
                    .col(string_len(Flows::ClientId, 255))
                    .col(string_len(Flows::Subject, 255))
                    .col(string_len_null(Flows::LoginSessionId, 64))
                    .col(boolean(Flows::ConsentSkip))
                    .col(boolean(Flows::Remember))
                    .col(big_integer_null(Flows::RememberUntil))
                    .col(text(Flows::GrantedScope))
                    .col(text(Flows::GrantedAudience))
                    .col(text(Flows::Document))
                    .col(big_integer(Flows::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("flows_subject_client_idx")
                    .table(Flows::Table)
                    .col(Flows::Subject)
                    .col(Flows::ClientId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("flows_login_session_idx")
                    .table(Flows::Table)
                    .col(Flows::LoginSessionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginSessions::Table)
                    .if_not_exists()
                    .col(string_len(LoginSessions::Id, 64).primary_key())
                    .col(string_len(LoginSessions::Subject, 255))
                    .col(big_integer(LoginSessions::AuthenticatedAt))
                    .col(big_integer(LoginSessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("login_sessions_subject_idx")
                    .table(LoginSessions::Table)
                    .col(LoginSessions::Subject)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginSessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Flows::Table).to_owned())
            .await
    }
}
