//! `StrictJson<T>`: a JSON request body parsed by serde rather than by poem-openapi's lenient
//! parser (which turns `1` into `"1"` for a string field). Wrong types, unknown fields, bad UTF-8
//! and truncated documents are rejected with a message that names the offending field.

use poem::{Request, RequestBody, Result};
use poem_openapi::{
    error::ParseRequestPayloadError,
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::de::DeserializeOwned;

/// A JSON body documented with `T`'s schema and decoded strictly with serde.
#[derive(Debug, Clone, PartialEq)]
pub struct StrictJson<T>(pub T);

impl<T: Type> Payload for StrictJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        <poem_openapi::payload::Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned> ParsePayload for StrictJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> Result<Self> {
        let data = body.take()?.into_bytes().await?;
        if data.iter().all(u8::is_ascii_whitespace) {
            return Err(ParseRequestPayloadError {
                reason: "the request body is empty; send a JSON document".into(),
            }
            .into());
        }
        let de = &mut serde_json::Deserializer::from_slice(&data);
        let value = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let reason = if path == "." || path.is_empty() {
                format!("invalid JSON: {}", e.inner())
            } else {
                format!("invalid JSON at `{path}`: {}", e.inner())
            };
            ParseRequestPayloadError { reason }
        })?;
        Ok(Self(value))
    }
}

poem_openapi::impl_apirequest_for_payload!(StrictJson<T>, T: Type + DeserializeOwned + Send);
