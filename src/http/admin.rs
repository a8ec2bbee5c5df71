//! The admin API (Hydra v2 paths), documented with poem-openapi. The spec served at
//! `/admin/openapi.json` is committed under `openapi/` and a test keeps the two equal.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi, OpenApiService,
    param::{Path, Query},
    payload::Json,
};

use super::{
    State, VERSION,
    payload::StrictJson,
    public::{MetadataApi, Tag},
};
use crate::{
    clients::AdminError,
    storage::ClientFilter,
    wire::{
        CreateJsonWebKeySet, GenericError, Introspection, JsonPatchOp, JsonWebKey, JsonWebKeySet,
        OAuth2Client,
    },
};

/// Admin API failures, each with Hydra's error body.
#[derive(ApiResponse, Debug)]
pub enum ErrorResponse {
    /// The request is malformed or the client metadata is invalid.
    #[oai(status = 400)]
    BadRequest(Json<GenericError>),
    /// No resource with that id.
    #[oai(status = 404)]
    NotFound(Json<GenericError>),
    /// A resource with that id exists already.
    #[oai(status = 409)]
    Conflict(Json<GenericError>),
    /// Something failed inside the server; details are in its log.
    #[oai(status = 500)]
    Internal(Json<GenericError>),
}

fn body(code: &str, description: String, status: u16) -> Json<GenericError> {
    Json(GenericError {
        error: code.into(),
        error_description: description,
        status_code: status,
        error_debug: None,
        error_hint: None,
    })
}

impl From<AdminError> for ErrorResponse {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::BadRequest { error, description } => {
                Self::BadRequest(body(error, description, 400))
            }
            AdminError::NotFound(d) => Self::NotFound(body("not_found", d, 404)),
            AdminError::Conflict(d) => Self::Conflict(body("conflict", d, 409)),
            AdminError::Internal(cause) => {
                tracing::error!(cause, "admin API internal error");
                Self::Internal(body(
                    "server_error",
                    "The server encountered an internal error.".into(),
                    500,
                ))
            }
        }
    }
}

type Result<T> = std::result::Result<T, ErrorResponse>;

#[derive(ApiResponse)]
pub enum Created {
    /// The client was created; `client_secret` is shown this once.
    #[oai(status = 201)]
    Created(Json<OAuth2Client>),
}

#[derive(ApiResponse)]
pub enum Listed {
    /// A page of clients. The `Link` header carries the `first` and, when there are more, the
    /// `next` page (RFC 8288).
    #[oai(status = 200)]
    Ok(Json<Vec<OAuth2Client>>, #[oai(header = "Link")] String),
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// Deleted.
    #[oai(status = 204)]
    NoContent,
}

pub struct ClientsApi;

#[OpenApi(tag = "Tag::OAuth2")]
impl ClientsApi {
    /// Create an OAuth 2.0 client.
    ///
    /// A missing `client_id` becomes a UUID. A missing `client_secret` is generated when the
    /// authentication method uses one; it is returned in this response only and stored hashed.
    #[oai(
        path = "/admin/clients",
        method = "post",
        operation_id = "createOAuth2Client"
    )]
    async fn create(
        &self,
        state: Data<&State>,
        client: StrictJson<OAuth2Client>,
    ) -> Result<Created> {
        Ok(Created::Created(Json(
            state.clients.create(client.0).await?,
        )))
    }

    /// List OAuth 2.0 clients, in id order, a page at a time.
    #[oai(
        path = "/admin/clients",
        method = "get",
        operation_id = "listOAuth2Clients"
    )]
    async fn list(
        &self,
        state: Data<&State>,
        /// Items per page (1 to 500, default 250).
        page_size: Query<Option<u64>>,
        /// The opaque token of the page to fetch, from the `Link` header of the previous page.
        page_token: Query<Option<String>>,
        /// Only clients with exactly this name.
        client_name: Query<Option<String>>,
        /// Only clients with exactly this owner.
        owner: Query<Option<String>>,
    ) -> Result<Listed> {
        let filter = ClientFilter {
            client_name: client_name.0,
            owner: owner.0,
        };
        let page = state
            .clients
            .list(&filter, page_size.0, page_token.0.as_deref())
            .await?;
        let size = page_size.0.unwrap_or(crate::clients::DEFAULT_PAGE_SIZE);
        let link = |token: Option<&str>, rel: &str| {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("page_size", &size.to_string());
            if let Some(t) = token {
                q.append_pair("page_token", t);
            }
            if let Some(n) = &filter.client_name {
                q.append_pair("client_name", n);
            }
            if let Some(o) = &filter.owner {
                q.append_pair("owner", o);
            }
            format!("</admin/clients?{}>; rel=\"{rel}\"", q.finish())
        };
        let mut links = vec![link(None, "first")];
        if let Some(next) = &page.next_page_token {
            links.push(link(Some(next), "next"));
        }
        Ok(Listed::Ok(Json(page.clients), links.join(",")))
    }

    /// Get an OAuth 2.0 client. The secret is never returned.
    #[oai(
        path = "/admin/clients/:id",
        method = "get",
        operation_id = "getOAuth2Client"
    )]
    async fn get(&self, state: Data<&State>, id: Path<String>) -> Result<Json<OAuth2Client>> {
        Ok(Json(state.clients.get(&id.0).await?))
    }

    /// Replace an OAuth 2.0 client.
    ///
    /// Every field is replaced. The secret is kept unless `client_secret` is given, in which case
    /// the new secret is stored hashed and returned once.
    #[oai(
        path = "/admin/clients/:id",
        method = "put",
        operation_id = "setOAuth2Client"
    )]
    async fn put(
        &self,
        state: Data<&State>,
        id: Path<String>,
        client: StrictJson<OAuth2Client>,
    ) -> Result<Json<OAuth2Client>> {
        Ok(Json(state.clients.replace(&id.0, client.0).await?))
    }

    /// Patch an OAuth 2.0 client with an RFC 6902 JSON Patch.
    ///
    /// The patch applies to the client as `getOAuth2Client` returns it; `client_id` cannot change.
    #[oai(
        path = "/admin/clients/:id",
        method = "patch",
        operation_id = "patchOAuth2Client"
    )]
    async fn patch(
        &self,
        state: Data<&State>,
        id: Path<String>,
        patch: StrictJson<Vec<JsonPatchOp>>,
    ) -> Result<Json<OAuth2Client>> {
        Ok(Json(state.clients.patch(&id.0, patch.0).await?))
    }

    /// Delete an OAuth 2.0 client.
    #[oai(
        path = "/admin/clients/:id",
        method = "delete",
        operation_id = "deleteOAuth2Client"
    )]
    async fn delete(&self, state: Data<&State>, id: Path<String>) -> Result<Deleted> {
        state.clients.delete(&id.0).await?;
        Ok(Deleted::NoContent)
    }
}

