//! The command line: two trees (Hydra v2's `create client …` and the classic v1.x `clients create …`)
//! that map onto one implementation. `main` parses and calls [`run`].

mod authcode;
mod clients;
mod device;
mod keys;
mod migrate;
mod output;
mod remote;
mod serve;
mod tokens;
mod users;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use clients::ClientArgs;

#[derive(Parser, Debug)]
#[command(
    name = "latchkey",
    version,
    about = "An OAuth 2.0 authorization server and OpenID Connect provider, wire-compatible with Ory Hydra",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Run the server: `serve all`, `serve public` or `serve admin`.
    Serve(serve::ServeCmd),
    /// Database migrations: `migrate sql up [DSN] [-e] [--yes]`, `migrate status`.
    Migrate(migrate::MigrateCmd),
    /// Create resources: `create client`, `create jwk SET`.
    Create(CreateCmd),
    /// Show resources: `get client ID…`, `get jwk SET…`.
    Get(GetCmd),
    /// List resources: `list clients`.
    List(ListCmd),
    /// Replace resources: `update client ID`.
    Update(UpdateCmd),
    /// Delete resources: `delete client ID…`, `delete jwk SET…`, `delete access-tokens ID`.
    Delete(DeleteCmd),
    /// Classic (Hydra v1.x) client commands: `clients create|get|list|delete`.
    Clients(clients::ClassicClientsCmd),
    /// Classic (Hydra v1.x) key commands: `keys create|get|delete SET`.
    Keys(keys::ClassicKeysCmd),
    /// Run a flow against the server: `perform client-credentials`.
    Perform(PerformCmd),
    /// Introspect a token: `introspect token TOKEN`.
    Introspect(IntrospectCmd),
    /// Revoke a token: `revoke token TOKEN --client-id --client-secret`.
    Revoke(RevokeCmd),
    /// Delete expired tokens from the database: `janitor [DSN]`.
    Janitor {
        #[arg(value_name = "DSN")]
        dsn: Option<String>,
        #[command(flatten)]
        dsn_args: migrate::DsnArgs,
    },
    /// Classic (Hydra v1.x) token commands: `token client|introspect|revoke|delete|flush`.
    Token(tokens::ClassicTokenCmd),
    /// Print the version.
    Version,
    /// Print the admin API's OpenAPI spec (JSON), as committed under openapi/.
    Openapi,
}

/// Flags every command that talks to a running server takes.
#[derive(Args, Debug, Clone)]
pub struct RemoteArgs {
    /// The admin API URL. Defaults to $LATCHKEY_ADMIN_URL, $HYDRA_ADMIN_URL, $ORY_SDK_URL, then
    /// http://127.0.0.1:4445.
    #[arg(short = 'e', long = "endpoint")]
    pub endpoint: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print only identifiers.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Skip TLS certificate verification (for self-signed development certificates only).
    #[arg(long = "skip-tls-verify")]
    pub skip_tls_verify: bool,
    /// The admin API key (`serve.admin.auth.api_keys`), sent as a bearer token to the admin API
    /// only. Defaults to $LATCHKEY_ADMIN_API_KEY.
    #[arg(
        long = "api-key",
        env = "LATCHKEY_ADMIN_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    #[value(name = "json-pretty")]
    JsonPretty,
}

