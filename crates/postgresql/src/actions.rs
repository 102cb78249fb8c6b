//! Actions of this crate: roles and databases made to match, checked with `psql` as the
//! `postgres` user over the local socket (peer authentication).

use pallet::action::{Action, ActionError, RenderContext};
use pallet::prelude::*;

/// What a secret becomes in dry runs.
const MASK: &str = "<secret>";

/// `cmd` (its rendered text) run as `postgres` from `/`, through `su` (util-linux or busybox).
fn as_postgres(cmd: &Script) -> Result<Script, ActionError> {
    let inner = format!("cd / && {}", cmd.to_text()?.trim_end());
    Ok(script! { su -s /bin/sh postgres -c #inner; })
}

/// `psql` running `sql` on the local socket of `port`: unaligned, tuples only, stop on error,
/// terse errors (no statement text, which may hold a password verifier).
pub(crate) fn psql(port: u16, sql: &str) -> Result<Script, ActionError> {
    as_postgres(&script! { psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=terse -p #port -d postgres -c #sql; })
}

/// The state query's output, or in check mode on a node where PostgreSQL cannot answer yet
/// (not installed, not started) a change and the end of the action.
fn state(port: u16, sql: &str) -> Result<Script, ActionError> {
    let q = psql(port, sql)?;
    Ok(script! {
        if ! p_have=$(#q) {
            if p_checking { p_changed; exit 0; }
            exit 1;
        }
    })
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A role made to match: `LOGIN`, `SUPERUSER`, `CREATEDB` and the password (a SCRAM verifier,
/// or none). Created when missing, altered when any of them differs, else left alone.
#[derive(Clone)]
pub struct PgRole {
    pub(crate) name: String,
    pub(crate) verifier: Option<String>,
    pub(crate) login: bool,
    pub(crate) superuser: bool,
    pub(crate) createdb: bool,
    pub(crate) port: u16,
}

impl Action for PgRole {
    fn kind(&self) -> &'static str {
        "postgresql_role"
    }

    fn describe(&self) -> String {
        let mut flags = vec![if self.login { "login" } else { "nologin" }];
        if self.superuser {
            flags.push("superuser");
        }
        if self.createdb {
            flags.push("createdb");
        }
        if self.verifier.is_some() {
            flags.push("password");
        }
        format!("postgresql role {} ({})", self.name, flags.join(", "))
    }

    fn script(&self, cx: &RenderContext<'_>) -> Result<Script, ActionError> {
        let verifier = match &self.verifier {
            Some(_) if cx.redact => Some(MASK.to_string()),
            v => v.clone(),
        };
        let want = format!("{}|{}|{}|{}", self.login, self.superuser, self.createdb, verifier.as_deref().unwrap_or(""));
        let lit = sql_string(&self.name);
        let state = state(
            self.port,
            &format!(
                "SELECT rolcanlogin::text || '|' || rolsuper::text || '|' || rolcreatedb::text || '|' || coalesce(rolpassword, '') FROM pg_authid WHERE rolname = {lit}"
            ),
        )?;
        let attrs = format!(
            "{} {} {} PASSWORD {}",
            if self.login { "LOGIN" } else { "NOLOGIN" },
            if self.superuser { "SUPERUSER" } else { "NOSUPERUSER" },
            if self.createdb { "CREATEDB" } else { "NOCREATEDB" },
            verifier.as_deref().map_or_else(|| "NULL".to_string(), sql_string)
        );
        let create = psql(self.port, &format!("CREATE ROLE \"{}\" WITH {attrs}", self.name))?;
        let alter = psql(self.port, &format!("ALTER ROLE \"{}\" WITH {attrs}", self.name))?;
        Ok(script! {
            #state;
            if [ $p_have != #want ] {
                p_changed;
                if p_checking { exit 0; }
                if [ -z $p_have ] { #create; } else { #alter; }
            }
        })
    }
}

/// A database made to exist with its owner: created when missing, given to the owner when
/// another role owns it.
#[derive(Clone)]
pub struct PgDatabase {
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) port: u16,
}

impl Action for PgDatabase {
    fn kind(&self) -> &'static str {
        "postgresql_database"
    }

    fn describe(&self) -> String {
        format!("postgresql database {} owner {}", self.name, self.owner)
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        let state = state(
            self.port,
            &format!("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = {}", sql_string(&self.name)),
        )?;
        let create = psql(self.port, &format!("CREATE DATABASE \"{}\" OWNER \"{}\"", self.name, self.owner))?;
        let alter = psql(self.port, &format!("ALTER DATABASE \"{}\" OWNER TO \"{}\"", self.name, self.owner))?;
        let owner = &self.owner;
        Ok(script! {
            #state;
            if [ $p_have != #owner ] {
                p_changed;
                if p_checking { exit 0; }
                if [ -z $p_have ] { #create; } else { #alter; }
            }
        })
    }
}
