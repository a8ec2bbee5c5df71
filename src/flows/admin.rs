//! Hydra's login and consent request API, on sealed flows: reading a request, accepting it and
//! rejecting it. Accepting or rejecting seals the app's answer into the verifier that
//! `redirect_to` carries back to the authorization endpoint.

use super::{Denied, FlowState, Flows, HandledConsent, HandledLogin, Stage};
use crate::{
    error::AdminError,
    oauth::ErrorCode,
    query::with_param,
    wire::{
        AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest, OAuth2Client, OAuth2ConsentRequest,
        OAuth2LoginRequest, OAuth2RedirectTo, RejectOAuth2Request,
    },
};

fn redirect(to: String) -> OAuth2RedirectTo {
    OAuth2RedirectTo { redirect_to: to }
}

fn denied(body: &RejectOAuth2Request) -> Result<Denied, AdminError> {
    let error = body.error.clone().unwrap_or_else(|| "access_denied".into());
    if ErrorCode::parse(&error).is_none() {
        return Err(AdminError::bad_request(format!(
            "error {error:?} is not an OAuth 2.0 error code (e.g. access_denied, login_required, consent_required)"
        )));
    }
    let mut description = body
        .error_description
        .clone()
        .unwrap_or_else(|| "The resource owner denied the request.".into());
    if let Some(h) = body.error_hint.as_deref().filter(|h| !h.is_empty()) {
        description = format!("{description} {h}");
    }
    Ok(Denied { error, description })
}

impl Flows {
    /// Opens a challenge and checks that its flow has not expired.
    fn open_challenge(&self, stage: Stage, challenge: &str) -> Result<FlowState, AdminError> {
        let flow: FlowState = self
            .open_flow(stage, challenge)
            .ok_or_else(AdminError::unknown_challenge)?;
        if self.flow_expired(&flow) {
            return Err(AdminError::Gone {
                redirect_to: flow.request_url,
            });
        }
        Ok(flow)
    }

    /// Opens a challenge for reading: also 410 once its flow has completed, so an app that is
    /// handed a spent challenge (a reload, a back button) can send the browser to start over.
    /// Accepting needs no such check: the verifier of a completed flow is refused at the
    /// authorization endpoint (the flow's id is taken), so it saves a read on the hot path.
    async fn open_for_reading(
        &self,
        stage: Stage,
        challenge: &str,
    ) -> Result<FlowState, AdminError> {
        let flow = self.open_challenge(stage, challenge)?;
        if self.flows.get_flow(&flow.id).await?.is_some() {
            return Err(AdminError::Gone {
                redirect_to: flow.request_url,
            });
        }
        Ok(flow)
    }

    /// Seals the answered flow into the verifier of `stage` and sends the browser back to the
    /// authorization request with it.
    fn back_to_authorize(
        &self,
        stage: Stage,
        flow: &FlowState,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        let param = match stage {
            Stage::LoginVerifier => "login_verifier",
            _ => "consent_verifier",
        };
        let verifier = self
            .seal_flow(stage, flow)
            .map_err(|e| AdminError::Internal(format!("{e:?}")))?;
        Ok(redirect(with_param(&flow.request_url, param, &verifier)))
    }

    async fn flow_client(&self, flow: &FlowState) -> Result<OAuth2Client, AdminError> {
        let c = self
            .clients
            .resolve(&flow.client_id)
            .await?
            .ok_or_else(AdminError::unknown_challenge)?;
        Ok(c.public_metadata())
    }

    /// `GET /admin/oauth2/auth/requests/login`.
    pub async fn login_request(&self, challenge: &str) -> Result<OAuth2LoginRequest, AdminError> {
        let flow = self
            .open_for_reading(Stage::LoginChallenge, challenge)
            .await?;
        let client = self.flow_client(&flow).await?;
        Ok(OAuth2LoginRequest {
            challenge: challenge.to_owned(),
            skip: flow.login_skip,
            subject: if flow.login_skip {
                flow.subject
            } else {
                String::new()
            },
            client,
            request_url: flow.request_url,
            requested_scope: flow.requested_scope,
            requested_access_token_audience: flow.requested_audience,
            oidc_context: flow.oidc_context,
            session_id: Some(flow.session_id),
        })
    }

