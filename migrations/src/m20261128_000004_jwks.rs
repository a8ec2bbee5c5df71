//! JSON Web Keys, grouped in sets (`hydra.openid.id-token`, `hydra.jwt.access-token` and any set an
//! operator creates). The key itself, private parts included, is sealed (AEAD under
//! `secrets.system`) in `sealed`; `alg` and `key_use` are kept in clear for listing. `seq` orders
//! keys by creation: the newest key of a set signs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jwks {
    Table,
    Seq,
    SetId,
    Kid,
    Alg,
    KeyUse,
    Sealed,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jwks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Jwks::Seq))
                    .col(string_len(Jwks::SetId, 255))
                    .col(string_len(Jwks::Kid, 255))
                    .col(string_len(Jwks::Alg, 32))
                    .col(string_len(Jwks::KeyUse, 16))
                    .col(text(Jwks::Sealed))
                    .col(big_integer(Jwks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jwks_set_kid")
                    .table(Jwks::Table)
                    .col(Jwks::SetId)
                    .col(Jwks::Kid)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Jwks::Table).to_owned())
            .await
    }
}
