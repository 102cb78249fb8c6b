//! Containers as nodes, through the podman or docker command line.
//!
//! Each node is a container named `<group>-<n>` (lowest free `n`), labelled
//! `pallet.managed=1` and `pallet.group=<group>` at creation (so a container is never left
//! unlabelled, even when an operation is cancelled), with its SSH port and the node spec's
//! inbound ports published on 127.0.0.1 only. When the image has no sshd, the provider installs
//! it through the engine's `exec` (apt, dnf, yum, apk), then authorizes the admin key for `root`
//! (the image's login user) and starts sshd. State flags (`bootstrapped`) live in a directory on
//! the controller, one file per container id.
//!
//! It lists the engine's local images (`images`, filtered by reference) and, as its hardware,
//! this machine (containers share it).

use super::{BoxFuture, ComputeError, ComputeService, HardwareInfo, ImageInfo, ImageQuery};
use crate::node::Node;
use crate::spec::GroupSpec;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The label every managed container carries.
pub const MANAGED_LABEL: &str = "pallet.managed";
/// The label holding the group name.
pub const GROUP_LABEL: &str = "pallet.group";
/// The label holding the image's login user (from the group's node spec), authorized with the
/// admin key at creation and at every repair.
pub const LOGIN_USER_LABEL: &str = "pallet.login_user";
/// The label naming the admin key a container was made for (the start of the key's SHA-256):
/// only a service with that key repairs the container on adoption.
pub const KEY_LABEL: &str = "pallet.key";

/// A container engine used as a compute service.
#[derive(Debug, Clone)]
pub struct Containers {
    engine: String,
    engine_args: Vec<String>,
    run_args: Vec<String>,
    default_image: String,
    authorized_key: Option<String>,
    state_dir: PathBuf,
    ready_timeout: Duration,
}

const SETUP: &str = r#"set -e
if [ ! -x /usr/sbin/sshd ]; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
  elif command -v dnf >/dev/null 2>&1; then dnf install -y -q openssh-server
  elif command -v yum >/dev/null 2>&1; then yum install -y -q openssh-server
  elif command -v apk >/dev/null 2>&1; then apk add -q openssh
  else echo "no sshd in the image and no known package manager" >&2; exit 1
  fi
fi
mkdir -p /run/sshd /root/.ssh
chmod 700 /root/.ssh
ssh-keygen -A >/dev/null
if [ -n "$PALLET_KEY" ]; then
  grep -qxF "$PALLET_KEY" /root/.ssh/authorized_keys 2>/dev/null || printf '%s\n' "$PALLET_KEY" >> /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
  # The image's own login user (as cloud-init does for an image's default user).
  u=$PALLET_LOGIN_USER
  if [ -n "$u" ] && [ "$u" != root ]; then
    h=$(awk -F: -v u="$u" '$1 == u { print $6 }' /etc/passwd)
    if [ -n "$h" ]; then
      mkdir -p "$h/.ssh"
      grep -qxF "$PALLET_KEY" "$h/.ssh/authorized_keys" 2>/dev/null || printf '%s\n' "$PALLET_KEY" >> "$h/.ssh/authorized_keys"
      chown -R "$u:" "$h/.ssh"; chmod 700 "$h/.ssh"; chmod 600 "$h/.ssh/authorized_keys"
    fi
  fi
fi
if ! [ -f /run/sshd.pid ] || ! kill -0 "$(cat /run/sshd.pid)" 2>/dev/null; then
  /usr/sbin/sshd -o PermitRootLogin=prohibit-password -o PidFile=/run/sshd.pid
fi
"#;

