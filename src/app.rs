//! Builds the public and admin endpoints from an [`AppState`] and runs them until shutdown.
//!
//! Servers take listeners that are already bound, so tests bind port 0 and read the address back.
//! Shutdown is graceful: listeners stop accepting, in-flight requests finish (up to 30 s).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use poem::{
    Endpoint, EndpointExt, Route, Server,
    listener::{AcceptorExt, TcpAcceptor},
};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::http::{self, AppState, BodyLimit, State};

/// The largest request body the admin API reads.
pub const ADMIN_BODY_LIMIT: usize = 1024 * 1024;
/// How long in-flight requests get to finish at shutdown.
const GRACE: Duration = Duration::from_secs(30);

/// Builds the shared state from a checked configuration and an open, migrated database.
pub fn state(
    config: crate::config::Config,
    db: crate::storage::Db,
    clock: Arc<dyn crate::clock::Clock>,
) -> State {
    // One owner for every cache (see `crate::coherence`).
    let owner = Arc::new(crate::coherence::Coherence::new(
        config.cache.enabled,
        clock.clone(),
        db.changes.node(),
    ));
    db.keep_coherent(&owner);
    let client_cache = Arc::new(crate::clients::cache::ClientCache::new(
        db.client_store(),
        owner.clone(),
    ));
    let outbound = Arc::new(crate::outbound::Outbound::new(crate::outbound::Guard::of(
        &config,
    )));
    let clients = crate::clients::ClientService::new(
        client_cache.clone(),
        clock.clone(),
        crate::clients::Registration::of(&config, outbound.clone()),
    );
    let keys = Arc::new(crate::keys::KeyService::new(
        db.key_store(),
        crate::crypto::seal::Sealer::new(&config.secrets.system),
        clock.clone(),
        owner.clone(),
    ));
    let services = crate::oauth::Services::wire(
        &config,
        &db,
        clock.clone(),
        owner,
        client_cache,
        keys.clone(),
        outbound,
    );
    let device_authorization = Arc::new(crate::oauth::device::DeviceAuthorization::new(&services));
    let users = Arc::new(crate::users::UserService::new(
        db.user_store(),
        clock.clone(),
    ));
    let trust = crate::trust::TrustService::new(db.trust_store(), clock.clone());
    Arc::new(AppState {
        config,
        db,
        clients,
        trust,
        clock: clock.clone(),
        tokens: services.tokens.clone(),
        token_endpoint: crate::oauth::grants::TokenEndpoint::new(&services),
        revocation: crate::oauth::revoke::Revocation::new(&services),
        introspector: crate::oauth::introspect::Introspector::new(&services),
        flows: Arc::new(crate::flows::Flows::new(
            &services,
            device_authorization.clone(),
        )),
        device_authorization,
        sessions: crate::flows::sessions::Sessions::new(&services),
        userinfo: crate::provider::userinfo::Userinfo::new(&services),
        keys,
        users,
    })
}

/// The admin listener's endpoint: the admin API, its spec and docs page, Hydra v1 path aliases,
/// JSON errors for everything.
pub fn admin_endpoint(state: State) -> impl Endpoint + 'static {
    let api = http::admin::service(Some(&format!("{}/", admin_base(&state))));
    let docs = api.swagger_ui();
    let spec = api.spec_endpoint();
    let cors = http::cors::Policy::of(&state.config.serve.admin.cors, false);
    Route::new()
        .at("/admin/metrics/prometheus", poem::get(http::metrics))
        .at("/admin/openapi.json", spec)
        .nest("/admin/docs", docs)
        .nest("/", api)
        .with(BodyLimit(ADMIN_BODY_LIMIT))
        .catch_all_error(http::uncaught)
        .around(http::admin_auth)
        .around(http::no_cache_by_default)
        .around(move |ep, req| http::cors::layer(cors.clone(), ep, req))
        .around(http::legacy_admin_paths)
        .around(http::request_log)
        .around(|ep, req| crate::metrics::layer("admin", ep, req))
        .data(state)
}

/// The built-in app's routes, relative to where it is mounted: `/ui` on the public listener, or
/// the root with `serve ui`. `sign_in`: the login, consent and logout pages; `device`: the device
/// verification pages (RFC 8628).
pub fn ui_routes(sign_in: bool, device: bool) -> Route {
    use http::ui;
    let mut r = Route::new().at("/static/*path", poem::get(ui::asset).head(ui::asset));
    if sign_in {
        r = r
            .at("/login", poem::get(ui::login_page).post(ui::login_submit))
            .at(
                "/consent",
                poem::get(ui::consent_page).post(ui::consent_submit),
            )
            .at(
                "/logout",
                poem::get(ui::logout_page).post(ui::logout_submit),
            )
            .at("/signed-out", poem::get(ui::signed_out));
    }
    if device {
        r = r
            .at(
                "/device",
                poem::get(ui::device_page).post(ui::device_submit),
            )
            .at("/device/done", poem::get(ui::device_done));
    }
    r
}

