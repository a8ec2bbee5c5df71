//! `response_type` and `response_mode` (OAuth 2.0 Multiple Response Type Encoding Practices,
//! Form Post Response Mode). The mode is decided first, so that the errors about the type travel
//! the way a success would; the type must be one the client registered, and the grant it implies
//! one the client may use.

use crate::{
    config::Config,
    oauth::{
        ErrorCode, OAuthError,
        authorize::{Draft, ResponseMode, ResponseType},
    },
};

pub fn check(_: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    let raw = d.params.get("response_type");
    let response_type = raw.and_then(ResponseType::parse);
    let default_mode = if response_type.is_none_or(ResponseType::code_only) {
        ResponseMode::Query
    } else {
        ResponseMode::Fragment
    };
    let mode = match d.params.get("response_mode") {
        None => Ok(default_mode),
        Some("query") if default_mode == ResponseMode::Query => Ok(ResponseMode::Query),
        // OAuth 2.0 Multiple Response Types §5: tokens never travel in the query.
        Some("query") => {
            Err("The response_mode query cannot carry tokens; use fragment or form_post.")
        }
        Some("fragment") => Ok(ResponseMode::Fragment),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(_) => Err("The response_mode is not supported (use query, fragment or form_post)."),
    };
    if let Some(r) = d.redirect.as_mut() {
        r.mode = *mode.as_ref().unwrap_or(&default_mode);
    }
    mode.map_err(OAuthError::invalid_request)?;
    let Some(response_type) = response_type else {
        return Err(match raw {
            None => {
                OAuthError::invalid_request("The request is missing the response_type parameter.")
            }
            Some(_) => OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "The response_type is not supported (combine code, token and id_token).",
            ),
        });
    };
    let metadata = &d.client.metadata;
    if !metadata
        .response_types_or_default()
        .iter()
        .any(|t| ResponseType::parse(t) == Some(response_type))
    {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "The client is not allowed to use this response_type.",
        ));
    }
    // Registration does not tie response types to grants (as Hydra); here it matters. A code
    // needs the authorization_code grant (RFC 6749 §4.1); a token or an ID token from the front
    // channel alone is the implicit grant (RFC 6749 §4.2, OIDC Core §3.2).
    let needs = if response_type.code {
        "authorization_code"
    } else {
        "implicit"
    };
    if !metadata.has_grant(needs) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!(
                "The client is not allowed to use the {needs} grant, which this response_type needs."
            ),
        ));
    }
    d.response_type = response_type;
    Ok(())
}
