//! Wire types: the JSON shapes of Hydra's admin API, shared by the HTTP layer (which documents them
//! with poem-openapi), the protocol core (which validates them) and the CLI (which sends them).

pub mod client;
pub mod error;
pub mod flows;
pub mod introspection;
pub mod jwk;
pub mod trust;

pub use client::{JsonPatchOp, OAuth2Client, OAuth2ClientTokenLifespans};
pub use error::GenericError;
pub use flows::{
    AcceptDeviceUserCodeRequest, AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest,
    ConsentSessionData, OAuth2ConsentRequest, OAuth2ConsentSession, OAuth2LoginRequest,
    OAuth2LogoutRequest, OAuth2RedirectTo, OidcContext, RejectOAuth2Request,
};
pub use introspection::Introspection;
pub use jwk::{CreateJsonWebKeySet, JsonWebKey, JsonWebKeySet};
pub use trust::{
    TrustOAuth2JwtGrantIssuer, TrustedOAuth2JwtGrantIssuer, TrustedOAuth2JwtGrantJsonWebKey,
};
