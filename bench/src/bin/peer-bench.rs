//! Side-by-side benchmark: pallet (the release-built `bench-ops` binary), pyinfra 3.10.0,
//! ansible-core 2.19.14 and a one-connection-one-exec reference run the pyinfra-performance
//! workload on the same fleet of isolated sshd hosts, first run and no-change run, several
//! repetitions with the tool order rotating. Prints and writes `bench/RESULTS.md`.
//!
//! Run it through `bench/run.sh [N ...]` (root; builds release binaries, makes the Python venv).
//! Environment: `REPS` (default 3), `TOOLS` (comma list, default all), `OUT` (results file).

use pallet_testkit::{Fleet, Host, Quirk, USER};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOOLS: [&str; 7] =
    ["pallet", "pallet-probe", "pallet-keep", "pallet-keep-stated", "pyinfra", "ansible", "reference"];
/// The pallet variants: OS stated or probed, connections closed or kept.
const PALLETS: [&str; 4] = ["pallet", "pallet-probe", "pallet-keep", "pallet-keep-stated"];
/// Ansible stops here (it takes minutes per run past it).
const ANSIBLE_MAX: usize = 500;
const RUN_LIMIT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
struct Sample {
    n: usize,
    tool: String,
    run: &'static str,
    secs: f64,
    ok: bool,
    conns_per_host: f64,
    execs_per_host: f64,
    /// The controller's user + system CPU seconds (pallet tools; children it waits for included,
    /// daemonized ssh masters not).
    cpu: Option<f64>,
    /// The controller's peak resident memory in KiB.
    max_rss_kib: Option<u64>,
}

fn workload_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workload")
}

fn reset(h: &Host) {
    let o = h.root_sh(
        "userdel -r pyinfra >/dev/null 2>&1; groupdel pyinfra >/dev/null 2>&1; \
         rm -rf /home/pyinfra /var/log/pyinfra.log /tmp/pyinfra-* /home/*/.ansible /var/lib/pallet; \
         ! id pyinfra >/dev/null 2>&1",
    );
    assert!(o.status.success(), "reset failed on {}", h.address);
}

fn state_ok(h: &Host) -> bool {
    let file = workload_dir().join("test_file.txt");
    h.root_sh(&format!(
        "id pyinfra >/dev/null 2>&1 && [ \"$(stat -c %a:%U /var/log/pyinfra.log)\" = 777:pyinfra ] && \
         cmp -s /home/pyinfra/test_file.txt {} && [ \"$(stat -c %U /home/pyinfra/test_file.txt)\" = pyinfra ]",
        file.display()
    ))
    .status
    .success()
}