impl Containers {
    /// A service on `engine` (`podman` or `docker`) creating nodes from `default_image` (unless
    /// a node spec names an image id), authorizing `authorized_key` for root.
    pub fn new(engine: impl Into<String>, default_image: impl Into<String>) -> Containers {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        let state = std::env::var("XDG_STATE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(home).join(".local/state"));
        Containers {
            engine: engine.into(),
            engine_args: Vec::new(),
            run_args: Vec::new(),
            default_image: default_image.into(),
            authorized_key: None,
            state_dir: state.join("pallet/containers"),
            ready_timeout: Duration::from_secs(120),
        }
    }

    /// Arguments before every engine subcommand (`--runtime runc` for podman on hosts with
    /// hybrid cgroups).
    pub fn engine_args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.engine_args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Extra arguments of `run` (`--ulimit nofile=1024:1024 --ulimit nproc=1024:1024` here).
    pub fn run_args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.run_args = args.into_iter().map(Into::into).collect();
        self
    }

    /// The public key root accepts (the admin user's key).
    pub fn authorized_key(mut self, key: impl Into<String>) -> Self {
        self.authorized_key = Some(key.into().trim().to_string());
        self
    }

    /// Where state flags are kept (default `$XDG_STATE_HOME/pallet/containers`).
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = dir.into();
        self
    }

    /// The value of [`KEY_LABEL`] for this service's key (`none` without a key).
    fn key_label(&self) -> String {
        use sha2::Digest;
        match &self.authorized_key {
            Some(k) => sha2::Sha256::digest(k.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect(),
            None => "none".to_string(),
        }
    }

    fn err(&self, message: impl Into<String>) -> ComputeError {
        ComputeError::Provider { service: self.engine.clone(), message: message.into() }
    }

    async fn engine(&self, args: &[&str]) -> Result<String, ComputeError> {
        // In a process group of its own: a Ctrl-C at the terminal (SIGINT to the foreground group)
        // must not kill a container's setup half-way; the operation stops between steps instead.
        // A blocking task, run to its end even when the operation is cancelled (the runtime
        // waits for blocking tasks when it shuts down): an engine killed half-way through `run`
        // can leave a container it then fails to remove (its shm still mounted), and an engine
        // left running would outlive the program.
        use std::os::unix::process::CommandExt;
        let mut cmd = std::process::Command::new(&self.engine);
        cmd.args(&self.engine_args).args(args).stdin(std::process::Stdio::null()).process_group(0);
        let what = self.engine.clone();
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .map_err(|e| self.err(format!("running {what}: {e}")))?
            .map_err(|e| self.err(format!("cannot run {}: {e}", self.engine)))?;
        if !out.status.success() {
            return Err(self.err(format!(
                "`{} {}` failed: {}",
                self.engine,
                args.first().copied().unwrap_or(""),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn flags_of(&self, id: &str) -> BTreeSet<String> {
        std::fs::read_to_string(self.state_dir.join(id))
            .map(|s| s.lines().filter(|l| !l.is_empty()).map(String::from).collect())
            .unwrap_or_default()
    }

    async fn inspect(&self, ids: &[String]) -> Result<Vec<Node>, ComputeError> {
        Ok(self.inspect_labelled(ids).await?.into_iter().map(|(n, _)| n).collect())
    }

    /// The containers `ids` as nodes, each with its [`KEY_LABEL`].
    async fn inspect_labelled(&self, ids: &[String]) -> Result<Vec<(Node, String)>, ComputeError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["inspect"];
        args.extend(ids.iter().map(String::as_str));
        let items: Vec<serde_json::Value> = match self.engine(&args).await {
            Ok(text) => serde_json::from_str(&text).map_err(|e| self.err(format!("inspect output: {e}")))?,
            // A container removed since it was listed fails the whole call: inspect one by
            // one and leave out the ones that are gone.
            Err(_) => {
                let mut items = Vec::new();
                for id in ids {
                    if let Ok(text) = self.engine(&["inspect", id]).await
                        && let Ok(mut v) = serde_json::from_str::<Vec<serde_json::Value>>(&text)
                    {
                        items.append(&mut v);
                    }
                }
                items
            }
        };
        let mut nodes = Vec::new();
        for it in items {
            let id = it["Id"].as_str().unwrap_or_default().to_string();
            let name = it["Name"].as_str().unwrap_or_default().trim_start_matches('/').to_string();
            let group = it["Config"]["Labels"][GROUP_LABEL].as_str().unwrap_or_default().to_string();
            let key = it["Config"]["Labels"][KEY_LABEL].as_str().unwrap_or_default().to_string();
            let running = it["State"]["Running"].as_bool().unwrap_or(false);
            let ip = it["NetworkSettings"]["IPAddress"].as_str().filter(|s| !s.is_empty()).map(String::from);
            let mut published = BTreeMap::new();
            if let Some(ports) = it["NetworkSettings"]["Ports"].as_object() {
                for (k, v) in ports {
                    let Some(port) = k.split('/').next().and_then(|p| p.parse::<u16>().ok()) else { continue };
                    if let Some(b) = v.as_array().and_then(|a| a.first()) {
                        let host_ip = b["HostIp"].as_str().filter(|s| !s.is_empty()).unwrap_or("127.0.0.1");
                        if let Some(hp) = b["HostPort"].as_str() {
                            published.insert(port, format!("{host_ip}:{hp}"));
                        }
                    }
                }
            }
            let ssh_port =
                published.get(&22).and_then(|a| a.rsplit(':').next()).and_then(|p| p.parse().ok()).unwrap_or(0);
            let mut node = Node::new(name, group, "127.0.0.1").ssh_port(ssh_port);
            node.flags = self.flags_of(&id);
            node.id = id;
            node.running = running && ssh_port != 0;
            node.private_ip = ip;
            node.published = published;
            nodes.push((node, key));
        }
        nodes.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(nodes)
    }

    async fn managed_ids(&self) -> Result<Vec<String>, ComputeError> {
        let out =
            self.engine(&["ps", "-a", "-q", "--no-trunc", "--filter", &format!("label={MANAGED_LABEL}=1")]).await?;
        Ok(out.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
    }

    /// Installs and starts sshd in container `name`, then waits until it answers.
    async fn make_ready(&self, name: &str) -> Result<(), ComputeError> {
        let key = format!("PALLET_KEY={}", self.authorized_key.clone().unwrap_or_default());
        let format = format!("{{{{index .Config.Labels \"{LOGIN_USER_LABEL}\"}}}}");
        let login = self.engine(&["inspect", "--format", &format, name]).await.unwrap_or_default();
        let login = format!("PALLET_LOGIN_USER={}", login.trim().trim_start_matches("<no value>"));
        self.engine(&["exec", "-e", &key, "-e", &login, name, "sh", "-c", SETUP]).await?;
        let node =
            self.inspect(&[name.to_string()]).await?.pop().ok_or_else(|| self.err(format!("{name} vanished")))?;
        let deadline = Instant::now() + self.ready_timeout;
        loop {
            if ssh_banner(&format!("127.0.0.1:{}", node.ssh_port)).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(self.err(format!("{name}: sshd did not answer within {:?}", self.ready_timeout)));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn create_one(&self, group: &GroupSpec, name: String) -> Result<Node, ComputeError> {
        let spec = group.server().effective().node_spec().clone();
        let image = spec.image.image_id.clone().unwrap_or_else(|| self.default_image.clone());
        let mut args: Vec<String> = vec![
            "run".into(),
            "-d".into(),
            "--name".into(),
            name.clone(),
            "--hostname".into(),
            name.clone(),
            "--label".into(),
            format!("{MANAGED_LABEL}=1"),
            "--label".into(),
            format!("{GROUP_LABEL}={}", group.name()),
            "--label".into(),
            format!("{LOGIN_USER_LABEL}={}", spec.image.login_user.clone().unwrap_or_default()),
            "--label".into(),
            format!("{KEY_LABEL}={}", self.key_label()),
            "-p".into(),
            "127.0.0.1::22".into(),
        ];
        for p in spec.network.inbound_ports.iter().filter(|p| **p != 22) {
            args.push("-p".into());
            args.push(format!("127.0.0.1::{p}"));
        }
        args.extend(self.run_args.iter().cloned());
        args.push(image);
        args.extend(["sleep".to_string(), "infinity".to_string()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        // Held until the setup is done, so a concurrent operation does not "repair" this node.
        let _lock = setup_lock(&name, true);
        self.engine(&refs).await?;
        if let Err(e) = self.make_ready(&name).await {
            // Never leave a half-made node behind: it is labelled, but remove it and report.
            let _ = self.engine(&["rm", "-f", "-t", "0", &name]).await;
            return Err(e);
        }
        self.inspect(std::slice::from_ref(&name)).await?.pop().ok_or_else(|| self.err(format!("{name} vanished")))
    }
}

/// The lock a container's setup holds: a file per container name in a per-user directory of the
/// temp dir. `wait` blocks until it is free.
enum SetupLock {
    /// Taken; released when dropped.
    Held(#[allow(dead_code)] std::fs::File),
    /// Another process holds it: that container is being set up right now.
    Busy,
    /// No lock file could be made: setups are not serialized.
    Unavailable,
}

fn setup_lock(name: &str, wait: bool) -> SetupLock {
    let dir = crate::transport::ssh::default_control_dir().join("container-setup");
    let open = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(name)));
    let Ok(f) = open else { return SetupLock::Unavailable };
    let locked = if wait { f.lock().is_ok() } else { f.try_lock().is_ok() };
    if locked { SetupLock::Held(f) } else { SetupLock::Busy }
}

/// The `images` template: the same fields in podman and docker.
const IMAGES_FORMAT: &str = "{{.ID}}\t{{.Repository}}\t{{.Tag}}\t{{.CreatedAt}}\t{{.Size}}";

/// Parses `images --format IMAGES_FORMAT` output: one image per line; `<none>` names are none.
fn parse_images(text: &str) -> Vec<ImageInfo> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t').map(str::trim);
            let mut next = || f.next().filter(|v| !v.is_empty()).map(String::from);
            let id = next().unwrap_or_default();
            let repo = next().filter(|r| r != "<none>");
            let tag = next().filter(|t| t != "<none>");
            let name = repo.map(|r| match tag {
                Some(t) => format!("{r}:{t}"),
                None => r,
            });
            ImageInfo { id, name, created: next(), size: next(), ..ImageInfo::default() }
        })
        .collect()
}

/// Does something at `addr` speak SSH?
async fn ssh_banner(addr: &str) -> bool {
    use tokio::io::AsyncReadExt;
    let Ok(Ok(mut s)) = tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await else {
        return false;
    };
    let mut buf = [0u8; 4];
    matches!(tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut buf)).await, Ok(Ok(_)) if &buf == b"SSH-")
}

impl ComputeService for Containers {
    fn name(&self) -> &str {
        &self.engine
    }

    fn creates_nodes(&self) -> bool {
        true
    }

    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>> {
        Box::pin(async move {
            let ids = self.managed_ids().await?;
            let mut nodes = self.inspect_labelled(&ids).await?;
            // Adoption repairs: a managed container whose sshd does not answer (its setup was
            // cut short) gets the idempotent setup again; one that still does not answer is
            // reported as not running, so converge replaces it.
            // A container another operation is still setting up (its creation lock is held) is
            // left alone, and so is one made for another admin key (another program's): its
            // setup would authorize this program's key on it.
            let ours = self.key_label();
            for (n, _) in nodes.iter_mut().filter(|(n, key)| n.running && *key == ours) {
                if !ssh_banner(&format!("127.0.0.1:{}", n.ssh_port)).await {
                    let _lock = match setup_lock(&n.name, false) {
                        SetupLock::Busy => continue,
                        held => held,
                    };
                    tracing::info!("{}: sshd does not answer; running the node setup again", n.name);
                    if self.make_ready(&n.name).await.is_err() {
                        n.running = false;
                    }
                }
            }
            Ok(nodes.into_iter().map(|(n, _)| n).collect())
        })
    }

    fn images<'a>(&'a self, query: &'a ImageQuery) -> BoxFuture<'a, Result<Vec<ImageInfo>, ComputeError>> {
        Box::pin(async move {
            if !query.owners.is_empty() {
                return Err(ComputeError::unsupported(&self.engine, "filter images by owner"));
            }
            let mut args = vec!["images".to_string(), "--format".into(), IMAGES_FORMAT.into()];
            if let Some(n) = &query.name {
                args.extend(["--filter".into(), format!("reference={n}")]);
            }
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            Ok(parse_images(&self.engine(&refs).await?))
        })
    }

    fn hardware(&self) -> BoxFuture<'_, Result<Vec<HardwareInfo>, ComputeError>> {
        Box::pin(async move { Ok(vec![HardwareInfo::this_machine("containers share this machine")]) })
    }

    fn create_nodes<'a>(
        &'a self,
        group: &'a GroupSpec,
        count: usize,
    ) -> BoxFuture<'a, Result<Vec<Node>, ComputeError>> {
        Box::pin(async move {
            let existing = self.nodes().await?;
            let taken: BTreeSet<String> = existing.iter().map(|n| n.name.clone()).collect();
            let mut names = Vec::new();
            let mut k = 1;
            while names.len() < count {
                let n = format!("{}-{k}", group.name());
                if !taken.contains(&n) {
                    names.push(n);
                }
                k += 1;
            }
            let results = futures_util::future::join_all(names.into_iter().map(|n| self.create_one(group, n))).await;
            let mut nodes = Vec::new();
            let mut errors = Vec::new();
            for r in results {
                match r {
                    Ok(n) => nodes.push(n),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            if !errors.is_empty() {
                return Err(self.err(format!("creating {} node(s): {}", group.name(), errors.join("; "))));
            }
            Ok(nodes)
        })
    }

    fn destroy_nodes<'a>(&'a self, nodes: &'a [Node]) -> BoxFuture<'a, Result<(), ComputeError>> {
        Box::pin(async move {
            if nodes.is_empty() {
                return Ok(());
            }
            let mut args = vec!["rm", "-f", "-t", "0"];
            args.extend(nodes.iter().map(|n| n.id.as_str()));
            self.engine(&args).await?;
            for n in nodes {
                let _ = std::fs::remove_file(self.state_dir.join(&n.id));
            }
            Ok(())
        })
    }

    fn set_flag<'a>(&'a self, node: &'a Node, flag: &'a str) -> BoxFuture<'a, Result<(), ComputeError>> {
        Box::pin(async move {
            std::fs::create_dir_all(&self.state_dir)
                .map_err(|e| self.err(format!("{}: {e}", self.state_dir.display())))?;
            let mut flags = self.flags_of(&node.id);
            flags.insert(flag.to_string());
            let text: String = flags.iter().map(|f| format!("{f}\n")).collect();
            let path = self.state_dir.join(&node.id);
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| self.err(format!("{}: {e}", path.display())))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_output_parses_with_and_without_names() {
        let text = "775888a6cd53\tlocalhost/pallet-debian\t12\t2026-12-01 08:52:24 +0000 UTC\t200 MB\n\
                    ae7aea00ca7e\t<none>\t<none>\t2026-12-01 08:52:24 +0000 UTC\t200 MB\n\n";
        let images = parse_images(text);
        assert_eq!(images.len(), 2);
        assert_eq!(images[0].id, "775888a6cd53");
        assert_eq!(images[0].name.as_deref(), Some("localhost/pallet-debian:12"));
        assert_eq!(images[0].created.as_deref(), Some("2026-12-01 08:52:24 +0000 UTC"));
        assert_eq!(images[0].size.as_deref(), Some("200 MB"));
        assert_eq!(images[1].name, None);
    }
}