/// The form body of `introspectOAuth2Token`.
#[derive(poem_openapi::Object, serde::Deserialize, Debug)]
#[oai(rename = "introspectOAuth2TokenForm")]
pub struct IntrospectForm {
    /// The access or refresh token to introspect.
    pub token: String,
    /// Space-separated scopes the token must have been granted to count as active.
    pub scope: Option<String>,
}

impl From<crate::oauth::OAuthError> for ErrorResponse {
    fn from(e: crate::oauth::OAuthError) -> Self {
        if e.code == crate::oauth::ErrorCode::ServerError {
            AdminError::Internal(e.cause.unwrap_or(e.description)).into()
        } else {
            Self::BadRequest(body(e.code.as_str(), e.description, 400))
        }
    }
}

pub struct OAuth2Api;

#[OpenApi(tag = "Tag::OAuth2")]
impl OAuth2Api {
    /// Introspect an OAuth 2.0 access or refresh token (RFC 7662).
    ///
    /// Expired, revoked, malformed and unknown tokens answer `{"active": false}`.
    #[oai(
        path = "/admin/oauth2/introspect",
        method = "post",
        operation_id = "introspectOAuth2Token"
    )]
    async fn introspect(
        &self,
        state: Data<&State>,
        form: poem_openapi::payload::Form<IntrospectForm>,
    ) -> Result<Json<Introspection>> {
        Ok(Json(
            state
                .oauth
                .introspect(&form.0.token, form.0.scope.as_deref())
                .await?,
        ))
    }

    /// Delete every access and refresh token issued to a client.
    #[oai(
        path = "/admin/oauth2/tokens",
        method = "delete",
        operation_id = "deleteOAuth2Token"
    )]
    async fn delete_tokens(
        &self,
        state: Data<&State>,
        client_id: Query<String>,
    ) -> Result<Deleted> {
        state
            .oauth
            .tokens
            .delete_client_tokens(&client_id.0)
            .await
            .map_err(AdminError::from)?;
        Ok(Deleted::NoContent)
    }
}

#[derive(ApiResponse)]
pub enum KeySetCreated {
    /// The key was generated; the response holds it with its private parameters.
    #[oai(status = 201)]
    Created(Json<JsonWebKeySet>),
}

pub struct KeysApi;