/// Runs `cmd` under GNU time (writing `user sys maxrss` to `usage`); returns (seconds, success,
/// cpu seconds, peak RSS KiB).
fn measured(cmd: Command, usage: &Path) -> (f64, bool, Option<f64>, Option<u64>) {
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped.args(["-f", "%U %S %M", "-o"]).arg(usage).arg(cmd.get_program()).args(cmd.get_args());
    if let Some(d) = cmd.get_current_dir() {
        wrapped.current_dir(d);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    let (secs, ok) = timed(wrapped);
    let text = std::fs::read_to_string(usage).unwrap_or_default();
    let f: Vec<&str> = text.split_whitespace().collect();
    let cpu = match (f.first().and_then(|u| u.parse::<f64>().ok()), f.get(1).and_then(|s| s.parse::<f64>().ok())) {
        (Some(u), Some(s)) => Some(u + s),
        _ => None,
    };
    (secs, ok, cpu, f.get(2).and_then(|m| m.parse().ok()))
}

/// Runs `cmd` (killed after the limit); returns success.
fn timed(mut cmd: Command) -> (f64, bool) {
    let t = Instant::now();
    // The tool's report, kept for a failed run.
    let out_path = std::env::temp_dir().join("pallet-bench-last-stdout");
    let out = std::fs::File::create(&out_path).expect("create the stdout file");
    // BENCH_VERBOSE=1: the tools' stderr goes to the terminal (and pallet logs at info level).
    let err = if std::env::var_os("BENCH_VERBOSE").is_some() { Stdio::inherit() } else { Stdio::piped() };
    let mut child = cmd.stdout(out).stderr(err).spawn().expect("tool starts");
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            let secs = t.elapsed().as_secs_f64();
            if !st.success() {
                let mut err = String::new();
                if let Some(e) = child.stderr.as_mut() {
                    let _ = std::io::Read::read_to_string(e, &mut err);
                }
                eprintln!("  exit {:?}: {}", st.code(), err.lines().rev().take(5).collect::<Vec<_>>().join(" | "));
                let out = std::fs::read_to_string(&out_path).unwrap_or_default();
                let failed: Vec<&str> =
                    out.lines().filter(|l| l.contains("FAIL") || l.contains("error")).take(8).collect();
                eprintln!("  {}", failed.join("\n  "));
            }
            return (secs, st.success());
        }
        if t.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return (t.elapsed().as_secs_f64(), false);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

struct Setup {
    work: PathBuf,
    venv: PathBuf,
    ops: PathBuf,
}

fn reference_script() -> String {
    let content = std::fs::read_to_string(workload_dir().join("test_file.txt")).unwrap();
    format!(
        "set -e\nid pyinfra >/dev/null 2>&1 || useradd -d /home/pyinfra -m -s /bin/bash pyinfra\n\
         [ -e /var/log/pyinfra.log ] || touch /var/log/pyinfra.log\n\
         [ \"$(stat -c %U /var/log/pyinfra.log)\" = pyinfra ] || chown pyinfra /var/log/pyinfra.log\n\
         [ \"$(stat -c %a /var/log/pyinfra.log)\" = 777 ] || chmod 777 /var/log/pyinfra.log\n\
         cat > /tmp/want <<'PALLET_EOF'\n{content}PALLET_EOF\n\
         cmp -s /tmp/want /home/pyinfra/test_file.txt || {{ cp /tmp/want /home/pyinfra/test_file.txt.tmp && mv /home/pyinfra/test_file.txt.tmp /home/pyinfra/test_file.txt; }}\n\
         [ \"$(stat -c %U /home/pyinfra/test_file.txt)\" = pyinfra ] || chown pyinfra /home/pyinfra/test_file.txt\n\
         echo 'hi!'\n"
    )
}

/// One `ssh host 'sudo -n sh -s' < script` per host, all at once.
fn reference(fleet: &Fleet, script: &str) -> (f64, bool) {
    let t = Instant::now();
    let children: Vec<_> = fleet
        .hosts
        .iter()
        .map(|h| {
            let mut c = Command::new("ssh")
                .arg("-i")
                .arg(&fleet.key)
                .args([
                    "-p",
                    &fleet.port.to_string(),
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
                .arg(format!("{USER}@{}", h.address))
                .arg("sudo -n sh -s")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("ssh");
            std::io::Write::write_all(c.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
            drop(c.stdin.take());
            c
        })
        .collect();
    let ok = children.into_iter().all(|mut c| c.wait().map(|s| s.success()).unwrap_or(false));
    (t.elapsed().as_secs_f64(), ok)
}

/// A pallet run of `tool`: `pallet` states the OS in its inventory and closes its connections;
/// `pallet-probe` does not state it (a probe on first contact, facts cached after) and closes
/// them; `pallet-keep` does not state it and keeps connections (the default, 60 s);
/// `pallet-keep-stated` states it and keeps them.
fn pallet_command(tool: &str, s: &Setup, dir: &Path, group: &str) -> Command {
    let mut c = Command::new(&s.ops);
    // Not `pallet.toml`: that name is the project file every run in the directory reads too.
    let config = if tool == "pallet" || tool == "pallet-keep-stated" { "os-stated.toml" } else { "os-probed.toml" };
    c.args(["--config", config, "--host-keys", "accept-new", "-q"]);
    if !tool.starts_with("pallet-keep") {
        c.args(["--keep-connections", "0"]);
    }
    c.args(["lift", group]).current_dir(dir);
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        c.env("RUST_LOG", "pallet_runtime=info");
    }
    c.env("XDG_STATE_HOME", dir.join(format!("state-{tool}")))
        .env("PALLET_CONTROL_DIR", dir.join(format!("cm-{tool}")));
    c
}

fn tool_command(tool: &str, s: &Setup, dir: &Path) -> Command {
    match tool {
        t if PALLETS.contains(&t) => pallet_command(tool, s, dir, "bench"),
        "pyinfra" => {
            let mut c = Command::new(s.venv.join("bin/pyinfra"));
            c.args(["-y", "--sudo", "inventory.py"]).arg(workload_dir().join("deploy.py")).current_dir(dir);
            c.env_remove("PYTHONDONTWRITEBYTECODE").env_remove("PYTHONUNBUFFERED");
            c
        }
        "ansible" => {
            let mut c = Command::new(s.venv.join("bin/ansible-playbook"));
            c.arg(workload_dir().join("playbook.yml")).current_dir(dir).env("ANSIBLE_CONFIG", dir.join("ansible.cfg"));
            c.env_remove("PYTHONDONTWRITEBYTECODE").env_remove("PYTHONUNBUFFERED");
            c
        }
        _ => unreachable!(),
    }
}

/// Stops the ControlMasters Ansible and pallet left (ssh processes whose command line names
/// their control directory), and forgets pallet's kept masters and cached facts: the next run
/// is a first contact.
fn stop_masters(dir: &Path) {
    stop_masters_in(&dir.join("cp"));
    for tool in PALLETS {
        stop_masters_in(&dir.join(format!("cm-{tool}")));
        let _ = std::fs::remove_dir_all(dir.join(format!("cm-{tool}")));
        let _ = std::fs::remove_dir_all(dir.join(format!("state-{tool}")));
    }
}

fn stop_masters_in(cp: &Path) {
    let needle = cp.to_string_lossy().to_string();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&needle) && String::from_utf8_lossy(&cmdline).starts_with("ssh") {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

fn write_configs(fleet: &Fleet, dir: &Path) {
    let n = fleet.hosts.len();
    let key = fleet.key.display();
    let inv: String = fleet
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            format!(
                "[[node]]\nname = \"bench-{}\"\ngroup = \"bench\"\naddress = \"{}\"\nport = {}\nos = \"debian-12\"\n\n",
                i + 1,
                h.address,
                fleet.port
            )
        })
        .collect();
    std::fs::write(dir.join("inventory.toml"), &inv).unwrap();
    std::fs::write(dir.join("inventory-probe.toml"), inv.replace("os = \"debian-12\"\n", "")).unwrap();
    for (config, inventory) in [("os-stated.toml", "inventory.toml"), ("os-probed.toml", "inventory-probe.toml")] {
        std::fs::write(
            dir.join(config),
            format!("default_service = \"fleet\"\n[services.fleet]\nprovider = \"node-list\"\ninventory = \"{inventory}\"\n[admin_user]\nusername = \"{USER}\"\nprivate_key = \"{key}\"\n"),
        )
        .unwrap();
    }
    let hosts: Vec<String> = fleet
        .hosts
        .iter()
        .map(|h| format!("(\"{}\", {{\"ssh_port\": {}, \"ssh_user\": \"{USER}\", \"ssh_key\": \"{key}\", \"ssh_known_hosts_file\": \"/dev/null\", \"ssh_strict_host_key_checking\": \"no\"}})", h.address, fleet.port))
        .collect();
    std::fs::write(dir.join("inventory.py"), format!("hosts = [\n    {}\n]\n", hosts.join(",\n    "))).unwrap();
    let ini: String = fleet
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| format!("h{} ansible_host={} ansible_port={}\n", i + 1, h.address, fleet.port))
        .collect();
    std::fs::write(
        dir.join("hosts.ini"),
        format!("[all]\n{ini}\n[all:vars]\nansible_user={USER}\nansible_ssh_private_key_file={key}\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_common_args=-o UserKnownHostsFile=/dev/null\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("ansible.cfg"),
        format!(
            "[defaults]\ninventory = {}\nforks = {n}\nhost_key_checking = False\ngathering = explicit\ninterpreter_python = /usr/bin/python3\n\n[ssh_connection]\npipelining = True\ncontrol_path_dir = {}\n",
            dir.join("hosts.ini").display(),
            dir.join("cp").display()
        ),
    )
    .unwrap();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return f64::NAN;
    }
    v[v.len() / 2]
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1, 10, 50, 100] } else { sizes };
    let reps: usize = std::env::var("REPS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    // Repetitions for N >= 500 (`REPS_BIG`, default `REPS`): a full rotation there takes most of an hour.
    let reps_big: usize = std::env::var("REPS_BIG").ok().and_then(|s| s.parse().ok()).unwrap_or(reps);
    let tools: Vec<String> = std::env::var("TOOLS")
        .map(|t| t.split(',').map(String::from).collect())
        .unwrap_or_else(|_| TOOLS.iter().map(|s| s.to_string()).collect());
    let work = PathBuf::from("/tmp/pallet-bench");
    let setup = Setup {
        venv: work.join("venv"),
        ops: std::env::current_exe().unwrap().parent().unwrap().join("bench-ops"),
        work: work.clone(),
    };
    let script = reference_script();
    let started = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    for &n in &sizes {
        let fleet = Fleet::start(&vec![Quirk::None; n]).expect("the benchmark needs root and sshd");
        let dir = setup.work.join(format!("n{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cp")).unwrap();
        write_configs(&fleet, &dir);
        let tools: Vec<String> = tools.iter().filter(|t| *t != "ansible" || n <= ANSIBLE_MAX).cloned().collect();
        let n_reps = if n >= 500 { reps_big } else { reps };
        for rep in 0..n_reps {
            let mut order = tools.clone();
            order.rotate_left(rep % tools.len().max(1));
            for tool in &order {
                for h in &fleet.hosts {
                    reset(h);
                }
                stop_masters(&dir);
                for run in ["first", "second"] {
                    std::thread::sleep(Duration::from_millis(500));
                    let marks: Vec<u64> = fleet.hosts.iter().map(Host::log_len).collect();
                    let (secs, ok, cpu, max_rss_kib) = match tool.as_str() {
                        "reference" => {
                            let (s, ok) = reference(&fleet, &script);
                            (s, ok, None, None)
                        }
                        t if t.starts_with("pallet") => measured(tool_command(t, &setup, &dir), &dir.join("usage")),
                        t => {
                            let (s, ok) = timed(tool_command(t, &setup, &dir));
                            (s, ok, None, None)
                        }
                    };
                    std::thread::sleep(Duration::from_millis(200));
                    let state = fleet.hosts.iter().all(state_ok);
                    let (c, e) = fleet
                        .hosts
                        .iter()
                        .zip(&marks)
                        .map(|(h, m)| h.counts_since(*m))
                        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
                    let s = Sample {
                        n,

                        tool: tool.clone(),
                        run,
                        secs,
                        ok: ok && state,
                        conns_per_host: c as f64 / n as f64,
                        execs_per_host: e as f64 / n as f64,
                        cpu,
                        max_rss_kib,
                    };
                    eprintln!(
                        "N={n} rep={rep} {tool:<9} {run:<6} {secs:7.2}s ok={} conns/host={:.1} execs/host={:.1}",
                        s.ok, s.conns_per_host, s.execs_per_host
                    );
                    samples.push(s);
                }
            }
        }
        stop_masters(&dir);
        // The report so far, so a long run that dies later keeps what it measured.
        let done: Vec<usize> = sizes.iter().copied().filter(|&m| samples.iter().any(|s| s.n == m)).collect();
        write_report(&render(&samples, &done, &tools, &reps_text(reps, reps_big, &done), started.elapsed()));
    }
    let large = if std::env::var("LARGE").map(|v| v != "0").unwrap_or(true) { Some(large_file(&setup)) } else { None };
    let mut report = render(&samples, &sizes, &tools, &reps_text(reps, reps_big, &sizes), started.elapsed());
    if let Some(l) = large {
        report.push_str(&l);
    }
    print!("{report}");
    write_report(&report);
}

