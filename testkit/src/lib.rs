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
//!
//! Faults: a host can deviate from the default ([`Quirk`]: no sudo, a hanging login, busybox as
//! `/bin/sh`, a clock a day behind...), be killed ([`Host::kill`]) or vanish from the network
//! ([`Fleet::vanish`]) mid-run; [`Fleet::silent_peer`] is a TCP peer that never says a word, and
//! [`Fleet::leaked`] lists the processes a run left behind.

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
    /// The test users have no sudo rights on this host (their sudoers entries are empty).
    NoSudo,
    /// sudo is not installed on this host (an overlay on `/usr/bin` whites it out).
    NoSudoBinary,
    /// `/bin/sh` is busybox on this host (bind-mounted over dash).
    BusyboxSh,
    /// Logging in hangs: [`USER`]'s login shell is bash on this host and its `~/.bashrc` sleeps
    /// 40 s (bash reads it for the shells sshd starts).
    HangingLogin,
    /// The host's clock is a day behind: libfaketime (Debian's `faketime` package) is preloaded
    /// for every process of the host through its `/etc/ld.so.preload`, with `-1d` in
    /// `/etc/faketimerc` (sudo included).
    ClockDayBehind,
    /// sshd starts [`LATE_START`] after the others; [`Fleet::start`] does not wait for it.
    LateStart,
}

/// How much later a [`Quirk::LateStart`] host starts listening.
pub const LATE_START: Duration = Duration::from_secs(2);

/// The library [`Quirk::ClockDayBehind`] preloads.
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// One running host.
pub struct Host {
    /// Its address.
    pub address: String,
    /// Its directory (overlay upper dirs, sshd config and log).
    pub dir: PathBuf,
    child: Child,
    /// The host's mount namespace (`/proc/PID/ns/mnt`), once its start script has unshared, and
    /// an open handle on it: while it is open the namespace (and so its inode number, which
    /// identifies it) cannot be reused by another host, even after every process of this one
    /// is gone.
    mnt_ns: std::sync::OnceLock<(String, std::fs::File)>,
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

    /// Kills the host at once: sshd and every process of the host (SIGKILL), as a crashed
    /// machine. Connections to it break.
    pub fn kill(&mut self) {
        self.kill_all();
        let _ = self.child.wait();
    }

    /// The process group of the host's sshd listener.
    pub fn pgid(&self) -> u32 {
        self.child.id()
    }

