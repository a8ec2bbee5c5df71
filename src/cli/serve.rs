//! `serve all | public | admin`: load the configuration, check the database, bind, serve until
//! SIGINT/SIGTERM. `--dev` (or the classic `--dangerous-force-http`) allows plain HTTP; `--dev` also
//! migrates the database and generates a system secret when none is configured.

use std::{path::PathBuf, sync::Arc};

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use tokio::net::TcpListener;

use super::ConfigArgs;
use crate::{
    app,
    clock::SystemClock,
    config::{Config, Secret},
    http::AppState,
    storage::{Db, DsnKind, migrate},
};

#[derive(Args, Debug)]
pub struct ServeCmd {
    #[command(subcommand)]
    pub what: ServeWhat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listeners {
    All,
    Public,
    Admin,
}

#[derive(Subcommand, Debug)]
pub enum ServeWhat {
    /// Serve the public and the admin API.
    All(ServeFlags),
    /// Serve only the public API (port 4444).
    Public(ServeFlags),
    /// Serve only the admin API (port 4445).
    Admin(ServeFlags),
    /// Serve the built-in login, consent and logout app alone, at its root (`/login`, `/consent`,
    /// `/logout`), talking to a server's admin API over HTTP; its users come from the database.
    Ui(UiFlags),
}

#[derive(Args, Debug, Clone)]
pub struct UiFlags {
    /// The admin API the app talks to.
    #[arg(long = "admin-url", env = "LATCHKEY_ADMIN_URL")]
    pub admin_url: String,
    /// The admin API key, when that server sets `serve.admin.auth.api_keys`.
    #[arg(
        long = "api-key",
        env = "LATCHKEY_ADMIN_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,
    /// The port to listen on.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// The address to listen on (default: every interface; loopback only with --dev).
    #[arg(long)]
    pub host: Option<String>,
    #[command(flatten)]
    pub serve: ServeFlags,
}

#[derive(Args, Debug, Clone)]
pub struct ServeFlags {
    /// Local development: plain HTTP, migrate SQLite automatically, generate a secret if none is set.
    #[arg(long)]
    pub dev: bool,
    /// Allow plain HTTP (the classic flag; prefer --dev).
    #[arg(long = "dangerous-force-http")]
    pub dangerous_force_http: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Where `--dev` keeps the generated system secret: beside the SQLite file.
fn dev_secret_path(dsn: &str) -> Option<PathBuf> {
    if DsnKind::parse(dsn).ok()? != DsnKind::Sqlite {
        return None;
    }
    let rest = dsn.split_once("://")?.1;
    let path = rest.split('?').next()?;
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(format!("{path}.secret")))
}

fn load_or_create_dev_secret(dsn: &str) -> anyhow::Result<(Secret, String)> {
    let Some(path) = dev_secret_path(dsn) else {
        return Ok((
            Secret(crate::crypto::random_token(32)),
            "no secrets.system configured: using a random one for this run only (tokens will not survive a restart)".into(),
        ));
    };
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_owned();
        if s.len() >= 16 {
            return Ok((
                Secret(s),
                format!(
                    "no secrets.system configured: using the development secret in {}",
                    path.display()
                ),
            ));
        }
    }
    let s = crate::crypto::random_token(32);
    write_private(&path, &s).map_err(|e| {
        anyhow!(
            "cannot write the development secret to {}: {e}",
            path.display()
        )
    })?;
    Ok((
        Secret(s),
        format!(
            "no secrets.system configured: generated a development secret in {} (set SECRETS_SYSTEM in production)",
            path.display()
        ),
    ))
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

pub fn init_logging(config: &Config) {
    use tracing_subscriber::{EnvFilter, fmt};
    let level = match config.log.level.as_str() {
        "warning" => "warn",
        "fatal" | "panic" => "error",
        other => other,
    };
    let filter = EnvFilter::try_new(format!("{level},sqlx=warn,sea_orm=warn,poem=warn"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // A log sink that goes away (a closed pipe) must never take the server down: by default the
    // subscriber reports its own write errors with eprintln!, which panics on a closed stderr.
    // Colours only on a terminal: a log file or collector gets plain `key=value` text.
    use std::io::IsTerminal;
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false);
    let _ = match config.log.format.as_str() {
        "json" | "json_pretty" => builder.json().flatten_event(true).try_init(),
        _ => builder.try_init(),
    };
}

/// `serve ui`: the built-in app alone, over the admin API.
async fn run_ui(flags: UiFlags) -> anyhow::Result<()> {
    let (mut config, warnings) = Config::from_env(&flags.serve.config.config)?;
    init_logging(&config);
    for w in warnings {
        tracing::warn!("{w}");
    }
    let tls = app::tls_config(&config)?;
    if tls.is_none() && !(flags.serve.dev || flags.serve.dangerous_force_http) {
        bail!(
            "refusing to serve plain HTTP: set serve.tls.cert.path and serve.tls.key.path, or pass --dev for local development"
        );
    }
    if config.secrets.system.is_empty() && config.secrets.cookie.is_empty() {
        if !flags.serve.dev {
            bail!(
                "configuration error: `secrets.cookie` (or `secrets.system`): required to sign the app's forms, or pass --dev"
            );
        }
        let (secret, note) = load_or_create_dev_secret(&config.dsn)?;
        tracing::warn!("{note}");
        config.secrets.system.push(secret);
    }
    let db = Db::connect(&config.dsn)
        .await
        .map_err(|e| anyhow!("cannot open the database (for the app's users): {e}"))?;
    if let Some(why) = migrate::state(&db).await?.refusal() {
        bail!(why);
    }
    let users = Arc::new(crate::users::UserService::new(
        db.user_store(),
        Arc::new(SystemClock),
    ));
    if flags.serve.dev
        && let Ok(true) = users.ensure_demo_user().await
    {
        tracing::info!(
            email = crate::users::DEMO_EMAIL,
            "--dev: created the demo user"
        );
    }
    let ui = Arc::new(crate::http::ui::UiState::new(
        Arc::new(crate::flows::api::OverHttp::new(
            &flags.admin_url,
            flags.api_key.clone(),
        )),
        users,
        crate::storage::ui_sessions::UiSessionStore::new(db.clone(), Arc::new(SystemClock)),
        &config,
        tls.is_some(),
        "",
    ));
    let host = crate::config::listen_host(flags.host.as_deref().unwrap_or(""), flags.serve.dev);
    let addr = format!("{host}:{}", flags.port);
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!(address = %listener.local_addr()?, admin = flags.admin_url, "login app listening");
    let ep = poem::EndpointExt::around(
        poem::EndpointExt::data(
            poem::EndpointExt::around(app::ui_routes(true, true), crate::http::ui::with_session),
            ui,
        ),
        crate::http::request_log,
    );
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener)?;
    let acceptor = match tls {
        Some(cfg) => {
            poem::listener::AcceptorExt::boxed(crate::http::tls::TlsAcceptor::new(acceptor, cfg))
        }
        None => poem::listener::AcceptorExt::boxed(acceptor),
    };
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            ep,
            app::shutdown_signal(),
            Some(std::time::Duration::from_secs(10)),
        )
        .await?;
    Ok(())
}

