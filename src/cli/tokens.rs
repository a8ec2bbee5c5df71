//! Token commands: `perform client-credentials`, `introspect token`, `revoke token`,
//! `delete access-tokens`, `janitor`, and the classic `token client|introspect|revoke|delete|flush`.

use anyhow::anyhow;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::Value;

use super::{Format, RemoteArgs, migrate::DsnArgs, output, remote::Remote};
use crate::{
    storage::{Db, StoreError},
    wire::Introspection,
};

/// Flags of the client credentials grant.
#[derive(Args, Debug, Clone)]
pub struct ClientCredentialsArgs {
    #[arg(long = "client-id")]
    pub client_id: String,
    #[arg(long = "client-secret")]
    pub client_secret: String,
    /// Scopes to request (repeat or separate with commas).
    #[arg(long = "scope", value_delimiter = ',')]
    pub scope: Vec<String>,
    /// Audiences to request (repeat or separate with commas).
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
}

/// What `revoke token` and the classic `token revoke` take.
#[derive(Args, Debug, Clone)]
pub struct RevokeArgs {
    /// The access or refresh token to revoke.
    pub token: String,
    #[arg(long = "client-id")]
    pub client_id: String,
    #[arg(long = "client-secret")]
    pub client_secret: String,
}

/// Runs the client credentials grant against the public API and returns the token response.
async fn client_credentials(
    remote: &RemoteArgs,
    a: &ClientCredentialsArgs,
) -> anyhow::Result<Value> {
    let api = Remote::public(remote)?;
    let scope = a.scope.join(" ");
    let mut form = vec![("grant_type", "client_credentials")];
    if !scope.is_empty() {
        form.push(("scope", &scope));
    }
    for aud in &a.audience {
        form.push(("audience", aud));
    }
    Ok(api
        .post_form(
            "/oauth2/token",
            &form,
            Some((&a.client_id, &a.client_secret)),
        )
        .await?
        .body)
}

/// `perform client-credentials`: a readable block, or the token response as JSON.
pub async fn perform_client_credentials(
    remote: &RemoteArgs,
    a: &ClientCredentialsArgs,
) -> anyhow::Result<()> {
    let t = client_credentials(remote, a).await?;
    if remote.quiet {
        println!("{}", t["access_token"].as_str().unwrap_or_default());
        return Ok(());
    }
    match remote.format {
        Format::Text => {
            let expiry = t["expires_in"].as_i64().map(|s| {
                (crate::clock::Clock::now(&crate::clock::SystemClock)
                    + chrono::Duration::seconds(s))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            });
            for (k, v) in [
                (
                    "ACCESS TOKEN",
                    t["access_token"].as_str().map(str::to_owned),
                ),
                (
                    "REFRESH TOKEN",
                    t["refresh_token"].as_str().map(str::to_owned),
                ),
                ("ID TOKEN", t["id_token"].as_str().map(str::to_owned)),
                ("SCOPE", t["scope"].as_str().map(str::to_owned)),
                ("EXPIRY", expiry),
            ] {
                println!("{k:<16}{}", v.unwrap_or_else(|| "<empty>".into()));
            }
            Ok(())
        }
        f => output::json(&t, f),
    }
}

/// The classic `token client`: the bare access token, for `$(latchkey token client …)`.
pub async fn token_client(remote: &RemoteArgs, a: &ClientCredentialsArgs) -> anyhow::Result<()> {
    let t = client_credentials(remote, a).await?;
    let token = t["access_token"]
        .as_str()
        .ok_or_else(|| anyhow!("the server's reply has no access_token"))?;
    println!("{token}");
    Ok(())
}

/// `introspect token` / `token introspect` (admin API).
pub async fn introspect(
    remote: &RemoteArgs,
    token: &str,
    scope: &[String],
    classic: bool,
) -> anyhow::Result<()> {
    let api = Remote::admin(remote)?;
    let scope = scope.join(" ");
    let mut form = vec![("token", token)];
    if !scope.is_empty() {
        form.push(("scope", &scope));
    }
    let i: Introspection = api
        .post_form("/admin/oauth2/introspect", &form, None)
        .await?
        .body;
    if classic && remote.format == Format::Text {
        // Hydra v1.x printed the introspection as indented JSON.
        return output::json(&i, Format::JsonPretty);
    }
    match remote.format {
        Format::Text => {
            let v = serde_json::to_value(&i)?;
            for (k, val) in v.as_object().into_iter().flatten() {
                let shown = match val {
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().unwrap_or_default().to_owned())
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                println!("{:<12}{shown}", k.to_ascii_uppercase());
            }
            Ok(())
        }
        f => output::json(&i, f),
    }
}