/// The public listener's endpoint: OAuth 2.0 and OpenID Connect, and the built-in app.
pub fn public_endpoint(state: State) -> impl Endpoint + 'static {
    let api = poem_openapi::OpenApiService::new(
        http::public::MetadataApi,
        "Latchkey Public API",
        http::VERSION,
    );
    let urls = &state.config.urls;
    // The built-in app's pages are mounted where they are in use.
    let sign_in = urls.login.is_none() || urls.consent.is_none() || urls.logout.is_none();
    let device = urls.device.verification.is_none() || urls.device.success.is_none();
    let builtin_app = sign_in || device;
    let cors = http::cors::Policy::of(&state.config.serve.public.cors, true);
    let mut routes = Route::new();
    if builtin_app {
        let ui = Arc::new(http::ui::UiState::new(
            Arc::new(crate::flows::api::InProcess(state.flows.clone())),
            state.users.clone(),
            crate::storage::ui_sessions::UiSessionStore::new(state.db.clone(), state.clock.clone()),
            &state.config,
            state.config.public_base().starts_with("https://"),
            http::ui::BASE,
        ));
        routes = routes.nest(
            http::ui::BASE,
            ui_routes(sign_in, device)
                .around(http::ui::with_session)
                .data(ui),
        );
    }
    // Dynamic client registration: no routes at all unless it is enabled.
    if state.config.oidc.dynamic_client_registration.enabled {
        routes = routes
            .at("/oauth2/register", poem::post(http::register::create))
            .at(
                "/oauth2/register/:id",
                poem::get(http::register::read)
                    .put(http::register::update)
                    .delete(http::register::delete),
            );
    }
    routes
        .at(
            "/oauth2/auth",
            poem::get(http::authorize::authorize).post(http::authorize::authorize),
        )
        .at(
            "/userinfo",
            poem::get(http::authorize::userinfo).post(http::authorize::userinfo),
        )
        .at(
            "/oauth2/sessions/logout",
            poem::get(http::authorize::logout).post(http::authorize::logout),
        )
        .at("/oauth2/token", poem::post(http::oauth::token))
        .at(
            "/oauth2/device/auth",
            poem::post(http::oauth::device_authorization),
        )
        .at(
            "/oauth2/device/verify",
            poem::get(http::authorize::device_verify),
        )
        .at("/oauth2/revoke", poem::post(http::oauth::revoke))
        .at(
            "/.well-known/oauth-authorization-server",
            poem::get(http::oauth::metadata),
        )
        .at(
            "/.well-known/openid-configuration",
            poem::get(http::oauth::metadata),
        )
        .at("/.well-known/jwks.json", poem::get(http::oauth::jwks))
        .nest("/", api)
        .with(BodyLimit(ADMIN_BODY_LIMIT))
        .catch_all_error(http::uncaught)
        .around(http::no_cache_by_default)
        .around(move |ep, req| http::cors::layer(cors.clone(), ep, req))
        .around(http::request_log)
        .around(|ep, req| crate::metrics::layer("public", ep, req))
        .data(state)
}

fn admin_base(state: &AppState) -> String {
    match &state.config.urls.self_.admin {
        Some(a) => a.trim_end_matches('/').to_owned(),
        None => format!("http://127.0.0.1:{}", state.config.serve.admin.port),
    }
}

/// The checked TLS configuration for both listeners (see [`http::tls`]).
pub type TlsMaterial = Arc<rustls::ServerConfig>;

/// Reads and checks the TLS certificate and key named by `serve.tls.*`, if any: unreadable files,
/// bad PEM or a key that does not fit the certificate stop the server at start.
pub fn tls_config(config: &crate::config::Config) -> anyhow::Result<Option<TlsMaterial>> {
    let (Some(cert), Some(key)) = (&config.serve.tls.cert.path, &config.serve.tls.key.path) else {
        return Ok(None);
    };
    let read = |p: &std::path::Path, key: &str| {
        std::fs::read(p).map_err(|e| {
            anyhow::anyhow!(
                "configuration error: `{key}`: cannot read {}: {e}",
                p.display()
            )
        })
    };
    let cert_pem = read(cert, "serve.tls.cert.path")?;
    let key_pem = read(key, "serve.tls.key.path")?;
    let config = http::tls::server_config(&cert_pem, &key_pem)
        .map_err(|e| anyhow::anyhow!("configuration error: {e}"))?;
    Ok(Some(config))
}

/// A running server: its bound addresses and the handle to stop it.
pub struct Running {
    pub public_addr: Option<SocketAddr>,
    pub admin_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Asks the servers to stop and waits until in-flight requests have finished.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        self.wait().await
    }

    /// Waits until the servers stop (after [`Running::trigger`] or a failure).
    pub async fn wait(self) -> std::io::Result<()> {
        for t in self.tasks {
            t.await.map_err(std::io::Error::other)??;
        }
        Ok(())
    }

    /// A handle that stops the servers when sent `true`.
    pub fn trigger(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

async fn serve_one<E: Endpoint + 'static>(
    listener: TcpListener,
    tls: Option<TlsMaterial>,
    ep: E,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    let signal = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let acceptor = match tls {
        Some(cfg) => http::tls::TlsAcceptor::new(acceptor, cfg).boxed(),
        None => acceptor.boxed(),
    };
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(ep, signal, Some(GRACE))
        .await
}

/// Starts whichever listeners are given and returns at once.
pub fn start(
    state: Arc<AppState>,
    public: Option<TcpListener>,
    admin: Option<TcpListener>,
    tls: Option<TlsMaterial>,
) -> std::io::Result<Running> {
    let (tx, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let public_addr = public.as_ref().map(TcpListener::local_addr).transpose()?;
    let admin_addr = admin.as_ref().map(TcpListener::local_addr).transpose()?;
    if let Some(l) = public {
        tasks.push(tokio::spawn(serve_one(
            l,
            tls.clone(),
            public_endpoint(state.clone()),
            rx.clone(),
        )));
    }
    if let Some(l) = admin {
        tasks.push(tokio::spawn(serve_one(l, tls, admin_endpoint(state), rx)));
    }
    Ok(Running {
        public_addr,
        admin_addr,
        shutdown: tx,
        tasks,
    })
}

/// Resolves when the process receives SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
