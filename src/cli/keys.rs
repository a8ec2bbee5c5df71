//! `create/get/delete jwk` and the classic `keys create/get/delete`.

use clap::{Args, Subcommand};
use reqwest::Method;

use super::{Format, RemoteArgs, output, remote::Remote};
use crate::wire::{CreateJsonWebKeySet, JsonWebKeySet};

/// Options of `create jwk` / `keys create`.
#[derive(Args, Debug, Clone)]
pub struct CreateKeyArgs {
    /// The key set to generate a key into (created if missing).
    #[arg(value_name = "SET")]
    pub set: String,
    /// The algorithm: RS256 (RSA-2048), ES256 (P-256) or EdDSA (Ed25519).
    #[arg(long, short = 'a', default_value = "RS256", value_parser = ["RS256", "ES256", "EdDSA"])]
    pub alg: String,
    /// The key id; a random UUID when not given.
    #[arg(long, default_value = "")]
    pub kid: String,
    /// What the key is for.
    #[arg(long = "use", short = 'u', default_value = "sig", value_parser = ["sig", "enc"])]
    pub use_: String,
    /// Print only the public parameters.
    #[arg(long)]
    pub public: bool,
}

/// Options of `get jwk` / `keys get`.
#[derive(Args, Debug, Clone)]
pub struct GetKeyArgs {
    /// The key sets to show.
    #[arg(value_name = "SET", required = true)]
    pub sets: Vec<String>,
    /// Print only the public parameters.
    #[arg(long)]
    pub public: bool,
}

fn set_path(set: &str) -> String {
    super::remote::item_path("/admin/keys", set)
}

/// Prints key sets: a table for people (set, kid, alg, use), the JWK set(s) as JSON otherwise.
fn show(
    remote: &RemoteArgs,
    sets: &[(String, JsonWebKeySet)],
    public: bool,
    json_by_default: bool,
) -> anyhow::Result<()> {
    let sets: Vec<(String, JsonWebKeySet)> = sets
        .iter()
        .map(|(name, set)| {
            let keys = if public {
                set.keys
                    .iter()
                    .map(crate::crypto::jwk::public_part)
                    .collect()
            } else {
                set.keys.clone()
            };
            (name.clone(), JsonWebKeySet { keys })
        })
        .collect();
    if remote.quiet {
        for (_, set) in &sets {
            for k in &set.keys {
                println!("{}", k.kid);
            }
        }
        return Ok(());
    }
    let format = match remote.format {
        Format::Text if json_by_default => Format::JsonPretty,
        f => f,
    };
    if format != Format::Text {
        // One set prints as a JWK set; several merge into one (as `jwks.json` does).
        let merged = JsonWebKeySet {
            keys: sets.into_iter().flat_map(|(_, s)| s.keys).collect(),
        };
        return output::json(&merged, format);
    }
    let rows: Vec<[String; 4]> = sets
        .iter()
        .flat_map(|(name, set)| {
            set.keys
                .iter()
                .map(move |k| [name.clone(), k.kid.clone(), k.alg.clone(), k.use_.clone()])
        })
        .collect();
    output::table(&["SET ID", "KEY ID", "ALGORITHM", "USE"], &rows);
    Ok(())
}

pub async fn create(
    remote: &RemoteArgs,
    args: &CreateKeyArgs,
    classic: bool,
) -> anyhow::Result<()> {
    let api = Remote::admin(remote)?;
    let req = CreateJsonWebKeySet {
        alg: args.alg.clone(),
        kid: args.kid.clone(),
        use_: args.use_.clone(),
    };
    let created: JsonWebKeySet = api
        .call(Method::POST, &set_path(&args.set), Some(&req))
        .await?
        .body;
    show(remote, &[(args.set.clone(), created)], args.public, classic)
}

pub async fn get(remote: &RemoteArgs, args: &GetKeyArgs, classic: bool) -> anyhow::Result<()> {
    let api = Remote::admin(remote)?;
    let mut sets = Vec::new();
    for set in &args.sets {
        let got: JsonWebKeySet = api
            .call::<(), _>(Method::GET, &set_path(set), None)
            .await?
            .body;
        sets.push((set.clone(), got));
    }
    show(remote, &sets, args.public, classic)
}

pub async fn delete(remote: &RemoteArgs, sets: &[String]) -> anyhow::Result<()> {
    super::remote::delete_each(remote, "/admin/keys", sets).await
}

/// The classic `keys` tree.
#[derive(Args, Debug)]
pub struct ClassicKeysCmd {
    #[command(subcommand)]
    pub action: ClassicKeysAction,
}

#[derive(Subcommand, Debug)]
pub enum ClassicKeysAction {
    /// Generate a key into a set (`keys create SET -a RS256`); prints the JWK set.
    Create {
        #[command(flatten)]
        args: CreateKeyArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Print key sets as JSON.
    Get {
        #[command(flatten)]
        args: GetKeyArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Delete key sets.
    Delete {
        #[arg(value_name = "SET", required = true)]
        sets: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

pub async fn classic(cmd: ClassicKeysCmd) -> anyhow::Result<()> {
    match cmd.action {
        ClassicKeysAction::Create { args, remote } => create(&remote, &args, true).await,
        ClassicKeysAction::Get { args, remote } => get(&remote, &args, true).await,
        ClassicKeysAction::Delete { sets, remote } => delete(&remote, &sets).await,
    }
}
