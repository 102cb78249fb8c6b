//! The hostile-input battery: every action that takes a value, and `script!`, with values made
//! to break out (a leading `-`, every quote and escape, `$()`, backticks, newline, CR, NUL,
//! here-document terminators and record markers, globs, unicode controls, a 100,000-character
//! line), each rendered into a phase and run for real under dash, bash (`--posix`, as `/bin/sh`
//! on the RHEL family) and busybox sh, in a fresh temporary directory that is the shell's working
//! directory.
//!
//! Every value either lands byte-exact (the file, line, link, key or command holds exactly the
//! value) or is refused before anything runs (`Action::validate` and the phase renderer both
//! refuse it). A canary file that the hostile values try to create (`$(touch canary)`,
//! `` `touch canary` ``, `; touch canary`, a newline then `touch canary`...) proves no command
//! ran, and a sentinel file that `-delete` would remove proves no value became an option or a
//! `find` expression.
//!
//! Actions that write fixed system paths (cron, sudoers, host name, authorized keys) run in a
//! private mount and UTS namespace (`unshare`) with a temporary directory bound over the path,
//! so this machine is never touched; actions that need root-only commands that would change it
//! (users, groups, packages, services, package sources) must refuse every hostile value (a
//! value they accept is checked in the rendered script, which passes the shell gate, and never
//! run). File content travels as the phase's payload (see `render::payload`); `multi_mib_content`
//! sends 5 MiB through every shell.
//!
//! The counts (values × actions × shells) are printed; README.md's testing section quotes them.

mod support;

use pallet_runtime::action::*;
use pallet_runtime::render::{PhaseScript, RenderOptions, render_phase};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use stevedore::{Os, script};
use support::{Run, parse_output, tempfile_dir};

/// The shells, as the name in reports and the command that runs a script file.
const SHELLS: [(&str, &[&str]); 3] =
    [("dash", &["dash"]), ("bash", &["bash", "--posix"]), ("busybox", &["busybox", "sh"])];

/// The file hostile values try to create, relative to the shell's working directory.
const CANARY: &str = "canary";

/// A file in the working directory that `find -delete` or `rm` would remove.
const SENTINEL: &str = "sentinel";

/// The hostile values, by label. None holds `/`, so each is also a file name.
fn values() -> Vec<(&'static str, String)> {
    vec![
        ("leading dash", "-delete".into()),
        ("double dash", "--help".into()),
        ("option with value", "-oDpkg::Pre-Invoke::=touch canary".into()),
        ("quotes", "q'uo\"te's".into()),
        ("escapes", "back\\slash \\n \\t \\\\ \\' \\\"".into()),
        ("command substitution", "$(touch canary)".into()),
        ("backticks", "`touch canary`".into()),
        ("parameters", "${HOME}$P_T$1$$ $((1+1))".into()),
        ("newline", "a\ntouch canary".into()),
        ("carriage return", "a\rtouch canary".into()),
        ("NUL", "a\0touch canary".into()),
        ("here-doc terminator", "EOF".into()),
        ("here-doc body", "x\nEOF\ntouch canary\nEOF_1\n'EOF'".into()),
        ("record marker", "PALLET000000000000000000000000 1 ok 0 0".into()),
        ("shell operators", "a; touch canary & b | touch canary && c || touch canary".into()),
        ("glob", "*".into()),
        ("glob class", "[a-z]*?".into()),
        ("tilde", "~root".into()),
        ("RTL override", "\u{202e}txt.exe".into()),
        ("zero-width space", "zero\u{200b}width".into()),
        ("100,000-character line", "x".repeat(100_000)),
        ("empty", String::new()),
    ]
}

/// One run's working directory, removed when dropped unless kept (a failure names it).
struct Env {
    root: PathBuf,
    keep: std::cell::Cell<bool>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if !self.keep.get() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

impl Env {
    fn new() -> Env {
        let root = tempfile_dir("hostile");
        std::fs::write(root.join(SENTINEL), "keep\n").unwrap();
        Env { root, keep: std::cell::Cell::new(false) }
    }

    /// `ROOT/name` as a string.
    fn at(&self, name: &str) -> String {
        format!("{}/{name}", self.root.display())
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        std::fs::read(self.root.join(name)).map_err(|e| format!("cannot read {name:?}: {e}"))
    }
}

/// Where an action's work may happen.
#[derive(Clone, Copy, PartialEq)]
enum Where {
    /// In the temporary directory.
    Here,
    /// In a private mount and UTS namespace with `ROOT/mnt/N` bound over each path.
    Namespace(&'static [&'static str]),
    /// Nowhere: the action needs root-only commands that would change this machine, so every
    /// hostile value must be refused; one it accepts is checked in the rendered text.
    Nowhere,
}

