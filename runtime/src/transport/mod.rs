//! Transports: how a script reaches a node. SSH through OpenSSH's ControlMaster (the `openssh`
//! crate, native mux) and a local `sh`.
//!
//! Script delivery is the same for both (DESIGN.md, "Execution model"): one fixed bootstrap
//! command reads exactly the script's length from stdin into a private temporary file and runs
//! it with `sh`, stdin from `/dev/null` — never `sh -s`, where a command of the script could eat
//! the rest of it. With sudo the script runs as `sudo -n sh FILE` (or `sudo -S` reading the
//! password that follows the script on stdin; the password never appears on a command line, in
//! a log or a report).

pub mod local;
pub mod ssh;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;
use stevedore::quote::quote_str;

/// A secret string (password, passphrase): shown as `***` by `Debug` and never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself (only to hand it to a tool).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The user the runtime logs in as (Pallet's admin user).
#[derive(Debug, Clone, PartialEq)]
pub struct AdminUser {
    /// Login name.
    pub username: String,
    /// Private key file; `None` uses the SSH agent and `~/.ssh/config`.
    pub private_key: Option<PathBuf>,
    /// Public key file (for bootstrap's `authorize_key`), default `<private_key>.pub`.
    pub public_key: Option<PathBuf>,
    /// Password for `sudo -S`; without it `sudo -n` (passwordless sudo) is used.
    pub sudo_password: Option<Secret>,
    /// Run scripts as the login user, without sudo.
    pub no_sudo: bool,
    /// Run scripts as this user through sudo (`sudo -u`), instead of root.
    pub sudo_user: Option<String>,
}

impl AdminUser {
    /// `username` with the agent's keys and passwordless sudo.
    pub fn new(username: impl Into<String>) -> AdminUser {
        AdminUser {
            username: username.into(),
            private_key: None,
            public_key: None,
            sudo_password: None,
            no_sudo: false,
            sudo_user: None,
        }
    }

    /// Uses `path` as the private key.
    pub fn private_key(mut self, path: impl Into<PathBuf>) -> Self {
        self.private_key = Some(path.into());
        self
    }

    /// Feeds `password` to `sudo -S`.
    pub fn sudo_password(mut self, password: Secret) -> Self {
        self.sudo_password = Some(password);
        self
    }

    /// Runs without sudo.
    pub fn no_sudo(mut self, on: bool) -> Self {
        self.no_sudo = on;
        self
    }

    /// Runs as `user` through sudo.
    pub fn sudo_user(mut self, user: impl Into<String>) -> Self {
        self.sudo_user = Some(user.into());
        self
    }

    /// Does running a script need sudo? Not for root (unless `sudo_user`), not with `no_sudo`.
    pub fn uses_sudo(&self) -> bool {
        !self.no_sudo && (self.username != "root" || self.sudo_user.is_some())
    }

    /// The public key file.
    pub fn public_key_path(&self) -> Option<PathBuf> {
        self.public_key.clone().or_else(|| {
            self.private_key.as_ref().map(|p| {
                let mut s = p.clone().into_os_string();
                s.push(".pub");
                PathBuf::from(s)
            })
        })
    }
}

/// The fixed remote command that runs a script of `len` bytes sent on stdin.
pub fn bootstrap_command(len: usize, user: &AdminUser) -> String {
    let run = if user.uses_sudo() {
        let as_user = user
            .sudo_user
            .as_ref()
            .map(|u| format!("-u {} ", quote_str(u).expect("user names hold no NUL")))
            .unwrap_or_default();
        if user.sudo_password.is_some() {
            // The password line follows the script on stdin; sudo reads it, the script gets /dev/null.
            format!("sudo -S -p '' {as_user}sh -c 'exec sh \"$1\" </dev/null' sh \"$f\"")
        } else {
            format!("sudo -n {as_user}sh \"$f\" </dev/null")
        }
    } else {
        "sh \"$f\" </dev/null".to_string()
    };
    format!(
        "f=$(mktemp \"${{TMPDIR:-/tmp}}/pallet.XXXXXXXX\") || exit 97; head -c {len} >\"$f\" || {{ rm -f \"$f\"; exit 97; }}; {run}; rc=$?; rm -f \"$f\"; exit $rc"
    )
}

