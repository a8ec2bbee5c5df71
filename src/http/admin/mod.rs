//! The admin API (Hydra v2 paths), documented with poem-openapi, one file per resource:
//! [`clients`], [`keys`], [`oauth2`] (introspection, token deletion), [`flows`] (the login,
//! consent and logout requests) and [`sessions`] (consent and login sessions). Every operation
//! fails with [`AdminErrorResponse`](super::error::AdminErrorResponse), rendered in
//! `http::error`. The spec served at `/admin/openapi.json` is committed under `openapi/` and a
//! test keeps the two equal.

pub mod clients;
pub mod flows;
pub mod keys;
pub mod oauth2;
pub mod sessions;
pub mod trust;

use poem_openapi::{ApiResponse, OpenApiService};

use super::{VERSION, error::AdminErrorResponse, public::MetadataApi};

/// What every admin operation returns.
pub type AdminResult<T> = std::result::Result<T, AdminErrorResponse>;

#[derive(ApiResponse)]
pub enum Deleted {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

/// The `Link` header of a page (RFC 8288): `first` always, `next` when there is more. `path` is
/// the operation's path; `query` the parameters that select the list (repeated on each link).
pub fn page_links(
    path: &str,
    query: &[(&str, Option<&str>)],
    page_size: u64,
    next_page_token: Option<&str>,
) -> String {
    let link = |token: Option<&str>, rel: &str| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page_size", &page_size.to_string());
        if let Some(t) = token {
            q.append_pair("page_token", t);
        }
        format!("<{path}?{}>; rel=\"{rel}\"", q.finish())
    };
    let mut links = vec![link(None, "first")];
    if let Some(next) = next_page_token {
        links.push(link(Some(next), "next"));
    }
    links.join(",")
}

/// Every admin API, in the order the spec lists them.
pub type AdminApis = (
    MetadataApi,
    clients::ClientsApi,
    oauth2::OAuth2Api,
    flows::FlowsApi,
    sessions::SessionsApi,
    keys::KeysApi,
    trust::TrustApi,
);

/// The admin API as an OpenAPI service (its routes and its spec).
pub fn service(server_url: Option<&str>) -> OpenApiService<AdminApis, ()> {
    let apis = (
        MetadataApi,
        clients::ClientsApi,
        oauth2::OAuth2Api,
        flows::FlowsApi,
        sessions::SessionsApi,
        keys::KeysApi,
        trust::TrustApi,
    );
    let svc = OpenApiService::new(apis, "Latchkey Admin API", VERSION)
        .description(
            "The admin API of Latchkey, an OAuth 2.0 and OpenID Connect server that speaks Ory Hydra's wire protocol. \
             Paths, fields and status codes are Hydra v2's, so Hydra's SDKs work against it.",
        )
        .license("Apache-2.0");
    match server_url {
        Some(url) => svc.server(url),
        None => svc,
    }
}

/// The committed spec: stable (no server URL), pretty-printed, ending with a newline.
pub fn spec_json() -> String {
    format!("{}\n", service(None).spec())
}