#[OpenApi(tag = "Tag::Jwk")]
impl KeysApi {
    /// Generate a key into a JSON Web Key set.
    ///
    /// The set is created if it does not exist. The new key is the newest of its set, so in
    /// `hydra.openid.id-token` and `hydra.jwt.access-token` it signs from now on; older keys stay
    /// published until deleted.
    #[oai(
        path = "/admin/keys/:set",
        method = "post",
        operation_id = "createJsonWebKeySet"
    )]
    async fn create(
        &self,
        state: Data<&State>,
        set: Path<String>,
        req: StrictJson<CreateJsonWebKeySet>,
    ) -> Result<KeySetCreated> {
        Ok(KeySetCreated::Created(Json(
            state.oauth.keys.create(&set.0, req.0).await?,
        )))
    }

    /// Get a JSON Web Key set, private parameters included, newest key first.
    #[oai(
        path = "/admin/keys/:set",
        method = "get",
        operation_id = "getJsonWebKeySet"
    )]
    async fn get_set(&self, state: Data<&State>, set: Path<String>) -> Result<Json<JsonWebKeySet>> {
        Ok(Json(state.oauth.keys.get_set(&set.0).await?))
    }

    /// Replace a JSON Web Key set with the given keys; the first one is the newest.
    #[oai(
        path = "/admin/keys/:set",
        method = "put",
        operation_id = "setJsonWebKeySet"
    )]
    async fn put_set(
        &self,
        state: Data<&State>,
        set: Path<String>,
        keys: StrictJson<JsonWebKeySet>,
    ) -> Result<Json<JsonWebKeySet>> {
        Ok(Json(state.oauth.keys.put_set(&set.0, keys.0).await?))
    }

    /// Delete a JSON Web Key set and every key in it.
    #[oai(
        path = "/admin/keys/:set",
        method = "delete",
        operation_id = "deleteJsonWebKeySet"
    )]
    async fn delete_set(&self, state: Data<&State>, set: Path<String>) -> Result<Deleted> {
        state.oauth.keys.delete_set(&set.0).await?;
        Ok(Deleted::NoContent)
    }

    /// Get one JSON Web Key, as a set of one.
    #[oai(
        path = "/admin/keys/:set/:kid",
        method = "get",
        operation_id = "getJsonWebKey"
    )]
    async fn get_key(
        &self,
        state: Data<&State>,
        set: Path<String>,
        kid: Path<String>,
    ) -> Result<Json<JsonWebKeySet>> {
        Ok(Json(state.oauth.keys.get_key(&set.0, &kid.0).await?))
    }

    /// Store a JSON Web Key under a key id, replacing the key with that id.
    ///
    /// The key is checked: supported type and algorithm, and private parameters that match the
    /// public ones.
    #[oai(
        path = "/admin/keys/:set/:kid",
        method = "put",
        operation_id = "setJsonWebKey"
    )]
    async fn put_key(
        &self,
        state: Data<&State>,
        set: Path<String>,
        kid: Path<String>,
        key: StrictJson<JsonWebKey>,
    ) -> Result<Json<JsonWebKey>> {
        Ok(Json(state.oauth.keys.put_key(&set.0, &kid.0, key.0).await?))
    }

    /// Delete one JSON Web Key.
    #[oai(
        path = "/admin/keys/:set/:kid",
        method = "delete",
        operation_id = "deleteJsonWebKey"
    )]
    async fn delete_key(
        &self,
        state: Data<&State>,
        set: Path<String>,
        kid: Path<String>,
    ) -> Result<Deleted> {
        state.oauth.keys.delete_key(&set.0, &kid.0).await?;
        Ok(Deleted::NoContent)
    }
}

/// The admin API as an OpenAPI service (its routes and its spec).
pub fn service(
    server_url: Option<&str>,
) -> OpenApiService<
    (
        MetadataApi,
        ClientsApi,
        OAuth2Api,
        super::admin_flows::FlowsApi,
        KeysApi,
    ),
    (),
> {
    let apis = (
        MetadataApi,
        ClientsApi,
        OAuth2Api,
        super::admin_flows::FlowsApi,
        KeysApi,
    );
    let svc = OpenApiService::new(apis, "Latchkey Admin API", VERSION)
        .description(
            "The admin API of Latchkey, an OAuth 2.0 and OpenID Connect server that speaks Ory Hydra's wire protocol. \
             Paths, fields and status codes are Hydra v2's, so Hydra's SDKs work against it.",
        )
        .license("Apache-2.0");
    match server_url {
        Some(url) => svc.server(url),
        None => svc,
    }
}

/// The committed spec: stable (no server URL), pretty-printed, ending with a newline.
pub fn spec_json() -> String {
    format!("{}\n", service(None).spec())
}