    /// The host's mount namespace, waiting (up to 2 s) for its start script to unshare it.
    fn ns(&self) -> Option<&str> {
        if let Some((ns, _)) = self.mnt_ns.get() {
            return Some(ns);
        }
        let ours = std::fs::read_link("/proc/self/ns/mnt").ok()?;
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let link = format!("/proc/{}/ns/mnt", self.child.id());
            let theirs = std::fs::read_link(&link).ok()?;
            if theirs != ours {
                let handle = std::fs::File::open(&link).ok()?;
                // The process may have moved on between the two reads: the handle decides.
                let pinned = std::fs::read_link(format!("/proc/self/fd/{}", fd_of(&handle))).ok()?;
                if pinned != theirs {
                    return None;
                }
                return Some(&self.mnt_ns.get_or_init(|| (theirs.display().to_string(), handle)).0);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every process of the host: those in its mount namespace. sshd starts each connection in
    /// a session of its own, so the listener's process group does not hold them.
    pub fn processes(&self) -> Vec<u32> {
        let Some(ns) = self.ns().map(PathBuf::from) else { return Vec::new() };
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
            .filter(|pid| std::fs::read_link(format!("/proc/{pid}/ns/mnt")).is_ok_and(|l| l == ns))
            .collect()
    }

    /// SIGKILLs every process of the host until none is left (or 5 s passed).
    fn kill_all(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let pids = self.processes();
            if pids.is_empty() || Instant::now() > deadline {
                return;
            }
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--"])
                .args(pids.iter().map(u32::to_string))
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(Duration::from_millis(10));
        }
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

/// The descriptor number of `f`.
fn fd_of(f: &std::fs::File) -> i32 {
    use std::os::fd::AsRawFd;
    f.as_raw_fd()
}

/// Prepares host directory `h` for quirk `q` (files in the overlay upper directories, and
/// `setup.sh`, which the host's start script runs inside its mount namespace before sshd).
fn quirk_setup(q: Quirk, h: &Path) {
    let setup = match q {
        Quirk::None | Quirk::RejectKey => None,
        Quirk::NoSudo => {
            std::fs::create_dir_all(h.join("up/etc/sudoers.d")).unwrap();
            for u in [USER, PW_USER] {
                std::fs::write(h.join(format!("up/etc/sudoers.d/{u}")), "# no sudo on this host\n").unwrap();
            }
            None
        }
        Quirk::NoSudoBinary => {
            std::fs::create_dir_all(h.join("up/usrbin")).unwrap();
            std::fs::create_dir_all(h.join("wk/usrbin")).unwrap();
            // An overlay whiteout: a 0/0 character device hides the lower file.
            let out = run(&format!("mknod {}/up/usrbin/sudo c 0 0", h.display()));
            assert!(out.status.success(), "mknod: {}", String::from_utf8_lossy(&out.stderr));
            Some(
                "mount -t overlay fleet-usrbin -o \"lowerdir=/usr/bin,upperdir=$H/up/usrbin,workdir=$H/wk/usrbin\" /usr/bin\n"
                    .to_string(),
            )
        }
        Quirk::BusyboxSh => Some("mount --bind /usr/bin/busybox /usr/bin/dash\n".to_string()),
        Quirk::HangingLogin => Some(format!(
            "usermod -s /bin/bash {USER}\nprintf 'sleep 40\\n' > /home/{USER}/.bashrc\nchown {USER}: /home/{USER}/.bashrc\n"
        )),
        Quirk::ClockDayBehind => {
            std::fs::write(h.join("up/etc/ld.so.preload"), format!("{FAKETIME_LIB}\n")).unwrap();
            std::fs::write(h.join("up/etc/faketimerc"), "-1d\n").unwrap();
            None
        }
        Quirk::LateStart => Some(format!("sleep {}\n", LATE_START.as_secs_f64())),
    };
    if let Some(text) = setup {
        std::fs::write(h.join("setup.sh"), text).unwrap();
    }
}

/// A process, as `/proc` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    /// Its id.
    pub pid: u32,
    /// Its parent's.
    pub ppid: u32,
    /// Its process group.
    pub pgid: u32,
    /// Its name (`comm`).
    pub comm: String,
    /// Its command line, arguments joined by spaces.
    pub cmdline: String,
    /// Its state letter (`R`, `S`, `D`...).
    pub state: String,
    /// Is a SIGKILL pending for it (killed, not yet gone: e.g. in uninterruptible sleep)?
    pub dying: bool,
}

/// The processes (other than this one) whose command line or environment contains `marker`.
pub fn processes_with(marker: &str) -> Vec<Proc> {
    let me = std::process::id();
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
        let has = |b: &[u8]| b.windows(marker.len()).any(|w| w == marker.as_bytes());
        if marker.is_empty() || !(has(&cmdline) || has(&environ)) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if rest.first() == Some(&"Z") {
            continue;
        }
        let num = |i: usize| rest.get(i).and_then(|s| s.parse().ok()).unwrap_or(0);
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        let dying = status.lines().any(|l| {
            (l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
                && l.split_whitespace()
                    .nth(1)
                    .and_then(|m| u64::from_str_radix(m, 16).ok())
                    .is_some_and(|m| m & (1 << 8) != 0)
        });
        v.push(Proc {
            state: rest.first().map(|s| s.to_string()).unwrap_or_default(),
            dying,
            pid,
            ppid: num(1),
            pgid: num(2),
            comm: stat[open + 1..close].to_string(),
            cmdline: String::from_utf8_lossy(&cmdline).replace('\0', " ").trim().to_string(),
        });
    }
    v.sort_by_key(|p| p.pid);
    v
}

/// While it lives, a host's address drops every packet of its SSH port (iptables `DROP`, both
/// ways): the host vanished from the network without closing anything.
pub struct Vanished {
    rules: Vec<Vec<String>>,
}

impl Drop for Vanished {
    fn drop(&mut self) {
        for r in &self.rules {
            let _ = Command::new("iptables").arg("-D").args(r).output();
        }
    }
}

/// A TCP listener that accepts connections and never says a word (an SSH banner that never
/// comes); it stops, closing them all, when dropped.
pub struct SilentPeer {
    /// Its address.
    pub address: String,
    /// Its port.
    pub port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for SilentPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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
/// Hosts in one 127.x.y.0/24 block of a fleet (addresses .1 to .249).
const HOSTS_PER_BLOCK: usize = 249;

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
        for (q, need) in [(Quirk::ClockDayBehind, FAKETIME_LIB), (Quirk::BusyboxSh, "/usr/bin/busybox")] {
            if quirks.contains(&q) && !Path::new(need).exists() {
                assert!(!required(), "CI must run the fleet tests: {need} is missing (.ci/run installs it)");
                eprintln!("skipping: {q:?} needs {need}");
                return None;
            }
        }
        ensure_users();
        // A block is one 127.<b>.<c>.0/24 holding up to HOSTS_PER_BLOCK hosts; a larger fleet
        // takes consecutive blocks (the benchmark's 1000 hosts take 5).
        let blocks = quirks.len().div_ceil(HOSTS_PER_BLOCK).max(1) as u32;
        let block = BLOCK.fetch_add(blocks, Ordering::Relaxed);
        assert!(block + blocks <= 254, "the fleets of one process ran out of loopback blocks");
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
            "#!/bin/sh\nset -eu\nH=$1\nfor d in etc home var srv; do mkdir -p \"/$d\"; mount -t overlay \"fleet-$d\" -o \"lowerdir=/$d,upperdir=$H/up/$d,workdir=$H/wk/$d\" \"/$d\"; done\nmount -t tmpfs tmpfs /tmp\nif [ -f \"$H/setup.sh\" ]; then . \"$H/setup.sh\"; fi\nexec /usr/sbin/sshd -D -e -f \"$H/sshd_config\"\n",
        )
        .unwrap();
        let mut hosts = Vec::new();
        for (i, q) in quirks.iter().enumerate() {
            // 127.<b>.<c>.<d>: blocks of their own per fleet, so fleets of parallel tests never
            // collide; .250 and .251 of the first block stay free (dead_address, silent_peer).
            let n = i as u32 + 1;
            let (c, d) = (block + 1 + i as u32 / HOSTS_PER_BLOCK as u32, 1 + i as u32 % HOSTS_PER_BLOCK as u32);
            let address = format!("127.{}.{c}.{d}", 10 + (pid % 200));
            let h = dir.join(format!("h{n}"));
            for d in ["etc", "home", "var", "srv"] {
                std::fs::create_dir_all(h.join("up").join(d)).unwrap();
                std::fs::create_dir_all(h.join("wk").join(d)).unwrap();
            }
            quirk_setup(*q, &h);
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
            hosts.push(Host { address, dir: h, child, mnt_ns: std::sync::OnceLock::new() });
        }
        let fleet = Fleet { hosts, port, key, dir };
        fleet.wait_listening(quirks);
        for h in &fleet.hosts {
            let _ = h.ns();
        }
        Some(fleet)
    }