pub async fn run(cmd: ServeCmd) -> anyhow::Result<()> {
    let (which, flags) = match cmd.what {
        ServeWhat::All(f) => (Listeners::All, f),
        ServeWhat::Public(f) => (Listeners::Public, f),
        ServeWhat::Admin(f) => (Listeners::Admin, f),
        ServeWhat::Ui(f) => return run_ui(f).await,
    };
    let (mut config, warnings) = Config::from_env(&flags.config.config)?;
    init_logging(&config);
    for w in warnings {
        tracing::warn!("{w}");
    }
    let tls = app::tls_config(&config)?;
    let plain_http_ok = flags.dev || flags.dangerous_force_http;
    if tls.is_none() && !plain_http_ok {
        bail!(
            "refusing to serve plain HTTP: set serve.tls.cert.path and serve.tls.key.path, or pass --dev for local development"
        );
    }
    if config.secrets.system.is_empty() {
        if !flags.dev {
            bail!(
                "configuration error: `secrets.system`: required, at least 16 bytes (set SECRETS_SYSTEM), or pass --dev"
            );
        }
        let (secret, note) = load_or_create_dev_secret(&config.dsn)?;
        tracing::warn!("{note}");
        config.secrets.system.push(secret);
    }
    let db = Db::connect(&config.dsn)
        .await
        .map_err(|e| anyhow!("cannot open the database: {e}"))?;
    let state = migrate::state(&db).await?;
    if flags.dev && state.unknown.is_empty() && !state.pending.is_empty() {
        migrate::up(&db)
            .await
            .map_err(|e| anyhow!("migrating the database failed: {e}"))?;
        tracing::info!(
            applied = state.pending.len(),
            "--dev: migrated the database"
        );
    } else if let Some(why) = state.refusal() {
        bail!(why);
    }

    let bind = |host: &str, port: u16| {
        let addr = format!("{host}:{port}");
        async move {
            TcpListener::bind(&addr)
                .await
                .map_err(|e| anyhow!("cannot listen on {addr}: {e}"))
        }
    };
    let public = if which != Listeners::Admin {
        Some(
            bind(
                config.serve.public.bind_host(flags.dev),
                config.serve.public.port,
            )
            .await?,
        )
    } else {
        None
    };
    let admin = if which != Listeners::Public {
        Some(
            bind(
                config.serve.admin.bind_host(flags.dev),
                config.serve.admin.port,
            )
            .await?,
        )
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    if flags.dev {
        follow_bound_public(&mut config, scheme, public.as_ref());
    }
    let state = app::state(config, db, Arc::new(SystemClock));
    let running = app::start(state.clone(), public, admin, tls)?;
    if let Some(a) = running.public_addr {
        tracing::info!(address = %a, "public API listening");
    }
    if let Some(a) = running.admin_addr {
        tracing::info!(address = %a, "admin API listening");
    }
    if flags.dev {
        match crate::users::UserService::new(state.db.user_store(), Arc::new(SystemClock))
            .ensure_demo_user()
            .await
        {
            Ok(true) => tracing::info!(
                email = crate::users::DEMO_EMAIL,
                "--dev: created the demo user of the built-in login app"
            ),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = ?e, "--dev: could not create the demo user"),
        }
        print_banner(&state, scheme, running.public_addr, running.admin_addr);
    }
    let trigger = running.trigger();
    tokio::spawn(async move {
        app::shutdown_signal().await;
        let _ = trigger.send(true);
        tracing::info!("shutting down: finishing in-flight requests");
    });
    let served = running.wait().await;
    // The listeners have finished their requests: now the writer commits what is queued and the
    // other background tasks stop.
    state.db.tasks.shutdown().await;
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// `--dev`: an issuer left at its default follows the public listener actually bound (another
/// port, a chosen host), so that the redirects the server builds from it — to the sign-in app, to
/// the token endpoint in discovery — reach this server and not whatever answers on :4444.
fn follow_bound_public(config: &mut Config, scheme: &str, public: Option<&TcpListener>) {
    let Some(addr) = public.and_then(|l| l.local_addr().ok()) else {
        return;
    };
    if config.urls.self_.issuer != crate::config::SelfUrls::default().issuer {
        return;
    }
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let issuer = format!("{scheme}://{host}:{}/", addr.port());
    if issuer != config.urls.self_.issuer {
        tracing::info!(issuer, "--dev: the issuer follows the public listener");
        config.urls.self_.issuer = issuer;
    }
}

/// How the person who started this server runs it again, so the banner's commands work as
/// printed: `cargo run [--release] --` when cargo started it (cargo sets `CARGO_MANIFEST_DIR` for
/// the program it runs), `latchkey` when that name on the PATH is this binary, else its path.
fn how_to_run_me() -> String {
    let exe = std::env::current_exe().ok();
    if std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
        let release = exe
            .as_ref()
            .is_some_and(|p| p.components().any(|c| c.as_os_str() == "release"));
        return if release {
            "cargo run --release --"
        } else {
            "cargo run --"
        }
        .into();
    }
    let Some(exe) = exe.and_then(|e| e.canonicalize().ok()) else {
        return "latchkey".into();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("latchkey"))
            .find(|p| p.is_file())
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p == exe)
    });
    if on_path {
        "latchkey".into()
    } else {
        exe.display().to_string()
    }
}

