//! OAuth 2.0 clients. The registered metadata is kept whole as a JSON document so that every field of
//! Hydra's `oAuth2Client` survives a round trip; the columns beside it are the ones we filter or look
//! up by, and the argon2id hash of the secret, which never appears in the document.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    SecretHash,
    ClientName,
    Owner,
    Document,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .if_not_exists()
                    .col(string_len(Clients::Id, 255).primary_key())
                    .col(text_null(Clients::SecretHash))
                    .col(string_len(Clients::ClientName, 255).default(""))
                    .col(string_len(Clients::Owner, 255).default(""))
                    .col(json(Clients::Document))
                    .col(big_integer(Clients::CreatedAt))
                    .col(big_integer(Clients::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("clients_owner_idx")
                    .table(Clients::Table)
                    .col(Clients::Owner)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Clients::Table).to_owned())
            .await
    }
}
