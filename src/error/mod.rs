//! The two error types, at the bottom of the layers (they import nothing of the crate):
//! [`OAuthError`], the protocol's (an RFC code that knows its HTTP status), and [`AdminError`],
//! what the client registry, key sets, the challenge API and the session admin operations fail
//! with. No HTTP types here; `http::error` renders both. The layers below the protocol convert
//! their own errors into these where they are defined (`storage::StoreError`, `keys::KeyError`).

mod oauth;

pub use oauth::{ErrorCode, OAuthError};

/// An admin operation's failure, with a description safe to show the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// 400: the input is invalid; `error` is the RFC code (`invalid_request`,
    /// `invalid_client_metadata`, `invalid_redirect_uri`, …).
    BadRequest {
        error: &'static str,
        description: String,
    },
    /// 404: no such resource (or a challenge this server did not issue).
    NotFound(String),
    /// 409: a resource with that id exists already.
    Conflict(String),
    /// 410: the challenge expired or its flow completed; `redirect_to` starts over.
    Gone { redirect_to: String },
    /// An OAuth 2.0 error from the protocol core, answered with its code's own status.
    OAuth(OAuthError),
    /// 500; the cause is logged, never sent.
    Internal(String),
}

impl AdminError {
    pub fn invalid(error: &'static str, description: impl Into<String>) -> Self {
        Self::BadRequest {
            error,
            description: description.into(),
        }
    }

    /// An `invalid_request`.
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::invalid("invalid_request", description)
    }

    /// A challenge that is not ours, or not of this kind.
    pub fn unknown_challenge() -> Self {
        Self::NotFound("The challenge does not exist, or it was issued by another server.".into())
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Gone { .. } => 410,
            Self::OAuth(e) => e.code.status(),
            Self::Internal(_) => 500,
        }
    }
}

impl From<OAuthError> for AdminError {
    fn from(e: OAuthError) -> Self {
        if e.code == ErrorCode::ServerError {
            Self::Internal(e.cause.unwrap_or(e.description))
        } else {
            Self::OAuth(e)
        }
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadRequest { error, description } => write!(f, "{error}: {description}"),
            Self::NotFound(d) | Self::Conflict(d) => f.write_str(d),
            Self::Gone { .. } => f.write_str("the request has expired or was already handled"),
            Self::OAuth(e) => write!(f, "{}: {}", e.code.as_str(), e.description),
            Self::Internal(_) => f.write_str("internal error"),
        }
    }
}
