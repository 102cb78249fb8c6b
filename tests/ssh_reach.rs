//! How nodes are reached, through the ops command line (`examples/motd.rs`) and the loopback
//! sshd fleet: a jump host (`--jump`, `[ssh] jump_hosts`) in front of nodes the controller cannot
//! reach itself, a user's ssh_config (`[ssh] config_file`, `--ssh-config`) naming hosts by alias,
//! and a passphrase-protected key held by an ssh-agent the test starts.

use pallet_testkit::{Fleet, Quirk, USER};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(p.exists(), "{} is missing: `cargo test` builds the examples", p.display());
    p
}

/// `motd --keep-connections 0 ARGS` in `dir` with `HOME` there (no key of this machine is picked
/// up) and no agent unless `agent` names one; `netns` runs it inside that network namespace.
fn motd(dir: &Path, args: &[&str], agent: Option<&Path>, netns: Option<&Path>) -> Output {
    let mut c = match netns {
        Some(ns) => {
            let mut c = Command::new("nsenter");
            c.arg(format!("--net={}", ns.display())).arg("--").arg(bin("motd"));
            c
        }
        None => Command::new(bin("motd")),
    };
    // Masters are not kept: each run makes its own connections (counted at the bastion).
    c.args(["--keep-connections", "0"])
        .args(args)
        .current_dir(dir)
        .env_remove("PALLET_CONFIG")
        .env_remove("SSH_AUTH_SOCK")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("no-config"));
    if let Some(a) = agent {
        c.env("SSH_AUTH_SOCK", a);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pallet-reach-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An inventory of group `app`: `(address, port)` per node.
fn inventory(dir: &Path, nodes: &[(String, Option<u16>)]) {
    let text: String = nodes
        .iter()
        .enumerate()
        .map(|(i, (a, p))| {
            let port = p.map(|p| format!("port = {p}\n")).unwrap_or_default();
            format!("[[node]]\nname = \"app-{}\"\ngroup = \"app\"\naddress = \"{a}\"\n{port}\n", i + 1)
        })
        .collect();
    std::fs::write(dir.join("inventory.toml"), text).unwrap();
}

/// `pallet.toml`: the node list, the admin user (with `key` if given), then `extra`.
fn config(dir: &Path, key: Option<&Path>, extra: &str) {
    let key = key.map(|k| format!("private_key = \"{}\"\n", k.display())).unwrap_or_default();
    std::fs::write(
        dir.join("pallet.toml"),
        format!(
            "default_service = \"fleet\"\n[services.fleet]\nprovider = \"node-list\"\ninventory = \"inventory.toml\"\n\
             [admin_user]\nusername = \"{USER}\"\n{key}{extra}"
        ),
    )
    .unwrap();
}

fn motd_written(fleet: &Fleet, i: usize) -> bool {
    std::fs::read_to_string(fleet.hosts[i].path("/srv/app/motd"))
        .is_ok_and(|t| t.starts_with(&format!("Welcome to app-{}", i + 1)))
}

/// Removes the motd inside each host (its overlay's upper directory must not be written
/// while it is mounted).
fn reset_motd(fleet: &Fleet) {
    for h in &fleet.hosts {
        let o = h.root_sh("rm -f /srv/app/motd");
        assert!(o.status.success(), "{o:?}");
    }
}

/// A network namespace this test creates, joined to this one by a veth pair with link-local
/// addresses `<prefix>.1` (here) and `<prefix>.2` (there); its loopback has nothing listening.
/// Its holder process is killed by PID on drop, which removes the namespace and the pair.
struct Netns {
    holder: Child,
    veth: String,
    here: String,
}

fn sh(cmd: &str) {
    let o = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    assert!(o.status.success(), "{cmd}: {}", String::from_utf8_lossy(&o.stderr));
}

impl Netns {
    fn start() -> Netns {
        let holder = Command::new("unshare")
            .args(["--net", "--", "sleep", "600"])
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("unshare runs");
        let pid = holder.id();
        let mine = std::fs::read_link("/proc/self/ns/net").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_link(format!("/proc/{pid}/ns/net")).map_or(true, |l| l == mine) {
            assert!(Instant::now() < deadline, "the namespace did not appear");
            std::thread::sleep(Duration::from_millis(10));
        }
        let me = std::process::id();
        // Link-local /30s, never 169.254.169.x (instance metadata).
        let (net, base) = (100 + me % 60, 4 * (me % 60));
        let here = format!("169.254.{net}.{}", base + 1);
        let there = format!("169.254.{net}.{}", base + 2);
        let (veth, peer) = (format!("plh{}", me % 1_000_000), format!("pln{}", me % 1_000_000));
        let ns = Netns { holder, veth: veth.clone(), here: here.clone() };
        sh(&format!(
            "ip link add {veth} type veth peer name {peer} && ip link set {peer} netns {pid} && \
             ip addr add {here}/30 dev {veth} && ip link set {veth} up && \
             nsenter --net=/proc/{pid}/ns/net sh -c 'ip link set lo up && ip addr add {there}/30 dev {peer} && ip link set {peer} up'"
        ));
        ns
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/net", self.holder.id()))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", &self.veth]).output();
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// An sshd this test starts as the bastion: on `address:port`, the fleet's users and keys,
/// forwarding allowed; stopped by PID on drop.
struct Bastion {
    child: Child,
    log: PathBuf,
}

impl Bastion {
    fn start(fleet: &Fleet, dir: &Path, address: &str) -> Bastion {
        let cfg = dir.join("bastion_config");
        std::fs::write(
            &cfg,
            format!(
                "Port {port}\nListenAddress {address}\nHostKey {d}/host_key\nPidFile none\nAuthorizedKeysFile {d}/authorized_keys\n\
                 AllowUsers {USER}\nStrictModes no\nPermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 UsePAM no\nUseDNS no\nAllowTcpForwarding yes\nLogLevel VERBOSE\n",
                port = fleet.port,
                d = fleet.dir.display()
            ),
        )
        .unwrap();
        let log = dir.join("bastion.log");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .process_group(0)
            .spawn()
            .expect("sshd runs");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect((address, fleet.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the bastion did not listen: {}",
                std::fs::read_to_string(&log).unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Bastion { child, log }
    }

    fn accepted(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("Accepted publickey"))
            .count()
    }
}

impl Drop for Bastion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_jump_host_reaches_nodes_the_controller_cannot() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    let d = temp("jump");
    let ns = Netns::start();
    let bastion = Bastion::start(&fleet, &d, &ns.here);
    inventory(&d, &fleet.hosts.iter().map(|h| (h.address.clone(), Some(fleet.port))).collect::<Vec<_>>());
    config(&d, Some(&fleet.key), "");
    let jump = format!("{USER}@{}:{}", ns.here, fleet.port);

    // Inside the namespace the nodes' loopback addresses lead nowhere.
    let o = motd(&d, &["--host-keys", "accept-new", "--connect-retries", "0", "lift"], None, Some(&ns.path()));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("connection refused"), "{out}");
    assert!((0..3).all(|i| !motd_written(&fleet, i)));
    assert_eq!(bastion.accepted(), 0);

    // Through the bastion (`--jump`): every node, one bastion login per node.
    let o = motd(&d, &["--host-keys", "accept-new", "--jump", &jump, "lift"], None, Some(&ns.path()));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!((0..3).all(|i| motd_written(&fleet, i)), "{out}");
    assert_eq!(bastion.accepted(), 3);
    assert!(fleet.hosts.iter().all(|h| h.connection_count() >= 1));

    // The same from the configuration (`[ssh] jump_hosts`).
    reset_motd(&fleet);
    config(&d, Some(&fleet.key), &format!("[ssh]\njump_hosts = [\"{jump}\"]\n"));
    let o = motd(&d, &["--host-keys", "accept-new", "lift"], None, Some(&ns.path()));
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!((0..3).all(|i| motd_written(&fleet, i)));
    assert_eq!(bastion.accepted(), 6);
    // No jump-host configuration is left behind.
    let left: Vec<_> = std::fs::read_dir(pallet::transport::ssh::default_control_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("jump-{}-", std::process::id())))
        .collect();
    assert!(left.is_empty());
    drop(bastion);
    drop(ns);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_users_ssh_config_names_hosts_by_alias() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 2]) else { return };
    let d = temp("alias");
    // HostName, Port, User and IdentityFile come from the file; the inventory has aliases only
    // (port 22, which pallet leaves to ssh_config) and the admin user no key.
    let mut cfg = format!(
        "Host node-a node-b\n  User {USER}\n  Port {}\n  IdentityFile {}\n  IdentitiesOnly yes\n",
        fleet.port,
        fleet.key.display()
    );
    for (alias, h) in ["node-a", "node-b"].iter().zip(&fleet.hosts) {
        cfg.push_str(&format!("Host {alias}\n  HostName {}\n", h.address));
    }
    std::fs::write(d.join("ssh_config"), cfg).unwrap();
    inventory(&d, &[("node-a".into(), None), ("node-b".into(), None)]);

    config(&d, None, "");
    let o = motd(&d, &["--host-keys", "accept-new", "--connect-retries", "0", "lift"], None, None);
    assert_eq!(o.status.code(), Some(1), "without the file the aliases mean nothing: {:?}", text(&o));
    assert!(text(&o).0.contains("does not resolve"), "{}", text(&o).0);

    let o = motd(&d, &["--host-keys", "accept-new", "--ssh-config", "ssh_config", "lift"], None, None);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(motd_written(&fleet, 0) && motd_written(&fleet, 1), "{:?}", text(&o));

    reset_motd(&fleet);
    config(&d, None, "[ssh]\nconfig_file = \"ssh_config\"\n");
    let o = motd(&d, &["--host-keys", "accept-new", "lift"], None, None);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(motd_written(&fleet, 0) && motd_written(&fleet, 1), "{:?}", text(&o));
    std::fs::remove_dir_all(&d).unwrap();
}

