//! Trust relationships of the JWT-bearer grant (RFC 7523 §2.1, Hydra's
//! `trustOAuth2JwtGrantIssuer`): an issuer whose assertions this server accepts, for one subject
//! or any, within scopes, verified with one public key (kept here, public parameters only), until
//! it expires. One relationship per issuer, subject and key id.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrustedIssuers {
    Table,
    Id,
    Issuer,
    Subject,
    AllowAnySubject,
    Scope,
    KeyId,
    Jwk,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrustedIssuers::Table)
                    .if_not_exists()
                    .col(string_len(TrustedIssuers::Id, 36).primary_key())
                    .col(string_len(TrustedIssuers::Issuer, 255))
                    .col(string_len(TrustedIssuers::Subject, 255))
                    .col(boolean(TrustedIssuers::AllowAnySubject))
                    .col(text(TrustedIssuers::Scope))
                    .col(string_len(TrustedIssuers::KeyId, 255))
                    .col(text(TrustedIssuers::Jwk))
                    .col(big_integer(TrustedIssuers::CreatedAt))
                    .col(big_integer(TrustedIssuers::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("trusted_issuers_issuer_subject_key_idx")
                    .table(TrustedIssuers::Table)
                    .col(TrustedIssuers::Issuer)
                    .col(TrustedIssuers::Subject)
                    .col(TrustedIssuers::KeyId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("trusted_issuers_expires_idx")
                    .table(TrustedIssuers::Table)
                    .col(TrustedIssuers::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TrustedIssuers::Table).to_owned())
            .await
    }
}
