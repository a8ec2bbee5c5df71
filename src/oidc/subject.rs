//! Pairwise subject identifiers (OIDC Core §8.1): a client with `subject_type: pairwise` sees each
//! user under an identifier of its sector only, so that clients of different sectors cannot
//! correlate their users.
//!
//! Computed as Hydra computes them, so that subjects stay the same when a deployment moves from
//! Hydra with its salt: `hex(SHA-256(sector ‖ subject ‖ salt))`, where the sector is the client's
//! `sector_identifier_uri` as registered (the whole URI, as Hydra uses it), else the host of its
//! redirect URI. A login app's `force_subject_identifier` replaces it for that flow.
//!
//! Where the identifier appears, as in Hydra: the ID token's and userinfo's `sub`, and
//! introspection's `obfuscated_subject` (its `sub` stays the real subject, for the resource
//! servers behind this server). Challenges, consent sessions and access tokens' rows keep the
//! real subject.

use sha2::{Digest, Sha256};

use crate::{config::SubjectIdentifiers, wire::OAuth2Client};

/// Why a pairwise identifier cannot be computed for a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSector(pub String);

pub fn is_pairwise(client: &OAuth2Client) -> bool {
    client.subject_type.as_deref() == Some("pairwise")
}

/// The sector a pairwise client's identifiers belong to.
pub fn sector_of(client: &OAuth2Client) -> Result<String, NoSector> {
    if let Some(uri) = client
        .sector_identifier_uri
        .as_deref()
        .filter(|u| !u.is_empty())
    {
        return Ok(uri.to_owned());
    }
    let uris = client.redirect_uris.as_deref().unwrap_or_default();
    let hosts: Vec<&str> = uris.iter().filter_map(|u| raw_host(u)).collect();
    match hosts.as_slice() {
        [] => Err(NoSector(
            "a pairwise client needs a sector_identifier_uri or a redirect URI (OIDC Core §8.1)"
                .into(),
        )),
        [first, rest @ ..] if rest.iter().all(|h| h == first) => Ok((*first).to_owned()),
        _ => Err(NoSector(
            "a pairwise client whose redirect URIs have different hosts must register a sector_identifier_uri (OIDC Core §8.1)".into(),
        )),
    }
}

/// The host of a URI as written, with its port if one is written (what Go's `URL.Host` holds,
/// which Hydra hashes; the `url` crate would drop a default port).
fn raw_host(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    (!host.is_empty()).then_some(host)
}

/// `hex(SHA-256(sector ‖ subject ‖ salt))`.
pub fn pairwise(salt: &str, sector: &str, subject: &str) -> String {
    let mut h = Sha256::new();
    h.update(sector.as_bytes());
    h.update(subject.as_bytes());
    h.update(salt.as_bytes());
    crate::crypto::hex(&h.finalize())
}

/// The identifier `client` knows the user `subject` by, when it is not `subject` itself: the
/// forced one, else the pairwise one. `Err` when the client is pairwise but the server does not
/// offer pairwise identifiers (any more), or the client has no sector.
pub fn for_client(
    config: &SubjectIdentifiers,
    client: &OAuth2Client,
    subject: &str,
    forced: Option<&str>,
) -> Result<Option<String>, NoSector> {
    if !is_pairwise(client) {
        return Ok(None);
    }
    if !config.pairwise_enabled() {
        return Err(NoSector(
            "the client uses pairwise subject identifiers, which this server does not offer (oidc.subject_identifiers.supported_types)".into(),
        ));
    }
    if let Some(f) = forced.filter(|f| !f.is_empty()) {
        return Ok(Some(f.to_owned()));
    }
    let sector = sector_of(client)?;
    Ok(Some(pairwise(&config.pairwise.salt.0, &sector, subject)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_hydra_computes_it() {
        // sha256("https://rp.example/sector.json" + "alice" + "some-salt-value")
        let expected: String =
            Sha256::digest(b"https://rp.example/sector.jsonalicesome-salt-value")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
        assert_eq!(
            pairwise("some-salt-value", "https://rp.example/sector.json", "alice"),
            expected
        );
        let client = |uris: &[&str], sector: Option<&str>| OAuth2Client {
            subject_type: Some("pairwise".into()),
            redirect_uris: Some(uris.iter().map(|s| s.to_string()).collect()),
            sector_identifier_uri: sector.map(str::to_owned),
            ..OAuth2Client::default()
        };
        assert_eq!(
            sector_of(&client(&["https://a.example/cb"], None)).unwrap(),
            "a.example"
        );
        assert_eq!(
            sector_of(&client(&["https://a.example:443/cb"], None)).unwrap(),
            "a.example:443"
        );
        assert_eq!(
            sector_of(&client(
                &["http://127.0.0.1:8080/cb", "http://127.0.0.1:8080/other"],
                None
            ))
            .unwrap(),
            "127.0.0.1:8080"
        );
        assert!(
            sector_of(&client(
                &["https://a.example/cb", "https://b.example/cb"],
                None
            ))
            .is_err()
        );
        assert!(sector_of(&client(&[], None)).is_err());
        assert_eq!(
            sector_of(&client(
                &["https://a.example/cb", "https://b.example/cb"],
                Some("https://s.example/x.json")
            ))
            .unwrap(),
            "https://s.example/x.json"
        );
    }
}
