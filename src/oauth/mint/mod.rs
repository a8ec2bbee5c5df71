//! The one place tokens are made, by the [`Issuer`] service (signing in [`sign`]). Every grant at
//! the token endpoint and the authorization endpoint's code, implicit and hybrid responses
//! describe what they issue as an [`Issue`]; this module decides the lifespans (grant × the client's per-grant lifespans × `ttl.*`), mints the
//! authorization code, access token (opaque or JWT, see [`super::access_token`]), refresh token
//! and ID token, and builds the rows to store. It stores nothing: the caller commits the rows with
//! whatever paid for them (a spent code, a completed flow), so a token never exists without its
//! reason.

mod sign;

use std::{sync::Arc, time::Duration};

use super::{OAuthError, client_auth::AuthenticatedClient};
use crate::{
    clock::Clock,
    config::Config,
    crypto::opaque::{OpaqueSigner, TokenKind},
    oidc::id_token::IdTokenInput,
    storage::{FlowRecord, StoredToken},
    wire::OAuth2Client,
};
use sign::Grant;

/// The service that makes and recognises tokens: it owns the HMAC signer of opaque tokens and
/// codes and the signing keys (shared with the key admin API), and knows the lifespans.
#[derive(Debug)]
pub struct Issuer {
    pub(super) config: Arc<Config>,
    pub(super) signer: OpaqueSigner,
    pub(super) keys: Arc<crate::keys::KeyService>,
    pub(super) clock: Arc<dyn Clock>,
    hooks: super::hook::Hooks,
    outbound: Arc<crate::outbound::Outbound>,
}

impl Issuer {
    pub fn new(
        config: Arc<Config>,
        keys: Arc<crate::keys::KeyService>,
        clock: Arc<dyn Clock>,
        outbound: Arc<crate::outbound::Outbound>,
    ) -> Self {
        Self {
            signer: OpaqueSigner::new(&config.secrets.system),
            hooks: super::hook::Hooks::of(&config),
            config,
            keys,
            clock,
            outbound,
        }
    }

    /// The signature of an opaque token or code of `kind` this server minted (its HMAC
    /// checked against every system secret, in constant time); `None` for anything else.
    pub fn verify(&self, kind: TokenKind, presented: &str) -> Option<String> {
        self.signer.verify(kind, presented)
    }

    /// Keyed digests of a short secret (see [`OpaqueSigner::digests`]).
    pub fn digests(&self, context: &str, value: &str) -> Vec<String> {
        self.signer.digests(context, value)
    }
}

/// Which grant is issuing: it chooses the client's lifespan fields and whether a refresh token
/// may come with the access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issuing {
    AuthorizationCode,
    /// The authorization endpoint's `token` / `id_token` responses (implicit and hybrid).
    Implicit,
    Refresh,
    ClientCredentials,
    /// RFC 8628 device authorization grant.
    DeviceCode,
    /// RFC 7523 §2.1 JWT-bearer authorization grant.
    JwtBearer,
}

/// How long each kind of token lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifespans {
    pub access_token: Duration,
    pub refresh_token: Duration,
    pub id_token: Duration,
    pub auth_code: Duration,
}

impl Issuing {
    /// The client's lifespan fields for this grant: access, refresh, ID token (Hydra's
    /// `*_grant_*_lifespan`).
    fn client_fields(self, m: &OAuth2Client) -> [Option<&String>; 3] {
        match self {
            Self::AuthorizationCode => [
                m.authorization_code_grant_access_token_lifespan.as_ref(),
                m.authorization_code_grant_refresh_token_lifespan.as_ref(),
                m.authorization_code_grant_id_token_lifespan.as_ref(),
            ],
            Self::Implicit => [
                m.implicit_grant_access_token_lifespan.as_ref(),
                None,
                m.implicit_grant_id_token_lifespan.as_ref(),
            ],
            Self::Refresh => [
                m.refresh_token_grant_access_token_lifespan.as_ref(),
                m.refresh_token_grant_refresh_token_lifespan.as_ref(),
                m.refresh_token_grant_id_token_lifespan.as_ref(),
            ],
            Self::ClientCredentials => [
                m.client_credentials_grant_access_token_lifespan.as_ref(),
                None,
                None,
            ],
            Self::DeviceCode => [
                m.device_authorization_grant_access_token_lifespan.as_ref(),
                m.device_authorization_grant_refresh_token_lifespan.as_ref(),
                m.device_authorization_grant_id_token_lifespan.as_ref(),
            ],
            Self::JwtBearer => [
                m.jwt_bearer_grant_access_token_lifespan.as_ref(),
                None,
                None,
            ],
        }
    }

