//! SSH through the system OpenSSH client: one ControlMaster per node per run (the `openssh`
//! crate with native mux), every script an exec request on it.
//!
//! # What comes from ssh_config
//!
//! The client reads the user's ssh_config (`~/.ssh/config` and `/etc/ssh/ssh_config`, or only
//! [`SshOptions::config_file`] when set) as `ssh` does. Pallet puts these on the command line,
//! where they win over any file: the login user (the admin user), the port unless it is 22 (so
//! a `Port` in ssh_config applies to nodes listed at port 22), `IdentityFile` with
//! `IdentitiesOnly=yes` when the admin user has a private key, `BatchMode=yes`,
//! `ConnectTimeout`, `ServerAliveInterval`, `StrictHostKeyChecking` and `UserKnownHostsFile`
//! (per [`HostKeyPolicy`]), the `Control*` options, and `ProxyJump` when
//! [`SshOptions::jump_hosts`] is not empty. Everything else in ssh_config applies: `HostName`
//! (a node's address may be a `Host` alias), `Port` (at 22), `IdentityFile` and
//! `IdentityAgent` (without a private key), `ProxyJump`/`ProxyCommand` per host, `User` of jump
//! hosts, ciphers, `CertificateFile`, `HostKeyAlias`...
//!
//! # Keys and passphrases
//!
//! Without a private key, keys come from the agent (`SSH_AUTH_SOCK`) and ssh_config. Pallet never
//! asks for a passphrase: add a passphrase-protected key to `ssh-agent` (`ssh-add KEY`) and the
//! agent signs for it, with or without `private_key` set (with it, its `.pub` must be next to it).
//!
//! # Jump hosts
//!
//! With [`SshOptions::jump_hosts`] (`[user@]host[:port]` each, in order) the master connects
//! through them (`ssh -J`). OpenSSH gives jump hosts only the configuration file, so pallet writes
//! a small one for the connection: the user's configuration first (its settings win), then
//! pallet's for every host (the admin user's key, `BatchMode`, timeouts and the host key
//! policy), then the system's; it is removed once the master is up.

use super::delivery::{bootstrap_command, bootstrap_stdin, drive};
use super::{AdminUser, Connector, ExecOutcome, Transport, TransportError};
use crate::BoxFuture;
use crate::node::Node;
use openssh::{KnownHosts, Session, SessionBuilder, Stdio};
use std::path::PathBuf;
use std::time::Duration;

/// How host keys are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Keys must already be in the user's known_hosts (`StrictHostKeyChecking=yes`).
    Strict,
    /// Unknown hosts are added to this run's known_hosts file (`accept-new`); changed keys fail.
    /// For nodes this run created.
    AcceptNew(PathBuf),
    /// Keys must be in this file.
    File(PathBuf),
}

/// SSH settings shared by the nodes of a run.
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// Give up connecting after this long (whole seconds; default 10 s).
    pub connect_timeout: Duration,
    /// Send keepalives this often (default 15 s).
    pub keepalive: Duration,
    /// Host key checking.
    pub host_keys: HostKeyPolicy,
    /// Where control sockets live: keep it short (the socket path limit is 108 bytes).
    pub control_dir: PathBuf,
    /// Jump hosts (`ProxyJump`), in order, each `[user@]host[:port]`; default none. They get
    /// the admin user's key and the host key policy unless ssh_config says otherwise for them.
    pub jump_hosts: Vec<String>,
    /// An ssh_config file read instead of `~/.ssh/config` and `/etc/ssh/ssh_config` (`ssh -F`);
    /// default none (ssh reads those two).
    pub config_file: Option<PathBuf>,
    /// Keep each master running this long after the run, idle, and reuse it in the next run
    /// (opt-in, like Ansible's `ControlPersist`); `None` closes masters at the end of a run.
    pub keep_connections: Option<Duration>,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            connect_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(15),
            host_keys: HostKeyPolicy::Strict,
            control_dir: default_control_dir(),
            jump_hosts: Vec::new(),
            config_file: None,
            keep_connections: None,
        }
    }
}

