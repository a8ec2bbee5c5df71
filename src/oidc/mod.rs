//! OpenID Connect's library parts, below the protocol core that uses them: ID token claims,
//! subject identifiers (public and pairwise), the `claims` request parameter and scope → claims.
//! Its endpoints (discovery, userinfo) are in [`crate::provider`].

pub mod claims;
pub mod id_token;
pub mod subject;
