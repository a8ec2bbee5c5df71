//! Two more credentials of a client, both hashes beside the secret's and never in the document:
//! the secrets rotated out by `POST /admin/clients/{id}/secrets/rotate` that stay valid until
//! `DELETE …/secrets/rotate` (a JSON array of PHC strings, newest first, at most five), and the
//! keyed digest of the registration access token of a dynamically registered client (RFC 7592).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    RotatedSecretHashes,
    RegistrationTokenHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(text_null(Clients::RotatedSecretHashes))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(string_len_null(Clients::RegistrationTokenHash, 128))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Clients::RegistrationTokenHash, Clients::RotatedSecretHashes] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
