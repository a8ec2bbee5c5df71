//! The one OAuth error type: an RFC code that knows its HTTP status, a description safe to send,
//! and a private cause that is logged and never sent.

/// Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 7009 §2.2.1, RFC 6750 §3.1, OIDC Core §3.1.2.6,
/// RFC 8628 §3.5 (the device grant's polling answers), and Hydra's `request_forbidden` (a flow
/// that does not belong to this browser).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    UnsupportedTokenType,
    ServerError,
    AccessDenied,
    UnsupportedResponseType,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    AccountSelectionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    RegistrationNotSupported,
    InvalidToken,
    InsufficientScope,
    RequestForbidden,
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    /// OpenID Connect Core Error Code unmet_authentication_requirements 1.0: the user could not
    /// be authenticated as an essential `acr` asked.
    UnmetAuthenticationRequirements,
}

/// Every code, for parsing the `error` a login or consent app rejects with.
const ALL: [ErrorCode; 25] = [
    ErrorCode::InvalidRequest,
    ErrorCode::InvalidClient,
    ErrorCode::InvalidGrant,
    ErrorCode::UnauthorizedClient,
    ErrorCode::UnsupportedGrantType,
    ErrorCode::InvalidScope,
    ErrorCode::UnsupportedTokenType,
    ErrorCode::ServerError,
    ErrorCode::AccessDenied,
    ErrorCode::UnsupportedResponseType,
    ErrorCode::TemporarilyUnavailable,
    ErrorCode::LoginRequired,
    ErrorCode::ConsentRequired,
    ErrorCode::InteractionRequired,
    ErrorCode::AccountSelectionRequired,
    ErrorCode::RequestNotSupported,
    ErrorCode::RequestUriNotSupported,
    ErrorCode::RegistrationNotSupported,
    ErrorCode::InvalidToken,
    ErrorCode::InsufficientScope,
    ErrorCode::RequestForbidden,
    ErrorCode::AuthorizationPending,
    ErrorCode::SlowDown,
    ErrorCode::ExpiredToken,
    ErrorCode::UnmetAuthenticationRequirements,
];

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::ServerError => "server_error",
            Self::AccessDenied => "access_denied",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::AccountSelectionRequired => "account_selection_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::RegistrationNotSupported => "registration_not_supported",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::RequestForbidden => "request_forbidden",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
        }
    }

    /// A known code by name.
    pub fn parse(s: &str) -> Option<Self> {
        ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// RFC 6749 §5.2: 400, except `invalid_client` and `invalid_token` (401), the refusals
    /// (403), `server_error` (500) and `temporarily_unavailable` (503).
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidClient | Self::InvalidToken => 401,
            Self::AccessDenied | Self::InsufficientScope | Self::RequestForbidden => 403,
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    /// Logged, never sent.
    pub cause: Option<String>,
    /// The client tried HTTP Basic: a 401 must carry `WWW-Authenticate: Basic` (RFC 6749 §5.2).
    pub basic_challenge: bool,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            cause: None,
            basic_challenge: false,
        }
    }

    /// An internal failure: the caller sees `server_error` and nothing else.
    pub fn server(cause: impl std::fmt::Display) -> Self {
        Self {
            code: ErrorCode::ServerError,
            description: "The authorization server encountered an unexpected condition.".into(),
            cause: Some(cause.to_string()),
            basic_challenge: false,
        }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
}
