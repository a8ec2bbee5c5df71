//! The challenge API as a login/consent app sees it: one interface, two implementations — in
//! process (the app mounted under `/ui` on the public listener) and over HTTP against Hydra's admin
//! API (`serve ui`, or any other deployment where the app runs apart from the server).

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde::{Serialize, de::DeserializeOwned};

use super::Flows;
use crate::{
    error::AdminError,
    wire::{
        AcceptDeviceUserCodeRequest, AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest,
        OAuth2ConsentRequest, OAuth2LoginRequest, OAuth2LogoutRequest, OAuth2RedirectTo,
        RejectOAuth2Request,
    },
};

#[async_trait]
pub trait ChallengeApi: Send + Sync {
    async fn login_request(&self, ch: &str) -> Result<OAuth2LoginRequest, AdminError>;
    async fn accept_login(
        &self,
        ch: &str,
        body: AcceptOAuth2LoginRequest,
    ) -> Result<OAuth2RedirectTo, AdminError>;
    async fn reject_login(
        &self,
        ch: &str,
        body: RejectOAuth2Request,
    ) -> Result<OAuth2RedirectTo, AdminError>;
    async fn consent_request(&self, ch: &str) -> Result<OAuth2ConsentRequest, AdminError>;
    async fn accept_consent(
        &self,
        ch: &str,
        body: AcceptOAuth2ConsentRequest,
    ) -> Result<OAuth2RedirectTo, AdminError>;
    async fn reject_consent(
        &self,
        ch: &str,
        body: RejectOAuth2Request,
    ) -> Result<OAuth2RedirectTo, AdminError>;
    async fn logout_request(&self, ch: &str) -> Result<OAuth2LogoutRequest, AdminError>;
    async fn accept_user_code(
        &self,
        ch: &str,
        body: AcceptDeviceUserCodeRequest,
    ) -> Result<OAuth2RedirectTo, AdminError>;
    async fn accept_logout(&self, ch: &str) -> Result<OAuth2RedirectTo, AdminError>;
    async fn reject_logout(&self, ch: &str) -> Result<(), AdminError>;
}

/// In process: straight to the core.
pub struct InProcess(pub Arc<Flows>);

impl InProcess {
    fn core(&self) -> &Flows {
        &self.0
    }
}

#[async_trait]
impl ChallengeApi for InProcess {
    async fn login_request(&self, ch: &str) -> Result<OAuth2LoginRequest, AdminError> {
        self.core().login_request(ch).await
    }
    async fn accept_login(
        &self,
        ch: &str,
        body: AcceptOAuth2LoginRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.core().accept_login(ch, body).await
    }
    async fn reject_login(
        &self,
        ch: &str,
        body: RejectOAuth2Request,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.core().reject_login(ch, body).await
    }
    async fn consent_request(&self, ch: &str) -> Result<OAuth2ConsentRequest, AdminError> {
        self.core().consent_request(ch).await
    }
    async fn accept_consent(
        &self,
        ch: &str,
        body: AcceptOAuth2ConsentRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.core().accept_consent(ch, body).await
    }
    async fn reject_consent(
        &self,
        ch: &str,
        body: RejectOAuth2Request,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.core().reject_consent(ch, body).await
    }
    async fn logout_request(&self, ch: &str) -> Result<OAuth2LogoutRequest, AdminError> {
        self.core().logout_request(ch).await
    }
    async fn accept_user_code(
        &self,
        ch: &str,
        body: AcceptDeviceUserCodeRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.core().accept_user_code(ch, body).await
    }
    async fn accept_logout(&self, ch: &str) -> Result<OAuth2RedirectTo, AdminError> {
        self.core().accept_logout(ch)
    }
    async fn reject_logout(&self, ch: &str) -> Result<(), AdminError> {
        self.core().reject_logout(ch)
    }
}

/// Over HTTP: Hydra's admin API at `base` (e.g. `http://127.0.0.1:4445`).
pub struct OverHttp {
    base: String,
    http: reqwest::Client,
    /// The admin API key (`serve.admin.auth.api_keys` of that server), sent as a bearer token.
    api_key: Option<String>,
}