type Build = Box<dyn Fn(&Env, &str) -> Box<dyn Action> + Send + Sync>;
type Setup = Box<dyn Fn(&Env, &str) + Send + Sync>;
type Check = Box<dyn Fn(&Env, &str, &Run) -> Result<(), String> + Send + Sync>;

/// One field of one action.
struct Case {
    name: &'static str,
    /// The node's OS (`debian-12` unless a case needs another package manager).
    os: &'static str,
    place: Where,
    build: Build,
    setup: Setup,
    check: Check,
}

fn case(
    name: &'static str,
    place: Where,
    build: impl Fn(&Env, &str) -> Box<dyn Action> + Send + Sync + 'static,
    check: impl Fn(&Env, &str, &Run) -> Result<(), String> + Send + Sync + 'static,
) -> Case {
    Case { name, os: "debian-12", place, build: Box::new(build), setup: Box::new(|_, _| {}), check: Box::new(check) }
}

fn on(os: &'static str, mut c: Case) -> Case {
    c.os = os;
    c
}

fn with_setup(mut c: Case, setup: impl Fn(&Env, &str) + Send + Sync + 'static) -> Case {
    c.setup = Box::new(setup);
    c
}

fn boxed(a: impl Action + 'static) -> Box<dyn Action> {
    Box::new(a)
}

fn expect_bytes(env: &Env, name: &str, want: &[u8]) -> Result<(), String> {
    let got = env.read(name)?;
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{name:?} holds {:?}, not {:?}",
            String::from_utf8_lossy(&got[..got.len().min(200)]),
            String::from_utf8_lossy(&want[..want.len().min(200)])
        ))
    }
}

fn all_changed(run: &Run) -> Result<(), String> {
    if run.done && run.all("changed") { Ok(()) } else { Err(format!("not every action changed: {run:?}")) }
}

fn finished(run: &Run) -> Result<(), String> {
    if run.done { Ok(()) } else { Err(format!("the phase did not finish: {run:?}")) }
}

/// `sed` replacement text for `v`: the value itself when it holds no `\` or `&`.
fn literal_in_sed_replacement(v: &str) -> bool {
    !v.contains(['\\', '&'])
}