/// `$PALLET_CONTROL_DIR` when set, else `/tmp/pallet-<uid>`; created with mode 0700 (private to
/// the user). Kept masters are recorded under it, in `kept/`.
pub fn default_control_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PALLET_CONTROL_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    // Read the uid from /proc/self rather than libc.
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1).map(String::from))
        })
        .unwrap_or_else(|| "0".into());
    PathBuf::from(format!("/tmp/pallet-{uid}"))
}

/// Opens [`SshTransport`]s to `node.primary_ip:node.ssh_port` (the default connector of every
/// compute service).
#[derive(Debug, Clone, Copy, Default)]
pub struct SshConnector;

impl Connector for SshConnector {
    fn connect<'a>(
        &'a self,
        node: &'a Node,
        user: &'a AdminUser,
        ssh: &'a SshOptions,
    ) -> BoxFuture<'a, Result<Box<dyn Transport>, TransportError>> {
        Box::pin(async move {
            let t = SshTransport::connect(&node.primary_ip, node.ssh_port, user, ssh).await?;
            Ok(Box::new(t) as Box<dyn Transport>)
        })
    }
}

/// A connection to one node.
pub struct SshTransport {
    session: Session,
    target: String,
    /// Where to record the master for the next run, when masters are kept.
    keep: Option<PathBuf>,
}

/// The file recording a kept master for `target` (`user@host:port`).
fn kept_master_file(o: &SshOptions, target: &str) -> PathBuf {
    let safe: String =
        target.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    o.control_dir.join("kept").join(safe)
}

/// Stops every master kept by earlier runs (`keep_connections`) under `o.control_dir`, and
/// forgets them. Returns how many were stopped.
pub async fn close_kept(o: &SshOptions) -> usize {
    let dir = o.control_dir.join("kept");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if let Some(session) = resume(&e.path()).await {
            let _ = session.close().await;
            n += 1;
        }
        let _ = std::fs::remove_file(e.path());
    }
    n
}

/// A master kept by an earlier run, if it still answers.
async fn resume(file: &std::path::Path) -> Option<Session> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    let ctl = PathBuf::from(lines.next()?);
    let log = lines.next().filter(|l| !l.is_empty()).map(|l| PathBuf::from(l).into_boxed_path());
    if !ctl.exists() {
        return None;
    }
    let session = Session::resume_mux(ctl.into_boxed_path(), log);
    match tokio::time::timeout(Duration::from_secs(2), session.check()).await {
        Ok(Ok(())) => Some(session),
        _ => {
            // A dead master: forget it (its socket directory is openssh's to clean).
            let _ = std::fs::remove_file(file);
            None
        }
    }
}

