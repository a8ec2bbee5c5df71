//! sea-orm entities, one module per table.

pub mod client {
    //! The `clients` table (see migration `m20261128_000001_clients`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "clients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub secret_hash: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub rotated_secret_hashes: Option<String>,
        pub registration_token_hash: Option<String>,
        pub client_name: String,
        pub owner: String,
        #[sea_orm(column_type = "Json")]
        pub document: Json,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod token {
    //! The `tokens` table (see migration `m20261128_000002_tokens`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub signature: String,
        pub kind: String,
        pub request_id: String,
        pub client_id: String,
        pub subject: String,
        #[sea_orm(column_type = "Text")]
        pub scope: String,
        #[sea_orm(column_type = "Text")]
        pub audience: String,
        #[sea_orm(column_type = "Text")]
        pub extra: String,
        pub issued_at: i64,
        pub expires_at: i64,
        pub active: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod assertion_jti {
    //! The `assertion_jtis` table (see migration `m20261128_000003_assertion_jtis`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "assertion_jtis")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod jwk {
    //! The `jwks` table (see migration `m20261128_000004_jwks`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "jwks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub set_id: String,
        pub kid: String,
        pub alg: String,
        pub key_use: String,
        #[sea_orm(column_type = "Text")]
        pub sealed: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod flow {
    //! The `flows` table (see migration `m20261129_000005_flows`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "flows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub client_id: String,
        pub subject: String,
        pub login_session_id: Option<String>,
        pub consent_skip: bool,
        pub remember: bool,
        pub remember_until: Option<i64>,
        #[sea_orm(column_type = "Text")]
        pub granted_scope: String,
        #[sea_orm(column_type = "Text")]
        pub granted_audience: String,
        #[sea_orm(column_type = "Text")]
        pub document: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod login_session {
    //! The `login_sessions` table (see migrations `m20261129_000005_flows` and
    //! `m20261203_000012_login_session_cookies`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub subject: String,
        pub authenticated_at: i64,
        pub expires_at: i64,
        /// SHA-256 (hex) of the browser's authentication session cookie; `None` for sessions
        /// stored before cookies were secrets of their own (no cookie opens them).
        pub cookie_digest: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod user {
    //! The `users` table (see migration `m20261129_000006_users`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub email: String,
        pub password_hash: String,
        #[sea_orm(column_type = "Text")]
        pub claims: String,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ui_session {
    //! The `ui_sessions` table (see migration `m20261129_000007_ui_sessions`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "ui_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        #[sea_orm(column_type = "Text")]
        pub data: String,
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod device_code {
    //! The `device_codes` table (see migration `m20261202_000009_device_codes`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "device_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub signature: String,
        pub user_code: String,
        pub request_id: String,
        pub client_id: String,
        #[sea_orm(column_type = "Text")]
        pub scope: String,
        #[sea_orm(column_type = "Text")]
        pub audience: String,
        pub state: i16,
        pub interval_ms: i64,
        pub polled_at: i64,
        pub requested_at: i64,
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod trusted_issuer {
    //! The `trusted_issuers` table (see migration `m20261202_000011_trusted_issuers`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "trusted_issuers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub issuer: String,
        pub subject: String,
        pub allow_any_subject: bool,
        #[sea_orm(column_type = "Text")]
        pub scope: String,
        pub key_id: String,
        #[sea_orm(column_type = "Text")]
        pub jwk: String,
        pub created_at: i64,
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
