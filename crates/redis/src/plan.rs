//! The plan functions: `settings`, `install`, `configure`.

use crate::config::RedisConfig;
use crate::os::flavor;
use crate::render::{auth_conf, redis_conf};
use crate::{FACILITY, RedisSettings};
use pallet::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

/// The flag `configure` sets when `redis.conf` or the password file changes; the restart runs
/// only then.
pub const CHANGED_FLAG: &str = "pallet-redis-conf";

/// The addresses Redis binds: the configured ones, or the node's private address and
/// `127.0.0.1`.
fn bind(ctx: &Plan<'_>, config: &RedisConfig) -> Result<Vec<IpAddr>, String> {
    if let Some(b) = &config.bind {
        return Ok(b.clone());
    }
    let private = ctx.node().private_address();
    let ip: IpAddr = private.parse().map_err(|_| {
        format!("pallet-redis: the node's private address `{private}` is not an IP address; set `bind`")
    })?;
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    Ok(if ip == lo { vec![lo] } else { vec![ip, lo] })
}

plan_fn! {
    /// Publishes [`RedisSettings`] under [`FACILITY`] (`redis`): the first non-loopback bind
    /// address (the private address by default), the port, and whether a password is required
    /// (never the password). Run it in `settings`.
    pub fn settings(ctx, config: &RedisConfig) {
        let host = match bind(ctx, config) {
            Ok(b) => b.iter().find(|a| !a.is_loopback()).or(b.first()).map_or_else(|| ctx.node().private_address().to_string(), IpAddr::to_string),
            Err(e) => return ctx.fail(e),
        };
        ctx.publish(FACILITY, &RedisSettings { host, port: config.port, password_required: config.password.is_some() });
    }
}

plan_fn! {
    /// Installs the distribution's Redis server package; refuses an OS the crate does not
    /// support.
    pub fn install(ctx, _config: &RedisConfig) {
        match flavor(ctx.os()) {
            Ok(f) => { package(f.package); }
            Err(e) => { ctx.fail(e); }
        }
    }
}

plan_fn! {
    /// Writes the password file (secret, when a password is set) and the whole `redis.conf`,
    /// each checked by `redis-server` itself before it replaces the old file (a configuration
    /// Redis would refuse keeps the old file and fails the action); restarts Redis only when a
    /// file changed (which starts it if it was stopped), then makes sure it runs and starts at
    /// boot, and waits until it listens.
    pub fn configure(ctx, config: &RedisConfig) {
        let f = match flavor(ctx.os()) {
            Ok(f) => f,
            Err(e) => return ctx.fail(e),
        };
        if let Err(e) = config.validate() {
            return ctx.fail(format!("pallet-redis: invalid configuration:\n{e}"));
        }
        let bind = match bind(ctx, config) {
            Ok(b) => b,
            Err(e) => return ctx.fail(e),
        };
        if let Some(p) = &config.password {
            remote_file(f.auth, content = auth_conf(p.expose()), owner = "redis", group = "redis", mode = 0o640,
                        secret = true, verify = check_including_first_argument(), flag_on_changed = CHANGED_FLAG);
        }
        remote_file(f.conf, content = redis_conf(config, &f, &bind), owner = "redis", group = "redis", mode = 0o640,
                    verify = check_first_argument(true), flag_on_changed = CHANGED_FLAG);
        // Restart first (when it is not running yet, the restart starts it), then make sure it
        // runs, then wait until it listens. Started the other way round, a restart right after
        // the start could find the pid file not yet written (Redis writes it once it listens)
        // and leave the first server running beside a failing second one.
        service(f.service).restart().if_flag(CHANGED_FLAG);
        service(f.service, enable = true).start();
        wait_for_port(config.port, retries = 15, standoff = 1);
    }
}

/// Checks the configuration file `$1` with `redis-server` itself: it reads a copy without its
/// `logfile`, `pidfile` and `dir` lines (Redis opens the log file while reading the
/// configuration, and as root it would create it with the wrong owner), with TCP and
/// persistence turned off on the command line; a file it accepts ends in "not listen anywhere".
/// Anything else fails, with Redis's complaint on stderr when `show_errors` (not for secret
/// files: Redis quotes the offending line).
pub fn check_first_argument(show_errors: bool) -> Script {
    let complain = if show_errors {
        script! { cat -- $p_rd/out >&2; }
    } else {
        script! { echo "redis-server refused the configuration (not shown: it is secret)" >&2; }
    };
    script! {
        p_rd=$(mktemp -d);
        grep -v -E "^[[:space:]]*(logfile|pidfile|dir)[[:space:]]" $1 > $p_rd/redis.conf || true;
        timeout 20 redis-server $p_rd/redis.conf --port 0 --daemonize no --dir $p_rd --logfile $p_rd/log
            --pidfile $p_rd/pid --save "" --appendonly no > $p_rd/out 2>&1 || true;
        if grep -q "not listen anywhere" $p_rd/log 2> /dev/null {
            rm -rf -- $p_rd;
        } else {
            #complain;
            rm -rf -- $p_rd;
            exit 1;
        }
    }
}

/// Checks a file meant to be included (`$1`) through a configuration that includes it.
/// Nothing of the file is shown when the check fails.
pub fn check_including_first_argument() -> Script {
    let check = check_first_argument(false);
    script! {
        printf "include %s\n" $1 > $P_T/pallet-redis-include.conf;
        set -- $P_T/pallet-redis-include.conf;
        #check;
    }
}