    /// `PUT /admin/oauth2/auth/requests/login/accept`.
    pub async fn accept_login(
        &self,
        challenge: &str,
        body: AcceptOAuth2LoginRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        if body.subject.is_empty() {
            return Err(AdminError::bad_request(
                "Field 'subject' must not be empty.",
            ));
        }
        let remember_for = body.remember_for.unwrap_or(0);
        if remember_for < 0 {
            return Err(AdminError::bad_request(
                "remember_for must not be negative.",
            ));
        }
        let mut flow = self.open_challenge(Stage::LoginChallenge, challenge)?;
        if flow.login_skip && body.subject != flow.subject {
            // Another user than the remembered one: start over with a fresh login.
            return Ok(redirect(crate::query::replace_param(
                &flow.request_url,
                "prompt",
                "login",
            )));
        }
        let authenticated_at = match (flow.login_skip, flow.session_auth_time) {
            (true, Some(t)) => t,
            _ => self.clock.now().timestamp_millis(),
        };
        flow.login = Some(HandledLogin {
            subject: body.subject,
            // A skipped login is a remembered one, so that it can be skipped again.
            remember: body.remember || flow.login_skip,
            remember_for,
            acr: body.acr,
            amr: body.amr,
            context: body.context,
            extend_session_lifespan: body.extend_session_lifespan,
            force_subject_identifier: body.force_subject_identifier,
            authenticated_at,
        });
        self.back_to_authorize(Stage::LoginVerifier, &flow)
    }

    /// `PUT /admin/oauth2/auth/requests/login/reject`.
    pub async fn reject_login(
        &self,
        challenge: &str,
        body: RejectOAuth2Request,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        let d = denied(&body)?;
        let mut flow = self.open_challenge(Stage::LoginChallenge, challenge)?;
        crate::metrics::metrics().flow(flow.starter.label(), "rejected");
        flow.denied = Some(d);
        self.back_to_authorize(Stage::LoginVerifier, &flow)
    }

    /// `GET /admin/oauth2/auth/requests/consent`.
    pub async fn consent_request(
        &self,
        challenge: &str,
    ) -> Result<OAuth2ConsentRequest, AdminError> {
        let flow = self
            .open_for_reading(Stage::ConsentChallenge, challenge)
            .await?;
        let client = self.flow_client(&flow).await?;
        let login = flow.login.unwrap_or_default();
        Ok(OAuth2ConsentRequest {
            challenge: challenge.to_owned(),
            consent_request_id: Some(flow.id),
            skip: flow.consent_skip,
            subject: login.subject,
            client: Some(client),
            request_url: Some(flow.request_url),
            requested_scope: flow.requested_scope,
            requested_access_token_audience: flow.requested_audience,
            oidc_context: flow.oidc_context,
            context: login.context,
            login_challenge: None,
            login_session_id: Some(flow.session_id),
            // Hydra shows "" and [] when the login set none.
            acr: login.acr.or_else(|| Some(String::new())),
            amr: login.amr.or_else(|| Some(Vec::new())),
        })
    }

    /// `PUT /admin/oauth2/auth/requests/consent/accept`. The grant is limited to what was
    /// requested: a consent app cannot widen a client's request.
    pub async fn accept_consent(
        &self,
        challenge: &str,
        body: AcceptOAuth2ConsentRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        let remember_for = body.remember_for.unwrap_or(0);
        if remember_for < 0 {
            return Err(AdminError::bad_request(
                "remember_for must not be negative.",
            ));
        }
        let mut flow = self.open_challenge(Stage::ConsentChallenge, challenge)?;
        let grant_scope = body.grant_scope.unwrap_or_default();
        if let Some(s) = grant_scope
            .iter()
            .find(|s| !flow.requested_scope.contains(s))
        {
            return Err(AdminError::bad_request(format!(
                "grant_scope: {s:?} was not requested by the client."
            )));
        }
        let grant_audience = body.grant_access_token_audience.unwrap_or_default();
        if let Some(a) = grant_audience
            .iter()
            .find(|a| !flow.requested_audience.contains(a))
        {
            return Err(AdminError::bad_request(format!(
                "grant_access_token_audience: {a:?} was not requested by the client."
            )));
        }
        flow.consent = Some(HandledConsent {
            grant_scope,
            grant_audience,
            remember: body.remember,
            remember_for,
            session: body.session.unwrap_or_default(),
            context: body.context,
            handled_at: self.clock.now().timestamp_millis(),
        });
        self.back_to_authorize(Stage::ConsentVerifier, &flow)
    }

    /// `PUT /admin/oauth2/auth/requests/consent/reject`.
    pub async fn reject_consent(
        &self,
        challenge: &str,
        body: RejectOAuth2Request,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        let d = denied(&body)?;
        let mut flow = self.open_challenge(Stage::ConsentChallenge, challenge)?;
        crate::metrics::metrics().flow(flow.starter.label(), "rejected");
        flow.denied = Some(d);
        self.back_to_authorize(Stage::ConsentVerifier, &flow)
    }
}
