//! `/admin/keys/{set}[/{kid}]`: JSON Web Key sets — generate, read, import and delete keys.

use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Path, payload::Json};

use super::{AdminResult, Deleted};
use crate::{
    http::{State, payload::StrictJson, public::Tag},
    wire::{CreateJsonWebKeySet, JsonWebKey, JsonWebKeySet},
};

#[derive(ApiResponse)]
pub enum KeySetCreated {
    /// The key was generated; the response holds it with its private parameters. `Location`
    /// names the set.
    #[oai(status = 201)]
    Created(Json<JsonWebKeySet>, #[oai(header = "Location")] String),
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
    ) -> AdminResult<KeySetCreated> {
        let created = state.keys.create(&set.0, req.0).await?;
        let location = format!(
            "/admin/keys/{}",
            url::form_urlencoded::byte_serialize(set.0.as_bytes()).collect::<String>()
        );
        Ok(KeySetCreated::Created(Json(created), location))
    }

    /// Get a JSON Web Key set, private parameters included, newest key first.
    #[oai(
        path = "/admin/keys/:set",
        method = "get",
        operation_id = "getJsonWebKeySet"
    )]
    async fn get_set(
        &self,
        state: Data<&State>,
        set: Path<String>,
    ) -> AdminResult<Json<JsonWebKeySet>> {
        Ok(Json(state.keys.get_set(&set.0).await?))
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
    ) -> AdminResult<Json<JsonWebKeySet>> {
        Ok(Json(state.keys.put_set(&set.0, keys.0).await?))
    }

    /// Delete a JSON Web Key set and every key in it. Deleting a set that has no keys (or does
    /// not exist) succeeds too, as in Hydra.
    #[oai(
        path = "/admin/keys/:set",
        method = "delete",
        operation_id = "deleteJsonWebKeySet"
    )]
    async fn delete_set(&self, state: Data<&State>, set: Path<String>) -> AdminResult<Deleted> {
        state.keys.delete_set(&set.0).await?;
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
    ) -> AdminResult<Json<JsonWebKeySet>> {
        Ok(Json(state.keys.get_key(&set.0, &kid.0).await?))
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
    ) -> AdminResult<Json<JsonWebKey>> {
        Ok(Json(state.keys.put_key(&set.0, &kid.0, key.0).await?))
    }

    /// Delete one JSON Web Key. Deleting a key that does not exist succeeds too, as in Hydra.
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
    ) -> AdminResult<Deleted> {
        state.keys.delete_key(&set.0, &kid.0).await?;
        Ok(Deleted::NoContent)
    }
}