    /// RFC 6749 §4.2.2 and §4.4.3: the implicit and client credentials grants issue no refresh
    /// token; nor does the JWT-bearer grant (RFC 7523 §2.1 leaves it open; as Hydra: a new
    /// assertion is the way to a new token).
    fn may_refresh(self) -> bool {
        !matches!(
            self,
            Self::Implicit | Self::ClientCredentials | Self::JwtBearer
        )
    }
}

/// The completed flow a token is issued from: what the ID token and `ext` claims come from.
pub struct FromFlow<'a> {
    pub record: &'a FlowRecord,
    /// The login session (`sid`).
    pub sid: Option<&'a str>,
}

/// What to issue, for whom.
pub struct Issue<'a> {
    pub issuing: Issuing,
    pub client: &'a AuthenticatedClient,
    /// The family (grant) every token belongs to; revoking it revokes them all.
    pub request_id: &'a str,
    pub subject: &'a str,
    /// Granted scopes.
    pub scope: &'a [String],
    pub audience: &'a [String],
    pub flow: Option<FromFlow<'a>>,
    /// An authorization code too (the authorization endpoint's `code` response types).
    pub code: bool,
    /// An access token (everything but the authorization endpoint's `code` and `id_token`
    /// responses).
    pub access_token: bool,
    /// An ID token (with a flow only).
    pub id_token: bool,
    /// The access tokens' extra claims when they are not the flow's: a refresh carries on with
    /// the refresh token's (which a token hook may have changed), as Hydra does.
    pub access_claims: Option<&'a serde_json::Value>,
    /// When the authorization code this is exchanged for expires (the token hook is shown it).
    pub code_expires_ms: Option<i64>,
}

impl<'a> Issue<'a> {
    /// What the token endpoint issues from a completed flow: an access token, a refresh token when
    /// `offline` or `offline_access` was granted and the client may refresh, an ID token when
    /// `openid` was granted.
    pub fn from_flow(
        issuing: Issuing,
        client: &'a AuthenticatedClient,
        flow: &'a crate::storage::StoredFlow,
        record: &'a FlowRecord,
        scope: &'a [String],
    ) -> Self {
        Self {
            issuing,
            client,
            request_id: &flow.id,
            subject: &flow.subject,
            scope,
            audience: &flow.granted_audience,
            flow: Some(FromFlow {
                record,
                sid: flow.login_session_id.as_deref(),
            }),
            code: false,
            access_token: true,
            id_token: scope.iter().any(|s| s == "openid"),
            access_claims: None,
            code_expires_ms: None,
        }
    }
}

/// What was minted: the tokens to hand out and the rows to store with them.
#[derive(Debug, Default)]
pub struct Issued {
    /// The authorization code and its row.
    pub code: Option<(String, StoredToken)>,
    pub access_token: Option<String>,
    /// The access token's lifespan in seconds.
    pub expires_in: i64,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    /// The granted scope, space-separated.
    pub scope: String,
    /// The access and refresh token rows (the code's is in `code`).
    pub rows: Vec<StoredToken>,
}

impl Issued {
    /// RFC 6749 §5.1: the token endpoint's answer.
    pub fn response(self) -> super::grants::TokenResponse {
        super::grants::TokenResponse {
            access_token: self.access_token.unwrap_or_default(),
            token_type: "bearer",
            expires_in: self.expires_in,
            scope: self.scope,
            refresh_token: self.refresh_token,
            id_token: self.id_token,
        }
    }
}

