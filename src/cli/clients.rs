//! Client commands: `create/get/list/update/delete client` and the classic `clients …` forms.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use reqwest::Method;

use super::{Format, RemoteArgs, output, remote::Remote};
use crate::wire::OAuth2Client;

/// Client metadata as flags. Hydra v2's names, with the classic v1.x spellings as aliases.
/// List flags take repeated values or commas.
#[derive(Args, Debug, Clone, Default)]
pub struct ClientArgs {
    /// Read the client from a JSON file (`-` for stdin); flags given as well override its fields.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// The client id (a UUID is generated when omitted).
    #[arg(long = "id")]
    pub id: Option<String>,
    /// The client secret (generated when omitted and the auth method needs one).
    #[arg(long = "secret")]
    pub secret: Option<String>,
    /// Human-readable client name.
    #[arg(short = 'n', long = "name")]
    pub name: Option<String>,
    /// Grant types, e.g. client_credentials, authorization_code, refresh_token.
    #[arg(
        short = 'g',
        long = "grant-type",
        visible_alias = "grant-types",
        value_delimiter = ','
    )]
    pub grant_types: Vec<String>,
    /// Response types, e.g. code, "code id_token".
    #[arg(
        short = 'r',
        long = "response-type",
        visible_alias = "response-types",
        value_delimiter = ','
    )]
    pub response_types: Vec<String>,
    /// Scopes the client may request.
    #[arg(short = 'a', long = "scope", value_delimiter = ',')]
    pub scope: Vec<String>,
    /// Redirect URIs.
    #[arg(
        short = 'c',
        long = "redirect-uri",
        visible_alias = "callbacks",
        value_delimiter = ','
    )]
    pub redirect_uris: Vec<String>,
    /// Audiences the client may request tokens for.
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
    /// client_secret_basic (default), client_secret_post, private_key_jwt or none.
    #[arg(long = "token-endpoint-auth-method")]
    pub token_endpoint_auth_method: Option<String>,
    /// The client's owner.
    #[arg(long = "owner")]
    pub owner: Option<String>,
    #[arg(long = "client-uri")]
    pub client_uri: Option<String>,
    #[arg(long = "logo-uri")]
    pub logo_uri: Option<String>,
    #[arg(long = "policy-uri")]
    pub policy_uri: Option<String>,
    #[arg(long = "tos-uri")]
    pub tos_uri: Option<String>,
    #[arg(long = "contact", value_delimiter = ',')]
    pub contacts: Vec<String>,
    #[arg(
        long = "allowed-cors-origin",
        visible_alias = "allowed-cors-origins",
        value_delimiter = ','
    )]
    pub allowed_cors_origins: Vec<String>,
    #[arg(
        long = "post-logout-callback",
        visible_alias = "post-logout-callbacks",
        value_delimiter = ','
    )]
    pub post_logout_redirect_uris: Vec<String>,
    #[arg(long = "backchannel-logout-callback")]
    pub backchannel_logout_uri: Option<String>,
    #[arg(long = "frontchannel-logout-callback")]
    pub frontchannel_logout_uri: Option<String>,
    /// public or pairwise.
    #[arg(long = "subject-type")]
    pub subject_type: Option<String>,
    #[arg(long = "jwks-uri")]
    pub jwks_uri: Option<String>,
    /// jwt or opaque.
    #[arg(long = "access-token-strategy")]
    pub access_token_strategy: Option<String>,
    #[arg(long = "skip-consent")]
    pub skip_consent: bool,
    #[arg(long = "skip-logout-consent")]
    pub skip_logout_consent: bool,
    /// Free-form metadata, as JSON.
    #[arg(long = "metadata")]
    pub metadata: Option<String>,
}

