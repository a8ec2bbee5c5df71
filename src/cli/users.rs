//! `create user`, `list users`, `delete user`: the built-in login app's users, straight in the
//! database (like `migrate` and `janitor`; Hydra's admin API has no users).

use anyhow::anyhow;
use clap::Args;
use serde_json::{Value, json};

use super::{Format, migrate::DsnArgs, output};
use crate::{
    storage::{Db, StoredUser},
    users::UserService,
};

/// Where the users live.
#[derive(Args, Debug)]
pub struct UserDb {
    /// The database; leave it out with -e to read `DSN` / the configuration.
    #[arg(long = "dsn", value_name = "DSN")]
    pub dsn: Option<String>,
    #[command(flatten)]
    pub dsn_args: DsnArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

async fn service(db: &UserDb) -> anyhow::Result<UserService> {
    let url = super::migrate::resolve_dsn_or_env(db.dsn.clone(), &db.dsn_args)?;
    let conn = Db::connect(&url)
        .await
        .map_err(|e| anyhow!("cannot open the database: {e}"))?;
    if let Some(why) = crate::storage::migrate::state(&conn).await?.refusal() {
        return Err(anyhow!(why));
    }
    Ok(UserService::new(
        conn.user_store(),
        std::sync::Arc::new(crate::clock::SystemClock),
    ))
}

fn shown(u: &StoredUser) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "name": u.claims.get("name"),
        "created_at": chrono::DateTime::from_timestamp_millis(u.created_at),
    })
}

fn err(e: crate::error::AdminError) -> anyhow::Error {
    use crate::error::AdminError as E;
    match e {
        E::BadRequest { description, .. } => anyhow!(description),
        E::NotFound(d) | E::Conflict(d) => anyhow!(d),
        E::Internal(c) => anyhow!("internal error: {c}"),
        other => anyhow!(other.to_string()),
    }
}

pub async fn create(
    db: &UserDb,
    email: &str,
    password: &str,
    name: Option<&str>,
) -> anyhow::Result<()> {
    let claims = match name {
        Some(n) => json!({"name": n}),
        None => json!({}),
    };
    let u = service(db)
        .await?
        .create(email, password, claims)
        .await
        .map_err(err)?;
    match db.format {
        Format::Text => println!("Created user {} ({}).", u.email, u.id),
        f => output::json(&shown(&u), f)?,
    }
    Ok(())
}

pub async fn list(db: &UserDb) -> anyhow::Result<()> {
    let users = service(db).await?.list().await.map_err(err)?;
    match db.format {
        Format::Text => {
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    vec![
                        u.email.clone(),
                        u.claims["name"].as_str().unwrap_or_default().to_owned(),
                        u.id.clone(),
                    ]
                })
                .collect();
            output::table(&["EMAIL", "NAME", "ID (SUBJECT)"], &rows);
        }
        f => output::json(&users.iter().map(shown).collect::<Vec<_>>(), f)?,
    }
    Ok(())
}

pub async fn delete(db: &UserDb, emails: &[String]) -> anyhow::Result<()> {
    let svc = service(db).await?;
    for e in emails {
        svc.delete(e).await.map_err(err)?;
        println!("{e}");
    }
    Ok(())
}