/// The stdin that goes with [`bootstrap_command`]: the script, then the sudo password line.
pub fn bootstrap_stdin(script: &[u8], user: &AdminUser) -> Vec<u8> {
    let mut v = script.to_vec();
    if let (true, Some(p)) = (user.uses_sudo(), &user.sudo_password) {
        v.extend_from_slice(p.expose().as_bytes());
        v.push(b'\n');
    }
    v
}

/// How a script run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutcome {
    /// The exit status (`None` when killed by a signal).
    pub exit_code: Option<i32>,
    /// The transport's stderr (outside the actions' own, which the script captures).
    pub stderr: Vec<u8>,
}

/// Why a transport failed (the node could not run the script at all).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransportError {
    /// No connection: refused, timed out, no route, host key or authentication failure.
    #[error("cannot connect to {target}: {message}")]
    Connect {
        /// `user@host:port`.
        target: String,
        /// What ssh said.
        message: String,
    },
    /// The connection broke while running.
    #[error("connection to {target} lost: {message}")]
    Lost {
        /// `user@host:port`.
        target: String,
        /// What happened.
        message: String,
    },
    /// A local process could not be started.
    #[error("cannot run {what}: {message}")]
    Spawn {
        /// What.
        what: String,
        /// The I/O error.
        message: String,
    },
    /// The run took longer than allowed.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

/// A connection to one node that runs scripts.
pub enum Transport {
    /// Over SSH.
    Ssh(ssh::SshTransport),
    /// With a local `sh`.
    Local(local::LocalTransport),
}

impl Transport {
    /// Runs `script`, calling `on_stdout` with each chunk of its stdout as it arrives.
    ///
    /// # Errors
    /// [`TransportError`] when the script could not be run or the connection broke.
    pub async fn run(
        &self,
        script: &[u8],
        user: &AdminUser,
        on_stdout: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<ExecOutcome, TransportError> {
        match self {
            Transport::Ssh(t) => t.run(script, user, on_stdout).await,
            Transport::Local(t) => t.run(script, user, on_stdout).await,
        }
    }

    /// Closes the connection (stops the SSH master).
    pub async fn close(self) {
        if let Transport::Ssh(t) = self {
            t.close().await;
        }
    }
}

/// Feeds `input` to a child's stdin (then closes it), hands its stdout to `on_stdout` as it
/// arrives and collects its stderr, until both streams end.
pub(crate) async fn drive<W, O, E>(
    mut stdin: W,
    stdout: O,
    mut stderr: E,
    input: Vec<u8>,
    on_stdout: &mut (dyn FnMut(&[u8]) + Send),
) -> std::io::Result<Vec<u8>>
where
    W: tokio::io::AsyncWrite + Unpin,
    O: tokio::io::AsyncRead + Unpin,
    E: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let writer = async move {
        let _ = stdin.write_all(&input).await;
        let _ = stdin.shutdown().await;
    };
    let mut err = Vec::new();
    let (_, out, _) = tokio::join!(writer, pump(stdout, on_stdout), async {
        let _ = stderr.read_to_end(&mut err).await;
    });
    out.map(|()| err)
}

/// Reads `reader` to its end, handing each chunk to `f`.
pub(crate) async fn pump<R: tokio::io::AsyncRead + Unpin>(
    mut reader: R,
    f: &mut (dyn FnMut(&[u8]) + Send),
) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        f(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_variants() {
        let plain = AdminUser::new("admin");
        assert!(bootstrap_command(10, &plain).contains("head -c 10 >\"$f\""));
        assert!(bootstrap_command(10, &plain).contains("sudo -n sh \"$f\" </dev/null"));
        let root = AdminUser::new("root");
        assert!(!bootstrap_command(10, &root).contains("sudo"));
        let pw = AdminUser::new("admin").sudo_password(Secret::new("pa ss"));
        assert!(bootstrap_command(10, &pw).contains("sudo -S -p ''"));
        assert!(!bootstrap_command(10, &pw).contains("pa ss"), "the password is never on the command line");
        assert_eq!(bootstrap_stdin(b"s", &pw), b"spa ss\n");
        assert_eq!(format!("{:?}", Secret::new("x")), "Secret(***)");
    }
}
