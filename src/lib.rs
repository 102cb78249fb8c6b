//! Pallet for Rust: infrastructure automation written as Rust source.
//!
//! You describe machines (node specs), what runs on them (server specs made of phases, phases of
//! plan functions, plan functions of idempotent actions) and how many of each you want (group and
//! cluster specs). Macros check all of it at compile time and emit POSIX shell for every
//! supported OS; a runtime then converges clusters or lifts existing nodes over SSH.
//!
//! This crate is the facade: it re-exports the layers.
//!
//! - [`stevedore`]: the shell layer — `script!`, `script_fn!`, the OS model and the core library
//!   of script functions ([`stevedore::functions`]).
//! - [`spec`], [`plan`], [`action`], [`render`]: specs, plans, the actions library and phase
//!   scripts.
//!
//! ```
//! use pallet::prelude::*;
//!
//! plan_fn! {
//!     /// nginx serving a static page.
//!     pub fn web_server(ctx) {
//!         package("nginx");
//!         remote_file("/var/www/html/index.html", content = format!("hello from {}\n", ctx.node().name),
//!                     owner = "www-data", mode = 0o644, flag_on_changed = "site");
//!         service("nginx", enable = true).start();
//!         service("nginx").restart().if_flag("site");
//!     }
//! }
//!
//! let web = group_spec! {
//!     name = "web", count = 2,
//!     node_spec = { image = { os_family = Debian, os_version_matches = "12" }, network = { inbound_ports = [22, 80] } },
//!     phases = { configure = web_server },
//! };
//! assert_eq!(web.node_count(), Some(2));
//! assert_eq!(web.server().effective().phase_fns("configure").len(), 1);
//! ```

#[cfg(feature = "cli")]
pub use pallet_cli as cli;
pub use pallet_runtime::{
    action, compute, converge, dry_run, facts, library, lift, node, operation, plan, render, report, spec, transport,
};
pub use pallet_runtime::{cluster_spec, group_spec, node_spec, plan_fn, server_spec};
pub use stevedore;
pub use stevedore::{script, script_fn};

/// What a plan author needs: `use pallet::prelude::*;` brings the macros, the specs, the
/// action constructors with their builder types, [`Plan`](prelude::Plan), the OS model and
/// [`Script`](prelude::Script). Running operations (`lift`, `converge`, compute services,
/// transports, reports) and the traits for writing actions stay in their modules.
pub mod prelude {
    pub use pallet_runtime::action::{
        AuthorizeKey, Cron, Directory, ExecScript, File, Group, Hostname, LineInFile, Package, PackageAction,
        PackageManager, PackageSource, Packages, RemoteDirectory, RemoteFile, RetryUntil, Sed, Service, Sudoers,
        SymbolicLink, User, UserAction, WaitForFile, WaitForPort, authorize_key, cron, directory, exec_checked_script,
        exec_script, file, group, hostname, line_in_file, package, package_manager, package_source, packages,
        remote_directory, remote_file, retry_until, sed, service, sudoers, symbolic_link, user, wait_for_file,
        wait_for_port,
    };
    pub use pallet_runtime::library::{automated_admin_user, bootstrap};
    pub use pallet_runtime::node::Node;
    pub use pallet_runtime::plan::Plan;
    pub use pallet_runtime::spec::{ClusterSpec, GroupSpec, NodeSpec, PhaseMeta, ServerSpec};
    pub use pallet_runtime::{cluster_spec, group_spec, node_spec, plan_fn, server_spec};
    pub use stevedore::functions::ServiceAction;
    pub use stevedore::os::{Family, InitSystem, Os, Packager};
    pub use stevedore::{Script, script, script_fn};
}
