//! `/admin/trust/grants/jwt-bearer/issuers[/{id}]`: the JWT-bearer grant's trust relationships
//! (RFC 7523 §2.1) — trust an issuer, list, get and delete relationships.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{AdminResult, Deleted, page_links};
use crate::{
    http::{State, payload::StrictJson, public::Tag},
    wire::{TrustOAuth2JwtGrantIssuer, TrustedOAuth2JwtGrantIssuer},
};

const PATH: &str = "/admin/trust/grants/jwt-bearer/issuers";

#[derive(ApiResponse)]
pub enum Trusted {
    /// The issuer is trusted. `Location` names the relationship.
    #[oai(status = 201)]
    Created(
        Json<TrustedOAuth2JwtGrantIssuer>,
        #[oai(header = "Location")] String,
    ),
}

#[derive(ApiResponse)]
pub enum Listed {
    /// A page of relationships. The `Link` header carries the `first` and, when there are more,
    /// the `next` page (RFC 8288).
    #[oai(status = 200)]
    Ok(
        Json<Vec<TrustedOAuth2JwtGrantIssuer>>,
        #[oai(header = "Link")] String,
    ),
}

pub struct TrustApi;

#[OpenApi(tag = "Tag::OAuth2")]
impl TrustApi {
    /// Trust an OAuth 2.0 JWT bearer grant issuer.
    ///
    /// Assertions (RFC 7523 §2.1) from `issuer`, about `subject` or — with `allow_any_subject` —
    /// anyone, signed with `jwk`, can then be exchanged at the token endpoint for access tokens
    /// within `scope`, until `expires_at`. Only the key's public parameters are kept. One
    /// relationship per issuer, subject and key id.
    #[oai(
        path = "/admin/trust/grants/jwt-bearer/issuers",
        method = "post",
        operation_id = "trustOAuth2JwtGrantIssuer"
    )]
    async fn trust(
        &self,
        state: Data<&State>,
        body: StrictJson<TrustOAuth2JwtGrantIssuer>,
    ) -> AdminResult<Trusted> {
        let t = state.trust.create(body.0).await?;
        let location = format!("{PATH}/{}", t.id);
        Ok(Trusted::Created(Json(t), location))
    }

    /// List the trusted OAuth 2.0 JWT bearer grant issuers, in id order, a page at a time.
    #[oai(
        path = "/admin/trust/grants/jwt-bearer/issuers",
        method = "get",
        operation_id = "listTrustedOAuth2JwtGrantIssuers"
    )]
    async fn list(
        &self,
        state: Data<&State>,
        /// Items per page (1 to 500, default 250; larger values are capped at 500).
        page_size: Query<Option<u64>>,
        /// The opaque token of the page to fetch, from the `Link` header of the previous page.
        page_token: Query<Option<String>>,
        /// Only the relationships of this issuer.
        issuer: Query<Option<String>>,
    ) -> AdminResult<Listed> {
        let page = state
            .trust
            .list(issuer.0.as_deref(), page_size.0, page_token.0.as_deref())
            .await?;
        let links = page_links(
            PATH,
            &[("issuer", issuer.0.as_deref())],
            page.page_size,
            page.next_page_token.as_deref(),
        );
        Ok(Listed::Ok(Json(page.trusts), links))
    }

    /// Get a trusted OAuth 2.0 JWT bearer grant issuer.
    #[oai(
        path = "/admin/trust/grants/jwt-bearer/issuers/:id",
        method = "get",
        operation_id = "getTrustedOAuth2JwtGrantIssuer"
    )]
    async fn get(
        &self,
        state: Data<&State>,
        id: Path<String>,
    ) -> AdminResult<Json<TrustedOAuth2JwtGrantIssuer>> {
        Ok(Json(state.trust.get(&id.0).await?))
    }

    /// Delete a trusted OAuth 2.0 JWT bearer grant issuer.
    ///
    /// Its assertions are refused from the next request on, on every node. Tokens already issued
    /// stay valid until they expire or are revoked.
    #[oai(
        path = "/admin/trust/grants/jwt-bearer/issuers/:id",
        method = "delete",
        operation_id = "deleteTrustedOAuth2JwtGrantIssuer"
    )]
    async fn delete(&self, state: Data<&State>, id: Path<String>) -> AdminResult<Deleted> {
        state.trust.delete(&id.0).await?;
        Ok(Deleted::NoContent)
    }
}
