//! Hydra's admin error body.

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

/// An error from the admin API, in the shape Hydra's SDKs decode (`errorOAuth2`).
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq, Eq)]
#[oai(rename = "errorOAuth2")]
pub struct GenericError {
    /// A short, machine-readable error code, e.g. `invalid_client_metadata`.
    pub error: String,
    /// A human-readable explanation of what went wrong and, where possible, how to fix it.
    pub error_description: String,
    /// The HTTP status code of the response.
    pub status_code: u16,
    /// Debug information; only present when `oauth2.expose_internal_errors` is on.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_debug: Option<String>,
    /// A hint at how to fix the request.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_hint: Option<String>,
}