    fn wait_listening(&self, quirks: &[Quirk]) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for (h, _) in self.hosts.iter().zip(quirks).filter(|(_, q)| **q != Quirk::LateStart) {
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

    /// Host `i` vanishes from the network (see [`Vanished`]) until the guard is dropped.
    pub fn vanish(&self, i: usize) -> Vanished {
        let (a, p) = (self.hosts[i].address.clone(), self.port.to_string());
        let comment = format!("pallet-fleet {}", self.dir.display());
        let rule = |dir: &str, port: &str| -> Vec<String> {
            ["INPUT", dir, &a, "-p", "tcp", port, &p, "-m", "comment", "--comment", &comment, "-j", "DROP"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        let rules = vec![rule("-d", "--dport"), rule("-s", "--sport")];
        for r in &rules {
            let out = Command::new("iptables").arg("-I").args(r).output().expect("iptables runs");
            assert!(out.status.success(), "iptables: {}", String::from_utf8_lossy(&out.stderr));
        }
        Vanished { rules }
    }

    /// A peer on this fleet's port that accepts TCP connections and never sends a banner.
    pub fn silent_peer(&self) -> SilentPeer {
        let pid = std::process::id();
        let address = format!("127.{}.{}.251", 10 + (pid % 200), 1 + self.block_of());
        let listener = std::net::TcpListener::bind((address.as_str(), self.port)).expect("bind the silent peer");
        listener.set_nonblocking(true).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => held.push(s),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        SilentPeer { address, port: self.port, stop, thread: Some(thread) }
    }

    /// Processes a run left behind: those whose command line or environment names this fleet's
    /// directory (ssh masters: their control socket and known_hosts file live there; tests also
    /// put it in the environment of the programs they start), other than the hosts themselves.
    /// Waits up to `grace` for them to go.
    pub fn leaked(&self, grace: Duration) -> Vec<Proc> {
        let marker = self.dir.display().to_string();
        let deadline = Instant::now() + grace;
        loop {
            let hosts: Vec<u32> = self.hosts.iter().flat_map(Host::processes).collect();
            let left: Vec<Proc> = processes_with(&marker).into_iter().filter(|p| !hosts.contains(&p.pid)).collect();
            if left.is_empty() || Instant::now() >= deadline {
                return left;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn block_of(&self) -> u32 {
        self.hosts[0].address.split('.').nth(2).and_then(|s| s.parse::<u32>().ok()).unwrap_or(1) - 1
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for h in &mut self.hosts {
            // The listener leads its process group; the sessions it started (each in a session
            // of its own) and what they run are killed by mount namespace.
            let pid = h.child.id() as i32;
            let _ =
                Command::new("kill").args(["-s", "TERM", "--"]).arg(format!("-{pid}")).stderr(Stdio::null()).status();
            h.kill_all();
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
        for h in &mut self.hosts {
            // Unpins the namespaces (their mounts go with them).
            let _ = h.mnt_ns.take();
        }
        if std::env::var("PALLET_KEEP_FLEET").is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let _ = std::io::stderr().flush();
    }
}

use std::os::unix::process::CommandExt;
