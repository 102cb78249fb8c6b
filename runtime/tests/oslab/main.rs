//! The OS lab: every OS path the library renders, executed for real where this machine can
//! reach the tools (Debian's archive only): dnf, zypper and pacman installing from local
//! repositories of test packages built here, systemd, OpenRC and SysV init as PID 1 of
//! containers, dash, bash and busybox sh as `/bin/sh` with large phases, Debian 12 and 13 with
//! every action family, and users and groups on a busybox-only root. Phases run through the
//! runtime (`lift`, a compute service of this lab whose transport is `podman exec`).
//!
//! The images are built by `scripts/lab-image.sh` from `scripts/lab/*.recipe`, once: an image
//! whose recipe did not change is reused. Each case starts its own containers and removes them.
//! After a full run the harness renders the matrix of what ran (`matrix.rs`) and checks that
//! README.md holds it (`PALLET_OSLAB_WRITE_README=1` rewrites it).
//!
//! A harness of its own (`harness = false`): cases run in parallel (`PALLET_OSLAB_JOBS`,
//! default 3), each bounded by [`CASE_LIMIT`]; a filter argument selects cases by substring.
//! Needs root, podman, mmdebstrap and curl: without them the lab is skipped, except under
//! `CI=true`, where it fails.

mod debian;
mod fixtures;
mod init;
mod lab;
mod matrix;
mod packages;
mod shells;
mod users;

use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one case may run.
const CASE_LIMIT: Duration = Duration::from_secs(20 * 60);

/// What a case gets.
pub struct Ctx {
    /// The test packages (`rpm/`, `pacman/`), when the case asked for them.
    pub packages: Option<PathBuf>,
}

/// One case of the lab.
pub struct Case {
    /// Its name (filters match it).
    pub name: &'static str,
    /// The images it uses (built before the cases start).
    pub images: &'static [&'static str],
    /// Does it need the test packages?
    pub packages: bool,
    /// The matrix cells (row, column) it executes: it records each with [`lab::executed`] once
    /// its checks passed; when it fails, the cells it did not record show as failing.
    pub cells: &'static [(&'static str, &'static str)],
    /// The case.
    pub run: fn(&Ctx),
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(packages::cases());
    v.extend(init::cases());
    v.extend(debian::cases());
    v.extend(users::cases());
    v.extend(shells::cases());
    v
}

/// The arguments libtest would take, as far as this harness uses them.
struct Args {
    list: bool,
    ignored: bool,
    exact: bool,
    filters: Vec<String>,
    skips: Vec<String>,
}

fn args() -> Args {
    let mut a = Args { list: false, ignored: false, exact: false, filters: vec![], skips: vec![] };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--list" => a.list = true,
            "--ignored" => a.ignored = true,
            "--exact" => a.exact = true,
            "--skip" => a.skips.extend(it.next()),
            "--test-threads" | "--color" | "--format" | "--logfile" | "-Z" => {
                it.next();
            }
            s if s.starts_with('-') => {}
            s => a.filters.push(s.to_string()),
        }
    }
    a
}

impl Args {
    fn selects(&self, name: &str) -> bool {
        let hit = |f: &String| if self.exact { name == f } else { name.contains(f.as_str()) };
        !self.ignored && (self.filters.is_empty() || self.filters.iter().any(hit)) && !self.skips.iter().any(hit)
    }
}

/// Root, podman, mmdebstrap and curl (the busybox image's source), or why not.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    let ok = |c: &str| Command::new("sh").args(["-c", c]).status().map(|s| s.success()).unwrap_or(false);
    if !ok("[ \"$(id -u)\" = 0 ]") {
        missing.push("root".to_string());
    }
    for tool in ["podman", "runc", "mmdebstrap", "curl", "flock", "timeout"] {
        if !ok(&format!("command -v {tool} >/dev/null")) {
            missing.push(tool.to_string());
        }
    }
    missing
}