fn print_banner(
    state: &AppState,
    scheme: &str,
    public: Option<std::net::SocketAddr>,
    admin: Option<std::net::SocketAddr>,
) {
    let show = |a: std::net::SocketAddr| {
        let host = if a.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            a.ip().to_string()
        };
        format!("{scheme}://{host}:{}", a.port())
    };
    let mut text = format!(
        "\n  Latchkey {} is running in development mode (plain HTTP, not for production).\n",
        crate::http::VERSION
    );
    if let Some(a) = public {
        let issuer = &state.config.urls.self_.issuer;
        text.push_str(&format!("  Public API:  {}    issuer {issuer}\n", show(a)));
    }
    if let Some(a) = admin {
        text.push_str(&format!(
            "  Admin API:   {}    docs at {}/admin/docs\n",
            show(a),
            show(a)
        ));
    }
    let builtin = state.config.urls.login.is_none();
    if builtin {
        text.push_str(&format!(
            "  Sign-in app: built in, demo user {} / {}\n",
            crate::users::DEMO_EMAIL,
            crate::users::DEMO_PASSWORD
        ));
    }
    if let Some(a) = admin {
        if state.config.serve.admin.auth.api_keys.is_empty() {
            text.push_str(&format!(
                "  The admin API has no authentication: it listens on {} only. To require a key,\n  \
                 set SERVE_ADMIN_AUTH_API_KEYS=$(openssl rand -hex 32) and give it to clients as\n  \
                 `Authorization: Bearer <key>` (the CLI: --api-key or LATCHKEY_ADMIN_API_KEY).\n",
                a.ip()
            ));
        } else {
            text.push_str(&format!(
                "  The admin API needs an API key (serve.admin.auth.api_keys); it listens on {}.\n",
                a.ip()
            ));
        }
    }
    if let (Some(a), Some(p)) = (admin, public) {
        let me = how_to_run_me();
        text.push_str(&format!(
            "\n  Try:  {me} create client --id demo-app --secret demo-secret -g authorization_code,refresh_token \\\n            -r code -a openid,offline,profile,email -c http://127.0.0.1:4446/callback -e {}\n        {me} perform authorization-code --client-id demo-app --client-secret demo-secret -e {}\n",
            show(a),
            show(p)
        ));
    }
    // Written, not eprintln!'d: a closed stderr must not stop the server.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}
