//! Storage: narrow traits the rest of the code depends on, and their one sea-orm implementation,
//! which runs on SQLite, PostgreSQL and MySQL/MariaDB alike.
//!
//! SQLite is opened in WAL mode with `synchronous=FULL`, a 5 s busy timeout and a small pool;
//! writing transactions are started `IMMEDIATE` (see [`Db::begin_write`]) because a deferred
//! transaction that upgrades to a write fails with SQLITE_BUSY whatever the timeout.

mod clients;
mod devices;
pub mod entities;
pub mod flow_cache;
mod flows;
mod keys;
pub mod migrate;
pub mod token_cache;
mod tokens;
mod trust;
pub mod ui_sessions;
mod users;
mod writer;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr, TransactionOptions,
    TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

pub use crate::config::DsnKind;

/// A storage failure. Nothing here is shown to API callers; it becomes a `server_error`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a record with this id already exists")]
    Conflict,
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// A storage failure on the protocol side is the server's: `server_error`, the cause logged.
impl From<StoreError> for crate::error::OAuthError {
    fn from(e: StoreError) -> Self {
        Self::server(e)
    }
}

/// On the admin side a duplicate id is a 409; anything else a 500 with the cause logged.
impl From<StoreError> for crate::error::AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Conflict(
                "Unable to insert or update resource because a resource with that value exists already".into(),
            ),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// An OAuth 2.0 client as stored: the metadata document, plus the columns we look up by.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredClient {
    pub id: String,
    /// PHC string of the argon2id hash of the secret, if the client has one.
    pub secret_hash: Option<String>,
    /// Hashes of secrets rotated out and still valid, newest first (at most
    /// [`crate::clients::MAX_ROTATED_SECRETS`]).
    pub rotated_secret_hashes: Vec<String>,
    /// Keyed digest of the registration access token of a dynamically registered client.
    pub registration_token_hash: Option<String>,
    pub client_name: String,
    pub owner: String,
    /// The `oAuth2Client` JSON without `client_secret`, `created_at` and `updated_at`.
    pub document: serde_json::Value,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters for listing clients (Hydra's `client_name` and `owner` query parameters).
#[derive(Clone, Debug, Default)]
pub struct ClientFilter {
    pub client_name: Option<String>,
    pub owner: Option<String>,
}

/// A trust relationship of the JWT-bearer grant (RFC 7523 §2.1).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredTrust {
    /// A UUID.
    pub id: String,
    /// The assertions' `iss`.
    pub issuer: String,
    /// The one `sub` allowed; empty when any is.
    pub subject: String,
    pub allow_any_subject: bool,
    /// The scopes assertions of this issuer may be exchanged for.
    pub scope: Vec<String>,
    pub key_id: String,
    /// The public key, a JWK document.
    pub jwk: serde_json::Value,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub expires_at: i64,
}

/// The JWT-bearer grant's trust relationships.
#[async_trait]
pub trait TrustStore: Send + Sync {
    /// [`StoreError::Conflict`] when the issuer already has this key for this subject.
    async fn create_trust(&self, trust: &StoredTrust) -> Result<(), StoreError>;
    async fn get_trust(&self, id: &str) -> Result<Option<StoredTrust>, StoreError>;
    /// Up to `limit` relationships with ids after `after`, in id order, of `issuer` when given.
    async fn list_trusts(
        &self,
        issuer: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredTrust>, StoreError>;
    async fn delete_trust(&self, id: &str) -> Result<bool, StoreError>;
    /// The unexpired relationships that let `issuer` assert `subject` (named, or any subject),
    /// with key `key_id` when given; newest first, at most 100.
    async fn trusted_keys(
        &self,
        issuer: &str,
        subject: &str,
        key_id: Option<&str>,
        now_ms: i64,
    ) -> Result<Vec<StoredTrust>, StoreError>;
    /// Deletes relationships that expired before `before_ms`; returns how many.
    async fn delete_expired_trusts(&self, before_ms: i64) -> Result<u64, StoreError>;
}

/// What the client admin API and the token endpoint need from storage.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Inserts a client; [`StoreError::Conflict`] when the id is taken.
    async fn create_client(&self, client: &StoredClient) -> Result<(), StoreError>;
    async fn get_client(&self, id: &str) -> Result<Option<StoredClient>, StoreError>;
    /// Replaces a client; `false` when there is none with that id.
    async fn update_client(&self, client: &StoredClient) -> Result<bool, StoreError>;
    /// Deletes a client; `false` when there is none with that id.
    async fn delete_client(&self, id: &str) -> Result<bool, StoreError>;
    /// Up to `limit` clients with ids after `after`, in id order (keyset pagination).
    async fn list_clients(
        &self,
        filter: &ClientFilter,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredClient>, StoreError>;
}

/// A token as stored: its signature (never the token), the request (grant) it belongs to, and
/// what introspection reports.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredToken {
    pub signature: String,
    /// `access_token` or `refresh_token`.
    pub kind: String,
    /// The grant this token came from; revoking it revokes every token of the family.
    pub request_id: String,
    pub client_id: String,
    pub subject: String,
    /// Space-separated granted scopes.
    pub scope: String,
    pub audience: Vec<String>,
    /// Extra claims (`ext` in introspection).
    pub extra: serde_json::Value,
    /// Milliseconds since the Unix epoch.
    pub issued_at: i64,
    pub expires_at: i64,
    pub active: bool,
}

