//! Request objects (`request`, `request_uri`, OIDC Core §6) and the `registration` parameter
//! (§7.2.1) are not supported, and refused with their own error codes.

use crate::{
    config::Config,
    oauth::{ErrorCode, OAuthError, authorize::Draft},
};

pub fn check(_: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    for (name, code, what) in [
        (
            "request",
            ErrorCode::RequestNotSupported,
            "Request objects (the request parameter) are not supported.",
        ),
        (
            "request_uri",
            ErrorCode::RequestUriNotSupported,
            "The request_uri parameter is not supported.",
        ),
        (
            "registration",
            ErrorCode::RegistrationNotSupported,
            "The registration parameter is not supported.",
        ),
    ] {
        if d.params.get(name).is_some() {
            return Err(OAuthError::new(code, what));
        }
    }
    Ok(())
}
