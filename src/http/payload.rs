//! `StrictJson<T>`: a JSON request body parsed by serde rather than by poem-openapi's lenient
//! parser (which turns `1` into `"1"` for a string field). Wrong types, a document of the wrong
//! kind (`[]` where an object is expected), bad UTF-8 and truncated documents are rejected with a
//! message that names the offending field.
//!
//! As Hydra does, unknown fields are ignored (a newer SDK may send fields this server does not
//! know; they are logged at debug) and a body without a `Content-Type` is read as JSON — unless
//! the request comes from a web page (it has an `Origin`): a browser may send such a body
//! cross-site without a CORS preflight, so there it is refused (415), as is any type that is not
//! JSON (`text/plain` and form types are exactly what a cross-site form or `fetch` may send
//! unchecked). That is a deliberate difference from Hydra, listed in `tests/compat/differences.toml`.

use poem::{Request, RequestBody, Result, http::StatusCode};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    error::ParseRequestPayloadError,
    payload::{ParsePayload, Payload},
    registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry},
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

/// The JSON kind a schema asks for at the top level: `{` for objects, `[` for arrays.
fn expected_opening<T: Type>() -> Option<(u8, &'static str)> {
    match T::schema_ref() {
        MetaSchemaRef::Reference(_) => Some((b'{', "an object")),
        MetaSchemaRef::Inline(s) => match s.ty {
            "object" => Some((b'{', "an object")),
            "array" => Some((b'[', "an array")),
            _ => None,
        },
    }
}

fn bad(reason: String) -> poem::Error {
    ParseRequestPayloadError { reason }.into()
}

impl<T: Type + DeserializeOwned> ParsePayload for StrictJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> Result<Self> {
        let data = body.take()?.into_bytes().await?;
        parse_strict(&data, expected_opening::<T>())
            .map(Self)
            .map_err(bad)
    }
}

/// Decodes a JSON document strictly (see the module docs); `opening` is the kind the top level
/// must be (`{` and "an object"). The error names the offending field.
pub fn parse_strict<T: DeserializeOwned>(
    data: &[u8],
    opening: Option<(u8, &str)>,
) -> std::result::Result<T, String> {
    let Some(first) = data.iter().copied().find(|b| !b.is_ascii_whitespace()) else {
        return Err("the request body is empty; send a JSON document".into());
    };
    if let Some((opening, kind)) = opening
        && first != opening
    {
        return Err(format!("invalid JSON: the body must be {kind}"));
    }
    let mut ignored = Vec::new();
    let de = &mut serde_json::Deserializer::from_slice(data);
    let mut note = |path: serde_ignored::Path<'_>| ignored.push(path.to_string());
    let de = serde_ignored::Deserializer::new(de, &mut note);
    let value = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." || path.is_empty() {
            format!("invalid JSON: {}", e.inner())
        } else {
            format!("invalid JSON at `{path}`: {}", e.inner())
        }
    })?;
    if !ignored.is_empty() {
        tracing::debug!(fields = ?ignored, "ignored unknown fields in a JSON body");
    }
    Ok(value)
}

impl<'a, T: Type + DeserializeOwned + Send> ApiExtractor<'a> for StrictJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: <Self as ParsePayload>::IS_REQUIRED,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> Result<Self> {
        let acceptable = match request.content_type() {
            Some(ct) => <Self as Payload>::check_content_type(ct),
            None => request.header("origin").is_none(),
        };
        if !acceptable {
            return Err(poem::Error::from_string(
                "the request body must be JSON (Content-Type: application/json)",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ));
        }
        <Self as ParsePayload>::from_request(request, body).await
    }
}
