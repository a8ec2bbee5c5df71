//! RFC 8628 device authorizations: the device code (by its HMAC), the user code (by a keyed
//! digest, unique among live ones), the flow that will complete it (`request_id`, also the id of
//! the flow and of the tokens issued from it), what was requested, its state, and the polling
//! bookkeeping behind `slow_down`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DeviceCodes {
    Table,
    Signature,
    UserCode,
    RequestId,
    ClientId,
    Scope,
    Audience,
    State,
    IntervalMs,
    PolledAt,
    RequestedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DeviceCodes::Table)
                    .if_not_exists()
                    .col(string_len(DeviceCodes::Signature, 64).primary_key())
                    .col(string_len(DeviceCodes::UserCode, 64))
                    .col(string_len(DeviceCodes::RequestId, 64))
                    .col(string_len(DeviceCodes::ClientId, 255))
                    .col(text(DeviceCodes::Scope))
                    .col(text(DeviceCodes::Audience))
                    .col(small_integer(DeviceCodes::State))
                    .col(big_integer(DeviceCodes::IntervalMs))
                    .col(big_integer(DeviceCodes::PolledAt))
                    .col(big_integer(DeviceCodes::RequestedAt))
                    .col(big_integer(DeviceCodes::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        for (name, col, unique) in [
            ("device_codes_user_code_idx", DeviceCodes::UserCode, true),
            ("device_codes_request_idx", DeviceCodes::RequestId, true),
            ("device_codes_expires_idx", DeviceCodes::ExpiresAt, false),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(DeviceCodes::Table).col(col);
            if unique {
                idx.unique();
            }
            manager.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeviceCodes::Table).to_owned())
            .await
    }
}
