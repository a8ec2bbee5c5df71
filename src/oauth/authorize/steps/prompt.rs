//! `prompt` and `max_age` (OIDC Core §3.1.2.1): known prompt values, `none` alone, and a
//! non-negative `max_age`.

use crate::{
    config::Config,
    oauth::{OAuthError, authorize::Draft},
};

pub fn check(_: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    let values = super::super::split(d.params.get("prompt"));
    for p in &values {
        let slot = match p.as_str() {
            "none" => &mut d.prompt.none,
            "login" => &mut d.prompt.login,
            "consent" => &mut d.prompt.consent,
            "select_account" => &mut d.prompt.select_account,
            _ => {
                return Err(OAuthError::invalid_request(
                    "The prompt parameter has an unknown value (use none, login, consent or select_account).",
                ));
            }
        };
        *slot = true;
    }
    if d.prompt.none && values.len() > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other prompt values (OIDC Core §3.1.2.1).",
        ));
    }
    d.max_age = match d.params.get("max_age") {
        None => None,
        Some(m) => match m.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                return Err(OAuthError::invalid_request(
                    "max_age must be a non-negative number of seconds.",
                ));
            }
        },
    };
    Ok(())
}
