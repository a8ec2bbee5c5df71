//! The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).
//!
//! A code is single-use across every node: it is spent by one conditional `UPDATE`, and whoever
//! loses that race, or presents a spent code, gets `invalid_grant` while every token issued from
//! the code's flow is revoked (RFC 6749 §4.1.2, RFC 9700 §4.2.2 — a replayed code means it
//! leaked). The redirect URI must repeat the authorization request's, and a PKCE verifier must
//! match the challenge; a verifier without a challenge is refused too (RFC 9700 §2.1.1: that is
//! how a PKCE downgrade looks).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Issuing, TokenResponse, mint_for_flow};
use crate::{
    crypto::opaque::TokenKind,
    flows::endpoint::FlowRecord,
    oauth::{
        ErrorCode, OAuthCore, OAuthError, client_auth::AuthenticatedClient, params::FormParams,
    },
};

fn invalid_grant(d: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, d)
}

pub async fn handle(
    core: &OAuthCore,
    client: &AuthenticatedClient,
    params: &FormParams,
) -> Result<TokenResponse, OAuthError> {
    if !client.has_grant("authorization_code") {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "The client is not allowed to use the authorization_code grant type.",
        ));
    }
    let code = params.require("code")?;
    let unknown = || {
        invalid_grant(
            "The authorization code is invalid, expired, or was issued to another client.",
        )
    };
    let signature = core
        .signer
        .verify(TokenKind::AuthorizeCode, code)
        .ok_or_else(unknown)?;
    let row = core
        .tokens
        .get_token(&signature)
        .await?
        .ok_or_else(unknown)?;
    if row.kind != TokenKind::AuthorizeCode.as_str() || row.client_id != client.id {
        return Err(unknown());
    }
    if !row.active {
        core.tokens.revoke_request(&row.request_id).await?;
        return Err(invalid_grant(
            "The authorization code has already been used; the tokens issued from it are revoked.",
        ));
    }
    if row.expires_at <= core.clock.now().timestamp_millis() {
        return Err(unknown());
    }
    let flow = core
        .flows
        .get_flow(&row.request_id)
        .await?
        .ok_or_else(unknown)?;
    let record = FlowRecord::of(&flow)?;
    match params.get("redirect_uri") {
        Some(r) if r == record.redirect_uri => {}
        None if !record.redirect_uri_sent => {}
        _ => {
            return Err(invalid_grant(
                "The redirect_uri does not match the one of the authorization request.",
            ));
        }
    }
    match (&record.code_challenge, params.get("code_verifier")) {
        (None, None) => {}
        (None, Some(_)) => {
            return Err(invalid_grant(
                "code_verifier was sent, but the authorization request had no code_challenge.",
            ));
        }
        (Some(_), None) => {
            return Err(invalid_grant(
                "The code_verifier is missing (RFC 7636 §4.5).",
            ));
        }
        (Some(challenge), Some(verifier)) => {
            let ok_format = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !ok_format || !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                return Err(invalid_grant(
                    "The code_verifier does not match the code_challenge (RFC 7636 §4.6).",
                ));
            }
        }
    }
    let (response, rows) = mint_for_flow(
        core,
        client,
        &flow,
        &record,
        &flow.granted_scope,
        Issuing::AuthorizationCode,
    )
    .await?;
    if !core.tokens.exchange(&signature, None, &rows).await? {
        core.tokens.revoke_request(&row.request_id).await?;
        return Err(invalid_grant(
            "The authorization code has already been used; the tokens issued from it are revoked.",
        ));
    }
    Ok(response)
}
