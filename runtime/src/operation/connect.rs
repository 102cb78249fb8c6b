//! Connections: one per node and login user (a ControlMaster each over SSH), opened on first use
//! within the handshake limit; the OS probe that turns a connected node into a plan target.

use super::facts_cache;
use super::members::Member;
use super::options::RunOptions;
use crate::facts::{Facts, FactsError, facts_part, parse_probe, probe_script};
use crate::node::Node;
use crate::plan::Target;
use crate::spec::{BOOTSTRAP, BOOTSTRAPPED};
use crate::transport::{AdminUser, Connector, Transport, TransportError};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Why a node could not be connected and identified.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectError {
    /// The transport failed (connection, authentication, host key).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The probe ran but failed.
    #[error("OS detection failed: {0}")]
    Probe(String),
    /// The probe did not finish in time (a login that hangs).
    #[error("the OS probe did not finish within {0:?} (probe timeout)")]
    ProbeTimeout(std::time::Duration),
    /// The probe's answer cannot be used (no os-release, sudo refused).
    #[error(transparent)]
    Facts(#[from] FactsError),
    /// The node's OS is not known and detection is off.
    #[error("the node's OS is unknown and OS detection is off")]
    OsUnknown,
}

/// A connection shared by the tasks of one node.
pub(crate) type SharedTransport = Arc<Box<dyn Transport>>;

/// A node's open connections, one per login user.
pub(crate) struct Conns {
    node: Node,
    connector: Arc<dyn Connector>,
    open: tokio::sync::Mutex<HashMap<String, SharedTransport>>,
    /// Connection attempts retried and not yet reported.
    retries: std::sync::atomic::AtomicU32,
    /// The cached facts the node's first phase must check (set when the probe was skipped).
    guard: std::sync::Mutex<Option<Arc<[u8]>>>,
}

impl Conns {
    pub(crate) fn new(node: Node, connector: Arc<dyn Connector>) -> Conns {
        Conns {
            node,
            connector,
            open: tokio::sync::Mutex::new(HashMap::new()),
            retries: Default::default(),
            guard: std::sync::Mutex::new(None),
        }
    }

    fn set_guard(&self, facts: Arc<[u8]>) {
        *self.guard.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(facts);
    }

    /// The facts guard for the node's first phase (taken: later phases run unguarded).
    pub(crate) fn take_guard(&self) -> Option<Arc<[u8]>> {
        self.guard.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    /// The connection retries since the last call (they go into the node's next result).
    pub(crate) fn take_retries(&self) -> u32 {
        self.retries.swap(0, std::sync::atomic::Ordering::Relaxed)
    }

    /// Connects as `user`, retrying transient failures `o.connect_retries` times with a
    /// doubling delay.
    async fn connect_with_retries(
        &self,
        user: &AdminUser,
        o: &RunOptions,
    ) -> Result<Box<dyn Transport>, TransportError> {
        let mut delay = o.connect_retry_delay;
        let mut attempt = 0;
        loop {
            match self.connector.connect(&self.node, user, &o.ssh).await {
                Err(TransportError::Connect { cause, .. }) if cause.is_transient() && attempt < o.connect_retries => {
                    attempt += 1;
                    self.retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::info!(
                        "{}: {cause}; retrying in {delay:?} ({attempt}/{})",
                        self.node.name,
                        o.connect_retries
                    );
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    /// The connection as `user`, opened on first use (within the handshake limit).
    pub(crate) async fn get(
        &self,
        user: &AdminUser,
        o: &RunOptions,
        handshakes: &Semaphore,
    ) -> Result<SharedTransport, TransportError> {
        let mut open = self.open.lock().await;
        if let Some(t) = open.get(&user.username) {
            // A master kept after runs (ControlPersist) may have gone idle too long already.
            if o.ssh.keep_connections.is_none() || t.alive().await {
                return Ok(t.clone());
            }
            tracing::info!("{}: the kept connection ended while idle; connecting again", self.node.name);
            open.remove(&user.username);
        }
        let t = {
            // The semaphore is never closed, so acquiring only fails if it were.
            let _permit = handshakes.acquire().await.ok();
            Arc::new(self.connect_with_retries(user, o).await?)
        };
        open.insert(user.username.clone(), t.clone());
        Ok(t)
    }

    /// Closes every connection (the phase tasks holding clones have ended by then).
    pub(crate) async fn close(&self) {
        let open = std::mem::take(&mut *self.open.lock().await);
        for (_, t) in open {
            match Arc::try_unwrap(t) {
                Ok(t) => t.close().await,
                Err(_) => tracing::warn!("connection to {} still in use at close; dropped", self.node.name),
            }
        }
    }
}

/// A member with its connections and its plan target (OS known).
#[derive(Clone)]
pub(crate) struct Connected {
    pub member: Member,
    pub target: Target,
    pub conns: Arc<Conns>,
}

/// The user a phase runs as on `m`'s node: for image-credential phases (and the first
/// connection) of nodes not yet bootstrapped, the image's login user — the group's
/// `image.login_user` with `image.login_key` (default: the admin user's key), else
/// [`RunOptions::image_user`] — otherwise the admin user. So groups on images with different
/// login users (root, admin, ec2-user, ubuntu) bootstrap in one operation.
pub(crate) fn user_for(m: &Member, image_credentials: bool, o: &RunOptions) -> AdminUser {
    if !image_credentials || m.node.has_flag(BOOTSTRAPPED) {
        return o.user.clone();
    }
    let image = &m.spec.node_spec().image;
    match (&image.login_user, &o.image_user) {
        (Some(login), _) => {
            let mut u = AdminUser::new(login.clone());
            u.private_key = image.login_key.clone().or_else(|| o.user.private_key.clone());
            u
        }
        (None, Some(u)) => u.clone(),
        (None, None) => o.user.clone(),
    }
}

/// Runs the probe on `transport` as `user` within `limit` and parses it. A user with passwordless
/// sudo is probed without sudo, with a sudo check in the probe; a user with a sudo password is
/// probed through `sudo -S`, so a wrong password shows here.
async fn probe(
    transport: &dyn Transport,
    user: &AdminUser,
    limit: std::time::Duration,
) -> Result<(Facts, Vec<u8>), ConnectError> {
    let with_password = user.uses_sudo() && user.sudo_password.is_some();
    let script = probe_script(user.uses_sudo() && !with_password);
    let mut out = Vec::new();
    let probe_user = if with_password { user.clone() } else { user.clone().no_sudo(true) };
    let mut collect = |c: &[u8]| out.extend_from_slice(c);
    let run = transport.run(&script, &[], &probe_user, &mut collect);
    let r = tokio::time::timeout(limit, run).await.map_err(|_| ConnectError::ProbeTimeout(limit))??;
    if r.exit_code != Some(0) {
        let message = String::from_utf8_lossy(&r.stderr).trim().to_string();
        if with_password {
            let cause = crate::facts::SudoCause::classify(&message);
            if cause != crate::facts::SudoCause::Other {
                return Err(FactsError::Sudo { cause, message }.into());
            }
        }
        return Err(ConnectError::Probe(message));
    }
    Ok((parse_probe(&out)?, out))
}

/// Connects to `node` as `o.user` with `connector`, probes it, and closes the connection: the
/// node's facts (for `plan` on nodes whose OS is not known).
///
/// # Errors
/// [`ConnectError`].
pub async fn detect_facts(node: &Node, connector: &dyn Connector, o: &RunOptions) -> Result<Facts, ConnectError> {
    let t = connector.connect(node, &o.user, &o.ssh).await?;
    let r = probe(t.as_ref(), &o.user, o.probe_timeout).await;
    t.close().await;
    r.map(|(f, _)| f)
}

/// Connects `m` (as the user its first phase needs) and finds its OS: the inventory's when
/// it states one (no probe: one exec per phase, nothing else), else the probe's.
pub(crate) async fn connect(
    m: Member,
    phases: Vec<String>,
    o: Arc<RunOptions>,
    handshakes: Arc<Semaphore>,
) -> Result<Connected, (Member, ConnectError, u32)> {
    let conns = Arc::new(Conns::new(m.node.clone(), m.service.connector(&m.node)));
    let bootstraps = m.spec.has_phase(BOOTSTRAP) && phases.iter().any(|p| p == BOOTSTRAP);
    let user = user_for(&m, bootstraps, &o);
    let identified = async {
        let transport = conns.get(&user, &o, &handshakes).await?;
        match (&m.node.os, o.os_detect) {
            (Some(os), _) => Ok(Facts::from_os(os.clone())),
            (None, false) => Err(ConnectError::OsUnknown),
            (None, true) => {
                // Facts known from an earlier run: no probe; the first phase checks them.
                if let Some(cached) = facts_cache::load(&o.controller_state, &m.node, &user.username)
                    && let Ok(f) = parse_probe(&cached)
                {
                    conns.set_guard(Arc::from(cached));
                    return Ok(f);
                }
                let (f, out) = probe(transport.as_ref().as_ref(), &user, o.probe_timeout).await?;
                facts_cache::store(&o.controller_state, &m.node, &user.username, &facts_part(&out));
                Ok(f)
            }
        }
    };
    let mut facts = match identified.await {
        Ok(f) => f,
        Err(e) => {
            conns.close().await;
            return Err((m, e, conns.take_retries()));
        }
    };
    if let Some(p) = m.spec.packager() {
        facts.os = facts.os.clone().with_packager(p);
    }
    let target =
        Target { node: m.node.clone(), os: facts.os.clone(), roles: m.spec.roles().clone(), facts: Arc::new(facts) };
    Ok(Connected { member: m, target, conns })
}