impl SshTransport {
    /// Opens the ControlMaster to `user@host:port`.
    ///
    /// # Errors
    /// [`TransportError::Connect`] with what ssh reported.
    pub async fn connect(
        host: &str,
        port: u16,
        user: &AdminUser,
        o: &SshOptions,
    ) -> Result<SshTransport, TransportError> {
        let target = format!("{}@{host}:{port}", user.username);
        let keep = o.keep_connections.map(|_| kept_master_file(o, &target));
        if let Some(f) = &keep
            && let Some(session) = resume(f).await
        {
            return Ok(SshTransport { session, target, keep });
        }
        let err = |message: String| TransportError::Connect {
            target: target.clone(),
            cause: super::ConnectCause::classify(&message),
            message,
        };
        std::fs::create_dir_all(&o.control_dir)
            .map_err(|e| err(format!("control directory {}: {e}", o.control_dir.display())))?;
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&o.control_dir, std::fs::Permissions::from_mode(0o700));
        }
        let mut b = SessionBuilder::default();
        b.user(user.username.clone());
        // Port 22 is ssh's default: leave it out so a `Port` in ssh_config can apply.
        if port != 22 {
            b.port(port);
        }
        b.connect_timeout(o.connect_timeout.max(Duration::from_secs(1)))
            .server_alive_interval(o.keepalive)
            .control_directory(&o.control_dir);
        if let Some(k) = &user.private_key {
            b.keyfile(k);
        }
        if let Some(bad) = o.jump_hosts.iter().find_map(|h| check_jump_host(h).err()) {
            return Err(err(format!("jump host {bad}")));
        }
        let jump_config = if o.jump_hosts.is_empty() {
            if let Some(c) = &o.config_file {
                b.config_file(c);
            }
            None
        } else {
            let file = JumpConfig::write(o, user).map_err(err)?;
            b.config_file(&file.0).jump_hosts(&o.jump_hosts);
            Some(file)
        };
        if let Some(idle) = o.keep_connections {
            let secs = std::num::NonZeroUsize::new(usize::try_from(idle.as_secs()).unwrap_or(usize::MAX))
                .unwrap_or(std::num::NonZeroUsize::MIN);
            b.control_persist(openssh::ControlPersist::IdleFor(secs));
        }
        match &o.host_keys {
            HostKeyPolicy::Strict => {
                b.known_hosts_check(KnownHosts::Strict);
            }
            HostKeyPolicy::AcceptNew(f) => {
                b.known_hosts_check(KnownHosts::Add).user_known_hosts_file(f);
            }
            HostKeyPolicy::File(f) => {
                b.known_hosts_check(KnownHosts::Strict).user_known_hosts_file(f);
            }
        }
        // The whole handshake is bounded too (ssh's ConnectTimeout covers the TCP connect only).
        let limit = o.connect_timeout + Duration::from_secs(5);
        let connected = tokio::time::timeout(limit, b.connect_mux(host)).await;
        drop(jump_config);
        let session = match connected {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                let mut message = describe(&e);
                if let Some(k) = user.private_key.as_deref().filter(|k| key_is_encrypted(k)) {
                    message.push_str(&format!(
                        " (the key {} is passphrase-protected and pallet never asks for passphrases: add it to \
                         ssh-agent with `ssh-add {}`)",
                        k.display(),
                        k.display()
                    ));
                }
                return Err(err(message));
            }
            Err(_) => return Err(err(format!("no answer within {limit:?}"))),
        };
        Ok(SshTransport { session, target, keep })
    }

    /// Runs `script` through the bootstrap command.
    ///
    /// # Errors
    /// [`TransportError::Lost`] when the connection fails during the run.
    pub async fn run_script(
        &self,
        script: &[u8],
        data: &[std::sync::Arc<[u8]>],
        user: &AdminUser,
        on_stdout: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<ExecOutcome, TransportError> {
        let lost = |message: String| TransportError::Lost { target: self.target.clone(), message };
        let mut child = self
            .session
            .raw_command(bootstrap_command(script.len(), data.iter().map(|c| c.len() as u64).sum(), user)?)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .await
            .map_err(|e| lost(describe(&e)))?;
        let missing = || lost("a standard stream is not piped".into());
        let stdin = child.stdin().take().ok_or_else(missing)?;
        let stdout = child.stdout().take().ok_or_else(missing)?;
        let stderr = child.stderr().take().ok_or_else(missing)?;
        let err = drive(stdin, stdout, stderr, bootstrap_stdin(script, data, user), on_stdout)
            .await
            .map_err(|e| lost(e.to_string()))?;
        match child.wait().await {
            Ok(status) => Ok(ExecOutcome { exit_code: status.code(), stderr: err }),
            // The mux protocol says the same when the remote process was killed by a signal and
            // when the connection died (sshd killed, keepalives unanswered): ask the master.
            Err(openssh::Error::RemoteProcessTerminated) if !self.master_alive().await => {
                Err(lost("the connection closed while the script ran".into()))
            }
            Err(openssh::Error::RemoteProcessTerminated) => Ok(ExecOutcome { exit_code: None, stderr: err }),
            Err(e) => Err(lost(describe(&e))),
        }
    }

    /// Does the master still answer? Asked twice, 200 ms apart: a master whose connection died
    /// may take a moment to exit after it ended its sessions.
    async fn master_alive(&self) -> bool {
        for i in 0..2 {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            if !matches!(tokio::time::timeout(Duration::from_secs(2), self.session.check()).await, Ok(Ok(()))) {
                return false;
            }
        }
        true
    }

    /// Stops the master, or, when masters are kept, leaves it running and records it for the
    /// next run.
    pub async fn shut(self) {
        match self.keep {
            Some(file) => {
                let (ctl, log) = self.session.detach();
                let text = format!(
                    "{}\n{}\n",
                    ctl.display(),
                    log.as_deref().map(|l| l.display().to_string()).unwrap_or_default()
                );
                if let Some(dir) = file.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let tmp = file.with_extension("tmp");
                if std::fs::write(&tmp, text).is_ok() {
                    let _ = std::fs::rename(&tmp, &file);
                }
            }
            None => {
                let _ = self.session.close().await;
            }
        }
    }
}

