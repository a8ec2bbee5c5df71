//! `create user`, `list users`, `delete user`: the built-in login app's users, straight in the
//! database (like `migrate` and `janitor`; Hydra's admin API has no users).

use anyhow::anyhow;
use clap::Args;
use serde_json::{Map, Value, json};

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
        "claims": u.claims,
        "created_at": chrono::DateTime::from_timestamp_millis(u.created_at),
        "updated_at": chrono::DateTime::from_timestamp_millis(u.updated_at),
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

/// A user's standard claims (OIDC Core §5.1), each its own flag.
#[derive(Args, Debug, Default)]
pub struct ProfileArgs {
    /// Full name (`name`).
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long = "given-name")]
    pub given_name: Option<String>,
    #[arg(long = "family-name")]
    pub family_name: Option<String>,
    #[arg(long = "middle-name")]
    pub middle_name: Option<String>,
    #[arg(long)]
    pub nickname: Option<String>,
    #[arg(long = "preferred-username")]
    pub preferred_username: Option<String>,
    /// URL of the user's profile page.
    #[arg(long)]
    pub profile: Option<String>,
    /// URL of the user's picture.
    #[arg(long)]
    pub picture: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
    #[arg(long)]
    pub gender: Option<String>,
    /// YYYY-MM-DD, 0000-MM-DD (year withheld) or YYYY.
    #[arg(long)]
    pub birthdate: Option<String>,
    /// A time zone of the IANA database, e.g. Europe/Paris.
    #[arg(long)]
    pub zoneinfo: Option<String>,
    /// A BCP 47 language tag, e.g. en-US.
    #[arg(long)]
    pub locale: Option<String>,
    /// Whether the email address is known to be the user's (`email_verified`).
    #[arg(long = "email-verified", value_name = "BOOL")]
    pub email_verified: Option<bool>,
    /// E.164 is recommended, e.g. +1 555 0100.
    #[arg(long = "phone-number")]
    pub phone_number: Option<String>,
    #[arg(long = "phone-number-verified", value_name = "BOOL")]
    pub phone_number_verified: Option<bool>,
    /// The whole postal address as displayed (`address.formatted`).
    #[arg(long = "address-formatted")]
    pub address_formatted: Option<String>,
    #[arg(long = "street-address")]
    pub street_address: Option<String>,
    #[arg(long)]
    pub locality: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long = "postal-code")]
    pub postal_code: Option<String>,
    #[arg(long)]
    pub country: Option<String>,
}

impl ProfileArgs {
    /// The claims given, as JSON.
    pub fn claims(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        let s = |v: &Option<String>| v.as_ref().map(|v| json!(v));
        put("name", s(&self.name));
        put("given_name", s(&self.given_name));
        put("family_name", s(&self.family_name));
        put("middle_name", s(&self.middle_name));
        put("nickname", s(&self.nickname));
        put("preferred_username", s(&self.preferred_username));
        put("profile", s(&self.profile));
        put("picture", s(&self.picture));
        put("website", s(&self.website));
        put("gender", s(&self.gender));
        put("birthdate", s(&self.birthdate));
        put("zoneinfo", s(&self.zoneinfo));
        put("locale", s(&self.locale));
        put("email_verified", self.email_verified.map(Value::Bool));
        put("phone_number", s(&self.phone_number));
        put(
            "phone_number_verified",
            self.phone_number_verified.map(Value::Bool),
        );
        let mut address = Map::new();
        for (k, v) in [
            ("formatted", &self.address_formatted),
            ("street_address", &self.street_address),
            ("locality", &self.locality),
            ("region", &self.region),
            ("postal_code", &self.postal_code),
            ("country", &self.country),
        ] {
            if let Some(v) = v {
                address.insert(k.to_owned(), json!(v));
            }
        }
        if !address.is_empty() {
            m.insert("address".into(), Value::Object(address));
        }
        m
    }
}

pub async fn create(
    db: &UserDb,
    email: &str,
    password: &str,
    profile: &ProfileArgs,
) -> anyhow::Result<()> {
    let u = service(db)
        .await?
        .create(email, password, Value::Object(profile.claims()))
        .await
        .map_err(err)?;
    match db.format {
        Format::Text => println!("Created user {} ({}).", u.email, u.id),
        f => output::json(&shown(&u), f)?,
    }
    Ok(())
}

/// `update user EMAIL`: sets the claims given and removes the `--unset` ones.
pub async fn update(
    db: &UserDb,
    email: &str,
    profile: &ProfileArgs,
    unset: &[String],
) -> anyhow::Result<()> {
    let set = profile.claims();
    if set.is_empty() && unset.is_empty() {
        return Err(anyhow!("nothing to change: give a claim flag or --unset"));
    }
    let u = service(db)
        .await?
        .update_claims(email, set, unset)
        .await
        .map_err(err)?;
    match db.format {
        Format::Text => println!("Updated user {} ({}).", u.email, u.id),
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
