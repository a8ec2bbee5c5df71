//! Form-encoded request parameters (RFC 6749 §3.2, Appendix B): a parameter sent twice is an error,
//! except those that are lists by definition.

use std::collections::HashMap;

use super::OAuthError;

/// Parsed `application/x-www-form-urlencoded` parameters.
#[derive(Debug, Default, Clone)]
pub struct FormParams {
    single: HashMap<String, String>,
    repeated: HashMap<String, Vec<String>>,
}

impl FormParams {
    /// Parses a body. Names in `lists` may repeat; any other repeated name is `invalid_request`.
    /// Empty values count as absent (RFC 6749 §3.1).
    pub fn parse(body: &[u8], lists: &[&str]) -> Result<Self, OAuthError> {
        let mut out = Self::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            if lists.contains(&k.as_ref()) {
                out.repeated
                    .entry(k.into_owned())
                    .or_default()
                    .push(v.into_owned());
                continue;
            }
            if v.is_empty() {
                continue;
            }
            if out.single.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "The parameter `{k}` was included more than once (RFC 6749 §3.2)."
                )));
            }
        }
        Ok(out)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.single.get(name).map(String::as_str)
    }

    /// The values of a list parameter, each split on spaces, empties dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.repeated
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(' '))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::invalid_request(format!("The request is missing the `{name}` parameter."))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_except_lists() {
        assert!(FormParams::parse(b"grant_type=a&grant_type=b", &[]).is_err());
        let p = FormParams::parse(b"audience=a&audience=b+c&scope=x", &["audience"]).unwrap();
        assert_eq!(p.list("audience"), ["a", "b", "c"]);
        assert_eq!(p.get("scope"), Some("x"));
        assert_eq!(
            FormParams::parse(b"scope=", &[]).unwrap().get("scope"),
            None
        );
    }
}
