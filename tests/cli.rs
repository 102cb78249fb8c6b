//! The command line of ops binaries (`pallet::cli`), through the example binaries `cargo test`
//! builds: help, usage and configuration errors (exit 3), `plan` output, and `lift`/`check`/
//! `converge`/`nodes` against a real SSH fleet with their JSON checked against
//! `docs/report.schema.json`.

use pallet_testkit::{Fleet, Quirk, USER};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(p.exists(), "{} is missing: `cargo test` builds the examples", p.display());
    p
}

fn run(name: &str, args: &[&str], cwd: Option<&Path>) -> Output {
    let mut c = Command::new(bin(name));
    c.args(args).env_remove("PALLET_CONFIG").env("XDG_CONFIG_HOME", "/nonexistent-pallet-config");
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Where [`temp`] puts `name`.
fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pallet-cli-{}-{name}", std::process::id()))
}

fn temp(name: &str) -> PathBuf {
    let d = temp_path(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn help_lists_every_command() {
    let o = run("motd", &["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("help", text(&o).0);
    for sub in ["converge", "lift", "nodes", "plan", "check", "destroy", "script", "images", "hardware", "providers"] {
        let o = run("motd", &[sub, "--help"], None);
        assert_eq!(o.status.code(), Some(0), "{sub}");
        assert!(text(&o).0.contains(&format!("Usage: motd {sub}")), "{sub}: {}", text(&o).0);
    }
}

#[test]
fn usage_errors_exit_3() {
    let d = temp("usage");
    for (args, expect) in [
        (&["frobnicate"][..], "unrecognized subcommand"),
        (&["plan", "--os", "gentoo"][..], "unknown OS family `gentoo`"),
        (&["script", "--os", "debian-12", "--group", "nope"][..], "no group `nope`; groups: app"),
        (&["script", "--os", "debian-12", "--group", "ap"][..], "no group `ap` (did you mean `app`?); groups: app"),
        (
            &["plan", "--os", "debian-12", "--phase", "confgure"][..],
            "no group of app defines phase `confgure` (did you mean `configure`?); their phases: configure",
        ),
        (&["lift", "--phase", "deploy"][..], "no group of app defines phase `deploy`; their phases: configure"),
        (&["--concurrency", "many", "lift"][..], "invalid value 'many'"),
        (&["lift"][..], "no compute service"),
        (&["--jump=-oProxyCommand=sh", "lift"][..], "--jump `-oProxyCommand=sh`: invalid host"),
        (&["--jump", "me@bastion:99999", "nodes"][..], "invalid port"),
        (&["images"][..], "no compute service"),
        (&["destroy", "app"][..], "no compute service"),
    ] {
        let o = run("motd", args, Some(&d));
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}

#[test]
fn invalid_configuration_names_file_line_and_expectation() {
    let d = temp("config");
    let cfg = d.join("bad.toml");
    std::fs::write(&cfg, "default_service = \"lab\"\n\n[services.lab]\nprovider = \"nodelist\"\n").unwrap();
    let o = run("motd", &["--config", cfg.to_str().unwrap(), "nodes"], None);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "{}:3: services.lab: unknown provider `nodelist` (did you mean `node-list`?); providers: containers, localhost, node-list",
            cfg.display()
        )),
        "{err}"
    );
    // A provider refuses options it does not know, naming the file and service.
    std::fs::write(&cfg, "default_service = \"lab\"\n[services.lab]\nprovider = \"node-list\"\ninventry = \"x\"\n")
        .unwrap();
    let o = run("motd", &["--config", cfg.to_str().unwrap(), "nodes"], None);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains(&format!("{}:2: services.lab: unknown field `inventry`", cfg.display())), "{err}");
    // A project pallet.toml is read from the working directory.
    std::fs::write(d.join("pallet.toml"), "[admin_user]\nusrname = \"x\"\n").unwrap();
    let o = run("motd", &["nodes"], Some(&d));
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).1.contains("pallet.toml:2: unknown field `usrname`"), "{}", text(&o).1);
}