/// Writes the report to `OUT` (default `bench/RESULTS.md`).
fn write_report(report: &str) {
    let out = std::env::var("OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("RESULTS.md"));
    std::fs::write(&out, report).unwrap();
    eprintln!("wrote {}", out.display());
}

/// The large-file benchmark: a 64 MiB file pushed to 10 hosts by pallet (`remote_file` from a
/// local file, through sudo) and by `scp` (the same file, one fresh connection per host, all at
/// once), 3 times each; throughput over all hosts, and pallet's CPU time and peak memory.
fn large_file(s: &Setup) -> String {
    const N: usize = 10;
    const SIZE: usize = 64 << 20;
    let fleet = Fleet::start(&[Quirk::None; N]).expect("the benchmark needs root and sshd");
    let dir = s.work.join("large");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    write_configs(&fleet, &dir);
    let inv =
        std::fs::read_to_string(dir.join("inventory.toml")).unwrap().replace("group = \"bench\"", "group = \"big\"");
    std::fs::write(dir.join("inventory.toml"), inv).unwrap();
    let file = dir.join("big.bin");
    let mut bytes = Vec::with_capacity(SIZE);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while bytes.len() < SIZE {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(&file, &bytes).unwrap();
    let want = sh(&format!("sha256sum < {} | cut -d' ' -f1", file.display()));
    let total_mib = (N * SIZE) as f64 / (1 << 20) as f64;
    let mut rows = Vec::new();
    for rep in 0..3 {
        for h in &fleet.hosts {
            h.root_sh("rm -f /srv/big.bin /tmp/big.bin; rm -rf /var/lib/pallet");
        }
        stop_masters(&dir);
        let mut c = pallet_command("pallet", s, &dir, "big");
        c.env("BENCH_BIG_FILE", &file);
        let (secs, ok, cpu, rss) = measured(c, &dir.join("usage"));
        let ok = ok
            && fleet
                .hosts
                .iter()
                .all(|h| sh(&format!("sha256sum < {} | cut -d' ' -f1", h.path("/srv/big.bin").display())) == want);
        eprintln!("large rep={rep} pallet {secs:.2}s ok={ok}");
        rows.push(("pallet", secs, ok, cpu, rss));
        let t = Instant::now();
        let children: Vec<_> = fleet
            .hosts
            .iter()
            .map(|h| {
                Command::new("scp")
                    .args(["-q", "-i"])
                    .arg(&fleet.key)
                    .args(["-P", &fleet.port.to_string(), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"])
                    .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"])
                    .arg(&file)
                    .arg(format!("{USER}@{}:/tmp/big.bin", h.address))
                    .spawn()
                    .expect("scp")
            })
            .collect();
        let ok = children.into_iter().all(|mut c| c.wait().map(|s| s.success()).unwrap_or(false));
        let secs = t.elapsed().as_secs_f64();
        eprintln!("large rep={rep} scp {secs:.2}s ok={ok}");
        rows.push(("scp", secs, ok, None, None));
    }
    stop_masters(&dir);
    let med = |tool: &str| median(rows.iter().filter(|r| r.0 == tool && r.2).map(|r| r.1).collect());
    let (p, c) = (med("pallet"), med("scp"));
    let pallet_cpu = median(rows.iter().filter_map(|r| r.3).collect());
    let pallet_rss = rows.iter().filter_map(|r| r.4).max().unwrap_or(0);
    format!(
        "\n## Large file: 64 MiB to {N} hosts at once (median of 3)\n\n\
         | tool | wall (s) | throughput (MiB/s, all hosts) | controller CPU (s) | controller peak RSS (MiB) | ok |\n|---|---:|---:|---:|---:|---|\n\
         | pallet (`remote_file` from a local file, via sudo, staged and moved into place) | {p:.2} | {:.0} | {pallet_cpu:.2} | {:.0} | {}/3 |\n\
         | scp (one connection per host) | {c:.2} | {:.0} | | | {}/3 |\n\n\
         pallet / scp throughput: {:.2}. pallet holds one copy of the content (shared by every node's phase) and streams it after the phase script; on the node the script writes it once to a private temporary file and once more next to the target (then `mv`), checking it with `cmp` and `sha256sum`.\n",
        total_mib / p,
        pallet_rss as f64 / 1024.0,
        rows.iter().filter(|r| r.0 == "pallet" && r.2).count(),
        total_mib / c,
        rows.iter().filter(|r| r.0 == "scp" && r.2).count(),
        c / p
    )
}

fn sh(cmd: &str) -> String {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// "3 repetitions", or "3 repetitions (1 for N >= 500)" when `REPS_BIG` differs and applies.
fn reps_text(reps: usize, reps_big: usize, sizes: &[usize]) -> String {
    if reps_big != reps && sizes.iter().any(|&n| n >= 500) {
        format!("{reps} repetitions ({reps_big} for N >= 500)")
    } else {
        format!("{reps} repetitions")
    }
}

fn render(samples: &[Sample], sizes: &[usize], tools: &[String], reps: &str, took: Duration) -> String {
    let med = |n: usize, tool: &str, run: &str| {
        median(samples.iter().filter(|s| s.n == n && s.tool == tool && s.run == run && s.ok).map(|s| s.secs).collect())
    };
    let okc = |n: usize, tool: &str, run: &str| {
        let all: Vec<&Sample> = samples.iter().filter(|s| s.n == n && s.tool == tool && s.run == run).collect();
        format!("{}/{}", all.iter().filter(|s| s.ok).count(), all.len())
    };
    let mut o = String::new();
    o.push_str("# Benchmark: pallet vs pyinfra vs Ansible on a loopback fleet\n\n");
    o.push_str(&format!(
        "Written by `bench/run.sh` on {} ({} CPUs, {}, {}); {reps}, tool order rotating; whole run {:.0} s.\n\n",
        sh("date -u +%Y-%m-%dT%H:%MZ"),
        sh("nproc"),
        sh("uname -r"),
        sh(". /etc/os-release; echo $PRETTY_NAME"),
        took.as_secs_f64()
    ));
    o.push_str("Workload: pyinfra-performance (user, log file mode 777, a copied file, an echo), with sudo. Fleet: one isolated sshd per host on 127.x.y.z (pallet-testkit). ");
    o.push_str("pallet: the release `bench-ops` binary, `lift` over a node-list inventory that states the OS (no probe), connections closed at the end (`--keep-connections 0`); pallet-probe: the OS not stated (the first run probes each node and caches its facts; the no-change run checks them inside its one exec), connections closed; pallet-keep: the OS not stated and the default kept connections (60 s, as Ansible's ControlPersist), so the no-change run reuses them; pallet-keep-stated: the OS stated and connections kept. Each tool's first run starts with no cached facts and no kept connection. ");
    o.push_str("pyinfra 3.10.0 (`--sudo`); ansible-core 2.19.14 (forks = N, pipelining, no fact gathering, ControlPersist default); reference: one `ssh host 'sudo -n sh -s' < script` per host, all at once.\n\n");
    o.push_str("## Median wall time (s): first run / no-change run (successful runs / runs)\n\n| N |");
    for t in tools {
        o.push_str(&format!(" {t} |"));
    }
    o.push_str("\n|---:|");
    for _ in tools {
        o.push_str("---:|");
    }
    o.push('\n');
    for &n in sizes {
        o.push_str(&format!("| {n} |"));
        for t in tools {
            o.push_str(&format!(" {:.2} / {:.2} ({}) |", med(n, t, "first"), med(n, t, "second"), okc(n, t, "second")));
        }
        o.push('\n');
    }
    o.push_str("\n## Ratios of medians (pallet / other; below 1 = pallet faster): first / no-change\n\n");
    o.push_str("`pallet-probe` is how most users run it (the OS not stated): the targets are at most 1.15x the reference, at least 4x faster than pyinfra and 10x than Ansible from N = 10.\n\n");
    o.push_str("| N | pallet vs reference | pallet-probe vs reference | pallet-keep vs reference | pallet-keep-stated vs reference | pallet-probe vs pyinfra | pallet-probe vs Ansible |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    for &n in sizes {
        let r = |a: &str, t: &str, run: &str| med(n, a, run) / med(n, t, run);
        o.push_str(&format!(
            "| {n} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} |\n",
            r("pallet", "reference", "first"),
            r("pallet", "reference", "second"),
            r("pallet-probe", "reference", "first"),
            r("pallet-probe", "reference", "second"),
            r("pallet-keep", "reference", "first"),
            r("pallet-keep", "reference", "second"),
            r("pallet-keep-stated", "reference", "first"),
            r("pallet-keep-stated", "reference", "second"),
            r("pallet-probe", "pyinfra", "first"),
            r("pallet-probe", "pyinfra", "second"),
            r("pallet-probe", "ansible", "first"),
            r("pallet-probe", "ansible", "second"),
        ));
    }
    o.push_str("\n## pallet's controller: CPU time and peak memory per host (median over runs)\n\n");
    o.push_str("User + system CPU of the `bench-ops` process and the children it waited for, and its peak RSS, divided by N (the ssh masters, which daemonize, are not counted; each is one `ssh` process of about 4 MB RSS).\n\n| N | tool | CPU ms/host first / no-change | peak RSS MiB (KiB/host) first / no-change |\n|---:|---|---:|---:|\n");
    for &n in sizes {
        for t in tools.iter().filter(|t| t.starts_with("pallet")) {
            let cpu = |run: &str| {
                median(
                    samples.iter().filter(|s| s.n == n && &s.tool == t && s.run == run).filter_map(|s| s.cpu).collect(),
                )
            };
            let rss = |run: &str| {
                median(
                    samples
                        .iter()
                        .filter(|s| s.n == n && &s.tool == t && s.run == run)
                        .filter_map(|s| s.max_rss_kib.map(|k| k as f64))
                        .collect(),
                )
            };
            o.push_str(&format!(
                "| {n} | {t} | {:.1} / {:.1} | {:.1} ({:.0}) / {:.1} ({:.0}) |\n",
                cpu("first") * 1000.0 / n as f64,
                cpu("second") * 1000.0 / n as f64,
                rss("first") / 1024.0,
                rss("first") / n as f64,
                rss("second") / 1024.0,
                rss("second") / n as f64
            ));
        }
    }
    o.push_str("\n## SSH connections and exec requests per host per run (from sshd's logs)\n\n| N | tool | first: conns | first: execs | no-change: conns | no-change: execs |\n|---:|---|---:|---:|---:|---:|\n");
    let mut per: BTreeMap<(usize, String), Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        per.entry((s.n, s.tool.clone())).or_default().push(s);
    }
    for ((n, t), ss) in per {
        let avg = |run: &str, f: fn(&Sample) -> f64| {
            let v: Vec<f64> = ss.iter().filter(|s| s.run == run).map(|s| f(s)).collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        o.push_str(&format!(
            "| {n} | {t} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            avg("first", |s| s.conns_per_host),
            avg("first", |s| s.execs_per_host),
            avg("second", |s| s.conns_per_host),
            avg("second", |s| s.execs_per_host)
        ));
    }
    o
}
