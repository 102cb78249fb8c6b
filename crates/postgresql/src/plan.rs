//! The plan functions: `settings`, `install`, `configure`, `client`.

use crate::actions::{PgDatabase, PgRole, psql};
use crate::config::PostgresConfig;
use crate::os::{Flavor, Init, flavor};
use crate::render::{parameters_conf, pg_hba_conf};
use crate::scram::role_verifier;
use crate::{FACILITY, PostgresSettings};
use pallet::prelude::*;

/// The flag set when `postgresql.conf` (its `include_dir`) or `conf.d/pallet.conf` changes; the
/// restart runs only then.
pub const CONF_FLAG: &str = "pallet-postgresql-conf";

/// The flag set when `pg_hba.conf` changes; the reload runs only then.
pub const HBA_FLAG: &str = "pallet-postgresql-hba";

fn listen(ctx: &Plan<'_>, config: &PostgresConfig) -> Vec<String> {
    config.listen_addresses.clone().unwrap_or_else(|| {
        let private = ctx.node().private_address().to_string();
        if private == "127.0.0.1" || private == "localhost" {
            vec!["localhost".into()]
        } else {
            vec!["localhost".into(), private]
        }
    })
}

fn checked(ctx: &Plan<'_>, config: &PostgresConfig) -> Result<Flavor, String> {
    let f = flavor(ctx.os(), config.version)?;
    config.validate().map_err(|e| format!("pallet-postgresql: invalid configuration:\n{e}"))?;
    if config.roles.iter().any(|r| r.name == "postgres") {
        return Err("pallet-postgresql: the role `postgres` is the cluster's own superuser; leave it out".into());
    }
    Ok(f)
}

plan_fn! {
    /// Publishes [`PostgresSettings`] under [`FACILITY`] (`postgresql`): the address clients
    /// use (the node's private address), the port, the major version, and the names of the
    /// configured roles and databases (never passwords). Run it in `settings`.
    pub fn settings(ctx, config: &PostgresConfig) {
        let version = match flavor(ctx.os(), config.version) {
            Ok(f) => f.version,
            Err(e) => return ctx.fail(e),
        };
        ctx.publish(FACILITY, &PostgresSettings {
            host: ctx.node().private_address().to_string(),
            port: config.port,
            version,
            roles: config.roles.iter().map(|r| r.name.clone()).collect(),
            databases: config.databases.iter().map(|d| d.name.clone()).collect(),
        });
    }
}