impl OverHttp {
    pub fn new(base: &str, api_key: Option<String>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            api_key: api_key.filter(|k| !k.is_empty()),
        }
    }

    async fn call<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        param: (&str, &str),
        body: Option<&B>,
    ) -> Result<Option<T>, AdminError> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .query(&[param])
            .timeout(std::time::Duration::from_secs(10));
        if let Some(k) = &self.api_key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| AdminError::Internal(format!("the admin API is unreachable: {e}")))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        match status {
            StatusCode::NO_CONTENT => Ok(None),
            s if s.is_success() => serde_json::from_value(value).map(Some).map_err(|e| {
                AdminError::Internal(format!("the admin API answered {path} oddly: {e}"))
            }),
            StatusCode::GONE => Err(AdminError::Gone {
                redirect_to: value["redirect_to"].as_str().unwrap_or_default().to_owned(),
            }),
            StatusCode::NOT_FOUND => Err(AdminError::unknown_challenge()),
            StatusCode::BAD_REQUEST => Err(AdminError::bad_request(
                value["error_description"]
                    .as_str()
                    .unwrap_or("bad request")
                    .to_owned(),
            )),
            s => Err(AdminError::Internal(format!(
                "the admin API answered {path} with {s}"
            ))),
        }
    }

    async fn must<T: DeserializeOwned, B: Serialize + Sync>(
        &self,
        method: Method,
        path: &str,
        param: (&str, &str),
        body: Option<&B>,
    ) -> Result<T, AdminError> {
        self.call(method, path, param, body).await?.ok_or_else(|| {
            AdminError::Internal(format!("the admin API answered {path} with no body"))
        })
    }
}

const LOGIN: &str = "/admin/oauth2/auth/requests/login";
const CONSENT: &str = "/admin/oauth2/auth/requests/consent";
const LOGOUT: &str = "/admin/oauth2/auth/requests/logout";
const DEVICE: &str = "/admin/oauth2/auth/requests/device";

#[async_trait]
impl ChallengeApi for OverHttp {
    async fn login_request(&self, ch: &str) -> Result<OAuth2LoginRequest, AdminError> {
        self.must::<_, ()>(Method::GET, LOGIN, ("login_challenge", ch), None)
            .await
    }
    async fn accept_login(
        &self,
        ch: &str,
        body: AcceptOAuth2LoginRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.must(
            Method::PUT,
            &format!("{LOGIN}/accept"),
            ("login_challenge", ch),
            Some(&body),
        )
        .await
    }
    async fn consent_request(&self, ch: &str) -> Result<OAuth2ConsentRequest, AdminError> {
        self.must::<_, ()>(Method::GET, CONSENT, ("consent_challenge", ch), None)
            .await
    }
    async fn accept_consent(
        &self,
        ch: &str,
        body: AcceptOAuth2ConsentRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.must(
            Method::PUT,
            &format!("{CONSENT}/accept"),
            ("consent_challenge", ch),
            Some(&body),
        )
        .await
    }
    async fn reject_login(
        &self,
        ch: &str,
        body: RejectOAuth2Request,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.must(
            Method::PUT,
            &format!("{LOGIN}/reject"),
            ("login_challenge", ch),
            Some(&body),
        )
        .await
    }
    async fn reject_consent(
        &self,
        ch: &str,
        body: RejectOAuth2Request,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.must(
            Method::PUT,
            &format!("{CONSENT}/reject"),
            ("consent_challenge", ch),
            Some(&body),
        )
        .await
    }
    async fn logout_request(&self, ch: &str) -> Result<OAuth2LogoutRequest, AdminError> {
        self.must::<_, ()>(Method::GET, LOGOUT, ("logout_challenge", ch), None)
            .await
    }
    async fn accept_user_code(
        &self,
        ch: &str,
        body: AcceptDeviceUserCodeRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        self.must(
            Method::PUT,
            &format!("{DEVICE}/accept"),
            ("device_challenge", ch),
            Some(&body),
        )
        .await
    }
    async fn accept_logout(&self, ch: &str) -> Result<OAuth2RedirectTo, AdminError> {
        self.must::<_, ()>(
            Method::PUT,
            &format!("{LOGOUT}/accept"),
            ("logout_challenge", ch),
            None,
        )
        .await
    }
    async fn reject_logout(&self, ch: &str) -> Result<(), AdminError> {
        self.call::<(), serde_json::Value>(
            Method::PUT,
            &format!("{LOGOUT}/reject"),
            ("logout_challenge", ch),
            None,
        )
        .await
        .map(|_| ())
    }
}
