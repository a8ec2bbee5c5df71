//! `migrate sql up [DSN] [-e] [--yes]`, the classic `migrate sql --yes DSN`, and `migrate status`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};

use super::ConfigArgs;
use crate::{
    config::Config,
    storage::{Db, migrate},
};

#[derive(Args, Debug)]
pub struct MigrateCmd {
    #[command(subcommand)]
    pub what: MigrateWhat,
}

#[derive(Subcommand, Debug)]
pub enum MigrateWhat {
    /// Apply pending SQL migrations: `migrate sql up [DSN]` or the classic `migrate sql DSN`.
    Sql {
        /// `up` (optional), then the DSN unless -e is given.
        #[arg(num_args = 0..=2, value_name = "[up] DSN")]
        args: Vec<String>,
        #[command(flatten)]
        dsn: DsnArgs,
        /// Apply without asking.
        #[arg(short = 'y', long = "yes")]
        yes: bool,
    },
    /// Show which migrations are applied and which are pending.
    Status {
        #[arg(value_name = "DSN")]
        dsn_arg: Option<String>,
        #[command(flatten)]
        dsn: DsnArgs,
    },
}

#[derive(Args, Debug)]
pub struct DsnArgs {
    /// Read the DSN from the configuration (`DSN` or the `dsn` key) instead of the command line.
    #[arg(short = 'e', long = "read-from-env")]
    pub from_env: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The DSN from the command line, or from the configuration when it is not given there.
pub fn resolve_dsn_or_env(positional: Option<String>, args: &DsnArgs) -> anyhow::Result<String> {
    match positional {
        Some(dsn) => resolve_dsn(Some(dsn), args),
        None => Ok(Config::from_env(&args.config.config)?.0.dsn),
    }
}

fn resolve_dsn(positional: Option<String>, args: &DsnArgs) -> anyhow::Result<String> {
    match (positional, args.from_env) {
        (Some(_), true) => bail!("give either a DSN or -e/--read-from-env, not both"),
        (Some(dsn), false) => {
            crate::storage::DsnKind::parse(&dsn).map_err(|e| anyhow!("invalid DSN: {e}"))?;
            Ok(dsn)
        }
        (None, true) => Ok(Config::from_env(&args.config.config)?.0.dsn),
        (None, false) => {
            bail!(
                "no database given: pass a DSN (`latchkey migrate sql up DSN`) or -e to read it from DSN / the config"
            )
        }
    }
}

pub async fn run(cmd: MigrateCmd) -> anyhow::Result<()> {
    match cmd.what {
        MigrateWhat::Sql { mut args, dsn, yes } => {
            if args.first().map(String::as_str) == Some("up") {
                args.remove(0);
            }
            if args.len() > 1 {
                bail!(
                    "unexpected arguments {args:?}: usage is `latchkey migrate sql up [DSN] [-e] [--yes]`"
                );
            }
            let url = resolve_dsn(args.pop(), &dsn)?;
            let db = Db::connect(&url)
                .await
                .map_err(|e| anyhow!("cannot open the database: {e}"))?;
            let state = migrate::state(&db).await?;
            if let Some(why) = (!state.unknown.is_empty())
                .then(|| state.refusal())
                .flatten()
            {
                bail!(why);
            }
            if state.pending.is_empty() {
                println!(
                    "The database is up to date ({} migrations applied).",
                    state.applied.len()
                );
                return Ok(());
            }
            println!("These migrations will be applied:");
            for m in &state.pending {
                println!("  {m}");
            }
            if !yes && !confirm()? {
                bail!("nothing applied; re-run with --yes to apply without asking");
            }
            migrate::up(&db)
                .await
                .map_err(|e| anyhow!("migration failed: {e}"))?;
            println!("Applied {} migrations.", state.pending.len());
            Ok(())
        }
        MigrateWhat::Status { dsn_arg, dsn } => {
            let url = resolve_dsn(dsn_arg, &dsn)?;
            let db = Db::connect(&url)
                .await
                .map_err(|e| anyhow!("cannot open the database: {e}"))?;
            let state = migrate::state(&db).await?;
            println!("{:<40}STATUS", "MIGRATION");
            for m in &state.applied {
                println!("{m:<40}applied");
            }
            for m in &state.pending {
                println!("{m:<40}pending");
            }
            for m in &state.unknown {
                println!("{m:<40}unknown to this binary");
            }
            if state.is_current() {
                println!("\nThe database is up to date.");
            } else if let Some(why) = state.refusal() {
                println!("\n{why}");
            }
            Ok(())
        }
    }
}

/// Asks on the terminal; without one, the answer is no.
fn confirm() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    print!("Apply them? [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