plan_fn! {
    /// Installs the server package of the version and makes sure the cluster exists
    /// (`pg_createcluster`, `postgresql-setup --initdb` or the OpenRC `setup`, only when its
    /// data directory has no `PG_VERSION`).
    pub fn install(ctx, config: &PostgresConfig) {
        let f = match flavor(ctx.os(), config.version) {
            Ok(f) => f,
            Err(e) => return ctx.fail(e),
        };
        package(f.server_package.clone());
        let marker = format!("{}/PG_VERSION", f.datadir);
        let v = f.version.to_string();
        let init = match f.init {
            Init::CreateCluster => script! { pg_createcluster #v main; },
            Init::PostgresqlSetup => script! { postgresql-setup --initdb; },
            Init::OpenrcSetup => script! { /etc/init.d/postgresql setup; },
        };
        exec_checked_script("create the cluster if missing", script! { if [ ! -f #marker ] { p_changed; p_checking || #init; } }).unchanged();
    }
}

plan_fn! {
    /// Writes the parameters (`conf.d/pallet.conf`, included from `postgresql.conf`), checked
    /// with `postgres -C` as the `postgres` user before it replaces the old file, and
    /// `pg_hba.conf`; restarts PostgreSQL only when the parameters changed and reloads it only
    /// when `pg_hba.conf` changed, after `pg_hba_file_rules` showed no error in the new file;
    /// then creates or alters the roles (passwords as SCRAM verifiers) and databases. Role
    /// rules list the private address of every node with the role. Invalid configuration fails
    /// the plan with every problem.
    pub fn configure(ctx, config: &PostgresConfig) {
        let f = match checked(ctx, config) {
            Ok(f) => f,
            Err(e) => return ctx.fail(e),
        };
        let port = config.port;
        let clients: Vec<Vec<String>> = config.hba.iter().map(|r| {
            r.role.as_deref().map(|role| ctx.nodes_with_role(role).iter().map(|n| host_cidr(n.private_address())).collect()).unwrap_or_default()
        }).collect();
        if let Some(bad) = clients.iter().flatten().find(|a| a.starts_with('!')) {
            return ctx.fail(format!("pallet-postgresql: hba role rule: {}", &bad[1..]));
        }
        let conf = format!("{}/postgresql.conf", f.confdir);
        let confd = format!("{}/conf.d", f.confdir);
        line_in_file(conf, "include_dir = 'conf.d'", regexp = "^[#[:space:]]*include_dir[[:space:]]*=", flag_on_changed = CONF_FLAG);
        directory(confd.clone(), owner = "postgres", group = "postgres", mode = 0o755);
        remote_file(format!("{confd}/pallet.conf"), content = parameters_conf(config, &listen(ctx, config)),
                    owner = "postgres", group = "postgres", mode = 0o644,
                    verify = check_parameters(&f), flag_on_changed = CONF_FLAG);
        remote_file(format!("{}/pg_hba.conf", f.confdir), content = pg_hba_conf(&config.hba, &clients),
                    owner = "postgres", group = "postgres", mode = 0o640, flag_on_changed = HBA_FLAG);
        service(f.service).restart().if_flag(CONF_FLAG);
        service(f.service, enable = true).start();
        wait_for_port(port, retries = 15, standoff = 1);
        match hba_check(port) {
            Ok(s) => { exec_checked_script("pg_hba.conf has no errors", s).unchanged(); }
            Err(e) => { ctx.fail(e.to_string()); }
        }
        service(f.service).reload().if_flag(HBA_FLAG);
        for r in &config.roles {
            ctx.add(PgRole {
                name: r.name.clone(),
                verifier: r.password.as_ref().map(|p| role_verifier(&r.name, p.expose())),
                login: r.login,
                superuser: r.superuser,
                createdb: r.createdb,
                port,
            });
        }
        for d in &config.databases {
            ctx.add(PgDatabase { name: d.name.clone(), owner: d.owner.clone(), port });
        }
    }
}

plan_fn! {
    /// Installs the client package (`psql`) of the version, for nodes that connect to a
    /// PostgreSQL node.
    pub fn client(ctx, config: &PostgresConfig) {
        match flavor(ctx.os(), config.version) {
            Ok(f) => { package(f.client_package); }
            Err(e) => { ctx.fail(e); }
        }
    }
}

/// `address/32` (or `/128`); an address that is not an IP comes back as `!message`.
fn host_cidr(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => format!("{a}/32"),
        Ok(std::net::IpAddr::V6(a)) => format!("{a}/128"),
        Err(_) => format!("!the private address `{address}` of a client node is not an IP address"),
    }
}

/// Checks the parameters file `$1` with `postgres -C` as `postgres` (a copy it can read, as the
/// only configuration file of the data directory): PostgreSQL reports unknown parameters and
/// bad values and exits non-zero.
pub fn check_parameters(f: &Flavor) -> Script {
    let postgres = format!("{}/postgres", f.bindir);
    let datadir = &f.datadir;
    let inner = script! { #postgres -D #datadir -c config_file=$0 -C port > /dev/null; }
        .to_text()
        .expect("no NUL in paths")
        .trim_end()
        .to_string();
    script! {
        p_pc=$(mktemp);
        cat -- $1 > $p_pc;
        chmod 644 $p_pc;
        if su -s /bin/sh postgres -c #inner $p_pc {
            rm -f -- $p_pc;
        } else {
            rm -f -- $p_pc;
            exit 1;
        }
    }
}

/// Fails when `pg_hba_file_rules` reports an error in `pg_hba.conf` as it is on disk (skipped in
/// check mode, where the file was not written).
fn hba_check(port: u16) -> Result<Script, pallet::action::ActionError> {
    let q = psql(port, "SELECT line_number || ': ' || error FROM pg_hba_file_rules WHERE error IS NOT NULL")?;
    Ok(script! {
        if ! p_checking {
            p_bad=$(#q);
            if [ -n $p_bad ] { echo "pg_hba.conf:" $p_bad >&2; exit 1; }
        }
    })
}
