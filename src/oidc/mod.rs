//! OpenID Connect and authorization-server metadata. ID tokens, userinfo and logout arrive with the
//! browser-flows issue.

pub mod discovery;
