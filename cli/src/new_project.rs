//! `pallet new NAME`: a ready ops crate (Pallet's `lein pallet project-init`).
//!
//! The crate has one group, `web`, built on the `pallet-nginx` plan crate, an inventory of one
//! documentation address (`192.0.2.10`, never contacted) whose OS is stated, so `cargo run --
//! plan` works before you have any host, and a README saying what to change.
//!
//! | file | what it holds |
//! |---|---|
//! | `Cargo.toml` | the package, with `pallet`, `pallet-nginx` and `tokio`; dev builds with line tables only |
//! | `src/main.rs` | the group and `pallet::cli::run` |
//! | `pallet.toml` | the default service (`hosts`: the inventory) and the admin user |
//! | `inventory.toml` | the hosts, one `[[node]]` each |
//! | `README.md`, `.gitignore` | |

use std::path::{Path, PathBuf};

/// Where the generated crate's dependencies come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// crates.io, at this version requirement (e.g. `0.1`).
    Registry(String),
    /// A checkout of pallet's workspace (its root directory; made absolute).
    Path(PathBuf),
}

/// Why no crate was written.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    /// The name cannot be a crate name.
    #[error("invalid crate name `{name}`: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why.
        reason: String,
    },
    /// Something exists at the target path.
    #[error("{0} already exists; choose another name or remove it")]
    Exists(PathBuf),
    /// The workspace given as the source has no pallet crate.
    #[error("{0} is not a pallet workspace (no Cargo.toml naming the `pallet` package there)")]
    NotAWorkspace(PathBuf),
    /// Writing failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Names a crate cannot take: the standard library's crates, cargo's reserved names, and the
/// generated crate's own dependencies.
const TAKEN: &[&str] = &[
    "std",
    "core",
    "alloc",
    "proc_macro",
    "proc-macro",
    "test",
    "build",
    "deps",
    "examples",
    "incremental",
    "pallet",
    "pallet-nginx",
    "pallet_nginx",
    "tokio",
];

/// Checks `name` as cargo would for a new package: 1-64 ASCII letters, digits, `-` and `_`,
/// starting with a letter; not a Rust keyword, a standard crate, a name cargo reserves, or one
/// of the generated crate's dependencies.
///
/// # Errors
/// [`NewError::InvalidName`] saying why.
pub fn check_name(name: &str) -> Result<(), NewError> {
    let reason = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > 64 {
        Some("it is longer than 64 characters".into())
    } else if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        Some(format!("`{c}` is not allowed (use ASCII letters, digits, `-` and `_`)"))
    } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some("it must start with a letter".into())
    } else if KEYWORDS.contains(&name) {
        Some("it is a Rust keyword".into())
    } else if TAKEN.contains(&name) {
        Some("the name is taken (a standard crate, a reserved name, or a dependency)".into())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(NewError::InvalidName { name: name.to_string(), reason }),
        None => Ok(()),
    }
}

/// The files of crate `name` with dependencies from `source`: relative path and content.
pub fn files(name: &str, source: &Source) -> Vec<(&'static str, String)> {
    let deps = match source {
        Source::Registry(v) => format!("pallet = \"{v}\"\npallet-nginx = \"{v}\"\n"),
        Source::Path(root) => {
            let root = root.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
            format!("pallet = {{ path = \"{root}\" }}\npallet-nginx = {{ path = \"{root}/crates/nginx\" }}\n")
        }
    };
    let cargo_toml = format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
{deps}tokio = {{ version = "1", features = ["rt-multi-thread", "macros"] }}

# Debug builds with line tables only: smaller and faster to build.
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false
"#
    );
    let main_rs = format!(
        r#"//! {name}: the ops binary of this project (made by `pallet new`).
//!
//! `cargo run -- plan` shows every script it would run, `cargo run -- converge` runs them. The
//! hosts are in `inventory.toml`, the admin user in `pallet.toml`.

use pallet::prelude::*;
use pallet_nginx::NginxConfig;

plan_fn! {{
    /// A home page naming the node.
    fn home_page(ctx) {{
        remote_file("/var/www/html/index.html", content = format!("Hello from {{}}\n", ctx.node().name), mode = 0o644);
    }}
}}

/// The groups of this project: `web`, nginx from the `pallet-nginx` plan crate and a page.
fn groups() -> Vec<GroupSpec> {{
    vec![group_spec! {{
        name = "web",
        count = 1,
        extends = [pallet_nginx::server_spec(NginxConfig::default())],
        node_spec = node_spec! {{ image = {{ os_family = Debian }}, network = {{ inbound_ports = [22, 80] }} }},
        phases = {{ configure = home_page }},
    }}]
}}

#[tokio::main]
async fn main() -> std::process::ExitCode {{
    pallet::cli::run(groups()).await
}}
"#
    );
    let pallet_toml = r#"# The project's configuration; ~/.config/pallet/config.toml is read first.
