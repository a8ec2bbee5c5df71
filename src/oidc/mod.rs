//! OpenID Connect: discovery metadata, ID tokens, userinfo.

pub mod claims;
pub mod discovery;
pub mod id_token;
pub mod subject;
pub mod userinfo;
