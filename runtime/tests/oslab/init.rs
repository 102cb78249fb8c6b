//! Init systems for real: the service action (enable, start, reload and restart conditioned on
//! a flag, restart, stop, disable) on a tiny shell daemon, under systemd, OpenRC and SysV init
//! running as PID 1 of their containers; a reboot of the container checks that `enable` really
//! starts the service at boot; the OS probe names the init system.

use crate::lab::{self, Boot, Container, Setup, assert_all};
use crate::{Case, Ctx};
use pallet_runtime::action::*;
use pallet_runtime::facts::{parse_probe, probe_script};
use pallet_runtime::plan::Plan;
use pallet_runtime::report::Status;
use stevedore::Os;
use stevedore::os::InitSystem;

/// One case per init system.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "systemd",
            images: &["systemd"],
            packages: false,
            cells: &[("systemd", "service"), ("systemd", "OS detection")],
            run: |c| scenario(c, InitSystem::Systemd),
        },
        Case {
            name: "openrc",
            images: &["openrc"],
            packages: false,
            cells: &[("openrc", "service"), ("openrc", "OS detection")],
            run: |c| scenario(c, InitSystem::Openrc),
        },
        Case {
            name: "sysvinit",
            images: &["deb12"],
            packages: false,
            cells: &[("sysvinit", "service"), ("sysvinit", "OS detection")],
            run: |c| scenario(c, InitSystem::Sysvinit),
        },
    ]
}

/// The daemon: records its PID and counts the reloads (SIGHUP) since it started.
pub const DAEMON: &str = r#"#!/bin/sh
# pallet-labd: the OS lab's test daemon.
echo $$ >/run/pallet-labd.pid
n=0
echo $n >/run/pallet-labd.reloads
trap 'n=$((n + 1)); echo $n >/run/pallet-labd.reloads' HUP
trap 'rm -f /run/pallet-labd.pid; exit 0' TERM INT
while :; do
  sleep 1 &
  wait $!
done
"#;

/// The systemd unit.
pub const UNIT: &str = "[Unit]
Description=pallet lab test daemon

[Service]
ExecStart=/usr/local/bin/pallet-labd
ExecReload=/bin/kill -HUP $MAINPID

[Install]
WantedBy=multi-user.target
";

/// The OpenRC service script.
pub const OPENRC: &str = r#"#!/sbin/openrc-run
description="pallet lab test daemon"
# The interpreter, so that Debian's start-stop-daemon (which OpenRC calls there) finds the
# process by its executable.
command=/bin/sh
command_args=/usr/local/bin/pallet-labd
command_background=yes
pidfile=/run/pallet-labd.openrc.pid
extra_started_commands="reload"

reload() {
	ebegin "Reloading ${RC_SVCNAME}"
	kill -HUP "$(cat "${pidfile}")"
	eend $?
}
"#;

/// The SysV init script (LSB headers, for update-rc.d).
pub const SYSV: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          pallet-labd
# Required-Start:    $local_fs
# Required-Stop:     $local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: pallet lab test daemon
### END INIT INFO
PID=/run/pallet-labd.pid
running() { [ -f "$PID" ] && grep -q pallet-labd "/proc/$(cat "$PID")/cmdline" 2>/dev/null; }
wait_for() { i=0; while [ $i -lt 50 ]; do if "$@"; then return 0; fi; sleep 0.1; i=$((i + 1)); done; return 1; }
stopped() { ! running; }
case "$1" in
  start) running || { /usr/local/bin/pallet-labd </dev/null >/dev/null 2>&1 & wait_for running; } ;;
  stop) if running; then kill "$(cat "$PID")"; wait_for stopped; fi ;;
  restart) "$0" stop && "$0" start ;;
  reload) running && kill -HUP "$(cat "$PID")" ;;
  status) running ;;
  *) echo "usage: $0 start|stop|restart|reload|status" >&2; exit 2 ;;
esac
"#;

/// Where the service's definition goes and what it holds.
fn definition(init: InitSystem) -> (&'static str, &'static str, u32) {
    match init {
        InitSystem::Systemd => ("/etc/systemd/system/pallet-labd.service", UNIT, 0o644),
        InitSystem::Openrc => ("/etc/init.d/pallet-labd", OPENRC, 0o755),
        InitSystem::Sysvinit => ("/etc/init.d/pallet-labd", SYSV, 0o755),
    }
}

/// Does the init system start the service at boot (asked the init system's own way)?
fn enabled(c: &Container, init: InitSystem) -> bool {
    c.holds(match init {
        InitSystem::Systemd => "systemctl is-enabled --quiet pallet-labd",
        InitSystem::Openrc => "[ -e /etc/runlevels/default/pallet-labd ]",
        InitSystem::Sysvinit => "ls /etc/rc2.d/S*pallet-labd",
    })
}

