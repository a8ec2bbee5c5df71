//! Requests this server makes to URLs its clients registered — `jwks_uri`,
//! `sector_identifier_uri`, back-channel logout — through one HTTP client: a connect and a total
//! timeout, a bound on what is read, no redirects followed, and, besides the web PKI's roots, the
//! certificates in the file `SSL_CERT_FILE` names when it is set (as Go programs, Hydra among
//! them, read it), so that a private CA can be trusted.
//!
//! The SSRF guard (`clients.http.disallow_private_ip_ranges`, Hydra's key): URLs whose host is,
//! or resolves to, an internal address — loopback, private, link-local, CGNAT, unspecified,
//! multicast, reserved, and their IPv6 forms, IPv4-mapped included — are refused. The check is
//! made on the addresses the connection will use (a resolver that drops internal ones), so a
//! name that resolved to a public address at registration and to 127.0.0.1 now (DNS rebinding)
//! is refused at fetch time. URLs in `clients.http.private_ip_exception_urls` (exact match)
//! are exempt.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, OnceLock},
    time::Duration,
};

use serde::de::DeserializeOwned;

/// The longest a fetch may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The most a fetched document may weigh.
pub const MAX_BODY: usize = 5 << 20;

/// Why a fetch failed, in detail: for the log and the operator, never for an anonymous caller
/// (what answered, or that nothing did, would make the server a port scanner of its own
/// network); callers answer [`FetchError::PUBLIC`] instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

impl FetchError {
    /// What a caller outside the operator's team is told about any failed fetch.
    pub const PUBLIC: &str = "it could not be fetched, or did not answer what was expected";
}

/// Who registered the URL a request goes to, and so whether the SSRF guard applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A client the operator registered through the admin API: the guard as configured
    /// (`clients.http.disallow_private_ip_ranges`).
    Operator,
    /// A client that registered itself (RFC 7591), or anything an anonymous party chose: always
    /// under the guard, whatever the setting (RFC 7591 §5 and OIDC Registration §9 leave it to
    /// the server; an open registration endpoint must not reach the operator's own network).
    Anonymous,
}

/// Whether an address is internal: what the SSRF guard refuses.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64, 64:ff9b::/96: an IPv4 behind it
                || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation
                || (s[..6] == [0; 6] && internal_v4(Ipv4Addr::new(
                    (s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8,
                ))) // IPv4-compatible ::a.b.c.d
        }
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0 // "this network", 0.0.0.0/8
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT, 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking, 198.18.0.0/15
        || o[0] >= 240 // reserved
}

/// The guard's settings.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    pub disallow_private: bool,
    pub exceptions: Vec<String>,
}

impl Guard {
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            disallow_private: config.clients.http.disallow_private_ip_ranges,
            exceptions: config.clients.http.private_ip_exception_urls.clone(),
        }
    }

    /// Whether `url`, registered by `owner`, is checked at all.
    pub fn applies_to(&self, url: &str, owner: Owner) -> bool {
        (self.disallow_private || owner == Owner::Anonymous)
            && !self.exceptions.iter().any(|e| e == url)
    }

    /// At registration: every address `url`'s host has now must be external (Hydra's check).
    pub async fn check_registered(&self, url: &str, owner: Owner) -> Result<(), FetchError> {
        if !self.applies_to(url, owner) {
            return Ok(());
        }
        let u = url::Url::parse(url).map_err(|e| FetchError(format!("{url} is not a URL: {e}")))?;
        let port = u.port_or_known_default().unwrap_or(443);
        let addrs: Vec<IpAddr> = match u.host() {
            Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
            Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
            Some(url::Host::Domain(d)) => tokio::net::lookup_host((d, port))
                .await
                .map_err(|e| FetchError(format!("{url}: its host does not resolve ({e})")))?
                .map(|a| a.ip())
                .collect(),
            None => return Err(FetchError(format!("{url} has no host"))),
        };
        match addrs.iter().find(|ip| is_internal(**ip)) {
            Some(ip) => Err(FetchError(format!(
                "{url} resolves to {ip}, an internal address (clients.http.disallow_private_ip_ranges)"
            ))),
            None => Ok(()),
        }
    }
}

/// A resolver that keeps only external addresses: the guard at connection time.
struct ExternalOnly;

impl reqwest::dns::Resolve for ExternalOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let external: Vec<SocketAddr> =
                all.into_iter().filter(|a| !is_internal(a.ip())).collect();
            if external.is_empty() {
                return Err(format!(
                    "{host} resolves to internal addresses only (clients.http.disallow_private_ip_ranges)"
                )
                .into());
            }
            Ok(Box::new(external.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The outgoing HTTP client; built on first use (loading the roots costs milliseconds that every
/// start would otherwise pay).
#[derive(Default)]
pub struct Outbound {
    guard: Guard,
    /// Connects anywhere: with the guard off, and for exempt URLs.
    open: OnceLock<reqwest::Client>,
    /// Connects to external addresses only.
    guarded: OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbound")
    }
}

fn build(guarded: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string()))
        {
            Ok(certs) => {
                for c in certs {
                    b = b.add_root_certificate(c);
                }
            }
            Err(e) => tracing::warn!(
                file = %std::path::Path::new(&path).display(),
                error = %e,
                "SSL_CERT_FILE could not be read; outgoing requests trust the web PKI's roots only"
            ),
        }
    }
    if guarded {
        b = b.dns_resolver(Arc::new(ExternalOnly));
    }
    b.build().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the outgoing HTTP client could not be configured; using defaults");
        reqwest::Client::new()
    })
}

