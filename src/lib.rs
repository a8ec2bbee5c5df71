//! Latchkey: an OAuth 2.0 authorization server and OpenID Connect provider that speaks Ory Hydra's
//! wire protocol, shipped as one binary.
//!
//! # Layout
//!
//! - [`cli`]: the `latchkey` command trees (current and classic) and the HTTP client they use.
//! - [`config`]: figment configuration (defaults < files < environment) with Hydra's keys, a
//!   file per section; lifespans are parsed once, at load.
//! - [`app`]: builds the public and admin endpoints and runs them until shutdown.
//! - [`http`]: poem / poem-openapi adapters only — handlers (`http::admin` has a file per admin
//!   resource), middleware, and `http::error`, where every error is rendered.
//! - [`oauth`]: the OAuth 2.0 core as services, no HTTP types — [`oauth::client_auth`],
//!   [`oauth::tokens`], the token endpoint and its grants ([`oauth::grants`]; each declares its
//!   parameters and client authentication and is built from the services it uses), the
//!   authorization request's checks as a table of steps ([`oauth::authorize`]), the request
//!   contexts ([`oauth::context`]), introspection, revocation, device authorization.
//!   [`oauth::mint`] is the one place tokens are made: lifespans, rows, and the signing of JWT
//!   access, ID and logout tokens. [`oauth::Services`] is what `app::state` builds them from.
//! - [`flows`]: the login → consent engine ([`flows::engine`]) and what starts it — the
//!   authorization endpoint ([`flows::endpoint`]) or a device authorization
//!   ([`flows::device`], RFC 8628) — with Hydra's challenge API; flows in progress travel sealed
//!   in their challenges, completed ones are stored (the record is [`storage::FlowRecord`]).
//! - [`clients`]: the OAuth 2.0 client registry (validation, secrets, JSON Patch); no HTTP types.
//! - [`wire`]: the JSON shapes of Hydra's API, shared by server and CLI.
//! - [`storage`]: narrow store traits and their one sea-orm implementation for SQLite,
//!   PostgreSQL and MySQL; schema state and migrations (the schema itself is the `migrations` crate).
//! - [`outbound`]: the one HTTP client for requests to URLs clients registered (timeouts, size bound).
//! - [`trust`]: the JWT-bearer grant's trust relationships (issuers, subjects, keys, scopes).
//! - [`keys`]: JSON Web Key sets (admin operations, `jwks.json`, the token signing keys).
//! - [`users`]: the built-in login app's users (demo user, sign-in checks); no HTTP types.
//! - [`crypto`]: randomness, secret hashing, opaque tokens, sealing, JWK encodings.
//! - [`error`]: the two error types, [`error::OAuthError`] and [`error::AdminError`], at the
//!   bottom of the layers.
//! - [`coherence`]: the cache-event vocabulary and its one owner, which keeps every in-process
//!   cache right across nodes sharing a database (PostgreSQL `LISTEN/NOTIFY`, or a polled change
//!   log on MySQL and SQLite); sending and receiving, in one message format. It sits below
//!   [`storage`], whose writes publish events.
//! - [`tasks`]: the background tasks (writer, checkpointer, event listener or poller, janitor),
//!   started and stopped together.
//! - [`clock`]: injected time; the only file that reads the system clocks.
//! - [`limits`]: counting failures within a window (sign-ins, device user codes).
//! - [`query`]: appending or replacing a URL's query parameters.
//!
//! A request on the admin listener flows: `http::request_log` → `http::legacy_admin_paths`
//! (Hydra v1 aliases) → body limit → the poem-openapi operation in `http::admin::*` → `clients`,
//! `keys`, `flows` → `storage`. Errors come back as `error::AdminError` and leave, through
//! `http::error`, as Hydra's JSON error body with the status that belongs to them.

pub mod app;
pub mod cli;
pub mod clients;
pub mod clock;
pub mod coherence;
pub mod config;
pub mod crypto;
pub mod error;
pub mod flows;
pub mod http;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod oauth;
pub mod oidc;
pub mod outbound;
pub mod provider;
pub mod query;
pub mod storage;
pub mod tasks;
pub mod trust;
pub mod users;
pub mod wire;
