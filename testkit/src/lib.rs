//! Test infrastructure: a fleet of sshd "hosts" on loopback addresses, the shell [`gate`] every
//! rendered script goes through, and the [`os`] list every rendering test covers.
//!
//! Each host is one `sshd -D -e` listening on its own 127.x.y.z address, started through
//! `unshare -m` with overlays on `/etc`, `/home`, `/var` and `/srv` (upper directories under the
//! fleet directory) and a private `/tmp`, so users, files and pallet's state are per host as on
//! separate machines. The real directories are never written. Hosts are stopped by PID (their
//! process group) when the fleet is dropped. Needs root.
//!
//! Users (created once on the machine if missing, password field `*` so `UsePAM no` accepts
//! them): `pallet-test` (NOPASSWD sudo), `pallet-pw` (sudo with password `pallet-pw-secret`).

pub mod gate;
pub mod os;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The login user with passwordless sudo.
pub const USER: &str = "pallet-test";
/// A user whose sudo needs a password.
pub const PW_USER: &str = "pallet-pw";
/// That user's password.
pub const PW_SECRET: &str = "pallet-pw-secret";

/// How a host deviates from the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quirk {
    /// A normal host.
    #[default]
    None,
    /// sshd accepts no key (authentication fails).
    RejectKey,
    /// The test user has no sudo rights on this host.
    NoSudo,
}

/// One running host.
pub struct Host {
    /// Its address.
    pub address: String,
    /// Its directory (overlay upper dirs, sshd config and log).
    pub dir: PathBuf,
    child: Child,
}

impl Host {
    /// A file as this host sees it (from the overlay upper directory, or the real file).
    pub fn path(&self, abs: &str) -> PathBuf {
        let rel = abs.trim_start_matches('/');
        for top in ["etc", "home", "var", "srv"] {
            if let Some(rest) = rel.strip_prefix(top) {
                return self.dir.join("up").join(top).join(rest.trim_start_matches('/'));
            }
        }
        PathBuf::from(abs)
    }

    /// Runs `cmd` with `sh -c` as root inside this host's mount namespace (its own `/etc`,
    /// `/home`, `/var`, `/srv`, `/tmp`), without SSH.
    pub fn root_sh(&self, cmd: &str) -> std::process::Output {
        Command::new("nsenter")
            .args(["-t", &self.child.id().to_string(), "-m", "--", "sh", "-c", cmd])
            .output()
            .expect("nsenter runs")
    }

    /// The length of sshd's log now (to count only what a later run adds).
    pub fn log_len(&self) -> u64 {
        std::fs::metadata(self.dir.join("sshd.log")).map(|m| m.len()).unwrap_or(0)
    }

    /// `(connections, exec requests)` sshd logged after offset `from` of its log.
    pub fn counts_since(&self, from: u64) -> (usize, usize) {
        let log = std::fs::read(self.dir.join("sshd.log")).unwrap_or_default();
        let tail = String::from_utf8_lossy(log.get(from as usize..).unwrap_or_default()).into_owned();
        (
            tail.lines().filter(|l| l.contains("Accepted publickey")).count(),
            tail.lines().filter(|l| l.contains("Starting session: command")).count(),
        )
    }

    /// The number of exec requests sshd logged (`Starting session: command`).
    pub fn exec_count(&self) -> usize {
        let log = std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("Starting session: command")).count()
    }

    /// The number of accepted connections sshd logged.
    pub fn connection_count(&self) -> usize {
        let log = std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("Accepted publickey")).count()
    }
}

/// A set of hosts; stops them when dropped.
pub struct Fleet {
    /// The hosts, in order.
    pub hosts: Vec<Host>,
    /// The SSH port every host listens on.
    pub port: u16,
    /// The client's private key.
    pub key: PathBuf,
    /// The fleet directory.
    pub dir: PathBuf,
}

static BLOCK: AtomicU32 = AtomicU32::new(0);

fn run(cmd: &str) -> std::process::Output {
    Command::new("sh").arg("-c").arg(cmd).output().expect("sh runs")
}

fn ensure_users() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let script = format!(
            "set -e
            mkdir -p /run/sshd && chmod 0755 /run/sshd
            id {USER} >/dev/null 2>&1 || useradd -m -s /bin/sh {USER}
            usermod -p '*' {USER}
            echo '{USER} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/{USER}
            chmod 0440 /etc/sudoers.d/{USER}
            id {PW_USER} >/dev/null 2>&1 || useradd -m -s /bin/sh {PW_USER}
            echo '{PW_USER}:{PW_SECRET}' | chpasswd
            echo '{PW_USER} ALL=(ALL) ALL' > /etc/sudoers.d/{PW_USER}
            chmod 0440 /etc/sudoers.d/{PW_USER}"
        );
        let out = run(&script);
        assert!(out.status.success(), "cannot create the test users: {}", String::from_utf8_lossy(&out.stderr));
    });
}

/// Is this process root?
pub fn is_root() -> bool {
    run("id -u").stdout == b"0\n"
}

/// Must the fleet tests run (CI)? Then a missing prerequisite is a failure, not a skip.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

