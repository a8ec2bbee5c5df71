//! The authorization request's checks, one file each; their order is [`super::STEPS`].

pub mod audience;
pub mod claims;
pub mod nonce;
pub mod pkce;
pub mod prompt;
pub mod redirect_uri;
pub mod response;
pub mod scope;
pub mod unsupported;