#[test]
fn plan_for_the_quickstart_matches_the_snapshot_and_passes_the_gate() {
    let o = run("quickstart", &["plan", "--os", "debian-12"], None);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    insta::assert_snapshot!("quickstart_plan_debian_12", out);
    let scripts: Vec<&str> = out.split("# ===== ").skip(1).collect();
    assert_eq!(scripts.len(), 6, "bootstrap + configure for web-1, web-2, db-1");
    for s in scripts {
        let body: String = s.lines().skip(1).filter(|l| !l.starts_with("#   ")).map(|l| format!("{l}\n")).collect();
        pallet_testkit::gate::assert_passes(body);
    }
    // `script` renders the same scripts without the action lists, for any OS.
    let o = run("quickstart", &["script", "--os", "ubuntu-24.04", "--group", "db", "--phase", "configure"], None);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out.contains("apt-get -q -y install redis-server")
            && out.contains("# ===== db-1 / configure (ubuntu 24.04) ====="),
        "{out}"
    );
}

fn validate(json: &str) -> serde_json::Value {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}\n{json}");
    v
}

/// A directory with `pallet.toml` naming a node-list inventory of hosts `hosts` of `fleet`
/// (`app-1`... in group `app`), logging in as the fleet's user.
fn fleet_config(fleet: &Fleet, name: &str, hosts: std::ops::Range<usize>) -> PathBuf {
    let d = temp(name);
    let inv: String = hosts
        .map(|i| {
            format!(
                "[[node]]\nname = \"app-{}\"\ngroup = \"app\"\naddress = \"{}\"\nport = {}\n\n",
                i + 1,
                fleet.hosts[i].address,
                fleet.port
            )
        })
        .collect();
    std::fs::write(d.join("inventory.toml"), inv).unwrap();
    std::fs::write(
        d.join("pallet.toml"),
        format!(
            "default_service = \"fleet\"\n[services.fleet]\nprovider = \"node-list\"\ninventory = \"inventory.toml\"\n[admin_user]\nusername = \"{USER}\"\nprivate_key = \"{}\"\n",
            fleet.key.display()
        ),
    )
    .unwrap();
    d
}