impl Fleet {
    /// Starts `quirks.len()` hosts. Returns `None` (after saying why) when not root and not in CI.
    pub fn start(quirks: &[Quirk]) -> Option<Fleet> {
        let sshd = Path::new("/usr/sbin/sshd").exists();
        if !is_root() || !sshd {
            assert!(!required(), "CI must run the fleet tests (root: {}, sshd: {sshd})", is_root());
            eprintln!("skipping: the fleet needs root and /usr/sbin/sshd");
            return None;
        }
        ensure_users();
        let block = BLOCK.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let port = 20000 + (pid % 20000) as u16;
        // Outside /tmp, /etc, /home, /var and /srv, which the hosts replace with their own.
        let dir = PathBuf::from(format!("/run/pallet-fleet-{pid}-{block}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("client_key");
        let st = run(&format!(
            "ssh-keygen -q -t ed25519 -N '' -C fleet-host -f {d}/host_key && ssh-keygen -q -t ed25519 -N '' -C fleet-client -f {d}/client_key && cp {d}/client_key.pub {d}/authorized_keys && : > {d}/no_keys && chmod 644 {d}/authorized_keys {d}/no_keys",
            d = dir.display()
        ));
        assert!(st.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&st.stderr));
        let ns = dir.join("ns-start.sh");
        std::fs::write(
            &ns,
            "#!/bin/sh\nset -eu\nH=$1\nfor d in etc home var srv; do mkdir -p \"/$d\"; mount -t overlay \"fleet-$d\" -o \"lowerdir=/$d,upperdir=$H/up/$d,workdir=$H/wk/$d\" \"/$d\"; done\nmount -t tmpfs tmpfs /tmp\nexec /usr/sbin/sshd -D -e -f \"$H/sshd_config\"\n",
        )
        .unwrap();
        let mut hosts = Vec::new();
        for (i, q) in quirks.iter().enumerate() {
            // 127.<b>.<c>.<d>: a block per fleet, so fleets of parallel tests never collide.
            let n = i as u32 + 1;
            let address = format!("127.{}.{}.{}", 10 + (pid % 200), 1 + block, n);
            let h = dir.join(format!("h{n}"));
            for d in ["etc", "home", "var", "srv"] {
                std::fs::create_dir_all(h.join("up").join(d)).unwrap();
                std::fs::create_dir_all(h.join("wk").join(d)).unwrap();
            }
            if *q == Quirk::NoSudo {
                std::fs::create_dir_all(h.join("up/etc/sudoers.d")).unwrap();
                std::fs::write(h.join(format!("up/etc/sudoers.d/{USER}")), "# no sudo on this host\n").unwrap();
            }
            let keys = if *q == Quirk::RejectKey { dir.join("no_keys") } else { dir.join("authorized_keys") };
            std::fs::write(
                h.join("sshd_config"),
                format!(
                    "Port {port}\nListenAddress {address}\nHostKey {d}/host_key\nPidFile none\nAuthorizedKeysFile {keys}\nAllowUsers {USER} {PW_USER}\nStrictModes no\nPermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\nUseDNS no\nPrintMotd no\nSubsystem sftp /usr/lib/openssh/sftp-server\nLogLevel VERBOSE\nMaxStartups 200:30:400\nMaxSessions 100\n",
                    d = dir.display(),
                    keys = keys.display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(h.join("sshd.log")).unwrap();
            let child = Command::new("unshare")
                .args(["-m", "--propagation", "private", "sh"])
                .arg(&ns)
                .arg(&h)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .process_group(0)
                .spawn()
                .expect("unshare runs");
            hosts.push(Host { address, dir: h, child });
        }
        let fleet = Fleet { hosts, port, key, dir };
        fleet.wait_listening();
        Some(fleet)
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for h in &self.hosts {
            loop {
                if std::net::TcpStream::connect((h.address.as_str(), self.port)).is_ok() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "host {} did not listen: {}",
                    h.address,
                    std::fs::read_to_string(h.dir.join("sshd.log")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Runs `cmd` on host `i` as [`USER`] with the system ssh client (for reading state back).
    pub fn ssh(&self, i: usize, cmd: &str) -> std::process::Output {
        self.ssh_as(USER, i, cmd)
    }

    /// Runs `cmd` on host `i` as `user`.
    pub fn ssh_as(&self, user: &str, i: usize, cmd: &str) -> std::process::Output {
        Command::new("ssh")
            .args(["-i"])
            .arg(&self.key)
            .args([
                "-p",
                &self.port.to_string(),
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
            ])
            .arg(format!("{user}@{}", self.hosts[i].address))
            .arg(cmd)
            .output()
            .expect("ssh runs")
    }

    /// A free loopback address of this fleet's block with nothing listening.
    pub fn dead_address(&self) -> String {
        let pid = std::process::id();
        format!("127.{}.{}.250", 10 + (pid % 200), 1 + self.block_of())
    }

    fn block_of(&self) -> u32 {
        self.hosts[0].address.split('.').nth(2).and_then(|s| s.parse::<u32>().ok()).unwrap_or(1) - 1
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for h in &mut self.hosts {
            // The listener leads its process group; its sessions are in it too.
            let pid = h.child.id() as i32;
            let _ = Command::new("kill").args(["-s", "TERM", "--"]).arg(format!("-{pid}")).status();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for h in &mut self.hosts {
            loop {
                match h.child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let pid = h.child.id() as i32;
                        let _ = Command::new("kill").args(["-s", "KILL", "--"]).arg(format!("-{pid}")).status();
                        let _ = h.child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        if std::env::var("PALLET_KEEP_FLEET").is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let _ = std::io::stderr().flush();
    }
}

use std::os::unix::process::CommandExt;