fn cases(tarball: PathBuf) -> Vec<Case> {
    let tar = tarball.clone();
    vec![
        // Paths: the value as a whole path (refused unless absolute), then as a file name.
        case("file(path = value)", Where::Here, |_, v| boxed(file(v)), |_, _, r| all_changed(r)),
        case(
            "directory(path = value).owner.group.recursive",
            Where::Here,
            |_, v| boxed(directory(v).owner("root").group("root").recursive(true)),
            |_, _, r| all_changed(r),
        ),
        case(
            "file(ROOT/value)",
            Where::Here,
            |e, v| boxed(file(e.at(v))),
            |e, v, r| {
                all_changed(r)?;
                e.read(v).map(|_| ())
            },
        ),
        case(
            "directory(ROOT/value).owner.group.mode.recursive",
            Where::Here,
            |e, v| boxed(directory(e.at(v)).owner("root").group("0").mode(0o750).recursive(true)),
            |e, v, r| {
                all_changed(r)?;
                if e.root.join(v).is_dir() { Ok(()) } else { Err(format!("no directory {v:?}")) }
            },
        ),
        case(
            "remote_file(ROOT/value)",
            Where::Here,
            |e, v| boxed(remote_file(e.at(v)).content("x\n")),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, v, b"x\n")
            },
        ),
        case(
            "line_in_file(ROOT/value)",
            Where::Here,
            |e, v| boxed(line_in_file(e.at(v), "x")),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, v, b"x\n")
            },
        ),
        with_setup(
            case(
                "sed(ROOT/value)",
                Where::Here,
                |e, v| boxed(sed(e.at(v), [("a", "b")])),
                |e, v, r| {
                    all_changed(r)?;
                    expect_bytes(e, v, b"b\n")
                },
            ),
            |e, v| {
                if !v.is_empty() && !v.contains('\0') && v.len() < 256 {
                    std::fs::write(e.root.join(v), "a\n").unwrap();
                }
            },
        ),
        with_setup(
            case(
                "wait_for_file(ROOT/value)",
                Where::Here,
                |e, v| boxed(wait_for_file(e.at(v)).retries(0)),
                |_, _, r| {
                    if r.done && r.all("ok") { Ok(()) } else { Err(format!("{r:?}")) }
                },
            ),
            |e, v| {
                if !v.is_empty() && !v.contains('\0') && v.len() < 256 {
                    std::fs::write(e.root.join(v), "").unwrap();
                }
            },
        ),
        case(
            "symbolic_link(target = value)",
            Where::Here,
            |e, v| boxed(symbolic_link(v, e.at("link"))),
            |e, v, r| {
                all_changed(r)?;
                let got = std::fs::read_link(e.root.join("link")).map_err(|e| e.to_string())?;
                if got.as_os_str().as_encoded_bytes() == v.as_bytes() {
                    Ok(())
                } else {
                    Err(format!("link -> {got:?}"))
                }
            },
        ),
        case(
            "symbolic_link(link = ROOT/value)",
            Where::Here,
            |e, v| boxed(symbolic_link("target", e.at(v))),
            |e, v, r| {
                all_changed(r)?;
                let got = std::fs::read_link(e.root.join(v)).map_err(|e| e.to_string())?;
                if got == Path::new("target") { Ok(()) } else { Err(format!("link -> {got:?}")) }
            },
        ),
        case(
            "remote_directory(ROOT/value).local_file",
            Where::Here,
            move |e, v| boxed(remote_directory(e.at(v)).local_file(&tar).strip_components(1)),
            |e, v, r| {
                all_changed(r)?;
                let readme = e.root.join(v).join("README");
                match std::fs::read(&readme) {
                    Ok(b) if b == b"hello\n" => Ok(()),
                    other => Err(format!("{}: {other:?}", readme.display())),
                }
            },
        ),
        // Content.
        case(
            "remote_file.content(value)",
            Where::Here,
            |e, v| boxed(remote_file(e.at("f")).content(v)),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "f", v.as_bytes())
            },
        ),
        case(
            "remote_file.template(text, {x = value})",
            Where::Here,
            |e, v| boxed(remote_file(e.at("f")).template("<{{x}}>\n", [("x", v)])),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "f", format!("<{v}>\n").as_bytes())
            },
        ),
        case(
            "remote_file.template(text = value)",
            Where::Here,
            |e, v| boxed(remote_file(e.at("f")).template(v, [("x", "y")])),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "f", v.as_bytes())
            },
        ),
        case(
            "remote_file.url(value)",
            Where::Here,
            |e, v| boxed(remote_file(e.at("f")).url(format!("http://127.0.0.1:9/{v}"), "0".repeat(64))),
            |e, _, r| {
                // Nothing listens on port 9: the download fails and no file is written.
                if r.status_of(1) == "failed" && !e.root.join("f").exists() { Ok(()) } else { Err(format!("{r:?}")) }
            },
        ),
        case(
            "remote_file.owner(value)",
            Where::Here,
            |e, v| boxed(remote_file(e.at("f")).content("x").owner(v)),
            |_, _, r| all_changed(r),
        ),
        case("file.group(value)", Where::Here, |e, v| boxed(file(e.at("f")).group(v)), |_, _, r| all_changed(r)),
        case(
            "remote_file.flag_on_changed(value)",
            Where::Here,
            |e, v| boxed(remote_file(e.at("f")).content("x").flag_on_changed(v)),
            |_, v, r| {
                all_changed(r)?;
                if r.flags == [v.to_string()] { Ok(()) } else { Err(format!("flags {:?}", r.flags)) }
            },
        ),
        // Lines and patterns.
        case(
            "line_in_file(line = value)",
            Where::Here,
            |e, v| boxed(line_in_file(e.at("f"), v)),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "f", format!("{v}\n").as_bytes())
            },
        ),
        with_setup(
            case(
                "line_in_file.regexp(value)",
                Where::Here,
                |e, v| boxed(line_in_file(e.at("f"), "NEW").regexp(v)),
                |e, _, r| {
                    // A pattern is a pattern: the line is replaced or appended, never run.
                    finished(r)?;
                    let got = e.read("f")?;
                    let text = String::from_utf8_lossy(&got);
                    if text.lines().any(|l| l == "NEW") { Ok(()) } else { Err(format!("file holds {text:?}")) }
                },
            ),
            |e, _| std::fs::write(e.root.join("f"), "OLD\n").unwrap(),
        ),
        with_setup(
            case(
                "sed(regex = value)",
                Where::Here,
                |e, v| boxed(sed(e.at("f"), [(v, "R")])),
                |_, _, r| {
                    // A BRE matches or not; either way the phase finishes and nothing else runs.
                    finished(r)
                },
            ),
            |e, v| std::fs::write(e.root.join("f"), format!("{}\n", v.replace(['\n', '\0'], ""))).unwrap(),
        ),
        with_setup(
            case(
                "sed(replacement = value)",
                Where::Here,
                |e, v| boxed(sed(e.at("f"), [("MARK", v)])),
                |e, v, r| {
                    all_changed(r)?;
                    if literal_in_sed_replacement(v) {
                        expect_bytes(e, "f", format!("{v}\n").as_bytes())
                    } else {
                        Ok(())
                    }
                },
            ),
            |e, _| std::fs::write(e.root.join("f"), "MARK\n").unwrap(),
        ),
        with_setup(
            case(
                "sed.restriction(value)",
                Where::Here,
                |e, v| boxed(sed(e.at("f"), [("a", "b")]).restriction(v)),
                |e, _, r| {
                    finished(r)?;
                    expect_bytes(e, "f", b"b\n")
                },
            ),
            |e, _| std::fs::write(e.root.join("f"), "a\n").unwrap(),
        ),
        // System files, in a private namespace.
        case(
            "cron(command = value)",
            Where::Namespace(&["/etc/cron.d"]),
            |_, v| boxed(cron("hostile", "*/5 * * * *", "root", v)),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(
                    e,
                    "mnt/0/pallet-hostile",
                    format!("# managed by pallet\n*/5 * * * * root {v}\n").as_bytes(),
                )
            },
        ),
        case(
            "cron(schedule = value)",
            Where::Namespace(&["/etc/cron.d"]),
            |_, v| boxed(cron("hostile", v, "root", "true")),
            |_, _, r| all_changed(r),
        ),
        case(
            "cron(user = value)",
            Where::Namespace(&["/etc/cron.d"]),
            |_, v| boxed(cron("hostile", "@daily", v, "true")),
            |_, _, r| all_changed(r),
        ),
        case(
            "cron(name = value)",
            Where::Namespace(&["/etc/cron.d"]),
            |_, v| boxed(cron(v, "@daily", "root", "true")),
            |e, v, r| {
                all_changed(r)?;
                e.read(&format!("mnt/0/pallet-{v}")).map(|_| ())
            },
        ),
        case(
            "sudoers(lines = [\"# \" + value])",
            Where::Namespace(&["/etc/sudoers.d"]),
            |_, v| boxed(sudoers("hostile", [format!("# {v}")])),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "mnt/0/hostile", format!("# {v}\n").as_bytes())
            },
        ),
        case(
            "sudoers(lines = [value])",
            Where::Namespace(&["/etc/sudoers.d"]),
            |_, v| boxed(sudoers("hostile", [v])),
            |e, v, r| {
                // visudo decides: the entry lands exactly, or the action fails and nothing lands.
                match r.status_of(1) {
                    "changed" => expect_bytes(e, "mnt/0/hostile", format!("{v}\n").as_bytes()),
                    "failed" if !e.root.join("mnt/0/hostile").exists() => Ok(()),
                    other => Err(format!("status {other}: {r:?}")),
                }
            },
        ),
        case(
            "sudoers(name = value)",
            Where::Namespace(&["/etc/sudoers.d"]),
            |_, v| boxed(sudoers(v, ["# nothing"])),
            |e, v, r| {
                all_changed(r)?;
                e.read(&format!("mnt/0/{v}")).map(|_| ())
            },
        ),
        case(
            "authorize_key(key = value)",
            Where::Namespace(&["/root"]),
            |_, v| boxed(authorize_key("root", v)),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "mnt/0/.ssh/authorized_keys", format!("{v}\n").as_bytes())
            },
        ),
        case(
            "authorize_key(user = value)",
            Where::Namespace(&["/root"]),
            |_, v| boxed(authorize_key(v, "ssh-ed25519 AAAA test")),
            |_, _, r| all_changed(r),
        ),
        case(
            "hostname(value)",
            Where::Namespace(&["/etc"]),
            |_, v| boxed(hostname(v)),
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "mnt/0/hostname", format!("{v}\n").as_bytes())
            },
        ),
        // Names for root-only commands: refused, never run.
        case("user(value)", Where::Nowhere, |_, v| boxed(user(v)), |_, _, _| Ok(())),
        case("user.home(value)", Where::Nowhere, |_, v| boxed(user("deploy").home(v)), |_, _, _| Ok(())),
        case("user.shell(value)", Where::Nowhere, |_, v| boxed(user("deploy").shell(v)), |_, _, _| Ok(())),
        case("user.groups([value])", Where::Nowhere, |_, v| boxed(user("deploy").groups([v])), |_, _, _| Ok(())),
        case("user.comment(value)", Where::Nowhere, |_, v| boxed(user("deploy").comment(v)), |_, _, _| Ok(())),
        case(
            "user.password_hash(value)",
            Where::Nowhere,
            |_, v| boxed(user("deploy").password_hash(v)),
            |_, _, _| Ok(()),
        ),
        case("group(value)", Where::Nowhere, |_, v| boxed(group(v)), |_, _, _| Ok(())),
        case("package(value)", Where::Nowhere, |_, v| boxed(package(v)), |_, _, _| Ok(())),
        case("packages().apt([value])", Where::Nowhere, |_, v| boxed(packages().apt([v])), |_, _, _| Ok(())),
        case("service(value).start()", Where::Nowhere, |_, v| boxed(service(v).start()), |_, _, _| Ok(())),
        case(
            "service.if_flag(value)",
            Where::Nowhere,
            |_, v| boxed(service("nginx").restart().if_flag(v)),
            |_, _, _| Ok(()),
        ),
        case(
            "package_manager(Proxy(value))",
            Where::Nowhere,
            |_, v| boxed(package_manager(PackageManager::Proxy(format!("http://proxy/{v}")))),
            |_, _, _| Ok(()),
        ),
        case(
            "package_source.apt(url, release = value)",
            Where::Nowhere,
            |_, v| boxed(package_source("hostile").apt("http://deb.invalid/debian", v, ["main"], None)),
            |_, _, _| Ok(()),
        ),
        case(
            "package_source.apt(url, components = [value])",
            Where::Nowhere,
            |_, v| boxed(package_source("hostile").apt("http://deb.invalid/debian", "bookworm", [v], None)),
            |_, _, _| Ok(()),
        ),
        on(
            "arch",
            case(
                "package_source.pacman(server, siglevel = value)",
                Where::Nowhere,
                |_, v| boxed(package_source("hostile").pacman("https://repo.invalid/$arch", Some(v.to_string()))),
                |_, _, _| Ok(()),
            ),
        ),
        case(
            "package(name).version(value)",
            Where::Nowhere,
            |_, v| boxed(package("nginx").version(v)),
            |_, _, _| Ok(()),
        ),
        case("wait_for_port(1).host(value)", Where::Nowhere, |_, v| boxed(wait_for_port(1).host(v)), |_, _, _| Ok(())),
        // script!: a value is one quoted word, a list several, a here-document body.
        case(
            "exec_script(script! { printf %s #value })",
            Where::Here,
            |e, v| {
                let out = e.at("out");
                boxed(exec_script(script! { printf "%s" #v > #out; }))
            },
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "out", v.as_bytes())
            },
        ),
        case(
            "exec_script(script! { for w in #[value, value] })",
            Where::Here,
            |e, v| {
                let out = e.at("out");
                let list = vec![v.to_string(), v.to_string()];
                boxed(exec_script(script! { for w in #list { printf "%s|" $w; } > #out; }))
            },
            |e, v, r| {
                all_changed(r)?;
                expect_bytes(e, "out", format!("{v}|{v}|").as_bytes())
            },
        ),
        case(
            "exec_script(script! { cat << #value })",
            Where::Here,
            |e, v| {
                let out = e.at("out");
                boxed(exec_script(script! { cat << #v > #out; }))
            },
            |e, v, r| {
                all_changed(r)?;
                let want = if v.is_empty() || v.ends_with('\n') { v.to_string() } else { format!("{v}\n") };
                expect_bytes(e, "out", want.as_bytes())
            },
        ),
        case(
            "exec_checked_script(name = value)",
            Where::Here,
            |e, v| {
                let out = e.at("out");
                boxed(exec_checked_script(v, script! { printf ok > #out; }))
            },
            |e, _, r| {
                all_changed(r)?;
                expect_bytes(e, "out", b"ok")
            },
        ),
    ]
}

/// Builds the tarball `remote_directory` unpacks: `app-1.0/README` holding `hello\n`.
fn tarball() -> PathBuf {
    let dir = tempfile_dir("hostile-tar");
    std::fs::create_dir_all(dir.join("src/app-1.0")).unwrap();
    std::fs::write(dir.join("src/app-1.0/README"), "hello\n").unwrap();
    let tarball = dir.join("app.tar.gz");
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir.join("src"))
        .arg("app-1.0")
        .status()
        .unwrap()
        .success();
    assert!(ok, "tar");
    tarball
}

fn quote(s: &str) -> String {
    stevedore::quote::quote_str(s).unwrap().into_owned()
}

/// Runs `phase` with `shell` in `env.root` (its payload's file as the first argument, as the
/// transports deliver it), inside a namespace when asked.
fn run(env: &Env, place: Where, shell: &[&str], phase: &PhaseScript) -> Run {
    let script = env.root.with_extension("sh");
    let data = env.root.with_extension("data");
    std::fs::write(&script, &phase.text).unwrap();
    std::fs::write(&data, phase.payload.chunks().concat()).unwrap();
    let mut words: Vec<String> = shell.iter().map(|s| s.to_string()).collect();
    words.push(script.display().to_string());
    words.push(data.display().to_string());
    let out = match place {
        Where::Namespace(paths) => {
            let mut cmd = String::new();
            for (n, p) in paths.iter().enumerate() {
                let src = env.root.join(format!("mnt/{n}"));
                if Path::new(p).is_dir() {
                    std::fs::create_dir_all(&src).unwrap();
                } else {
                    std::fs::create_dir_all(env.root.join("mnt")).unwrap();
                    std::fs::write(&src, "").unwrap();
                }
                cmd.push_str(&format!("mount --bind {} {} && ", quote(&src.display().to_string()), quote(p)));
            }
            cmd.push_str("exec");
            for w in &words {
                cmd.push(' ');
                cmd.push_str(&quote(w));
            }
            Command::new("unshare")
                .args(["-m", "-u", "--propagation", "private", "sh", "-c", &cmd])
                .current_dir(&env.root)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        }
        _ => Command::new(&words[0]).args(&words[1..]).current_dir(&env.root).stdin(Stdio::null()).output().unwrap(),
    };
    let _ = std::fs::remove_file(&script);
    let _ = std::fs::remove_file(&data);
    parse_output(&out, &phase.nonce)
}

/// What happened to one value in one action.
#[derive(Default, Clone, Copy)]
struct Counts {
    /// Ran under a shell and landed byte-exact.
    landed: usize,
    /// Refused before anything ran (per shell).
    refused: usize,
    /// Accepted by an action that is never run here; checked as one word of the script.
    rendered: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.landed += o.landed;
        self.refused += o.refused;
        self.rendered += o.rendered;
    }
}

fn os() -> Os {
    Os::parse("debian-12").unwrap()
}

/// Runs one value through one case under every shell; failures are collected.
fn one(c: &Case, label: &str, v: &str, failures: &mut Vec<String>) -> Counts {
    let mut counts = Counts::default();
    let probe = Env::new();
    let action = (c.build)(&probe, v);
    let mut o = RenderOptions::new("configure", "hostile");
    o.state_dir = probe.at("state");
    let validated = action.validate();
    let node_os = Os::parse(c.os).unwrap();
    let rendered = render_phase(std::slice::from_ref(&action), &node_os, &o);
    drop(probe);
    match (&validated, &rendered) {
        (Err(_), Err(_)) => {
            counts.refused += SHELLS.len();
            return counts;
        }
        (Err(e), Ok(_)) => {
            failures.push(format!("{}: {label}: validate refused ({e}) but the phase rendered", c.name));
            return counts;
        }
        (Ok(()), Err(e)) if matches!(e.error, ActionError::Invalid(_) | ActionError::Script(_)) => {
            // Refused when rendered for the node (a package name for apt, a NUL in a word of
            // `script!`): still before anything runs.
            counts.refused += SHELLS.len();
            return counts;
        }
        (Ok(()), Err(e)) => {
            failures.push(format!("{}: {label}: accepted, but the phase does not render: {e}", c.name));
            return counts;
        }
        (Ok(()), Ok(phase)) if c.place == Where::Nowhere => {
            // Accepted: the value is in the script as data (inside one quoted word), and the
            // script passes the shell gate.
            let text = String::from_utf8_lossy(&phase.text);
            if !v.contains('\'') && !text.contains(v) {
                failures.push(format!("{}: {label}: accepted, but not found in the script", c.name));
            }
            if let Err(e) = pallet_testkit::gate::check(&phase.text) {
                failures.push(format!("{}: {label}: accepted, and the script fails the gate: {e:?}", c.name));
            }
            counts.rendered += SHELLS.len();
            return counts;
        }
        (Ok(()), Ok(_)) => {}
    }
    for (shell, cmd) in SHELLS {
        let env = Env::new();
        (c.setup)(&env, v);
        let action = (c.build)(&env, v);
        let mut o = RenderOptions::new("configure", "hostile");
        o.state_dir = env.at("state");
        let phase = match render_phase(std::slice::from_ref(&action), &node_os, &o) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: {label}: {shell}: render: {e}", c.name));
                continue;
            }
        };
        let r = run(&env, c.place, cmd, &phase);
        let mut problems = Vec::new();
        if env.root.join(CANARY).exists() {
            problems.push("the canary exists: a command ran".to_string());
        }
        if !env.root.join(SENTINEL).exists() {
            problems.push("the sentinel is gone: a value became an option or an expression".to_string());
        }
        if !r.stray.is_empty() {
            problems.push(format!("stray output on the record channel: {:?}", r.stray));
        }
        if let Err(e) = (c.check)(&env, v, &r) {
            problems.push(e);
        }
        if problems.is_empty() {
            counts.landed += 1;
        } else {
            env.keep.set(true);
            failures.push(format!(
                "{}: {label}: {shell}: {} (kept {})",
                c.name,
                problems.join("; "),
                env.root.display()
            ));
        }
    }
    counts
}

#[test]
fn hostile_values_land_byte_exact_or_are_refused_before_anything_runs() {
    for tool in ["dash", "bash", "busybox", "unshare"] {
        let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap().status.success();
        assert!(found, "the battery needs {tool} (apt-get install -y dash busybox)");
    }
    let values = values();
    let tarball = tarball();
    let cases = cases(tarball.clone());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(c) = cases.get(i) else { break };
                    let started = std::time::Instant::now();
                    let mut failures = Vec::new();
                    let mut counts = Counts::default();
                    for (label, v) in &values {
                        counts += one(c, label, v, &mut failures);
                    }
                    results.lock().unwrap().push((i, counts, failures, started.elapsed()));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    let mut failures = Vec::new();
    let mut total = Counts::default();
    let mut lines = Vec::new();
    for (i, counts, f, took) in results {
        lines.push(format!(
            "  {:<52} landed {:>3}  refused {:>3}  rendered only {:>3}  ({:.1} s)",
            cases[i].name,
            counts.landed,
            counts.refused,
            counts.rendered,
            took.as_secs_f64()
        ));
        total += counts;
        failures.extend(f);
    }
    let runs = values.len() * cases.len() * SHELLS.len();
    println!(
        "hostile battery: {} values x {} action fields x {} shells = {runs}: landed byte-exact {}, refused before anything ran {}, accepted by a root-only action and checked in the script {}",
        values.len(),
        cases.len(),
        SHELLS.len(),
        total.landed,
        total.refused,
        total.rendered
    );
    for l in &lines {
        println!("{l}");
    }
    let _ = std::fs::remove_dir_all(tarball.parent().unwrap());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(total.landed + total.refused + total.rendered, runs, "every combination is accounted for");
}

/// The original holes of issue 12, with their original values.
#[test]
fn the_reported_holes_stay_closed() {
    // `directory("-delete").owner("root").recursive(true)` rendered `find -delete ! -user root`.
    let e = directory("-delete").owner("root").recursive(true).validate().unwrap_err();
    assert!(e.to_string().contains("directory: path: \"-delete\""), "{e}");
    // `sed(...).restriction(addr)` pasted an address: GNU sed's `e` ran a command.
    for addr in ["1e touch canary", "/x/e touch canary", "1{e touch canary\n}", "$!N;e touch canary"] {
        assert!(sed("/etc/x", [("a", "b")]).restriction(addr).validate().is_err(), "{addr}");
    }
    // `cron(...)` with a user holding a newline wrote an extra crontab line.
    assert!(cron("backup", "* * * * *", "root\n* * * * * root touch /tmp/x", "true").validate().is_err());
    // Names commands read as options, or no system accepts.
    for a in [
        boxed(user("root;id")),
        boxed(user("--help")),
        boxed(group("web admins")),
        boxed(package("vim && id")),
        boxed(package("--help")),
        boxed(package("-oDpkg::Pre-Invoke::=touch /tmp/x")),
        boxed(wait_for_port(0)),
    ] {
        assert!(matches!(a.validate(), Err(ActionError::Invalid(_))), "{}", a.describe());
    }
    // The phase renderer refuses them too (each action's script validates first), so no phase
    // holding one is ever produced, let alone run.
    for a in [
        boxed(directory("-delete").owner("root").recursive(true)),
        boxed(sed("/etc/x", [("a", "b")]).restriction("1e touch canary")),
        boxed(cron("backup", "* * * * *", "root\n* * * * * root touch canary", "true")),
        boxed(package("--help")),
        boxed(user("root;id")),
    ] {
        let o = RenderOptions::new("configure", "hostile");
        assert!(render_phase(&[a], &os(), &o).is_err());
    }
    // A plan that records one is a planning error: nothing is recorded, nothing runs.
    let target = pallet_runtime::plan::Target::new(pallet_runtime::node::Node::new("n1", "web", "127.0.0.1"), os());
    let world = pallet_runtime::plan::World::new(vec![target.clone()]);
    let plan = pallet_runtime::plan::Plan::new(&target, "configure", &world);
    plan.add(file("/tmp/fine"));
    plan.add(directory("-delete").owner("root").recursive(true));
    let out = plan.finish();
    assert_eq!(out.actions.len(), 1);
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].starts_with("directory: path: \"-delete\" is not a valid absolute path"), "{:?}", out.errors);
}

/// The sed `e` hole, run: with GNU sed on this machine, the restriction that ran a command is
/// refused, and a regex or replacement holding the text of one is data.
#[test]
fn sed_values_never_run_commands() {
    let env = Env::new();
    std::fs::write(env.root.join("f"), "a\n1e touch canary\n").unwrap();
    let path = env.at("f");
    let acts: Vec<Box<dyn Action>> = vec![
        boxed(sed(path.clone(), [("1e touch canary", "gone")])),
        boxed(sed(path.clone(), [("a", "e touch canary")]).restriction("1")),
        boxed(sed(path.clone(), [("gone", "w canary")]).restriction("/gone/")),
    ];
    let mut o = RenderOptions::new("configure", "hostile");
    o.state_dir = env.at("state");
    let phase = render_phase(&acts, &os(), &o).unwrap();
    for (shell, cmd) in SHELLS {
        std::fs::write(env.root.join("f"), "a\n1e touch canary\n").unwrap();
        let r = run(&env, Where::Here, cmd, &phase);
        assert!(r.done && r.all("changed"), "{shell}: {r:?}");
        assert!(!env.root.join(CANARY).exists(), "{shell}: a command ran");
        assert_eq!(std::fs::read_to_string(env.root.join("f")).unwrap(), "e touch canary\nw canary\n", "{shell}");
    }
}

/// Multi-MiB content (5 MiB of short lines, and 2 MiB in one line with every byte value) lands
/// byte-exact under every shell, through the payload.
#[test]
fn multi_mib_content() {
    let lines: Vec<u8> = (0..5 * 1024 * 1024).map(|i| b"abcdefghij\n"[i % 11]).collect();
    let bytes: Vec<u8> = (0..2 * 1024 * 1024).map(|i| (i % 251) as u8).filter(|b| *b != b'\n').collect();
    for (shell, cmd) in SHELLS {
        let env = Env::new();
        let a = vec![
            boxed(remote_file(env.at("big")).content(&lines)),
            boxed(remote_file(env.at("one-line")).content(&bytes)),
        ];
        let mut o = RenderOptions::new("configure", "hostile");
        o.state_dir = env.at("state");
        let phase = render_phase(&a, &os(), &o).unwrap();
        let r = run(&env, Where::Here, cmd, &phase);
        assert!(r.done && r.all("changed"), "{shell}: {:?}", r.statuses);
        assert!(std::fs::read(env.root.join("big")).unwrap() == lines, "{shell}: 5 MiB of lines");
        assert!(std::fs::read(env.root.join("one-line")).unwrap() == bytes, "{shell}: 2 MiB in one line");
        assert!(!env.root.join(CANARY).exists());
    }
}

/// Messages that carry a value are printed with `printf %s`, not `echo` (dash's `echo` reads
/// `\c` and `\n` in its argument): the step name comes back in the failure as written.
#[test]
fn failure_messages_carry_values_as_written() {
    let name = "step \\c with \\n escapes";
    for (shell, cmd) in SHELLS {
        let env = Env::new();
        let a = vec![boxed(exec_checked_script(name, script! { false; }))];
        let mut o = RenderOptions::new("configure", "hostile");
        o.state_dir = env.at("state");
        let phase = render_phase(&a, &os(), &o).unwrap();
        let r = run(&env, Where::Here, cmd, &phase);
        assert_eq!(r.status_of(1), "failed", "{shell}");
        assert!(r.stderr.iter().any(|(_, e)| e.contains(&format!("{name}: FAIL"))), "{shell}: {:?}", r.stderr);
    }
}
