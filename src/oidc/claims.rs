//! Which claims about a user are released, and where: the standard claims (OIDC Core §5.1), the
//! scopes that ask for them (§5.4), and the `claims` request parameter (§5.5), which asks for
//! single claims in the ID token or from userinfo, as voluntary or essential, with wanted values.
//!
//! The consent app decides what is released; these are the rules the built-in app applies and the
//! parser that checks a request's `claims` at the authorization endpoint.

use serde_json::{Map, Value};

/// OIDC Core §5.4: the claims each standard scope asks for.
pub const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// The standard claims (OIDC Core §5.1) a user of the built-in app can have.
pub fn standard_claims() -> impl Iterator<Item = &'static str> {
    SCOPE_CLAIMS.iter().flat_map(|(_, c)| c.iter().copied())
}

/// The standard claim names a scope asks for (none for other scopes).
pub fn claims_of_scope(scope: &str) -> &'static [&'static str] {
    SCOPE_CLAIMS
        .iter()
        .find(|(s, _)| *s == scope)
        .map(|(_, c)| *c)
        .unwrap_or(&[])
}

/// One requested claim (OIDC Core §5.5.1): `null`, or an object with `essential`, `value`,
/// `values`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClaimRequest {
    pub essential: bool,
    /// `value`, or the members of `values`.
    pub values: Vec<Value>,
}

/// A parsed `claims` request parameter (OIDC Core §5.5): claims asked for in the ID token and
/// from userinfo.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClaimsRequest {
    pub id_token: Vec<(String, ClaimRequest)>,
    pub userinfo: Vec<(String, ClaimRequest)>,
}

impl ClaimsRequest {
    /// Parses the parameter's JSON; the error says what is wrong. Members other than `id_token`
    /// and `userinfo` are ignored (§5.5: "other members MAY be present ... MUST be ignored" if not
    /// understood).
    pub fn parse(json: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(json)
            .map_err(|e| format!("The claims parameter is not valid JSON: {e}."))?;
        let Value::Object(top) = v else {
            return Err("The claims parameter must be a JSON object (OIDC Core §5.5).".into());
        };
        let mut out = Self::default();
        for (target, slot) in [
            ("id_token", &mut out.id_token),
            ("userinfo", &mut out.userinfo),
        ] {
            match top.get(target) {
                None | Some(Value::Null) => {}
                Some(Value::Object(m)) => {
                    for (name, spec) in m {
                        slot.push((name.clone(), Self::one(target, name, spec)?));
                    }
                }
                Some(_) => {
                    return Err(format!(
                        "The claims parameter's {target} member must be an object (OIDC Core §5.5)."
                    ));
                }
            }
        }
        Ok(out)
    }

    fn one(target: &str, name: &str, spec: &Value) -> Result<ClaimRequest, String> {
        let bad = |what: &str| {
            Err(format!(
                "The claims parameter asks for {target}.{name} with {what} (OIDC Core §5.5.1)."
            ))
        };
        let m = match spec {
            Value::Null => return Ok(ClaimRequest::default()),
            Value::Object(m) => m,
            _ => return bad("neither null nor an object"),
        };
        let essential = match m.get("essential") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return bad("an essential member that is not a boolean"),
        };
        let mut values = Vec::new();
        if let Some(v) = m.get("value").filter(|v| !v.is_null()) {
            values.push(v.clone());
        }
        match m.get("values") {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => values.extend(a.iter().cloned()),
            Some(_) => return bad("a values member that is not an array"),
        }
        Ok(ClaimRequest { essential, values })
    }

    /// Every claim named, in the ID token or from userinfo.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.id_token
            .iter()
            .chain(&self.userinfo)
            .map(|(n, _)| n.as_str())
    }

    /// The request for `name` in the ID token.
    pub fn for_id_token(&self, name: &str) -> Option<&ClaimRequest> {
        self.id_token
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r)
    }
}