/// The daemon's PID when it runs.
pub fn daemon_pid(c: &Container) -> Option<String> {
    c.read("/run/pallet-labd.pid").filter(|pid| c.holds(&format!("grep -q pallet-labd /proc/{pid}/cmdline")))
}

/// Reloads since the daemon started (it writes the count when the signal arrives).
fn reloads(c: &Container) -> String {
    c.read("/run/pallet-labd.reloads").unwrap_or_default()
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..50 {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("timed out waiting until {what}");
}

fn row(init: InitSystem) -> &'static str {
    init.name()
}

fn image(init: InitSystem) -> (&'static str, Boot) {
    match init {
        InitSystem::Systemd => ("systemd", Boot::Systemd),
        InitSystem::Openrc => ("openrc", Boot::Openrc),
        InitSystem::Sysvinit => ("deb12", Boot::Sysv),
    }
}

fn scenario(_: &Ctx, init: InitSystem) {
    let (image, boot) = image(init);
    let c = Container::start(row(init), Setup::new(image, boot));

    // The probe names the init system that runs.
    let probe = c.sh(&String::from_utf8(probe_script(false)).unwrap());
    let facts = parse_probe(&probe.stdout).expect("the probe parses");
    assert_eq!(facts.os.init, Some(init), "{facts:?}");
    assert_eq!(facts.os.family, Some(stevedore::os::Family::Debian), "{facts:?}");
    lab::executed(row(init), "OS detection");

    let os = Os::parse("debian-12").unwrap().with_init(init);
    let phase = |f: fn(&mut Plan<'_>)| c.phase(Some(&os), "root", f);

    // Install the service, enable and start it; then nothing to do.
    let (path, text, mode) = definition(init);
    let install = move |p: &mut Plan<'_>| {
        p.add(remote_file("/usr/local/bin/pallet-labd").content(DAEMON).mode(0o755));
        p.add(remote_file(path).content(text).mode(mode));
        p.add(service("pallet-labd").enable(true).start());
    };
    assert_all(&c.phase(Some(&os), "root", install), Status::Changed);
    let pid = daemon_pid(&c).expect("the daemon runs");
    assert!(enabled(&c, init), "enabled");
    assert_all(&c.phase(Some(&os), "root", install), Status::Ok);
    assert_eq!(daemon_pid(&c).as_deref(), Some(pid.as_str()), "a no-change run restarted it");

    // Reload when the configuration changed (a flag), and only then.
    let reload = |content: &'static str| {
        move |p: &mut Plan<'_>| {
            p.add(remote_file("/etc/pallet-labd.conf").content(content).flag_on_changed("labd-conf"));
            p.add(service("pallet-labd").reload().if_flag("labd-conf"));
        }
    };
    assert_eq!(reloads(&c), "0");
    assert_all(&c.phase(Some(&os), "root", reload("v1\n")), Status::Changed);
    wait_until("the daemon saw the reload", || reloads(&c) == "1");
    assert_all(&c.phase(Some(&os), "root", reload("v1\n")), Status::Ok);
    assert_all(&c.phase(Some(&os), "root", reload("v2\n")), Status::Changed);
    wait_until("the daemon saw the second reload", || reloads(&c) == "2");
    assert_eq!(daemon_pid(&c).as_deref(), Some(pid.as_str()), "a reload kept the process");

    // Restart conditioned on a flag nobody set: nothing; unconditioned: a new process.
    let r = phase(|p| p.add(service("pallet-labd").restart().if_flag("nobody-set-this")));
    assert_all(&r, Status::Ok);
    assert_eq!(daemon_pid(&c).as_deref(), Some(pid.as_str()), "restarted without its flag");
    assert_all(&phase(|p| p.add(service("pallet-labd").restart())), Status::Changed);
    let restarted = daemon_pid(&c).expect("the daemon runs after the restart");
    assert_ne!(restarted, pid, "restart made a new process");

    // Enabled means started at boot.
    c.reboot();
    assert!(daemon_pid(&c).is_some(), "the enabled service did not start at boot");

    // Stop, then nothing; disable, then nothing; a reboot leaves it stopped.
    let stop = |p: &mut Plan<'_>| p.add(service("pallet-labd").stop());
    assert_all(&phase(stop), Status::Changed);
    assert_eq!(daemon_pid(&c), None, "stopped");
    assert_all(&phase(stop), Status::Ok);
    let disable = |p: &mut Plan<'_>| p.add(service("pallet-labd").enable(false));
    assert_all(&phase(disable), Status::Changed);
    assert!(!enabled(&c, init), "disabled");
    assert_all(&phase(disable), Status::Ok);
    c.reboot();
    assert_eq!(daemon_pid(&c), None, "the disabled service started at boot");
    lab::executed(row(init), "service");
}
