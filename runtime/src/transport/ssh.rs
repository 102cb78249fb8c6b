//! SSH through the system OpenSSH client: one ControlMaster per node per run (the `openssh`
//! crate with native mux), every script an exec request on it.

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
    /// Jump hosts (`ProxyJump`), in order.
    pub jump_hosts: Vec<String>,
    /// An ssh_config file instead of `~/.ssh/config`.
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
        b.user(user.username.clone())
            .port(port)
            .connect_timeout(o.connect_timeout.max(Duration::from_secs(1)))
            .server_alive_interval(o.keepalive)
            .control_directory(&o.control_dir);
        if let Some(k) = &user.private_key {
            b.keyfile(k);
        }
        if let Some(c) = &o.config_file {
            b.config_file(c);
        }
        if !o.jump_hosts.is_empty() {
            b.jump_hosts(&o.jump_hosts);
        }
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
        let session = match tokio::time::timeout(limit, b.connect_mux(host)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(err(describe(&e))),
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
            Err(openssh::Error::RemoteProcessTerminated) => Ok(ExecOutcome { exit_code: None, stderr: err }),
            Err(e) => Err(lost(describe(&e))),
        }
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
