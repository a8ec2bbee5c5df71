//! `POST /admin/oauth2/introspect` (RFC 7662) and `DELETE /admin/oauth2/tokens`.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use super::{AdminResult, Deleted};
use crate::{
    http::{State, public::Tag},
    wire::Introspection,
};

/// The form body of `introspectOAuth2Token`.
#[derive(poem_openapi::Object, serde::Deserialize, Debug)]
#[oai(rename = "introspectOAuth2TokenForm")]
pub struct IntrospectForm {
    /// The access or refresh token to introspect.
    pub token: String,
    /// Space-separated scopes the token must have been granted to count as active.
    pub scope: Option<String>,
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
    ) -> AdminResult<Json<Introspection>> {
        Ok(Json(
            state
                .introspector
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
    ) -> AdminResult<Deleted> {
        state.tokens.delete_client_tokens(&client_id.0).await?;
        Ok(Deleted::NoContent)
    }
}
