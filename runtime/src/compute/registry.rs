//! Compute services by provider name: the built-in ones (`node-list`, `containers`,
//! `localhost`) and any a program registers (e.g. `ec2` from the `pallet-ec2` crate), so a
//! configuration file can name any of them:
//!
//! ```toml
//! [services.lab]
//! provider = "node-list"
//! inventory = "inventory.toml"
//! ```
//!
//! A provider receives the options of its service table (everything but `provider`) and
//! deserializes them itself, refusing unknown keys.

use super::{ComputeError, ComputeService, Containers, Localhost, NodeList};
use crate::BoxFuture;
use crate::transport::AdminUser;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a provider gets to build a service.
#[derive(Debug, Clone, Copy)]
pub struct ProviderConfig<'a> {
    /// The service's name in the configuration (`services.NAME`).
    pub service: &'a str,
    /// The options of its table, without `provider`.
    pub options: &'a toml::Table,
    /// The directory of the configuration file: relative paths in options are relative to it.
    pub base_dir: &'a Path,
    /// The admin user of the run (providers that create nodes authorize its public key).
    pub admin: &'a AdminUser,
    /// The names of the groups the command works on, in order.
    pub groups: &'a [String],
}

impl ProviderConfig<'_> {
    /// The options as `T` (unknown keys are an error when `T` denies them).
    ///
    /// # Errors
    /// [`ComputeError::Config`] naming the service and what is wrong.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ComputeError> {
        toml::Value::Table(self.options.clone())
            .try_into()
            .map_err(|e: toml::de::Error| ComputeError::Config(format!("services.{}: {}", self.service, e.message())))
    }

    /// `p` with a leading `~/` expanded and, when relative, joined to [`ProviderConfig::base_dir`].
    pub fn path(&self, p: &Path) -> PathBuf {
        let p = expand_home(p);
        if p.is_relative() { self.base_dir.join(p) } else { p }
    }
}

/// Expands a leading `~/` with `$HOME`.
pub fn expand_home(p: &Path) -> PathBuf {
    match p.to_str().and_then(|s| s.strip_prefix("~/")) {
        Some(rest) => PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(rest),
        None => p.to_path_buf(),
    }
}

/// Builds a service from its configuration.
pub type ProviderFactory = Arc<
    dyn for<'a> Fn(ProviderConfig<'a>) -> BoxFuture<'a, Result<Arc<dyn ComputeService>, ComputeError>> + Send + Sync,
>;

/// The providers a program knows, by name.
#[derive(Clone)]
pub struct Providers {
    factories: BTreeMap<String, ProviderFactory>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.factories.keys()).finish()
    }
}

impl Default for Providers {
    fn default() -> Self {
        Providers::builtin()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeListOptions {
    inventory: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContainersOptions {
    #[serde(default)]
    engine: Option<String>,
    #[serde(default)]
    engine_args: Vec<String>,
    #[serde(default)]
    run_args: Vec<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    state_dir: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalhostOptions {
    #[serde(default)]
    group: Option<String>,
}

/// The image the containers provider uses when its options name none.
pub const DEFAULT_CONTAINER_IMAGE: &str = "localhost/pallet-debian:12";

impl Providers {
    /// No providers.
    pub fn empty() -> Providers {
        Providers { factories: BTreeMap::new() }
    }

    /// The built-in providers:
    ///
    /// | provider | options |
    /// |---|---|
    /// | `node-list` | `inventory` (a TOML inventory file, see [`NodeList::from_toml`]) |
    /// | `containers` | `engine` (`podman`), `engine_args`, `run_args`, `image` ([`DEFAULT_CONTAINER_IMAGE`]), `state_dir` |
    /// | `localhost` | `group` (default: the first group the command names) |
    pub fn builtin() -> Providers {
        let mut p = Providers::empty();
        p.register_sync("node-list", |c| {
            let o: NodeListOptions = c.parse()?;
            Ok(Arc::new(NodeList::from_file(&c.path(&o.inventory))?) as Arc<dyn ComputeService>)
        });
        p.register_sync("containers", |c| {
            let o: ContainersOptions = c.parse()?;
            let mut svc = Containers::new(
                o.engine.unwrap_or_else(|| "podman".into()),
                o.image.unwrap_or_else(|| DEFAULT_CONTAINER_IMAGE.into()),
            )
            .engine_args(o.engine_args)
            .run_args(o.run_args);
            if let Some(d) = o.state_dir {
                svc = svc.state_dir(c.path(&d));
            }
            if let Some(k) = c.admin.public_key_path().and_then(|p| std::fs::read_to_string(p).ok()) {
                svc = svc.authorized_key(k);
            }
            Ok(Arc::new(svc) as Arc<dyn ComputeService>)
        });
        p.register_sync("localhost", |c| {
            let o: LocalhostOptions = c.parse()?;
            let group = o.group.or_else(|| c.groups.first().cloned()).ok_or_else(|| {
                ComputeError::Config(format!("services.{}: localhost needs `group` (no group named)", c.service))
            })?;
            Ok(Arc::new(Localhost::new(group)) as Arc<dyn ComputeService>)
        });
        p
    }

    /// Registers (or replaces) provider `name`.
    pub fn register(&mut self, name: impl Into<String>, factory: ProviderFactory) -> &mut Self {
        self.factories.insert(name.into(), factory);
        self
    }

    /// Registers provider `name` built by a synchronous function.
    pub fn register_sync(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(ProviderConfig<'_>) -> Result<Arc<dyn ComputeService>, ComputeError> + Send + Sync + 'static,
    ) -> &mut Self {
        let f = Arc::new(f);
        self.register(
            name,
            Arc::new(move |c| {
                let f = f.clone();
                Box::pin(async move { f(c) })
            }),
        )
    }

    /// The provider names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.factories.keys().map(String::as_str).collect()
    }

    /// Is `name` registered?
    pub fn contains(&self, name: &str) -> bool {
        self.factories.contains_key(name)
    }

    /// Builds a service with provider `provider`.
    ///
    /// # Errors
    /// [`ComputeError::Config`] for an unknown provider (naming the known ones) or bad options.
    pub async fn build(
        &self,
        provider: &str,
        config: ProviderConfig<'_>,
    ) -> Result<Arc<dyn ComputeService>, ComputeError> {
        let Some(f) = self.factories.get(provider) else {
            return Err(ComputeError::Config(format!(
                "services.{}: unknown provider `{provider}`; providers: {}",
                config.service,
                self.names().join(", ")
            )));
        };
        f(config).await
    }
}