/// `revoke token` / `token revoke` (public API, client-authenticated).
pub async fn revoke(remote: &RemoteArgs, a: &RevokeArgs) -> anyhow::Result<()> {
    let api = Remote::public(remote)?;
    let credentials = Some((a.client_id.as_str(), a.client_secret.as_str()));
    let _: Value = api
        .post_form("/oauth2/revoke", &[("token", &a.token)], credentials)
        .await?
        .body;
    if !remote.quiet {
        println!("Revoked the token (or it was not active).");
    }
    Ok(())
}

/// `delete access-tokens CLIENT_ID` / `token delete --client-id` (admin API).
pub async fn delete_access_tokens(remote: &RemoteArgs, client_id: &str) -> anyhow::Result<()> {
    let api = Remote::admin(remote)?;
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .finish();
    api.call::<(), Value>(Method::DELETE, &format!("/admin/oauth2/tokens?{q}"), None)
        .await?;
    if !remote.quiet {
        println!("Deleted every token of client {client_id}.");
    }
    Ok(())
}

/// `janitor [DSN]` / `token flush`: deletes expired tokens, then the flows no token refers to
/// any more (unless their consent is still remembered), expired login sessions and expired
/// trust relationships.
pub async fn janitor(dsn: Option<String>, args: &DsnArgs) -> anyhow::Result<()> {
    let url = super::migrate::resolve_dsn_or_env(dsn, args)?;
    let db = Db::connect(&url)
        .await
        .map_err(|e| anyhow!("cannot open the database: {e}"))?;
    if let Some(why) = crate::storage::migrate::state(&db).await?.refusal() {
        return Err(anyhow!(why));
    }
    let now = crate::clock::Clock::now(&crate::clock::SystemClock).timestamp_millis();
    let n = db
        .token_store()
        .delete_expired(now)
        .await
        .map_err(|e: StoreError| anyhow!(e))?;
    let (flows, sessions) = db
        .flow_store()
        .delete_finished(now)
        .await
        .map_err(|e: StoreError| anyhow!(e))?;
    let ui = crate::storage::ui_sessions::UiSessionStore::new(
        db.clone(),
        std::sync::Arc::new(crate::clock::SystemClock),
    )
    .delete_expired(now)
    .await
    .map_err(|e| anyhow!("deleting expired sign-in app sessions failed: {e}"))?;
    let trusts = db
        .trust_store()
        .delete_expired_trusts(now)
        .await
        .map_err(|e: StoreError| anyhow!(e))?;
    let events = crate::coherence::changelog::prune(&db.conn, now).await?;
    println!(
        "Deleted {n} expired tokens, {flows} finished flows and {sessions} expired login sessions ({ui} expired sign-in app sessions, {trusts} expired JWT-bearer trust relationships, {events} old cache events)."
    );
    Ok(())
}

/// The classic `token` command tree.
#[derive(Args, Debug)]
pub struct ClassicTokenCmd {
    #[command(subcommand)]
    pub action: ClassicToken,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum ClassicToken {
    /// Get an access token with the client credentials grant and print it bare.
    Client {
        #[command(flatten)]
        grant: ClientCredentialsArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Sign in through a browser with the authorization code flow and print the tokens.
    User {
        #[command(flatten)]
        flow: super::authcode::AuthCodeArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Introspect a token (admin API).
    Introspect {
        token: String,
        /// Accepted and ignored (Hydra v1.x needed them; the admin API does not).
        #[arg(long = "client-id", hide = true)]
        _client_id: Option<String>,
        #[arg(long = "client-secret", hide = true)]
        _client_secret: Option<String>,
        #[arg(long = "scope", value_delimiter = ',')]
        scope: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Revoke a token (public API).
    Revoke {
        #[command(flatten)]
        args: RevokeArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Delete every token of a client (admin API).
    Delete {
        #[arg(long = "client-id")]
        client_id: String,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Delete expired tokens from the database (same as `janitor`).
    Flush {
        #[arg(value_name = "DSN")]
        dsn: Option<String>,
        #[command(flatten)]
        dsn_args: DsnArgs,
    },
}

pub async fn classic(cmd: ClassicTokenCmd) -> anyhow::Result<()> {
    match cmd.action {
        ClassicToken::Client { grant, remote } => token_client(&remote, &grant).await,
        ClassicToken::User { flow, remote } => super::authcode::perform(&remote, &flow).await,
        ClassicToken::Introspect {
            token,
            scope,
            remote,
            ..
        } => introspect(&remote, &token, &scope, true).await,
        ClassicToken::Revoke { args, remote } => revoke(&remote, &args).await,
        ClassicToken::Delete { client_id, remote } => {
            delete_access_tokens(&remote, &client_id).await
        }
        ClassicToken::Flush { dsn, dsn_args } => janitor(dsn, &dsn_args).await,
    }
}
