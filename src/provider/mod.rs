//! The OpenID provider's own endpoints, above the protocol core and the flows: discovery metadata
//! (RFC 8414, OIDC Discovery), which lists what the core offers, and userinfo (OIDC Core §5.3), a
//! protected resource. The OpenID Connect library parts they share with the core (ID tokens,
//! subject identifiers, claims) are in [`crate::oidc`], below.

pub mod discovery;
pub mod userinfo;
