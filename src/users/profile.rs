//! A user's standard claims (OIDC Core §5.1): which may be set and in what form, and the whole set
//! a consent can release — the stored claims with `email` (the sign-in address) and `updated_at`
//! (when the profile last changed) from the record itself.

use serde_json::{Map, Value, json};

use crate::{error::AdminError, oidc::claims::standard_claims, storage::StoredUser};

/// Claims kept by the record itself, never set directly.
const DERIVED: &[&str] = &["email", "updated_at"];
/// OIDC Core §5.1: URL-valued claims.
const URLS: &[&str] = &["profile", "picture", "website"];
const BOOLEANS: &[&str] = &["email_verified", "phone_number_verified"];
/// OIDC Core §5.1.1: the members of `address`.
const ADDRESS: &[&str] = &[
    "formatted",
    "street_address",
    "locality",
    "region",
    "postal_code",
    "country",
];

fn invalid(text: String) -> AdminError {
    AdminError::invalid("invalid_request", text)
}

/// OIDC Core §5.1 `birthdate`: `YYYY-MM-DD` (`0000` when the year is withheld) or `YYYY`.
fn valid_birthdate(s: &str) -> bool {
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match s.split('-').collect::<Vec<_>>().as_slice() {
        [y] => digits(y, 4),
        [y, m, d] => {
            digits(y, 4)
                && digits(m, 2)
                && digits(d, 2)
                && chrono::NaiveDate::parse_from_str(
                    &format!("{}-{m}-{d}", if *y == "0000" { "2000" } else { y }),
                    "%Y-%m-%d",
                )
                .is_ok()
        }
        _ => false,
    }
}

/// Checks one claim a user may have; the error names the claim and the form it needs.
pub fn check_claim(name: &str, value: &Value) -> Result<(), AdminError> {
    if DERIVED.contains(&name) {
        return Err(invalid(format!(
            "{name} is kept by the user record itself and cannot be set"
        )));
    }
    if !standard_claims().any(|c| c == name) {
        return Err(invalid(format!(
            "{name} is not a standard claim (OIDC Core §5.1)"
        )));
    }
    let ok = if BOOLEANS.contains(&name) {
        value.is_boolean()
    } else if name == "address" {
        value.as_object().is_some_and(|m| {
            m.iter()
                .all(|(k, v)| ADDRESS.contains(&k.as_str()) && v.is_string())
        })
    } else if let Some(s) = value.as_str() {
        if URLS.contains(&name) {
            url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
        } else if name == "birthdate" {
            valid_birthdate(s)
        } else {
            !s.is_empty() && s.len() <= 1024
        }
    } else {
        false
    };
    if ok {
        Ok(())
    } else {
        let form = if BOOLEANS.contains(&name) {
            "true or false".into()
        } else if name == "address" {
            format!("an object of strings among {}", ADDRESS.join(", "))
        } else if URLS.contains(&name) {
            "an http(s) URL".into()
        } else if name == "birthdate" {
            "YYYY-MM-DD, 0000-MM-DD or YYYY".into()
        } else {
            "a string of 1 to 1024 bytes".to_string()
        };
        Err(invalid(format!("{name} must be {form} (OIDC Core §5.1)")))
    }
}

/// Checks every claim of a user's profile.
pub fn check_claims(claims: &Map<String, Value>) -> Result<(), AdminError> {
    claims.iter().try_for_each(|(k, v)| check_claim(k, v))
}

/// All the standard claims `user` has, as a consent may release them.
pub fn standard_claims_of(user: &StoredUser) -> Map<String, Value> {
    let mut out: Map<String, Value> = user
        .claims
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| standard_claims().any(|c| c == k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    out.insert("email".into(), json!(user.email));
    out.entry("email_verified").or_insert(json!(false));
    // OIDC Core §5.1: seconds since the epoch.
    out.insert("updated_at".into(), json!(user.updated_at / 1000));
    out
}

/// The demo user's profile: every standard claim, so each scope has something to release.
pub fn demo_claims() -> Value {
    json!({
        "name": "Foo Bar",
        "given_name": "Foo",
        "family_name": "Bar",
        "middle_name": "Baz",
        "nickname": "foo",
        "preferred_username": "foobar",
        "profile": "https://example.com/foobar",
        "picture": "https://example.com/foobar.png",
        "website": "https://example.com",
        "gender": "other",
        "birthdate": "0000-04-01",
        "zoneinfo": "Europe/Berlin",
        "locale": "en-US",
        "email_verified": true,
        "phone_number": "+1 555 0100",
        "phone_number_verified": false,
        "address": {
            "formatted": "1 Example Street\n12345 Example City\nGermany",
            "street_address": "1 Example Street",
            "locality": "Example City",
            "postal_code": "12345",
            "country": "DE"
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_checked_by_form() {
        for (name, v) in [
            ("name", json!("Ada")),
            ("website", json!("https://ada.example")),
            ("birthdate", json!("1815-12-10")),
            ("birthdate", json!("0000-02-29")),
            ("birthdate", json!("1815")),
            ("email_verified", json!(true)),
            ("address", json!({"country": "UK"})),
        ] {
            assert!(check_claim(name, &v).is_ok(), "{name} {v}");
        }
        for (name, v) in [
            ("name", json!("")),
            ("name", json!(3)),
            ("website", json!("javascript:alert(1)")),
            ("birthdate", json!("1815-13-10")),
            ("birthdate", json!("10 Dec 1815")),
            ("email_verified", json!("yes")),
            ("address", json!({"planet": "Earth"})),
            ("email", json!("a@b.c")),
            ("updated_at", json!(1)),
            ("is_admin", json!(true)),
        ] {
            assert!(check_claim(name, &v).is_err(), "{name} {v}");
        }
        check_claims(demo_claims().as_object().unwrap()).unwrap();
    }
}