fn some_vec(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

impl ClientArgs {
    /// The client these flags (and the file, if any) describe.
    pub fn into_client(self) -> anyhow::Result<OAuth2Client> {
        let mut c: OAuth2Client = match &self.file {
            None => OAuth2Client::default(),
            Some(p) => {
                let text = if p.as_os_str() == "-" {
                    std::io::read_to_string(std::io::stdin())
                        .context("cannot read the client from stdin")?
                } else {
                    std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read {}", p.display()))?
                };
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a valid client JSON", p.display()))?
            }
        };
        macro_rules! over {
            ($field:ident, $value:expr) => {
                if let Some(v) = $value {
                    c.$field = Some(v);
                }
            };
        }
        over!(client_id, self.id);
        over!(client_secret, self.secret);
        over!(client_name, self.name);
        over!(grant_types, some_vec(self.grant_types));
        over!(response_types, some_vec(self.response_types));
        over!(
            scope,
            (!self.scope.is_empty()).then(|| self.scope.join(" "))
        );
        over!(redirect_uris, some_vec(self.redirect_uris));
        over!(audience, some_vec(self.audience));
        over!(token_endpoint_auth_method, self.token_endpoint_auth_method);
        over!(owner, self.owner);
        over!(client_uri, self.client_uri);
        over!(logo_uri, self.logo_uri);
        over!(policy_uri, self.policy_uri);
        over!(tos_uri, self.tos_uri);
        over!(contacts, some_vec(self.contacts));
        over!(allowed_cors_origins, some_vec(self.allowed_cors_origins));
        over!(
            post_logout_redirect_uris,
            some_vec(self.post_logout_redirect_uris)
        );
        over!(backchannel_logout_uri, self.backchannel_logout_uri);
        over!(frontchannel_logout_uri, self.frontchannel_logout_uri);
        over!(subject_type, self.subject_type);
        over!(jwks_uri, self.jwks_uri);
        over!(access_token_strategy, self.access_token_strategy);
        over!(skip_consent, self.skip_consent.then_some(true));
        over!(
            skip_logout_consent,
            self.skip_logout_consent.then_some(true)
        );
        if let Some(m) = self.metadata {
            c.metadata = Some(serde_json::from_str(&m).context("--metadata is not valid JSON")?);
        }
        Ok(c)
    }
}

/// The classic `clients` command tree.
#[derive(Args, Debug)]
pub struct ClassicClientsCmd {
    #[command(subcommand)]
    pub action: ClassicAction,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum ClassicAction {
    /// Create a client (`clients create --id ID --secret S -g GRANTS -r TYPES -a SCOPES -c CALLBACKS`).
    Create {
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Show clients by id.
    Get {
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// List clients.
    List {
        #[arg(long = "page-size")]
        page_size: Option<u64>,
        #[arg(long = "page-token")]
        page_token: Option<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Delete clients by id.
    Delete {
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

pub async fn classic(cmd: ClassicClientsCmd) -> anyhow::Result<()> {
    match cmd.action {
        ClassicAction::Create { client, remote } => create(&remote, client).await,
        ClassicAction::Get { ids, remote } => get(&remote, &ids).await,
        ClassicAction::List {
            page_size,
            page_token,
            remote,
        } => list(&remote, page_size, page_token).await,
        ClassicAction::Delete { ids, remote } => delete(&remote, &ids).await,
    }
}

fn path_for(id: &str) -> String {
    super::remote::item_path("/admin/clients", id)
}

fn show(remote: &RemoteArgs, c: &OAuth2Client) -> anyhow::Result<()> {
    if remote.quiet {
        println!("{}", c.client_id.clone().unwrap_or_default());
        return Ok(());
    }
    match remote.format {
        Format::Text => {
            output::client(c);
            Ok(())
        }
        f => output::json(c, f),
    }
}

pub async fn create(remote: &RemoteArgs, args: ClientArgs) -> anyhow::Result<()> {
    let client = args.into_client()?;
    let api = Remote::admin(remote)?;
    let created: OAuth2Client = api
        .call(Method::POST, "/admin/clients", Some(&client))
        .await?
        .body;
    show(remote, &created)
}

pub async fn update(remote: &RemoteArgs, id: &str, args: ClientArgs) -> anyhow::Result<()> {
    let client = args.into_client()?;
    let api = Remote::admin(remote)?;
    let updated: OAuth2Client = api
        .call(Method::PUT, &path_for(id), Some(&client))
        .await?
        .body;
    show(remote, &updated)
}

pub async fn get(remote: &RemoteArgs, ids: &[String]) -> anyhow::Result<()> {
    let api = Remote::admin(remote)?;
    let mut found = Vec::new();
    for id in ids {
        found.push(
            api.call::<(), OAuth2Client>(Method::GET, &path_for(id), None)
                .await?
                .body,
        );
    }
    if remote.quiet {
        found
            .iter()
            .for_each(|c| println!("{}", c.client_id.clone().unwrap_or_default()));
        return Ok(());
    }
    match (remote.format, found.as_slice()) {
        (Format::Text, [one]) => {
            output::client(one);
            Ok(())
        }
        (Format::Text, many) => {
            output::client_table(many);
            Ok(())
        }
        (f, [one]) => output::json(one, f),
        (f, many) => output::json(&many, f),
    }
}

pub async fn list(
    remote: &RemoteArgs,
    page_size: Option<u64>,
    page_token: Option<String>,
) -> anyhow::Result<()> {
    let api = Remote::admin(remote)?;
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(n) = page_size {
        q.append_pair("page_size", &n.to_string());
    }
    if let Some(t) = &page_token {
        q.append_pair("page_token", t);
    }
    let query = q.finish();
    let path = if query.is_empty() {
        "/admin/clients".to_owned()
    } else {
        format!("/admin/clients?{query}")
    };
    let reply = api
        .call::<(), Vec<OAuth2Client>>(Method::GET, &path, None)
        .await?;
    let next = next_page_token(&reply.headers);
    if remote.quiet {
        reply
            .body
            .iter()
            .for_each(|c| println!("{}", c.client_id.clone().unwrap_or_default()));
        return Ok(());
    }
    match remote.format {
        Format::Text => {
            output::client_table(&reply.body);
            if let Some(t) = next {
                println!("\nNext page: latchkey list clients --page-token {t}");
            }
            Ok(())
        }
        f => output::json(
            &serde_json::json!({ "items": reply.body, "next_page_token": next }),
            f,
        ),
    }
}

/// The `page_token` of the `rel="next"` link, if any.
fn next_page_token(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',')
        .find(|l| l.contains("rel=\"next\""))
        .and_then(|l| {
            let target = l
                .split(';')
                .next()?
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>');
            let query = target.split_once('?')?.1;
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "page_token")
                .map(|(_, v)| v.into_owned())
        })
}

pub async fn delete(remote: &RemoteArgs, ids: &[String]) -> anyhow::Result<()> {
    super::remote::delete_each(remote, "/admin/clients", ids).await
}