impl Transport for SshTransport {
    fn run<'a>(
        &'a self,
        script: &'a [u8],
        data: &'a [std::sync::Arc<[u8]>],
        user: &'a AdminUser,
        on_stdout: &'a mut (dyn FnMut(&[u8]) + Send),
    ) -> BoxFuture<'a, Result<ExecOutcome, TransportError>> {
        Box::pin(self.run_script(script, data, user, on_stdout))
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(self.shut())
    }

    fn alive(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            matches!(tokio::time::timeout(Duration::from_secs(2), self.session.check()).await, Ok(Ok(())))
        })
    }
}

/// Checks a jump host, `[user@]host[:port]`: user and host of letters, digits, `.`, `_` and `-`
/// (a host may be an ssh_config alias or a bracketed IPv6 address), not starting with `-`, and
/// a numeric port. Nothing else reaches ssh, which builds a command line from it.
///
/// # Errors
/// What is wrong, naming the value.
pub fn check_jump_host(spec: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{spec}`: {why} (expected [user@]host[:port])"));
    let word = |w: &str| {
        !w.is_empty() && !w.starts_with('-') && w.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    let (user, rest) = match spec.split_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, spec),
    };
    if user.is_some_and(|u| !word(u)) {
        return bad("invalid user");
    }
    let port = if let Some(v6) = rest.strip_prefix('[') {
        let Some((addr, tail)) = v6.split_once(']') else { return bad("unclosed `[`") };
        if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return bad("invalid IPv6 address");
        }
        match (tail, tail.strip_prefix(':')) {
            ("", _) => None,
            (_, Some(p)) => Some(p),
            _ => return bad("junk after `]`"),
        }
    } else {
        let (host, port) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        if !word(host) {
            return bad("invalid host");
        }
        port
    };
    if port.is_some_and(|p| p.parse::<u16>().map_or(true, |n| n == 0)) {
        return bad("invalid port");
    }
    Ok(())
}

/// The ssh_config pallet writes for a connection through jump hosts (see the module docs);
/// removed when dropped.
struct JumpConfig(PathBuf);

impl JumpConfig {
    /// Writes it in the control directory (mode 0600).
    fn write(o: &SshOptions, user: &AdminUser) -> Result<JumpConfig, String> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = o.control_dir.join(format!("jump-{}-{n}.conf", std::process::id()));
        let text = jump_config_text(o, user)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| format!("jump host configuration {}: {e}", path.display()))?;
        Ok(JumpConfig(path))
    }
}

impl Drop for JumpConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `p` as one ssh_config value (double-quoted).
fn config_value(p: &std::path::Path) -> Result<String, String> {
    let s = p.to_str().ok_or_else(|| format!("{}: not UTF-8", p.display()))?;
    if s.contains(['"', '\n', '\r']) {
        return Err(format!("{s:?}: a path with a quote or a line break cannot go in an ssh_config"));
    }
    Ok(format!("\"{s}\""))
}

/// The text of the jump-host ssh_config: the user's configuration, pallet's settings for every
/// host, then the system's (when the user named no file, as ssh would read it).
fn jump_config_text(o: &SshOptions, user: &AdminUser) -> Result<String, String> {
    let mut t = String::from("# Written by pallet for a connection through jump hosts; removed once it is up.\n");
    match &o.config_file {
        Some(c) => t.push_str(&format!("Include {}\n", config_value(c)?)),
        None => t.push_str("Include ~/.ssh/config\n"),
    }
    t.push_str("Host *\n  BatchMode yes\n");
    t.push_str(&format!("  ConnectTimeout {}\n", o.connect_timeout.as_secs().max(1)));
    t.push_str(&format!("  ServerAliveInterval {}\n", o.keepalive.as_secs().max(1)));
    match &o.host_keys {
        HostKeyPolicy::Strict => t.push_str("  StrictHostKeyChecking yes\n"),
        HostKeyPolicy::AcceptNew(f) => {
            t.push_str(&format!("  StrictHostKeyChecking accept-new\n  UserKnownHostsFile {}\n", config_value(f)?));
        }
        HostKeyPolicy::File(f) => {
            t.push_str(&format!("  StrictHostKeyChecking yes\n  UserKnownHostsFile {}\n", config_value(f)?));
        }
    }
    if let Some(k) = &user.private_key {
        t.push_str(&format!("  IdentityFile {}\n", config_value(k)?));
    }
    if o.config_file.is_none() {
        t.push_str("Host *\nInclude /etc/ssh/ssh_config\n");
    }
    Ok(t)
}

/// Is the private key file at `path` protected by a passphrase (OpenSSH or PEM format)?
/// Unreadable or unknown formats count as not.
pub fn key_is_encrypted(path: &std::path::Path) -> bool {
    use base64::Engine;
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    if text.contains("BEGIN ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return true;
    }
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let Ok(bin) = base64::engine::general_purpose::STANDARD.decode(body.trim()) else { return false };
    // "openssh-key-v1\0", then the cipher name as a length-prefixed string.
    let Some(rest) = bin.strip_prefix(b"openssh-key-v1\0") else { return false };
    let Some(len) = rest.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize) else {
        return false;
    };
    rest.get(4..4 + len).is_some_and(|cipher| cipher != b"none")
}

/// The most useful text of an openssh error: ssh's own message when there is one.
fn describe(e: &openssh::Error) -> String {
    use std::error::Error;
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !t.is_empty() && !s.contains(&t) {
            s.push_str(": ");
            s.push_str(t.trim());
        }
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_config_puts_the_users_file_first_and_pallets_settings_for_every_host() {
        let o = SshOptions {
            host_keys: HostKeyPolicy::AcceptNew("/tmp/kh file".into()),
            config_file: Some("/home/me/ssh config".into()),
            jump_hosts: vec!["me@bastion:2222".into()],
            ..SshOptions::default()
        };
        let t = jump_config_text(&o, &AdminUser::new("me").private_key("/k/id")).unwrap();
        assert_eq!(
            t,
            "# Written by pallet for a connection through jump hosts; removed once it is up.\n\
             Include \"/home/me/ssh config\"\nHost *\n  BatchMode yes\n  ConnectTimeout 10\n  \
             ServerAliveInterval 15\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile \"/tmp/kh file\"\n  \
             IdentityFile \"/k/id\"\n"
        );
        let t = jump_config_text(&SshOptions::default(), &AdminUser::new("me")).unwrap();
        assert!(
            t.contains("Include ~/.ssh/config\nHost *\n") && t.ends_with("Host *\nInclude /etc/ssh/ssh_config\n"),
            "{t}"
        );
        assert!(t.contains("StrictHostKeyChecking yes") && !t.contains("IdentityFile"), "{t}");
        let bad = jump_config_text(&SshOptions::default(), &AdminUser::new("me").private_key("/k/\"x"));
        assert!(bad.unwrap_err().contains("cannot go in an ssh_config"));
    }

    #[test]
    fn jump_hosts_are_checked() {
        for ok in ["bastion", "me@bastion.example.com", "me@10.0.0.1:2222", "[::1]:22", "a_b-c@h-1:65535", "[fe80::1]"]
        {
            assert_eq!(check_jump_host(ok), Ok(()), "{ok}");
        }
        for bad in ["", "-oProxyCommand=x", "me@-h", "h:0", "h:x", "a,b", "h;id", "[::1", "[::1]x", "me@", "h h"] {
            assert!(check_jump_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encrypted_keys_are_recognized() {
        let dir = std::env::temp_dir().join(format!("pallet-keytest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, pass) in [("plain", ""), ("locked", "secret phrase")] {
            let st = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", pass, "-f"])
                .arg(dir.join(name))
                .status()
                .unwrap();
            assert!(st.success());
        }
        assert!(!key_is_encrypted(&dir.join("plain")));
        assert!(key_is_encrypted(&dir.join("locked")));
        assert!(!key_is_encrypted(&dir.join("missing")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