#[test]
fn lift_check_converge_nodes_against_a_fleet() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    let d = temp("fleet");
    let inv: String = fleet
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            format!(
                "[[node]]\nname = \"app-{}\"\ngroup = \"app\"\naddress = \"{}\"\nport = {}\n\n",
                i + 1,
                h.address,
                fleet.port
            )
        })
        .collect();
    std::fs::write(d.join("inventory.toml"), inv).unwrap();
    std::fs::write(
        d.join("pallet.toml"),
        format!(
            "default_service = \"fleet\"\n[services.fleet]\nprovider = \"node-list\"\ninventory = \"inventory.toml\"\n[admin_user]\nusername = \"{USER}\"\nprivate_key = \"{}\"\n",
            fleet.key.display()
        ),
    )
    .unwrap();
    // SSH masters kept by this test's runs live in a control directory of its own.
    let control = d.join("cm");
    let cli = |args: &[&str]| {
        let mut a = vec!["--host-keys", "accept-new"];
        a.extend_from_slice(args);
        let mut c = Command::new(bin("motd"));
        c.args(&a).env_remove("PALLET_CONFIG").env("XDG_CONFIG_HOME", "/nonexistent-pallet-config");
        c.env("PALLET_CONTROL_DIR", &control).env("XDG_STATE_HOME", d.join("state")).current_dir(&d);
        c.output().unwrap()
    };

    let o = cli(&["--format", "json", "lift"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    validate(&text(&o).0);
    let o = cli(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(!text(&o).0.contains("would change"));

    // An edit outside pallet on one node: check reports exactly that file there, with its diff.
    std::fs::write(fleet.hosts[1].path("/srv/app/motd"), "edited by hand\n").unwrap();
    let o = cli(&["check"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    let changes: Vec<&str> = out.lines().filter(|l| l.starts_with("would change:")).collect();
    assert_eq!(
        changes,
        ["would change: node app-2 phase configure: remote_file /srv/app/motd (content, 49 bytes) mode 0644"],
        "{out}"
    );
    assert!(
        out.contains("-edited by hand") && out.contains("+Welcome to app-2 (app group), managed by pallet."),
        "{out}"
    );
    let o = cli(&["--format", "json", "check"]);
    assert_eq!(o.status.code(), Some(2));
    validate(&text(&o).0);

    let o = cli(&["--format", "json", "converge", "app=3"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the node list cannot replace the edited file without overwrite_changes: {}",
        text(&o).0
    );
    validate(&text(&o).0);
    let o = cli(&["--format", "json", "nodes"]);
    assert_eq!(o.status.code(), Some(0));
    validate(&text(&o).0);
    let nodes: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(nodes.as_array().unwrap().len(), 3);
    let o = cli(&["nodes"]);
    assert!(text(&o).0.lines().nth(1).unwrap().starts_with("app-1"), "{}", text(&o).0);

    // Connections are kept after a run (60 s by default) and reused by the next one: no new SSH
    // connection, one exec per node (its facts are cached); `disconnect` closes them.
    let before: Vec<usize> = fleet.hosts.iter().map(|h| h.connection_count()).collect();
    let execs: Vec<usize> = fleet.hosts.iter().map(|h| h.exec_count()).collect();
    let o = cli(&["-q", "lift"]);
    assert_eq!(o.status.code(), Some(1), "app-2 still holds the edit: {}", text(&o).0);
    assert_eq!(fleet.hosts.iter().map(|h| h.connection_count()).collect::<Vec<_>>(), before);
    let more: Vec<usize> = fleet.hosts.iter().zip(&execs).map(|(h, e)| h.exec_count() - e).collect();
    assert_eq!(more, [1, 1, 1], "one exec per node, no probe");
    // -q prints the failure and the summary only, no per-node table.
    let (out, _) = text(&o);
    assert!(
        out.contains("FAILED: node app-2") && out.contains("lift: nodes") && !out.contains("configure  app-1"),
        "{out}"
    );
    let o = cli(&["disconnect"]);
    assert_eq!(text(&o).0, "closed 3 kept connections\n");
    let o = cli(&["disconnect"]);
    assert_eq!(text(&o).0, "closed 0 kept connections\n");
    // `--keep-connections 0` keeps nothing.
    let o = cli(&["--keep-connections", "0", "check"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&cli(&["disconnect"])).0, "closed 0 kept connections\n");
}

/// A fake container engine: records its arguments, prints one image line for `images`.
fn fake_engine(d: &Path) -> PathBuf {
    let engine = d.join("engine.sh");
    std::fs::write(
        &engine,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}/engine-args\n[ \"$1\" = images ] && printf '775888a6cd53\\tlocalhost/pallet-debian\\t12\\t2026-12-01 08:52:24 +0000 UTC\\t200 MB\\nae7aea00ca7e\\t<none>\\t<none>\\t2026-11-30 10:00:00 +0000 UTC\\t10 MB\\n'\nexit 0\n",
            d.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&engine, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    engine
}

#[test]
fn listing_commands_answer_or_say_not_supported() {
    let d = temp("listing");
    // No configuration: the providers the program knows, no services, its group unplaced.
    let o = run("motd", &["providers"], Some(&d));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.starts_with("providers: containers, localhost, node-list\n"), "{out}");
    assert!(out.contains("(no services: configure one under [services.NAME])"), "{out}");
    assert!(out.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["app", "-"]), "{out}");
    let o = run("motd", &["--format", "json", "providers"], Some(&d));
    validate(&text(&o).0);

    std::fs::write(
        d.join("inventory.toml"),
        "[[node]]\nname = \"app-1\"\ngroup = \"app\"\naddress = \"192.0.2.1\"\n\n\
         [[node]]\nname = \"cache-1\"\ngroup = \"cache\"\naddress = \"192.0.2.2\"\n",
    )
    .unwrap();
    let engine = fake_engine(&d);
    std::fs::write(
        d.join("pallet.toml"),
        format!(
            "default_service = \"fleet\"\n[services.fleet]\nprovider = \"node-list\"\ninventory = \"inventory.toml\"\n\
             [services.local]\nprovider = \"containers\"\nengine = \"{}\"\n",
            engine.display()
        ),
    )
    .unwrap();
    let o = run("motd", &["providers"], Some(&d));
    let (out, _) = text(&o);
    assert!(out.contains("* fleet") && out.contains("node-list") && out.contains("pallet.toml:2"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("  local") && l.contains("containers")), "{out}");
    let o = run("motd", &["--format", "json", "--service", "local", "providers"], Some(&d));
    let v = validate(&text(&o).0);
    assert_eq!(v["default_service"], "local", "--service names the default");
    assert_eq!(v["groups"], serde_json::json!([{ "group": "app", "service": "local" }]));

    // A node list cannot list images or hardware: exit 4, a clear message, nothing on stdout.
    for (args, what) in [(&["images"][..], "list images"), (&["--format", "json", "hardware"][..], "list hardware")] {
        let o = run("motd", args, Some(&d));
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(4), "{args:?}: {err}");
        assert_eq!(err.trim(), format!("error: not supported: service fleet: node-list cannot {what}"));
        assert!(out.is_empty(), "{out}");
    }

    // `nodes` shows this program's groups; `--all` every group of the service.
    let o = run("motd", &["--format", "json", "nodes"], Some(&d));
    let v = validate(&text(&o).0);
    assert_eq!(v.as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect::<Vec<_>>(), ["app-1"]);
    let o = run("motd", &["--format", "json", "nodes", "--all"], Some(&d));
    let v = validate(&text(&o).0);
    assert_eq!(
        v.as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["app-1", "cache-1"]
    );
    let o = run("motd", &["nodes", "--all"], Some(&d));
    assert!(text(&o).0.contains("cache-1"), "{}", text(&o).0);

    // Containers: the engine's images, filtered by reference; this machine as hardware.
    let o = run("motd", &["--service", "local", "images", "localhost/pallet-*"], Some(&d));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let args = std::fs::read_to_string(d.join("engine-args")).unwrap();
    assert!(
        args.starts_with("images\n--format\n") && args.ends_with("--filter\nreference=localhost/pallet-*\n"),
        "{args}"
    );
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert_eq!(rows[1][..3], ["local", "775888a6cd53", "localhost/pallet-debian:12"], "{out}");
    assert_eq!(rows[2][..3], ["local", "ae7aea00ca7e", "-"], "{out}");
    let o = run("motd", &["--format", "json", "--service", "local", "images"], Some(&d));
    let v = validate(&text(&o).0);
    assert_eq!((v["images"][0]["service"].as_str(), v["images"][0]["size"].as_str()), (Some("local"), Some("200 MB")));
    let o = run("motd", &["--service", "local", "images", "--owner", "amazon"], Some(&d));
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o).1.contains("cannot filter images by owner"), "{}", text(&o).1);
    let o = run("motd", &["--format", "json", "--service", "local", "hardware"], Some(&d));
    let v = validate(&text(&o).0);
    assert_eq!((v["hardware"][0]["service"].as_str(), v["hardware"][0]["id"].as_str()), (Some("local"), Some("host")));
    assert!(v["hardware"][0]["cores"].as_u64().is_some_and(|c| c >= 1), "{v}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn listing_asks_every_service_of_a_hybrid_configuration() {
    let d = temp("hybrid-listing");
    std::fs::write(d.join("inventory.toml"), "[[node]]\nname = \"db-1\"\ngroup = \"db\"\naddress = \"192.0.2.1\"\n")
        .unwrap();
    let engine = fake_engine(&d);
    std::fs::write(
        d.join("pallet.toml"),
        format!(
            "[services.fleet]\nprovider = \"node-list\"\ninventory = \"inventory.toml\"\n\
             [services.local]\nprovider = \"containers\"\nengine = \"{}\"\n\
             [groups.web]\nservice = \"local\"\n[groups.db]\nservice = \"fleet\"\n",
            engine.display()
        ),
    )
    .unwrap();
    // The quickstart's admin key goes under this HOME.
    let quickstart = |args: &[&str]| {
        let mut c = Command::new(bin("quickstart"));
        c.args(args).current_dir(&d).env_remove("PALLET_CONFIG").env("HOME", &d).env("XDG_CONFIG_HOME", d.join("x"));
        c.output().unwrap()
    };
    let o = quickstart(&["--format", "json", "providers"]);
    let v = validate(&text(&o).0);
    assert_eq!(
        v["groups"],
        serde_json::json!([{ "group": "web", "service": "local" }, { "group": "db", "service": "fleet" }])
    );
    // The containers answer, the node list cannot: its images are printed, the other is named,
    // exit 4.
    let o = quickstart(&["images"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(4), "{out}{err}");
    assert_eq!(out.lines().filter(|l| l.starts_with("local ")).count(), 2, "{out}");
    assert_eq!(err.trim(), "error: not supported: service fleet: node-list cannot list images");
    let o = quickstart(&["--format", "json", "hardware"]);
    assert_eq!(o.status.code(), Some(4));
    let v = validate(&text(&o).0);
    assert_eq!(v["hardware"].as_array().unwrap().len(), 1);
    // Only the node list (`--service`): nothing to print, exit 4.
    let o = quickstart(&["--service", "fleet", "images"]);
    assert_eq!((o.status.code(), text(&o).0.as_str()), (Some(4), ""));
    std::fs::remove_dir_all(&d).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Faults at the command line (the rest of the fault suite is runtime/tests/faults.rs): signals,
// exit codes, `-q`, the per-run known_hosts file, processes left behind.
// ---------------------------------------------------------------------------------------------

/// An ops binary started in a process group of its own (as a shell starts a foreground job),
/// with `marker` (a directory) in its environment, so that [`pallet_testkit::processes_with`]
/// finds whatever it starts; its control sockets in `MARKER/cm`, its state (facts) in
/// `CWD/state`. Fault cases pass `--keep-connections 0`: then nothing may outlive the run.
struct Running {
    child: std::process::Child,
    started: Instant,
}

impl Running {
    fn start(name: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)], marker: &str) -> Running {
        let mut c = Command::new(bin(name));
        c.args(args)
            .current_dir(cwd)
            .env_remove("PALLET_CONFIG")
            .env("XDG_CONFIG_HOME", "/nonexistent-pallet-config")
            .env("PALLET_FAULT_MARK", marker)
            .env("PALLET_CONTROL_DIR", Path::new(marker).join("cm"))
            .env("XDG_STATE_HOME", cwd.join("state"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        Running { child: c.spawn().unwrap(), started: Instant::now() }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the process, or (`group`) to its whole process group, as a terminal's
    /// Ctrl-C does.
    fn signal(&self, signal: &str, group: bool) {
        let target = if group { format!("-{}", self.pid()) } else { self.pid().to_string() };
        let st = Command::new("kill").args(["-s", signal, "--", &target]).status().unwrap();
        assert!(st.success(), "kill -s {signal} {target}");
    }

    /// Waits at most `limit` for the exit (then kills the group and fails): exit code, stdout,
    /// stderr, and how long it ran.
    fn finish(mut self, limit: Duration) -> (Option<i32>, String, String, Duration) {
        let deadline = Instant::now() + limit;
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = Command::new("kill").args(["-s", "KILL", "--", &format!("-{}", self.pid())]).status();
                let out = self.child.wait_with_output().unwrap();
                panic!("still running after {limit:?}: {:?}", text(&out));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let took = self.started.elapsed();
        let out = self.child.wait_with_output().unwrap();
        let (o, e) = text(&out);
        (out.status.code(), o, e, took)
    }
}

/// The per-run known_hosts file of the ops binary with process id `pid`.
fn known_hosts_of(pid: u32) -> PathBuf {
    std::env::temp_dir().join(format!("pallet-known-hosts-{pid}"))
}

/// Waits (up to 30 s) until `path` exists on every host of `fleet`.
fn wait_on_all(fleet: &Fleet, path: &str, case: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fleet.hosts.iter().all(|h| h.root_sh(&format!("test -e {path}")).status.success()) {
        assert!(Instant::now() < deadline, "{case}: {path} did not appear on every host");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Removes `paths` on every host (inside the host: its overlay must see the change).
fn reset(fleet: &Fleet, paths: &[&str]) {
    for h in &fleet.hosts {
        let out = h.root_sh(&format!("rm -f {}", paths.join(" ")));
        assert!(out.status.success());
    }
}

/// `path` on host `h`, read inside the host.
fn read_on(h: &pallet_testkit::Host, path: &str) -> String {
    String::from_utf8_lossy(&h.root_sh(&format!("cat {path}")).stdout).into_owned()
}

#[test]
fn a_signal_during_lift_lets_running_phases_finish_and_starts_nothing_new() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 3]) else { return };
    let d = fleet_config(&fleet, "signal", 0..3);
    let marker = fleet.dir.display().to_string();
    // SIGINT to the process, SIGINT to its process group (Ctrl-C at a terminal), SIGTERM (with
    // the masters kept, as by default: `disconnect` closes them).
    for (signal, group, keep) in [("INT", false, "0"), ("INT", true, "0"), ("TERM", false, "60")] {
        reset(&fleet, &["/srv/app/started", "/srv/app/state", "/srv/app/deployed"]);
        let args = [
            "--host-keys",
            "accept-new",
            "--keep-connections",
            keep,
            "lift",
            "--phase",
            "configure",
            "--phase",
            "deploy",
        ];
        let run = Running::start("faults", &args, &d, &[("FAULTS_SLEEP", "2")], &marker);
        let pid = run.pid();
        wait_on_all(&fleet, "/srv/app/started", &format!("SIG{signal} (group: {group})"));
        // The leak check sees the binary and its ssh masters while they run.
        let live = fleet.leaked(Duration::ZERO);
        assert!(live.iter().any(|p| p.pid == pid) && live.iter().any(|p| p.comm == "ssh"), "{live:#?}");
        run.signal(signal, group);
        let (code, out, err, _) = run.finish(Duration::from_secs(30));
        let case = format!("SIG{signal} to the {}", if group { "process group" } else { "process" });
        assert_eq!(code, Some(1), "{case}: {out}{err}");
        assert!(err.contains("stopping: running phases finish, nothing new starts"), "{case}: {err}");
        assert!(out.contains("STOPPED: the operation was interrupted before phase deploy"), "{case}: {out}");
        assert!(out.contains("lift: nodes 3 changed; actions "), "{case}: {out}");
        for (i, h) in fleet.hosts.iter().enumerate() {
            assert_eq!(
                read_on(h, "/srv/app/state"),
                format!("configured app-{}\n", i + 1),
                "{case}: the running phase finished"
            );
            assert!(!h.path("/srv/app/deployed").exists(), "{case}: deploy did not start");
        }
        assert!(!known_hosts_of(pid).exists(), "{case}: the per-run known_hosts file is removed");
        if keep != "0" {
            let kept = fleet.leaked(Duration::ZERO);
            assert!(kept.len() == 3 && kept.iter().all(|p| p.comm == "ssh"), "{case}: the kept masters: {kept:#?}");
            let run = Running::start("faults", &["disconnect"], &d, &[], &marker);
            let (code, out, err, _) = run.finish(Duration::from_secs(30));
            assert_eq!((code, out.as_str()), (Some(0), "closed 3 kept connections\n"), "{err}");
        }
        let left = fleet.leaked(Duration::from_millis(500));
        assert!(left.is_empty(), "{case}: processes left behind: {left:#?}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_second_signal_cancels_the_running_phases() {
    let Some(fleet) = Fleet::start(&[Quirk::None; 2]) else { return };
    let d = fleet_config(&fleet, "cancel", 0..2);
    for h in &fleet.hosts {
        assert!(h.root_sh("mkdir -p /srv/app && echo old > /srv/app/state").status.success());
    }
    let args = ["--host-keys", "accept-new", "--keep-connections", "0", "lift"];
    let run = Running::start("faults", &args, &d, &[("FAULTS_SLEEP", "30")], &fleet.dir.display().to_string());
    let pid = run.pid();
    wait_on_all(&fleet, "/srv/app/started", "cancel");
    run.signal("INT", true);
    std::thread::sleep(Duration::from_millis(300));
    run.signal("INT", true);
    let (code, out, err, took) = run.finish(Duration::from_secs(15));
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("cancelling") && err.contains("error: the operation was cancelled"), "{err}");
    assert!(took < Duration::from_secs(10), "cancelled at once, not after the 30 s phase: {took:?}");
    for h in &fleet.hosts {
        assert_eq!(read_on(h, "/srv/app/state"), "old\n", "the abandoned phase wrote nothing");
    }
    assert!(!known_hosts_of(pid).exists());
    let left = fleet.leaked(Duration::from_millis(500));
    assert!(left.is_empty(), "processes left behind: {left:#?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn quiet_prints_only_failures_and_the_summary() {
    let Some(fleet) = Fleet::start(&[Quirk::None, Quirk::RejectKey]) else { return };
    let marker = fleet.dir.display().to_string();
    let d = fleet_config(&fleet, "quiet", 0..2);
    let run = Running::start(
        "faults",
        &["--host-keys", "accept-new", "--keep-connections", "0", "-q", "lift"],
        &d,
        &[],
        &marker,
    );
    let pid = run.pid();
    let (code, out, err, _) = run.finish(Duration::from_secs(30));
    assert_eq!(code, Some(1), "{out}{err}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    assert!(lines.iter().all(|l| !l.starts_with("configure ") && !l.starts_with("connect ")), "no table: {out}");
    assert_eq!(lines[0], "FAILED: node app-2 (app), phase connect", "{out}");
    assert!(lines[1].contains(": authentication failed: "), "{out}");
    assert!(lines.last().unwrap().starts_with("lift: nodes 1 changed, 1 failed; actions 3 changed; "), "{out}");
    assert!(!known_hosts_of(pid).exists());
    // Nothing failed: the summary line alone.
    let d = fleet_config(&fleet, "quiet-ok", 0..1);
    let run = Running::start(
        "faults",
        &["--host-keys", "accept-new", "--keep-connections", "0", "-q", "lift"],
        &d,
        &[],
        &marker,
    );
    let (code, out, err, _) = run.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("lift: nodes 1 changed; actions 2 ok, 1 changed; "), "{out}");
    assert!(fleet.leaked(Duration::from_millis(500)).is_empty());
    for name in ["quiet", "quiet-ok"] {
        let _ = std::fs::remove_dir_all(temp_path(name));
    }
}

/// The processes started with `marker` in their environment that still run (waiting up to
/// `grace` for them to end).
fn left_behind(marker: &str, grace: Duration) -> Vec<pallet_testkit::Proc> {
    let deadline = Instant::now() + grace;
    loop {
        let left = pallet_testkit::processes_with(marker);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Containers of group `group` (`name status`), any state.
fn pods(group: &str) -> Vec<String> {
    let out = Command::new("podman")
        .args(["--runtime", "runc", "ps", "-a", "--filter", &format!("label=pallet.group={group}")])
        .args(["--format", "{{.Names}} {{.State}}"])
        .output()
        .unwrap();
    // `Up 5 seconds ago` is running; `Created` never started.
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| match l.split_once(' ') {
            Some((name, state)) if state.starts_with("Up") => format!("{name} running"),
            _ => l.to_string(),
        })
        .collect();
    v.sort();
    v
}

#[test]
fn interrupting_converge_while_it_creates_containers_leaves_nothing_the_next_one_cannot_finish() {
    let ok = |c: &str| Command::new("sh").arg("-c").arg(c).status().is_ok_and(|s| s.success());
    if !ok("command -v podman >/dev/null && command -v mmdebstrap >/dev/null && [ \"$(id -u)\" = 0 ]") {
        assert!(!pallet_testkit::required(), "CI must run the container tests (podman, mmdebstrap, root)");
        eprintln!("skipping: needs root, podman and mmdebstrap");
        return;
    }
    assert!(ok(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/build-base-image.sh")), "building the base image failed");
    let clean = "podman --runtime runc ps -a -q --filter label=pallet.group=fbox | xargs -r podman --runtime runc rm -f -t 0 >/dev/null";
    assert!(ok(clean));
    let d = temp("pods");
    let key = d.join("id");
    assert!(ok(&format!("ssh-keygen -q -t ed25519 -N '' -f {}", key.display())));
    std::fs::write(
        d.join("pallet.toml"),
        format!(
            "default_service = \"pods\"\n[services.pods]\nprovider = \"containers\"\nengine_args = [\"--runtime\", \"runc\"]\nrun_args = [\"--ulimit\", \"nofile=1024:1024\", \"--ulimit\", \"nproc=1024:1024\"]\nstate_dir = \"state\"\n[admin_user]\nusername = \"root\"\nprivate_key = \"{}\"\n",
            key.display()
        ),
    )
    .unwrap();
    let marker = d.display().to_string();
    // One SIGINT to the group (Ctrl-C): creation finishes, nothing else starts. Two: cancelled,
    // engine commands run to their end, nodes maybe half-made. One SIGINT to the process alone.
    for (signals, group) in [(1, true), (2, true), (1, false)] {
        let run = Running::start("faults", &["--keep-connections", "0", "converge", "fbox=3"], &d, &[], &marker);
        let pid = run.pid();
        let deadline = Instant::now() + Duration::from_secs(120);
        while pods("fbox").is_empty() {
            assert!(Instant::now() < deadline, "no container was created");
            std::thread::sleep(Duration::from_millis(10));
        }
        for i in 0..signals {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(50));
            }
            run.signal("INT", group);
        }
        let (code, out, err, _) = run.finish(Duration::from_secs(120));
        assert_eq!(code, Some(1), "{signals} signal(s), group {group}: {out}{err}");
        if signals == 1 {
            assert!(out.contains("STOPPED: the operation was interrupted"), "{out}{err}");
        } else {
            assert!(err.contains("error: the operation was cancelled"), "{out}{err}");
        }
        // At once: an engine command orphaned by the cancel would still be finishing its work.
        let left = left_behind(&marker, Duration::ZERO);
        assert!(left.is_empty(), "{signals} signal(s), group {group}: processes left behind: {left:#?}");
        assert!(!known_hosts_of(pid).exists());
        // The next converge repairs or replaces whatever was cut short, and succeeds.
        let (code, out, err, _) =
            Running::start("faults", &["--keep-connections", "0", "converge", "fbox=3"], &d, &[], &marker)
                .finish(Duration::from_secs(180));
        assert_eq!(code, Some(0), "{signals} signal(s), group {group}, the converge after: {out}{err}");
        assert_eq!(pods("fbox"), ["fbox-1 running", "fbox-2 running", "fbox-3 running"]);
        for n in 1..=3 {
            let out = Command::new("podman")
                .args(["--runtime", "runc", "exec", &format!("fbox-{n}"), "cat", "/root/configured"])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), format!("fbox-{n}\n"));
        }
        let (code, out, err, _) =
            Running::start("faults", &["--keep-connections", "0", "destroy", "fbox", "--yes"], &d, &[], &marker)
                .finish(Duration::from_secs(120));
        assert_eq!(code, Some(0), "{out}{err}");
        assert!(out.starts_with("destroy: ") || out.contains("\ndestroy: "), "{out}");
        assert!(pods("fbox").is_empty());
        assert!(left_behind(&marker, Duration::from_millis(500)).is_empty());
    }
    let _ = std::fs::remove_dir_all(&d);
}