/// What the token endpoint, introspection and revocation need from storage.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(&self, token: &StoredToken) -> Result<(), StoreError>;
    async fn get_token(&self, signature: &str) -> Result<Option<StoredToken>, StoreError>;
    /// Marks every token of a request inactive; returns how many.
    async fn revoke_request(&self, request_id: &str) -> Result<u64, StoreError>;
    /// Deletes every token of a client; returns how many.
    async fn delete_client_tokens(&self, client_id: &str) -> Result<u64, StoreError>;
    /// Deletes tokens (and used-assertion records and device authorizations) that expired before
    /// the given time; returns how many tokens.
    async fn delete_expired(&self, before_ms: i64) -> Result<u64, StoreError>;
    /// Records a client assertion's `jti` key as used; `false` when it was used before.
    async fn remember_jti(&self, id: &str, expires_at_ms: i64) -> Result<bool, StoreError>;
    /// Spends a code or refresh token and issues what it buys, in one transaction: marks
    /// `spend` inactive if it is active, and only then (optionally) marks the access tokens of
    /// request `revoke_access_of` inactive and inserts `issue`. `true` for the one caller that
    /// spent it; `false` when it was spent already (used, rotated, revoked) or does not exist, and
    /// then nothing is written. This is what makes codes and refresh tokens single-use across any
    /// number of nodes, and since the new tokens are committed with the spending, a concurrent
    /// replay that is detected (and revokes the family) always comes after them.
    async fn exchange(
        &self,
        spend: &str,
        revoke_access_of: Option<&str>,
        issue: &[StoredToken],
    ) -> Result<bool, StoreError>;
}

/// A completed authorization (Hydra's consent session): what was granted to which client for
/// which subject. Its id is the `request_id` of every token issued from it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFlow {
    pub id: String,
    pub client_id: String,
    pub subject: String,
    pub login_session_id: Option<String>,
    /// The consent was skipped (remembered earlier, or the client skips consent).
    pub consent_skip: bool,
    pub remember: bool,
    /// Milliseconds since the epoch until which a remembered consent is reused; `None`: forever.
    pub remember_until: Option<i64>,
    pub granted_scope: Vec<String>,
    pub granted_audience: Vec<String>,
    /// Everything else, read back whole (see [`FlowRecord`]).
    pub document: serde_json::Value,
    /// When consent completed, milliseconds since the epoch.
    pub created_at: i64,
}

/// What a completed flow keeps besides its columns (the `document` of the `flows` table).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct FlowRecord {
    pub request_url: String,
    pub requested_scope: Vec<String>,
    pub requested_audience: Vec<String>,
    pub redirect_uri: String,
    /// The request named its redirect URI, so the token request must repeat it (RFC 6749 §4.1.3).
    #[serde(default)]
    pub redirect_uri_sent: bool,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub requested_at: i64,
    pub auth_time: i64,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    pub login_context: Option<serde_json::Value>,
    pub context: Option<serde_json::Value>,
    pub session: crate::wire::ConsentSessionData,
    pub remember_for: i64,
    pub handled_at: i64,
    pub oidc_context: Option<crate::wire::OidcContext>,
    /// The identifier the client knows the user by, when it is not the subject: pairwise (OIDC
    /// Core §8.1) or forced by the login app (`force_subject_identifier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obfuscated_subject: Option<String>,
}

