//! Endpoints that both listeners serve: health checks and the version (Hydra's "metadata" API).

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::{State, VERSION};

#[derive(poem_openapi::Tags)]
pub enum Tag {
    /// Health checks and version.
    Metadata,
    /// OAuth 2.0 client administration.
    OAuth2,
    /// JSON Web Key sets.
    Jwk,
}

/// `{"status":"ok"}`.
#[derive(Object)]
#[oai(rename = "healthStatus")]
pub struct HealthStatus {
    /// Always `ok` when the check passed.
    pub status: String,
}

/// What failed a readiness check.
#[derive(Object)]
#[oai(rename = "healthNotReadyStatus")]
pub struct HealthNotReady {
    /// Failed checks by name, with a short reason.
    pub errors: std::collections::BTreeMap<String, String>,
}

#[derive(Object)]
#[oai(rename = "version")]
pub struct Version {
    /// The running Latchkey version.
    pub version: String,
}

#[derive(ApiResponse)]
pub enum Ready {
    /// The server and its database are ready.
    #[oai(status = 200)]
    Ok(Json<HealthStatus>),
    /// A dependency is not ready.
    #[oai(status = 503)]
    NotReady(Json<HealthNotReady>),
}

pub struct MetadataApi;

#[OpenApi(tag = "Tag::Metadata")]
impl MetadataApi {
    /// Check that the server is running. Does not touch the database.
    #[oai(path = "/health/alive", method = "get", operation_id = "isAlive")]
    async fn alive(&self) -> Json<HealthStatus> {
        Json(HealthStatus {
            status: "ok".into(),
        })
    }

    /// Check that the server and its database are ready to serve requests.
    #[oai(path = "/health/ready", method = "get", operation_id = "isReady")]
    async fn ready(&self, state: Data<&State>) -> Ready {
        match state.db.ping().await {
            Ok(()) => Ready::Ok(Json(HealthStatus {
                status: "ok".into(),
            })),
            Err(e) => {
                tracing::warn!(error = %e, "readiness check: database unreachable");
                let mut errors = std::collections::BTreeMap::new();
                errors.insert("database".into(), "the database does not answer".into());
                Ready::NotReady(Json(HealthNotReady { errors }))
            }
        }
    }

    /// The running version.
    #[oai(path = "/version", method = "get", operation_id = "getVersion")]
    async fn version(&self) -> Json<Version> {
        Json(Version {
            version: VERSION.into(),
        })
    }
}