/// What a consent releases: claims for the ID token (Hydra's `session.id_token`, which userinfo
/// returns too) and claims for userinfo alone (`session.userinfo`, ours).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Released {
    pub id_token: Map<String, Value>,
    pub userinfo: Map<String, Value>,
}

/// The claims of `user` (its standard claims by name) released for the granted scopes and the
/// `claims` request. OIDC Core §5.4: what a granted standard scope asks for comes from userinfo
/// when an access token is issued, and in the ID token only when none is (`response_type=id_token`);
/// §5.5: what the `claims` parameter asks for goes where it asks. Only the standard claims of a
/// granted `openid` request are ever released, and only those the user has; the ID token carries
/// nothing that was not asked for it.
pub fn release(
    user: &Map<String, Value>,
    granted: &[String],
    request: Option<&ClaimsRequest>,
    access_token_issued: bool,
) -> Released {
    let mut out = Released::default();
    if !granted.iter().any(|s| s == "openid") {
        return out;
    }
    let standard = |n: &str| standard_claims().any(|s| s == n);
    let by_scope = if access_token_issued {
        &mut out.userinfo
    } else {
        &mut out.id_token
    };
    for scope in granted {
        for name in claims_of_scope(scope) {
            if let Some(v) = user.get(*name) {
                by_scope.insert((*name).to_owned(), v.clone());
            }
        }
    }
    if let Some(r) = request {
        for (target, asked) in [
            (&mut out.id_token, &r.id_token),
            (&mut out.userinfo, &r.userinfo),
        ] {
            for (name, _) in asked {
                if standard(name)
                    && let Some(v) = user.get(name)
                {
                    target.insert(name.clone(), v.clone());
                }
            }
        }
    }
    // Userinfo returns the ID token's claims too: no need to say them twice.
    let Released { id_token, userinfo } = &mut out;
    userinfo.retain(|k, _| !id_token.contains_key(k));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_requests_are_parsed_and_checked() {
        let r = ClaimsRequest::parse(
            r#"{"userinfo":{"name":{"essential":true},"email":null},
                "id_token":{"acr":{"values":["1","0"]},"auth_time":{"essential":true}},
                "unknown":{}}"#,
        )
        .unwrap();
        assert_eq!(r.userinfo.len(), 2);
        assert!(r.userinfo[0].1.essential || r.userinfo[1].1.essential);
        assert_eq!(
            r.for_id_token("acr").unwrap().values,
            vec![json!("1"), json!("0")]
        );
        for bad in [
            "not json",
            "[]",
            r#"{"userinfo":[]}"#,
            r#"{"id_token":{"acr":"1"}}"#,
            r#"{"id_token":{"acr":{"essential":"yes"}}}"#,
            r#"{"id_token":{"acr":{"values":"1"}}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_and_claims_release_what_they_ask_for() {
        let user = json!({"name": "Ada", "email": "ada@example.com", "email_verified": true,
                          "phone_number": "+1", "address": {"country": "UK"}});
        let user = user.as_object().unwrap();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // With an access token, scopes release from userinfo; without one, in the ID token.
        let r = release(user, &s(&["openid", "email"]), None, true);
        assert!(r.id_token.is_empty());
        assert_eq!(r.userinfo.len(), 2);
        let r = release(user, &s(&["openid", "email"]), None, false);
        assert_eq!(r.id_token.len(), 2);
        assert!(r.userinfo.is_empty());
        let req = ClaimsRequest::parse(
            r#"{"userinfo":{"name":{"essential":true},"email":null,"secret":null},
                "id_token":{"phone_number":null,"email":null}}"#,
        )
        .unwrap();
        let r = release(user, &s(&["openid"]), Some(&req), true);
        assert_eq!(r.userinfo.keys().collect::<Vec<_>>(), vec!["name"]);
        assert_eq!(r.id_token.len(), 2, "{:?}", r.id_token);
        assert!(
            release(user, &s(&["email"]), Some(&req), true)
                .userinfo
                .is_empty()
        );
    }
}
