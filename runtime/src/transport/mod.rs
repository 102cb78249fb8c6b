//! Transports: how a script reaches a node. A [`Connector`] opens a [`Transport`] to a node;
//! the node's compute service chooses the connector
//! ([`ComputeService::connector`](crate::compute::ComputeService::connector)): SSH through
//! OpenSSH's ControlMaster ([`ssh`], the default) or a local `sh` ([`local`]); a provider may
//! bring its own (e.g. `podman exec`).
//!
//! Script delivery is the same for every transport (see ARCHITECTURE.md, "Invariants"): one
//! fixed bootstrap command reads exactly the script's length from stdin into a private
//! temporary file and runs it with `sh`, stdin from `/dev/null` — never `sh -s`, where a command
//! of the script could eat the rest of it. With sudo the script runs as `sudo -n sh FILE` (or
//! `sudo -S` reading the password that follows the script on stdin; the password never appears
//! on a command line, in a log or a report). [`delivery`] holds that command and the I/O pump.

pub mod delivery;
pub mod local;
pub mod ssh;

use crate::BoxFuture;
use crate::node::Node;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use delivery::{bootstrap_command, bootstrap_stdin};
pub use local::LocalConnector;
pub use ssh::{SshConnector, SshOptions};

/// A secret string (password, passphrase): deserialized from a plain string (serde
/// `transparent`), shown as `Secret(***)` by `Debug`, and it implements no `Serialize`, so a
/// configuration holding one cannot be published or printed by accident. Plan crates use it
/// for their passwords (`pallet_redis::Password` is this type); it reaches nodes only inside
/// files and scripts marked secret (masked in `plan`, check-mode output and reports).
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
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
    #[error("cannot connect to {target}: {cause}: {message}")]
    Connect {
        /// `user@host:port`.
        target: String,
        /// Why, as far as the message tells.
        cause: ConnectCause,
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
    #[error("stopped: the {what} of {limit:?} passed")]
    Timeout {
        /// Which limit (`phase timeout`, `operation deadline`).
        what: &'static str,
        /// The limit as configured.
        limit: Duration,
    },
    /// The admin user cannot be used as given (e.g. a NUL in a name).
    #[error("invalid admin user: {0}")]
    InvalidUser(String),
}

/// Why a connection could not be made, read from the SSH client's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConnectCause {
    /// The host name does not resolve.
    #[error("the host name does not resolve")]
    NameResolution,
    /// Nothing listens on the port.
    #[error("connection refused")]
    Refused,
    /// No answer in time (TCP connect or SSH handshake).
    #[error("timed out")]
    TimedOut,
    /// No route to the host or network.
    #[error("no route to the host")]
    Unreachable,
    /// The peer closed the connection during the handshake.
    #[error("closed during the handshake")]
    Closed,
    /// The host's key differs from the one on record (a reinstalled host, or an attack).
    #[error("the host key CHANGED")]
    HostKeyChanged,
    /// The host's key is not known and the policy does not accept new ones.
    #[error("the host key is unknown")]
    HostKeyUnknown,
    /// The server refused the user's key or credentials.
    #[error("authentication failed")]
    Authentication,
    /// Anything else.
    #[error("connection failed")]
    Other,
}

impl ConnectCause {
    /// Reads the cause from an SSH client error message.
    pub fn classify(message: &str) -> ConnectCause {
        let m = message.to_ascii_lowercase();
        let has = |needle: &str| m.contains(needle);
        if has("identification has changed") || has("host key for") && has("has changed") {
            ConnectCause::HostKeyChanged
        } else if has("host key verification failed") || has("host key is known") {
            ConnectCause::HostKeyUnknown
        } else if has("could not resolve hostname") || has("name or service not known") || has("name resolution") {
            ConnectCause::NameResolution
        } else if has("connection refused") {
            ConnectCause::Refused
        } else if has("timed out") || has("no answer within") {
            ConnectCause::TimedOut
        } else if has("no route to host") || has("network is unreachable") {
            ConnectCause::Unreachable
        } else if has("permission denied") || has("too many authentication failures") {
            ConnectCause::Authentication
        } else if has("connection closed") || has("connection reset") || has("kex_exchange_identification") {
            ConnectCause::Closed
        } else {
            ConnectCause::Other
        }
    }

    /// Is another attempt worth it (the cause may pass by itself)?
    pub fn is_transient(self) -> bool {
        matches!(self, ConnectCause::Refused | ConnectCause::TimedOut | ConnectCause::Closed)
    }
}

/// A connection to one node that runs scripts. Open one with a [`Connector`].
pub trait Transport: Send + Sync {
    /// Runs `script` with its payload `data` (delivered as [`delivery`] describes) as `user`,
    /// calling `on_stdout` with each chunk of its stdout as it arrives.
    ///
    /// # Errors
    /// [`TransportError`] when the script could not be run or the connection broke; a script
    /// that ran and exited non-zero is `Ok` with its exit code.
    fn run<'a>(
        &'a self,
        script: &'a [u8],
        data: &'a [std::sync::Arc<[u8]>],
        user: &'a AdminUser,
        on_stdout: &'a mut (dyn FnMut(&[u8]) + Send),
    ) -> BoxFuture<'a, Result<ExecOutcome, TransportError>>;

    /// Closes the connection (stops an SSH master, or records a kept one for the next run).
    fn close(self: Box<Self>) -> BoxFuture<'static, ()>;

    /// Whether the connection still answers. An SSH master started to be kept after the run
    /// (`keep_connections`, OpenSSH's `ControlPersist`) exits once idle that long, which can
    /// happen within a run: between a node's probe and its phase while a thousand other nodes
    /// connect. Default: `true` (a connection that cannot go idle).
    fn alive(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { true })
    }
}

/// Opens [`Transport`]s to nodes (chosen per node by its compute service).
pub trait Connector: Send + Sync {
    /// Opens a connection to `node` as `user`.
    ///
    /// # Errors
    /// [`TransportError::Connect`] naming the target and what went wrong.
    fn connect<'a>(
        &'a self,
        node: &'a Node,
        user: &'a AdminUser,
        ssh: &'a SshOptions,
    ) -> BoxFuture<'a, Result<Box<dyn Transport>, TransportError>>;
}