default_service = "hosts"

[services.hosts]
provider = "node-list"
inventory = "inventory.toml"

[admin_user]
username = "admin"
private_key = "~/.ssh/id_ed25519"
"#
    .to_string();
    let inventory = r#"# The hosts of each group. 192.0.2.10 is a documentation address that is never contacted:
# replace it with yours. `os` is optional (without it, pallet asks the host).
[[node]]
name = "web-1"
group = "web"
address = "192.0.2.10"
os = "debian-12"
"#
    .to_string();
    let readme = format!(
        r#"# {name}

Infrastructure as Rust, with [pallet](https://example.invalid/pallet-rs). Made by `pallet new`.

```sh
cargo run -- plan                 # every script each host would run (nothing is contacted)
cargo run -- check                # what would change on the hosts, with diffs
cargo run -- converge             # make it so
```

- `src/main.rs`: the groups. `web` extends `pallet_nginx::server_spec`; add plan crates
  (`pallet-redis`, `pallet-postgresql`, `pallet-firewall`, ...) to `Cargo.toml` and extend them
  the same way, or write plan functions with `plan_fn!`.
- `inventory.toml`: the hosts of each group (`192.0.2.10` is a placeholder).
- `pallet.toml`: the default service and the admin user pallet logs in as (a user with
  passwordless sudo and the key `~/.ssh/id_ed25519`).
"#
    );
    vec![
        ("Cargo.toml", cargo_toml),
        ("src/main.rs", main_rs),
        ("pallet.toml", pallet_toml),
        ("inventory.toml", inventory),
        ("README.md", readme),
        (".gitignore", "/target\n".to_string()),
    ]
}

/// Writes crate `name` into the new directory `parent/name`, with dependencies from `source`;
/// returns its path.
///
/// # Errors
/// [`NewError::InvalidName`]; [`NewError::Exists`] when `parent/name` exists (nothing is
/// written); [`NewError::NotAWorkspace`] for a path source without pallet's `Cargo.toml`;
/// [`NewError::Io`].
pub fn generate(parent: &Path, name: &str, source: &Source) -> Result<PathBuf, NewError> {
    check_name(name)?;
    let dir = parent.join(name);
    if dir.symlink_metadata().is_ok() {
        return Err(NewError::Exists(dir));
    }
    let source = match source {
        Source::Path(p) => {
            let root = std::fs::canonicalize(p).map_err(|_| NewError::NotAWorkspace(p.clone()))?;
            let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
            if !manifest.lines().any(|l| l.trim() == "name = \"pallet\"") {
                return Err(NewError::NotAWorkspace(root));
            }
            Source::Path(root)
        }
        s => s.clone(),
    };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NewError::Io { path, source }
    };
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    std::fs::create_dir(&dir).map_err(io(&dir))?;
    for (rel, content) in files(name, &source) {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io(p))?;
        }
        std::fs::write(&path, content).map_err(io(&path))?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_as_cargo_would() {
        for ok in ["ops", "my-ops", "ops_2", "Infra"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("2ops", "start with a letter"),
            ("my ops", "` ` is not allowed"),
            ("ops/x", "`/` is not allowed"),
            ("fn", "keyword"),
            ("pallet", "taken"),
            ("test", "taken"),
        ] {
            let e = check_name(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn registry_and_path_sources() {
        let reg = files("ops", &Source::Registry("0.1".into()));
        assert!(reg[0].1.contains("pallet = \"0.1\"\npallet-nginx = \"0.1\"\n"));
        let path = files("ops", &Source::Path("/src/pallet".into()));
        assert!(path[0].1.contains("pallet-nginx = { path = \"/src/pallet/crates/nginx\" }"));
    }
}