/// An ssh-agent this test starts on `socket`; killed by PID on drop.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(socket: PathBuf) -> Agent {
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("ssh-agent runs");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent did not listen");
            std::thread::sleep(Duration::from_millis(10));
        }
        Agent { child, socket }
    }

    /// `ssh-add KEY`, the passphrase given by an askpass script.
    fn add(&self, key: &Path, passphrase: &str, dir: &Path) {
        let askpass = dir.join("askpass.sh");
        std::fs::write(&askpass, format!("#!/bin/sh\nprintf '%s\\n' '{passphrase}'\n")).unwrap();
        std::fs::set_permissions(&askpass, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let o = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("DISPLAY", ":0")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "ssh-add: {}", String::from_utf8_lossy(&o.stderr));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_passphrase_protected_key_works_through_the_agent() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 2]) else { return };
    let d = temp("agent");
    let key = d.join("locked_key");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-C", "locked", "-N", "correct horse battery", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(pallet::transport::ssh::key_is_encrypted(&key));
    // The fleet takes the new key too (its authorized_keys file is the fleet's own).
    let mut auth = std::fs::OpenOptions::new().append(true).open(fleet.dir.join("authorized_keys")).unwrap();
    auth.write_all(&std::fs::read(d.join("locked_key.pub")).unwrap()).unwrap();
    inventory(&d, &fleet.hosts.iter().map(|h| (h.address.clone(), Some(fleet.port))).collect::<Vec<_>>());

    // Without the agent, the key cannot be used, and the error says what to do.
    config(&d, Some(&key), "");
    let o = motd(&d, &["--host-keys", "accept-new", "lift"], None, None);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("passphrase-protected") && out.contains(&format!("ssh-add {}", key.display())), "{out}");

    let agent = Agent::start(d.join("agent.sock"));
    agent.add(&key, "correct horse battery", &d);
    // No private key configured: the agent's key.
    config(&d, None, "");
    let o = motd(&d, &["--host-keys", "accept-new", "lift"], Some(&agent.socket), None);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(motd_written(&fleet, 0) && motd_written(&fleet, 1), "{:?}", text(&o));
    // The key configured: the agent signs for it.
    reset_motd(&fleet);
    config(&d, Some(&key), "");
    let o = motd(&d, &["--host-keys", "accept-new", "lift"], Some(&agent.socket), None);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(motd_written(&fleet, 0) && motd_written(&fleet, 1), "{:?}", text(&o));
    drop(agent);
    std::fs::remove_dir_all(&d).unwrap();
}