/// A duration in milliseconds, for adding to a timestamp.
fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A lifespan setting (a client's `…_lifespan`) if it is set and not zero, otherwise the
/// configured `default` TTL.
fn lifespan(client_value: Option<&String>, default: &crate::config::Lifespan) -> Duration {
    client_value
        .and_then(|s| crate::config::parse_duration(s).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or_else(|| default.get())
}

/// The lifespans of the tokens `issuing` issues to `client`: the client's own lifespan for that
/// grant and token where it set one (Hydra's per-grant lifespans), else `ttl.*`.
fn lifespans(ttl: &crate::config::Ttl, issuing: Issuing, client: &OAuth2Client) -> Lifespans {
    let [access, refresh, id] = issuing.client_fields(client);
    Lifespans {
        access_token: lifespan(access, &ttl.access_token),
        refresh_token: lifespan(refresh, &ttl.refresh_token),
        id_token: lifespan(id, &ttl.id_token),
        auth_code: ttl.auth_code.get(),
    }
}

impl Issuer {
    /// Whether a token hook is configured (the token endpoint then keeps what it may show it).
    pub fn hooks_on(&self) -> bool {
        self.hooks.any()
    }

    /// The lifespans of the tokens a grant issues to a client.
    pub fn lifespans(&self, issuing: Issuing, client: &OAuth2Client) -> Lifespans {
        lifespans(&self.config.ttl, issuing, client)
    }

    /// A device code (RFC 8628 §3.2) and its signature.
    pub(crate) fn mint_device_code(&self) -> Result<crate::crypto::opaque::Minted, OAuthError> {
        self.signer
            .mint(TokenKind::DeviceCode)
            .ok_or_else(|| OAuthError::server("no system secret"))
    }

    /// The token hooks' say on what `issue` carries (see [`super::hook`]).
    async fn run_hooks(
        &self,
        issue: &Issue<'_>,
        now: i64,
        life: &Lifespans,
        claims: super::hook::Claims,
    ) -> Result<super::hook::Claims, OAuthError> {
        let record = issue.flow.as_ref().map(|f| f.record);
        // Hydra's session names the key its ID tokens are signed with.
        let id_token_kid = match issue.id_token && record.is_some() {
            true => self
                .keys
                .signing_set(crate::keys::ID_TOKEN_SET)
                .await
                .ok()
                .and_then(|k| k.signer.as_ref().map(|s| s.kid.clone())),
            false => None,
        };
        let input = super::hook::Input {
            issuing: issue.issuing,
            issuer: &self.config.urls.self_.issuer,
            client_id: &issue.client.id,
            subject: issue.subject,
            id_token_subject: record
                .and_then(|r| r.obfuscated_subject.as_deref())
                .unwrap_or(issue.subject),
            requested_scope: record.map_or(issue.scope, |r| r.requested_scope.as_slice()),
            granted_scope: issue.scope,
            granted_audience: issue.audience,
            nonce: record.and_then(|r| r.nonce.as_deref()),
            acr: record.and_then(|r| r.acr.as_deref()),
            amr: record.and_then(|r| r.amr.as_deref()),
            auth_time_ms: record.map(|r| r.auth_time),
            requested_at_ms: record.map(|r| r.requested_at),
            now_ms: now,
            access_expires_ms: now.saturating_add(ms(life.access_token)),
            refresh_expires_ms: issue
                .issuing
                .may_refresh()
                .then(|| now.saturating_add(ms(life.refresh_token))),
            code_expires_ms: issue.code_expires_ms,
            sid: issue.flow.as_ref().and_then(|f| f.sid),
            id_token_kid: id_token_kid.as_deref(),
            from_flow: record.is_some(),
        };
        self.hooks.run(&self.outbound, &input, claims).await
    }

    /// Mints everything `issue` asks for. Nothing is stored (see the module docs).
    pub async fn mint(&self, issue: &Issue<'_>) -> Result<Issued, OAuthError> {
        let life = self.lifespans(issue.issuing, &issue.client.metadata);
        let now = self.clock.now().timestamp_millis();
        let no_secret = || OAuthError::server("no system secret");
        let mut claims = super::hook::Claims {
            access_token: issue
                .access_claims
                .cloned()
                .or_else(|| {
                    issue
                        .flow
                        .as_ref()
                        .and_then(|f| f.record.session.access_token.clone())
                })
                .unwrap_or(serde_json::Value::Object(Default::default())),
            id_token: issue
                .flow
                .as_ref()
                .and_then(|f| f.record.session.id_token.clone()),
        };
        if issue.access_token && self.hooks.apply_to(issue.issuing) {
            claims = self.run_hooks(issue, now, &life, claims).await?;
        }
        let extra = claims.access_token;
        let scope = issue.scope.join(" ");
        let row = |signature: String, kind: TokenKind, lifespan: Duration| StoredToken {
            signature,
            kind: kind.as_str().into(),
            request_id: issue.request_id.to_owned(),
            client_id: issue.client.id.clone(),
            subject: issue.subject.to_owned(),
            scope: scope.clone(),
            audience: issue.audience.to_vec(),
            extra: extra.clone(),
            issued_at: now,
            expires_at: now.saturating_add(ms(lifespan)),
            active: true,
        };
        let mut out = Issued {
            scope: scope.clone(),
            ..Issued::default()
        };
        if issue.code {
            let m = self
                .signer
                .mint(TokenKind::AuthorizeCode)
                .ok_or_else(no_secret)?;
            let r = row(m.signature, TokenKind::AuthorizeCode, life.auth_code);
            out.code = Some((m.token, r));
        }
        if issue.access_token {
            let scope_refs: Vec<&str> = issue.scope.iter().map(String::as_str).collect();
            let expires = row(String::new(), TokenKind::AccessToken, life.access_token);
            let minted = self
                .mint_access_token(&Grant {
                    client: issue.client,
                    subject: issue.subject,
                    scope: &scope_refs,
                    audience: issue.audience,
                    extra: &extra,
                    issued_at_ms: now,
                    expires_at_ms: expires.expires_at,
                })
                .await?;
            out.rows.push(StoredToken {
                signature: minted.signature,
                ..expires
            });
            out.access_token = Some(minted.token);
            out.expires_in = i64::try_from(life.access_token.as_secs()).unwrap_or(i64::MAX);
        }
        let offline = issue
            .scope
            .iter()
            .any(|s| s == "offline" || s == "offline_access");
        if issue.access_token
            && issue.issuing.may_refresh()
            && offline
            && issue.client.has_grant("refresh_token")
        {
            let m = self
                .signer
                .mint(TokenKind::RefreshToken)
                .ok_or_else(no_secret)?;
            out.rows.push(row(
                m.signature,
                TokenKind::RefreshToken,
                life.refresh_token,
            ));
            out.refresh_token = Some(m.token);
        }
        if let (true, Some(flow)) = (issue.id_token, &issue.flow) {
            let r = flow.record;
            out.id_token = Some(
                self.sign_id_token(&IdTokenInput {
                    client_id: &issue.client.id,
                    // OIDC Core §8.1: the identifier this client knows the user by.
                    subject: r.obfuscated_subject.as_deref().unwrap_or(issue.subject),
                    auth_time_ms: r.auth_time,
                    nonce: r.nonce.as_deref(),
                    acr: acr_of(r),
                    amr: r.amr.as_deref(),
                    sid: flow.sid,
                    access_token: out.access_token.as_deref(),
                    code: out.code.as_ref().map(|(c, _)| c.as_str()),
                    extra: claims.id_token.as_ref(),
                    lifespan: life.id_token,
                })
                .await?,
            );
        }
        let m = crate::metrics::metrics();
        // The authorization endpoint's codes and tokens are no grant of the token endpoint.
        let grant = match issue.issuing {
            Issuing::Implicit => "authorization_endpoint",
            i => i.grant_type(),
        };
        for (minted, kind) in [
            (out.code.is_some(), "authorization_code"),
            (out.access_token.is_some(), "access_token"),
            (out.refresh_token.is_some(), "refresh_token"),
            (out.id_token.is_some(), "id_token"),
        ] {
            if minted {
                m.token(grant, kind);
            }
        }
        Ok(out)
    }
}

/// The ID token's `acr`: what the login app accepted; when it accepted none for a request with
/// `acr_values`, `"0"` — OIDC Core §2's "did not meet ISO/IEC 29115 level 1", as Hydra answers.
fn acr_of(r: &FlowRecord) -> Option<&str> {
    match r.acr.as_deref().filter(|a| !a.is_empty()) {
        Some(a) => Some(a),
        None => r
            .oidc_context
            .as_ref()
            .and_then(|c| c.acr_values.as_ref())
            .filter(|v| !v.is_empty())
            .map(|_| "0"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Issuing, lifespans};
    use crate::{config::Ttl, wire::OAuth2Client};

    fn client(metadata: serde_json::Value) -> OAuth2Client {
        serde_json::from_value(metadata).unwrap()
    }

    const H: u64 = 3600;

    #[test]
    fn without_client_lifespans_the_configured_ttls_hold() {
        let ttl = Ttl::default();
        let l = lifespans(
            &ttl,
            Issuing::AuthorizationCode,
            &client(serde_json::json!({})),
        );
        assert_eq!(l.access_token, Duration::from_secs(H));
        assert_eq!(l.refresh_token, Duration::from_secs(720 * H));
        assert_eq!(l.id_token, Duration::from_secs(H));
        assert_eq!(l.auth_code, Duration::from_secs(600));
    }

    #[test]
    fn a_client_lifespan_holds_for_its_grant_and_token_only() {
        let ttl = Ttl::default();
        let c = client(serde_json::json!({
            "authorization_code_grant_access_token_lifespan": "2h",
            "refresh_token_grant_refresh_token_lifespan": "5m",
            "client_credentials_grant_access_token_lifespan": "90s",
            "implicit_grant_id_token_lifespan": "10m",
        }));
        let code = lifespans(&ttl, Issuing::AuthorizationCode, &c);
        assert_eq!(code.access_token, Duration::from_secs(2 * H));
        assert_eq!(
            code.refresh_token,
            Duration::from_secs(720 * H),
            "not its grant's"
        );
        let refresh = lifespans(&ttl, Issuing::Refresh, &c);
        assert_eq!(
            refresh.access_token,
            Duration::from_secs(H),
            "not its grant's"
        );
        assert_eq!(refresh.refresh_token, Duration::from_secs(300));
        let cc = lifespans(&ttl, Issuing::ClientCredentials, &c);
        assert_eq!(cc.access_token, Duration::from_secs(90));
        let implicit = lifespans(&ttl, Issuing::Implicit, &c);
        assert_eq!(implicit.id_token, Duration::from_secs(600));
        assert_eq!(implicit.access_token, Duration::from_secs(H));
        let jwt = lifespans(&ttl, Issuing::JwtBearer, &c);
        assert_eq!(jwt.access_token, Duration::from_secs(H));
    }

    #[test]
    fn a_zero_or_unreadable_client_lifespan_falls_back_to_the_ttl() {
        let ttl = Ttl {
            access_token: "15m".parse().unwrap(),
            ..Ttl::default()
        };
        for v in ["0s", "0", "", "soon"] {
            let c =
                client(serde_json::json!({"device_authorization_grant_access_token_lifespan": v}));
            let l = lifespans(&ttl, Issuing::DeviceCode, &c);
            assert_eq!(l.access_token, Duration::from_secs(900), "{v:?}");
        }
    }
}
