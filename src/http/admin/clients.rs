//! `/admin/clients[/{id}]`: create, list, get, replace, patch (RFC 6902) and delete OAuth 2.0
//! clients.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{AdminResult, Deleted, page_links};
use crate::{
    http::{State, payload::StrictJson, public::Tag},
    storage::ClientFilter,
    wire::{JsonPatchOp, OAuth2Client, OAuth2ClientTokenLifespans},
};

#[derive(ApiResponse)]
pub enum Created {
    /// The client was created; `client_secret` is shown this once. `Location` names it.
    #[oai(status = 201)]
    Created(Json<OAuth2Client>, #[oai(header = "Location")] String),
}

#[derive(ApiResponse)]
pub enum Listed {
    /// A page of clients. The `Link` header carries the `first` and, when there are more, the
    /// `next` page (RFC 8288).
    #[oai(status = 200)]
    Ok(Json<Vec<OAuth2Client>>, #[oai(header = "Link")] String),
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
    ) -> AdminResult<Created> {
        let created = state.clients.create(client.0).await?;
        let id = created.client_id.as_deref().unwrap_or_default();
        let location = format!(
            "/admin/clients/{}",
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        );
        Ok(Created::Created(Json(created), location))
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
        /// Items per page (1 to 500, default 250; larger values are capped at 500).
        page_size: Query<Option<u64>>,
        /// The opaque token of the page to fetch, from the `Link` header of the previous page.
        page_token: Query<Option<String>>,
        /// Only clients with exactly this name.
        client_name: Query<Option<String>>,
        /// Only clients with exactly this owner.
        owner: Query<Option<String>>,
    ) -> AdminResult<Listed> {
        let filter = ClientFilter {
            client_name: client_name.0,
            owner: owner.0,
        };
        let page = state
            .clients
            .list(&filter, page_size.0, page_token.0.as_deref())
            .await?;
        let links = page_links(
            "/admin/clients",
            &[
                ("client_name", filter.client_name.as_deref()),
                ("owner", filter.owner.as_deref()),
            ],
            page.page_size,
            page.next_page_token.as_deref(),
        );
        Ok(Listed::Ok(Json(page.clients), links))
    }

    /// Get an OAuth 2.0 client. The secret is never returned.
    #[oai(
        path = "/admin/clients/:id",
        method = "get",
        operation_id = "getOAuth2Client"
    )]
    async fn get(&self, state: Data<&State>, id: Path<String>) -> AdminResult<Json<OAuth2Client>> {
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
    ) -> AdminResult<Json<OAuth2Client>> {
        Ok(Json(state.clients.replace(&id.0, client.0).await?))
    }

    /// Set an OAuth 2.0 client's token lifespans.
    ///
    /// Replaces every `*_grant_*_lifespan` of the client (one left out falls back to the server's
    /// `ttl.*`); the rest of the client, its secret included, is kept. Returns the client.
    #[oai(
        path = "/admin/clients/:id/lifespans",
        method = "put",
        operation_id = "setOAuth2ClientLifespans"
    )]
    async fn put_lifespans(
        &self,
        state: Data<&State>,
        id: Path<String>,
        lifespans: StrictJson<OAuth2ClientTokenLifespans>,
    ) -> AdminResult<Json<OAuth2Client>> {
        Ok(Json(state.clients.set_lifespans(&id.0, lifespans.0).await?))
    }

    /// Rotate an OAuth 2.0 client's secret.
    ///
    /// Generates a new secret, returned once in `client_secret`; the previous secret stays valid
    /// beside it (up to five rotated secrets are kept, newest first) so that the services using
    /// the client can move to the new one without downtime. Only for clients that authenticate
    /// with a secret (`client_secret_basic`, `client_secret_post`).
    #[oai(
        path = "/admin/clients/:id/secrets/rotate",
        method = "post",
        operation_id = "rotateOAuth2ClientSecret"
    )]
    async fn rotate_secret(
        &self,
        state: Data<&State>,
        id: Path<String>,
    ) -> AdminResult<Json<OAuth2Client>> {
        Ok(Json(state.clients.rotate_secret(&id.0).await?))
    }

    /// Delete an OAuth 2.0 client's rotated secrets.
    ///
    /// The secrets rotated out stop authenticating the client on every node; the current secret
    /// stays. Call it once every service uses the new secret.
    #[oai(
        path = "/admin/clients/:id/secrets/rotate",
        method = "delete",
        operation_id = "deleteRotatedOAuth2ClientSecrets"
    )]
    async fn delete_rotated_secrets(
        &self,
        state: Data<&State>,
        id: Path<String>,
    ) -> AdminResult<Json<OAuth2Client>> {
        Ok(Json(state.clients.delete_rotated_secrets(&id.0).await?))
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
    ) -> AdminResult<Json<OAuth2Client>> {
        Ok(Json(state.clients.patch(&id.0, patch.0).await?))
    }

    /// Delete an OAuth 2.0 client.
    #[oai(
        path = "/admin/clients/:id",
        method = "delete",
        operation_id = "deleteOAuth2Client"
    )]
    async fn delete(&self, state: Data<&State>, id: Path<String>) -> AdminResult<Deleted> {
        state.clients.delete(&id.0).await?;
        Ok(Deleted::NoContent)
    }
}