impl FlowRecord {
    /// Reads the record of a stored flow.
    pub fn of(flow: &StoredFlow) -> Result<Self, StoreError> {
        serde_json::from_value(flow.document.clone())
            .map_err(|e| StoreError::Corrupt(format!("flow {}: {e}", flow.id)))
    }
}

/// Where a device authorization stands (RFC 8628 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceState {
    /// The user has not finished yet: `authorization_pending`.
    Pending,
    /// The user consented; the next poll gets the tokens.
    Accepted,
    /// The user (or the login or consent app) refused: `access_denied`.
    Denied,
    /// The tokens were issued; another poll is a replay.
    Spent,
}

impl DeviceState {
    pub fn code(self) -> i16 {
        match self {
            Self::Pending => 0,
            Self::Accepted => 1,
            Self::Denied => 2,
            Self::Spent => 3,
        }
    }

    pub fn of(code: i16) -> Option<Self> {
        [Self::Pending, Self::Accepted, Self::Denied, Self::Spent]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// A device authorization (RFC 8628 §3.2) as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDevice {
    /// The device code's HMAC signature.
    pub signature: String,
    /// A keyed digest of the normalised user code.
    pub user_code: String,
    /// The flow that completes it: its id, and the request id of the tokens it buys.
    pub request_id: String,
    pub client_id: String,
    pub scope: Vec<String>,
    pub audience: Vec<String>,
    pub state: DeviceState,
    /// The polling interval now in force (it grows with every `slow_down`).
    pub interval_ms: i64,
    /// Milliseconds since the epoch; 0 before the first poll.
    pub polled_at: i64,
    pub requested_at: i64,
    pub expires_at: i64,
}

/// What the device authorization endpoint, the device grant and the device verification flow
/// need from storage.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// [`StoreError::Conflict`] when the user code is taken (the caller draws another).
    async fn create_device(&self, device: &StoredDevice) -> Result<(), StoreError>;
    /// The device authorization of a user code, by any of its digests (one per system secret).
    async fn device_by_user_code(
        &self,
        digests: &[String],
    ) -> Result<Option<StoredDevice>, StoreError>;
    async fn device_by_request(&self, request_id: &str)
    -> Result<Option<StoredDevice>, StoreError>;
    async fn device_by_code(&self, signature: &str) -> Result<Option<StoredDevice>, StoreError>;
    /// Records a poll of a pending authorization at `now_ms`: `true` when the previous poll was
    /// at least the interval before; otherwise the interval grows by `slow_down_ms` for this and
    /// every later poll (RFC 8628 §3.5) and `false`. Atomic, so polls spread over nodes count
    /// alike.
    async fn poll_device(
        &self,
        signature: &str,
        now_ms: i64,
        slow_down_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Completes a pending, unexpired device authorization with its flow (whose id is the
    /// authorization's `request_id`): stores the flow and marks the authorization accepted, in one
    /// transaction. `false`, and nothing written, when it is no longer pending or has expired;
    /// [`StoreError::Conflict`] when the flow was stored before.
    async fn accept_device(&self, flow: &StoredFlow, now_ms: i64) -> Result<bool, StoreError>;
    /// Marks a pending authorization denied; `false` when it was not pending.
    async fn deny_device(&self, request_id: &str) -> Result<bool, StoreError>;
    /// Spends an accepted authorization and stores the tokens it buys, in one transaction;
    /// `false`, and nothing written, when it was not accepted (spent already: a replay).
    async fn redeem_device(
        &self,
        signature: &str,
        tokens: &[StoredToken],
    ) -> Result<bool, StoreError>;
}

/// A user of the built-in login app.
#[derive(Clone, PartialEq)]
pub struct StoredUser {
    /// The subject of the user's tokens.
    pub id: String,
    /// Lower-case.
    pub email: String,
    /// PHC string of the argon2id hash of the password.
    pub password_hash: String,
    /// Profile claims (`name`, `given_name`, …) as a JSON object.
    pub claims: serde_json::Value,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for StoredUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredUser")
            .field("id", &self.id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// What the built-in login app and the user commands need from storage.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// [`StoreError::Conflict`] when the email is taken.
    async fn create_user(&self, user: &StoredUser) -> Result<(), StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<StoredUser>, StoreError>;
    async fn user_by_id(&self, id: &str) -> Result<Option<StoredUser>, StoreError>;
    /// Users in email order after `after`, at most `limit`.
    async fn list_users(
        &self,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredUser>, StoreError>;
    /// Replaces a user's claims (and `updated_at`); `false` when there is no such user.
    async fn update_user_claims(
        &self,
        id: &str,
        claims: &serde_json::Value,
        updated_at: i64,
    ) -> Result<bool, StoreError>;
    /// Deletes a user by email; `false` when there is none.
    async fn delete_user(&self, email: &str) -> Result<bool, StoreError>;
}

/// A remembered login. Its id is the published `sid`; the browser holds a cookie of its own,
/// of which only the digest is stored (see [`FlowStore::login_session_by_cookie`]).
#[derive(Clone, Debug, PartialEq)]
pub struct LoginSession {
    pub id: String,
    pub subject: String,
    /// Milliseconds since the epoch.
    pub authenticated_at: i64,
    pub expires_at: i64,
}

/// What the authorization endpoint and the login/consent admin API need from storage.
#[async_trait]
pub trait FlowStore: Send + Sync {
    /// Stores a completed flow and the tokens the response carries (its authorization code, the
    /// implicit responses' access token), in one transaction; [`StoreError::Conflict`] when the
    /// flow was completed before (a replayed consent verifier), and then nothing is written.
    async fn complete_flow(
        &self,
        flow: &StoredFlow,
        tokens: &[StoredToken],
    ) -> Result<(), StoreError>;
    async fn get_flow(&self, id: &str) -> Result<Option<StoredFlow>, StoreError>;
    /// The newest remembered, unexpired, not-skipped consent of a subject to a client.
    async fn remembered_consent(
        &self,
        subject: &str,
        client_id: &str,
        now_ms: i64,
    ) -> Result<Option<StoredFlow>, StoreError>;
    /// A subject's consents (not the skipped ones), optionally only those of one login session,
    /// in id order after `after`, at most `limit`.
    async fn list_consents(
        &self,
        subject: &str,
        login_session_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredFlow>, StoreError>;
    /// Deletes a subject's flows (of one client, or all) and every token issued from them, in one
    /// transaction; returns how many flows.
    async fn revoke_consents(
        &self,
        subject: &str,
        client_id: Option<&str>,
    ) -> Result<u64, StoreError>;
    /// The flows of a login session (for logout notifications).
    async fn session_flows(&self, login_session_id: &str) -> Result<Vec<StoredFlow>, StoreError>;
    /// Stores (or replaces) a login session with the digest of the cookie that opens it.
    async fn put_login_session(
        &self,
        session: &LoginSession,
        cookie_digest: &str,
    ) -> Result<(), StoreError>;
    async fn get_login_session(&self, id: &str) -> Result<Option<LoginSession>, StoreError>;
    /// The login session whose cookie has this digest.
    async fn login_session_by_cookie(
        &self,
        cookie_digest: &str,
    ) -> Result<Option<LoginSession>, StoreError>;
    /// Deletes login sessions by subject, by id, or both; returns how many.
    async fn delete_login_sessions(
        &self,
        subject: Option<&str>,
        id: Option<&str>,
    ) -> Result<u64, StoreError>;
    /// The janitor's part: deletes login sessions that expired, and flows that no token refers to
    /// any more and whose consent is not remembered (any longer); returns (flows, sessions).
    async fn delete_finished(&self, now_ms: i64) -> Result<(u64, u64), StoreError>;
}

/// A JSON Web Key as stored: the key itself (private parts included) only sealed.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredKey {
    pub set_id: String,
    pub kid: String,
    pub alg: String,
    pub key_use: String,
    /// The key's JWK, sealed with [`crate::crypto::seal::Sealer`] (bound to set and kid).
    pub sealed: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// What the key admin API, `jwks.json` and the token signers need from storage.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Adds keys to their sets in one transaction; [`StoreError::Conflict`] when a set already
    /// has one of the key ids (then nothing is added).
    async fn insert_keys(&self, keys: &[StoredKey]) -> Result<(), StoreError>;
    /// Stores a key, replacing the key of the same set and id if there is one.
    async fn put_key(&self, key: &StoredKey) -> Result<(), StoreError>;
    /// Replaces a whole set with these keys, atomically.
    async fn replace_set(&self, set_id: &str, keys: &[StoredKey]) -> Result<(), StoreError>;
    /// The keys of a set, newest first.
    async fn list_set(&self, set_id: &str) -> Result<Vec<StoredKey>, StoreError>;
    async fn delete_key(&self, set_id: &str, kid: &str) -> Result<bool, StoreError>;
    /// Deletes a set; returns how many keys it had.
    async fn delete_set(&self, set_id: &str) -> Result<u64, StoreError>;
}

/// Every SQLite connection: WAL, `synchronous=FULL` (a commit is on disk before it returns, so a
/// token is never handed out before its record would survive a power loss; group commit keeps
/// that to one fsync per batch), a busy timeout, foreign keys, and reads through a memory map
/// instead of a pread() copy per page. Each connection maps the file, so VmRSS counts
/// the database's cached pages once per connection; they are one shared page cache (RssAnon is
/// the process's own memory).
fn sqlite_pragmas(
    o: sea_orm::sqlx::sqlite::SqliteConnectOptions,
) -> sea_orm::sqlx::sqlite::SqliteConnectOptions {
    o.journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        .pragma("mmap_size", "268435456")
}

/// An open database: the connection pool and which family it is.
#[derive(Clone, Debug)]
pub struct Db {
    pub conn: DatabaseConnection,
    pub kind: DsnKind,
    /// Batches the hot-path writes; started on first use (see [`writer::Writer`]).
    writer: Arc<std::sync::OnceLock<writer::Writer>>,
    /// SQLite file: how to open the writer's own connection (see [`writer::Writer`]).
    writer_opts: Option<ConnectOptions>,
    /// Publishes cache events from writing transactions and applies them here.
    pub changes: Arc<crate::coherence::Publisher>,
    /// This process's background tasks (the writer's among them).
    pub tasks: Arc<crate::tasks::Tasks>,
}

impl Db {
    /// Keeps `owner`'s caches coherent with the other nodes on this database (see
    /// [`crate::coherence::start`]).
    pub fn keep_coherent(&self, owner: &Arc<crate::coherence::Coherence>) {
        crate::coherence::start(&self.conn, self.kind, &self.tasks, &self.changes, owner);
    }

    /// Opens a pool for `dsn`, tuned per database (see the module docs for SQLite).
    pub async fn connect(dsn: &str) -> Result<Self, DbErr> {
        let kind = DsnKind::parse(dsn).map_err(DbErr::Custom)?;
        let url = match kind {
            DsnKind::Memory => "sqlite::memory:".to_owned(),
            DsnKind::Sqlite => dsn.replacen("sqlite3://", "sqlite://", 1),
            DsnKind::Postgres => dsn.to_owned(),
            DsnKind::Mysql => dsn.replacen("mariadb://", "mysql://", 1),
        };
        let mut opt = ConnectOptions::new(url);
        opt.acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        match kind {
            DsnKind::Memory => {
                // One connection that lives as long as the pool: each in-memory connection is its
                // own database, so the pool must never drop or replace it.
                opt.max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            DsnKind::Sqlite => {
                opt.max_connections(8).min_connections(1);
                opt.map_sqlx_sqlite_opts(sqlite_pragmas);
            }
            DsnKind::Postgres | DsnKind::Mysql => {
                opt.max_connections(32).min_connections(1);
            }
        }
        let writer_opts = (kind == DsnKind::Sqlite).then(|| {
            let mut w = opt.clone();
            // One connection whose page cache stays warm (no other connection writes tokens),
            // and no checkpoints inside its commits: a background task checkpoints (see
            // writer::Writer). No larger page cache: with one, perf showed 5 % of the
            // writer in pcache1TruncateUnsafe, which scans the cache's hash table at commits.
            w.max_connections(1).min_connections(1);
            w.map_sqlx_sqlite_opts(|o| sqlite_pragmas(o).pragma("wal_autocheckpoint", "0"));
            w
        });
        let conn = Database::connect(opt).await?;
        Ok(Self {
            conn,
            kind,
            writer: Arc::default(),
            writer_opts,
            changes: Arc::new(crate::coherence::Publisher::new(kind)),
            tasks: Arc::default(),
        })
    }

    /// Publishes `events` inside `txn`, commits it, and applies them to this process's caches
    /// (see [`crate::coherence`]).
    pub(crate) async fn commit_with(
        &self,
        txn: DatabaseTransaction,
        events: &[crate::coherence::Event],
    ) -> Result<(), DbErr> {
        self.changes.publish(&txn, events).await?;
        txn.commit().await?;
        self.changes.applied(events);
        Ok(())
    }

    /// Checks that the database answers.
    /// The pool's open and idle connections (for the metrics).
    pub fn pool_stats(&self) -> (u32, u32) {
        use sea_orm::DatabaseBackend as B;
        let idle = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        match self.conn.get_database_backend() {
            B::Postgres => {
                let p = self.conn.get_postgres_connection_pool();
                (p.size(), idle(p.num_idle()))
            }
            B::MySql => {
                let p = self.conn.get_mysql_connection_pool();
                (p.size(), idle(p.num_idle()))
            }
            B::Sqlite => {
                let p = self.conn.get_sqlite_connection_pool();
                (p.size(), idle(p.num_idle()))
            }
            _ => (0, 0),
        }
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    /// Starts a transaction that will write; on SQLite it takes the write lock at once (`IMMEDIATE`).
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        if matches!(self.kind, DsnKind::Sqlite | DsnKind::Memory) {
            self.conn
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await
        } else {
            self.conn.begin().await
        }
    }

    /// The group-commit writer, started on first use.
    fn writer(&self) -> &writer::Writer {
        self.writer.get_or_init(|| {
            writer::Writer::start(
                self.conn.clone(),
                self.writer_opts.clone(),
                self.kind,
                self.changes.clone(),
                &self.tasks,
            )
        })
    }

    /// The stores, as the narrow traits the rest of the code depends on.
    pub fn client_store(&self) -> Arc<dyn ClientStore> {
        Arc::new(SqlStore { db: self.clone() })
    }

    pub fn token_store(&self) -> Arc<dyn TokenStore> {
        Arc::new(SqlStore { db: self.clone() })
    }

    pub fn key_store(&self) -> Arc<dyn KeyStore> {
        Arc::new(SqlStore { db: self.clone() })
    }

    pub fn flow_store(&self) -> Arc<dyn FlowStore> {
        Arc::new(SqlStore { db: self.clone() })
    }

    pub fn trust_store(&self) -> Arc<dyn TrustStore> {
        Arc::new(SqlStore { db: self.clone() })
    }

    pub fn device_store(&self) -> Arc<dyn DeviceStore> {
        Arc::new(SqlStore { db: self.clone() })
    }

    pub fn user_store(&self) -> Arc<dyn UserStore> {
        Arc::new(SqlStore { db: self.clone() })
    }
}

// `one_by_key`: primary-key lookups use `.all()` rather than sea-orm's `.one()`. `.one()` adds
// `LIMIT ?` with a bound 1; SQLite (3.4x) specialises the plan on a bound LIMIT value and marks the
// statement expired whenever that parameter is bound again, so every execution was parsed and
// prepared anew (found with gdb on `sqlite3Reprepare`: `expmask` = the LIMIT parameter; it was a
// fifth of an uncached introspection). A key lookup returns at most one row without a LIMIT.

/// The one SQL implementation of every store trait.
#[derive(Clone, Debug)]
pub struct SqlStore {
    db: Db,
}

macro_rules! debug_as_name {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for dyn $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($t))
            }
        }
    )*};
}
debug_as_name!(FlowStore, TrustStore, DeviceStore, TokenStore);