#[derive(Args, Debug)]
pub struct CreateCmd {
    #[command(subcommand)]
    pub what: CreateWhat,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum CreateWhat {
    /// Create an OAuth 2.0 client.
    #[command(alias = "oauth2-client")]
    Client {
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Generate a JSON Web Key into a set (created if missing).
    #[command(alias = "jwks")]
    Jwk {
        #[command(flatten)]
        args: keys::CreateKeyArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Create a user of the built-in login app (in the database).
    User {
        #[arg(long)]
        email: String,
        /// At least 8 characters.
        #[arg(long)]
        password: String,
        /// The user's standard claims (OIDC Core §5.1), released by scope at consent.
        #[command(flatten)]
        profile: users::ProfileArgs,
        #[command(flatten)]
        db: users::UserDb,
    },
}

#[derive(Args, Debug)]
pub struct GetCmd {
    #[command(subcommand)]
    pub what: GetWhat,
}

#[derive(Subcommand, Debug)]
pub enum GetWhat {
    /// Show one or more OAuth 2.0 clients.
    #[command(alias = "oauth2-client", alias = "clients")]
    Client {
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Show one or more JSON Web Key sets (private parameters unless --public).
    #[command(alias = "jwks")]
    Jwk {
        #[command(flatten)]
        args: keys::GetKeyArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

#[derive(Args, Debug)]
pub struct ListCmd {
    #[command(subcommand)]
    pub what: ListWhat,
}

#[derive(Subcommand, Debug)]
pub enum ListWhat {
    /// List OAuth 2.0 clients.
    #[command(alias = "oauth2-clients", alias = "client")]
    Clients {
        /// Clients per page.
        #[arg(long = "page-size")]
        page_size: Option<u64>,
        /// The page to show (from the previous page's output).
        #[arg(long = "page-token")]
        page_token: Option<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// List the users of the built-in login app (from the database).
    #[command(alias = "user")]
    Users {
        #[command(flatten)]
        db: users::UserDb,
    },
}

#[derive(Args, Debug)]
pub struct UpdateCmd {
    #[command(subcommand)]
    pub what: UpdateWhat,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum UpdateWhat {
    /// Replace an OAuth 2.0 client with the given flags (fields not given are reset).
    #[command(alias = "oauth2-client")]
    Client {
        /// The id of the client to replace.
        #[arg(value_name = "ID")]
        target: String,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Change the claims of a user of the built-in login app (in the database): the flags given
    /// are set, the others kept.
    User {
        #[arg(value_name = "EMAIL")]
        email: String,
        #[command(flatten)]
        profile: users::ProfileArgs,
        /// Remove a claim (by its name, e.g. picture); repeatable.
        #[arg(long, value_name = "CLAIM")]
        unset: Vec<String>,
        #[command(flatten)]
        db: users::UserDb,
    },
}

#[derive(Args, Debug)]
pub struct DeleteCmd {
    #[command(subcommand)]
    pub what: DeleteWhat,
}

#[derive(Subcommand, Debug)]
pub enum DeleteWhat {
    /// Delete one or more OAuth 2.0 clients.
    #[command(alias = "oauth2-client", alias = "clients")]
    Client {
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Delete one or more JSON Web Key sets.
    #[command(alias = "jwks")]
    Jwk {
        #[arg(value_name = "SET", required = true)]
        sets: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Delete users of the built-in login app, by email (in the database).
    #[command(alias = "users")]
    User {
        #[arg(value_name = "EMAIL", required = true)]
        emails: Vec<String>,
        #[command(flatten)]
        db: users::UserDb,
    },
    /// Delete every access and refresh token of a client.
    #[command(name = "access-tokens")]
    AccessTokens {
        client_id: String,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

#[derive(Args, Debug)]
pub struct PerformCmd {
    #[command(subcommand)]
    pub what: PerformWhat,
}

#[derive(Subcommand, Debug)]
pub enum PerformWhat {
    /// Get an access token with the client credentials grant (RFC 6749 §4.4).
    ClientCredentials {
        #[command(flatten)]
        grant: tokens::ClientCredentialsArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Sign in through a browser with the authorization code flow and PKCE, and print the tokens.
    AuthorizationCode {
        #[command(flatten)]
        flow: authcode::AuthCodeArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Sign a device in with the device authorization grant (RFC 8628): print where to go and
    /// the code, poll, and print the tokens.
    DeviceCode {
        #[command(flatten)]
        flow: device::DeviceCodeArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

#[derive(Args, Debug)]
pub struct IntrospectCmd {
    #[command(subcommand)]
    pub what: IntrospectWhat,
}

#[derive(Subcommand, Debug)]
pub enum IntrospectWhat {
    /// Introspect an access or refresh token (admin API).
    Token {
        token: String,
        /// Scopes the token must have been granted.
        #[arg(long = "scope", value_delimiter = ',')]
        scope: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

#[derive(Args, Debug)]
pub struct RevokeCmd {
    #[command(subcommand)]
    pub what: RevokeWhat,
}

#[derive(Subcommand, Debug)]
pub enum RevokeWhat {
    /// Revoke an access or refresh token (public API; the client authenticates).
    Token {
        #[command(flatten)]
        args: tokens::RevokeArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

/// `-c/--config` files, in order (later wins).
#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// A configuration file (YAML or TOML); repeat to layer several.
    #[arg(short = 'c', long = "config")]
    pub config: Vec<PathBuf>,
}

/// Runs a parsed command; the error is one line for the user.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(cmd) => serve::run(cmd).await,
        Command::Migrate(cmd) => migrate::run(cmd).await,
        Command::Create(CreateCmd {
            what: CreateWhat::Client { client, remote },
        }) => clients::create(&remote, client).await,
        Command::Get(GetCmd {
            what: GetWhat::Client { ids, remote },
        }) => clients::get(&remote, &ids).await,
        Command::Create(CreateCmd {
            what: CreateWhat::Jwk { args, remote },
        }) => keys::create(&remote, &args, false).await,
        Command::Get(GetCmd {
            what: GetWhat::Jwk { args, remote },
        }) => keys::get(&remote, &args, false).await,
        Command::Delete(DeleteCmd {
            what: DeleteWhat::Jwk { sets, remote },
        }) => keys::delete(&remote, &sets).await,
        Command::Keys(cmd) => keys::classic(cmd).await,
        Command::List(ListCmd {
            what:
                ListWhat::Clients {
                    page_size,
                    page_token,
                    remote,
                },
        }) => clients::list(&remote, page_size, page_token).await,
        Command::Update(UpdateCmd {
            what:
                UpdateWhat::Client {
                    target,
                    client,
                    remote,
                },
        }) => clients::update(&remote, &target, client).await,
        Command::Delete(DeleteCmd {
            what: DeleteWhat::Client { ids, remote },
        }) => clients::delete(&remote, &ids).await,
        Command::Delete(DeleteCmd {
            what: DeleteWhat::AccessTokens { client_id, remote },
        }) => tokens::delete_access_tokens(&remote, &client_id).await,
        Command::Clients(cmd) => clients::classic(cmd).await,
        Command::Perform(PerformCmd {
            what: PerformWhat::ClientCredentials { grant, remote },
        }) => tokens::perform_client_credentials(&remote, &grant).await,
        Command::Perform(PerformCmd {
            what: PerformWhat::AuthorizationCode { flow, remote },
        }) => authcode::perform(&remote, &flow).await,
        Command::Perform(PerformCmd {
            what: PerformWhat::DeviceCode { flow, remote },
        }) => device::perform(&remote, &flow).await,
        Command::Introspect(IntrospectCmd {
            what:
                IntrospectWhat::Token {
                    token,
                    scope,
                    remote,
                },
        }) => tokens::introspect(&remote, &token, &scope, false).await,
        Command::Revoke(RevokeCmd {
            what: RevokeWhat::Token { args, remote },
        }) => tokens::revoke(&remote, &args).await,
        Command::Janitor { dsn, dsn_args } => tokens::janitor(dsn, &dsn_args).await,
        Command::Create(CreateCmd {
            what:
                CreateWhat::User {
                    email,
                    password,
                    profile,
                    db,
                },
        }) => users::create(&db, &email, &password, &profile).await,
        Command::Update(UpdateCmd {
            what:
                UpdateWhat::User {
                    email,
                    profile,
                    unset,
                    db,
                },
        }) => users::update(&db, &email, &profile, &unset).await,
        Command::List(ListCmd {
            what: ListWhat::Users { db },
        }) => users::list(&db).await,
        Command::Delete(DeleteCmd {
            what: DeleteWhat::User { emails, db },
        }) => users::delete(&db, &emails).await,
        Command::Token(cmd) => tokens::classic(cmd).await,
        Command::Openapi => {
            print!("{}", crate::http::admin::spec_json());
            Ok(())
        }
        Command::Version => {
            println!("Version:    {}", crate::http::VERSION);
            Ok(())
        }
    }
}