fn main() {
    let args = args();
    let all = cases();
    let selected: Vec<&Case> = all.iter().filter(|c| args.selects(c.name)).collect();
    if args.list {
        for c in &selected {
            println!("{}: test", c.name);
        }
        return;
    }
    if selected.is_empty() {
        println!("\nrunning 0 tests (oslab)\n\ntest result: ok. 0 passed; 0 failed; {} filtered out\n", all.len());
        return;
    }
    let missing = missing_prerequisites();
    if !missing.is_empty() {
        assert!(!pallet_testkit::required(), "CI must run the OS lab; missing: {}", missing.join(", "));
        println!("\nskipping the OS lab ({} cases): needs {}\n", selected.len(), missing.join(", "));
        return;
    }
    let started = Instant::now();
    lab::remove_all_containers();

    // Images, two builds at a time (mmdebstrap is mostly downloading and unpacking).
    let mut images: Vec<&str> = selected.iter().flat_map(|c| c.images.iter().copied()).collect();
    images.sort();
    images.dedup();
    let t = Instant::now();
    let queue = std::sync::Mutex::new(images.clone());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while let Some(name) = queue.lock().unwrap().pop() {
                    lab::image(name);
                }
            });
        }
    });
    println!("oslab: {} images ready in {:.1} s", images.len(), t.elapsed().as_secs_f64());
    let packages = selected.iter().any(|c| c.packages).then(|| {
        let t = Instant::now();
        let dir = fixtures::build_packages();
        println!("oslab: test packages built in {:.1} s", t.elapsed().as_secs_f64());
        dir
    });

    let jobs: usize = std::env::var("PALLET_OSLAB_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    println!("\nrunning {} tests (oslab, {jobs} at a time)", selected.len());
    let (tx, rx) = mpsc::channel::<(&'static str, Result<(), String>, Duration)>();
    let mut pending: Vec<&Case> = selected.iter().rev().copied().collect();
    let mut running: Vec<(&'static str, Instant)> = Vec::new();
    let mut failed: Vec<(&'static str, String)> = Vec::new();
    let mut passed = 0;
    loop {
        while running.len() < jobs {
            let Some(case) = pending.pop() else { break };
            let tx = tx.clone();
            let ctx = Ctx { packages: packages.clone() };
            let (name, run, cells) = (case.name, case.run, case.cells);
            running.push((name, Instant::now()));
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(move || {
                    let t = Instant::now();
                    lab::set_case(name, cells);
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&ctx)));
                    let r = r.map_err(|e| {
                        e.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "panicked".into())
                    });
                    let _ = tx.send((name, r, t.elapsed()));
                })
                .expect("a thread starts");
        }
        if running.is_empty() {
            break;
        }
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok((name, r, took)) => {
                running.retain(|(n, _)| *n != name);
                match r {
                    Ok(()) => {
                        passed += 1;
                        println!("test {name} ... ok ({:.1} s)", took.as_secs_f64());
                    }
                    Err(e) => {
                        println!("test {name} ... FAILED ({:.1} s)", took.as_secs_f64());
                        failed.push((name, e));
                    }
                }
            }
            Err(_) => {
                for (name, since) in running.iter().filter(|(_, s)| s.elapsed() > CASE_LIMIT) {
                    println!("test {name} ... FAILED (over {} s)", CASE_LIMIT.as_secs());
                    failed.push((name, format!("still running after {:?}", since.elapsed())));
                }
                running.retain(|(_, s)| s.elapsed() <= CASE_LIMIT);
            }
        }
    }

    // A case that passed recorded every cell it declares (the declarations cannot drift).
    let recorded = lab::executed_cells();
    let passed_cases: Vec<&Case> =
        selected.iter().copied().filter(|c| !failed.iter().any(|(n, _)| n == &c.name)).collect();
    for case in passed_cases {
        let missing: Vec<_> =
            case.cells.iter().filter(|(r, c)| !recorded.contains(&(r.to_string(), c.to_string()))).collect();
        if !missing.is_empty() {
            passed -= 1;
            failed.push((case.name, format!("passed without recording the cells it declares: {missing:?}")));
        }
    }
    // After a full run: the matrix, and README.md's copy of it.
    let mut matrix_error = None;
    if selected.len() == all.len() {
        let failing: Vec<(&str, &str)> = selected
            .iter()
            .filter(|c| failed.iter().any(|(n, _)| n == &c.name))
            .flat_map(|c| c.cells.iter().copied())
            .collect();
        let table = matrix::render(&failing);
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("oslab-matrix.md");
        let _ = std::fs::write(&path, &table);
        println!("\nmatrix ({}):\n{table}", path.display());
        matrix_error = matrix::check_readme(&table).err();
    }
    lab::remove_all_containers();
    if let Some(p) = &packages {
        let _ = std::fs::remove_dir_all(p);
    }
    for (name, e) in &failed {
        println!("\n---- {name} ----\n{e}");
    }
    if let Some(e) = &matrix_error {
        println!("\n---- matrix ----\n{e}");
    }
    let ok = failed.is_empty() && matrix_error.is_none();
    println!(
        "\ntest result: {}. {passed} passed; {} failed; {} filtered out; finished in {:.1} s\n",
        if ok { "ok" } else { "FAILED" },
        failed.len(),
        all.len() - selected.len(),
        started.elapsed().as_secs_f64()
    );
    if !ok {
        std::process::exit(101);
    }
}