impl Outbound {
    pub fn new(guard: Guard) -> Self {
        Self {
            guard,
            ..Self::default()
        }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The client to reach `url` with, for requests that need more than [`Outbound::get_json`]:
    /// under the guard, an internal IP literal is refused here and internal resolutions by the
    /// guarded client's resolver.
    pub fn client_for(&self, url: &str, owner: Owner) -> Result<reqwest::Client, FetchError> {
        if !self.guard.applies_to(url, owner) {
            return Ok(self.open.get_or_init(|| build(false)).clone());
        }
        let literal = url::Url::parse(url).ok().and_then(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        });
        if let Some(ip) = literal.filter(|ip| is_internal(*ip)) {
            return Err(FetchError(format!(
                "{url} is an internal address ({ip}; clients.http.disallow_private_ip_ranges)"
            )));
        }
        Ok(self.guarded.get_or_init(|| build(true)).clone())
    }

    /// GETs `url` and reads a JSON document of at most [`MAX_BODY`] bytes from a 2xx answer.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        owner: Owner,
    ) -> Result<T, FetchError> {
        let mut resp = self
            .client_for(url, owner)?
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| FetchError(format!("{url} could not be fetched: {}", without_url(&e))))?;
        if !resp.status().is_success() {
            return Err(FetchError(format!(
                "{url} answered {}",
                resp.status().as_u16()
            )));
        }
        let body = read_body(url, &mut resp).await?;
        serde_json::from_slice(&body)
            .map_err(|e| FetchError(format!("{url} did not answer the expected JSON: {e}")))
    }

    /// The client for URLs the operator configured (the token hooks): no guard, since those
    /// often live on the operator's own network; the same timeouts and no redirects.
    pub fn operator_client(&self) -> reqwest::Client {
        self.open.get_or_init(|| build(false)).clone()
    }

    /// POSTs a JSON body to an operator-configured URL; the answer's status and body (at most
    /// [`MAX_BODY`] bytes).
    pub async fn post_json(
        &self,
        url: &str,
        body: Vec<u8>,
        headers: reqwest::header::HeaderMap,
    ) -> Result<(u16, Vec<u8>), FetchError> {
        let mut resp = self
            .operator_client()
            .post(url)
            .headers(headers)
            .header("content-type", "application/json; charset=UTF-8")
            .body(body)
            .send()
            .await
            .map_err(|e| FetchError(format!("{url} could not be reached: {}", without_url(&e))))?;
        let status = resp.status().as_u16();
        Ok((status, read_body(url, &mut resp).await?))
    }
}

/// Reads an answer's body, refusing more than [`MAX_BODY`] bytes.
async fn read_body(url: &str, resp: &mut reqwest::Response) -> Result<Vec<u8>, FetchError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| FetchError(format!("{url} could not be read: {}", without_url(&e))))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(FetchError(format!(
                "{url} answered more than {} MiB",
                MAX_BODY >> 20
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What went wrong, without the URL (the caller names it) and with the underlying cause.
fn without_url(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirects are not followed"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(src) => format!("{what} ({src})"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "::127.0.0.1",
        ] {
            assert!(is_internal(a.parse().unwrap()), "{a} is internal");
        }
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(a.parse().unwrap()), "{a} is external");
        }
    }

    #[tokio::test]
    async fn the_guard_refuses_internal_urls_and_honours_exceptions() {
        let guard = Guard {
            disallow_private: true,
            exceptions: vec!["http://127.0.0.1:9/jwks.json".into()],
        };
        assert!(
            guard
                .check_registered("http://127.0.0.1:8080/jwks.json", Owner::Operator)
                .await
                .is_err()
        );
        assert!(
            guard
                .check_registered("https://[::1]/x", Owner::Operator)
                .await
                .is_err()
        );
        assert!(
            guard
                .check_registered("http://localhost:9/x", Owner::Operator)
                .await
                .is_err()
        );
        assert!(
            guard
                .check_registered("http://127.0.0.1:9/jwks.json", Owner::Anonymous)
                .await
                .is_ok()
        );
        let out = Outbound::new(guard);
        assert!(
            out.client_for("http://10.0.0.1/x", Owner::Operator)
                .is_err()
        );
        assert!(
            out.client_for("http://127.0.0.1:9/jwks.json", Owner::Anonymous)
                .is_ok()
        );
        let e = out
            .get_json::<serde_json::Value>("http://localhost:9/x", Owner::Operator)
            .await
            .unwrap_err();
        assert!(e.0.contains("could not be fetched"), "{e}");
        assert!(
            Guard::default()
                .check_registered("http://127.0.0.1/x", Owner::Operator)
                .await
                .is_ok()
        );
        // What a client registered itself is guarded with the guard off.
        assert!(
            Guard::default()
                .check_registered("http://127.0.0.1/x", Owner::Anonymous)
                .await
                .is_err()
        );
        assert!(
            Outbound::default()
                .client_for("http://127.0.0.1/x", Owner::Anonymous)
                .is_err()
        );
    }
}
