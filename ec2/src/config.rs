//! The `ec2` provider: an EC2 service from the options of a `[services.NAME]` table.

use crate::{Ec2, Ec2Options};
use pallet_runtime::compute::{ComputeError, ComputeService, ProviderConfig, ProviderFactory};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The options of an `ec2` service in a configuration file (see [`provider`]); every key is
/// optional and unknown keys are refused.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2Config {
    /// The region (default: from the AWS configuration chain).
    #[serde(default)]
    pub region: Option<String>,
    /// An endpoint URL instead of AWS's.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// How many times the SDK tries a throttled or failed call (default: the SDK's, 3).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Look images up among this owner's (an account id, or `amazon`); also the default owner
    /// of `ops images` (else `self`).
    #[serde(default)]
    pub image_owner: Option<String>,
    /// Connect to private addresses (from inside the VPC, or through a jump host).
    #[serde(default)]
    pub use_private_ip: bool,
    /// How long an instance may take to reach `running`, in seconds (default 300).
    #[serde(default)]
    pub running_timeout_secs: Option<u64>,
    /// The VPC (default: the subnet's, else the region's default VPC).
    #[serde(default)]
    pub vpc_id: Option<String>,
    /// The subnet (default: with `vpc_id`, its subnet in the node spec's zone with the most free
    /// addresses; else the default VPC's default subnet).
    #[serde(default)]
    pub subnet_id: Option<String>,
    /// The networks that may reach the node spec's inbound ports and 22 (`203.0.113.7/32`,
    /// `2001:db8::/32`). Required unless `allow_world` or `security_group_ids` is set.
    #[serde(default)]
    pub ingress_cidrs: Vec<String>,
    /// Allow `0.0.0.0/0` and `::/0` in `ingress_cidrs` (and use both when it is empty);
    /// default false.
    #[serde(default)]
    pub allow_world: bool,
    /// Security groups attached to every instance besides the group's `pallet-<group>`.
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    /// User data (cloud-init), at most 16 KiB; pallet base64-encodes it.
    #[serde(default)]
    pub user_data: Option<String>,
    /// A file holding the user data (relative to the configuration file); not with `user_data`.
    #[serde(default)]
    pub user_data_file: Option<PathBuf>,
    /// Root volume size in GiB (default: the image's).
    #[serde(default)]
    pub root_volume_size_gib: Option<i32>,
    /// Root volume type: `gp3`, `gp2`, `io1`, `io2`, `st1`, `sc1`, `standard` (default: the image's).
    #[serde(default)]
    pub root_volume_type: Option<String>,
    /// An IAM instance profile, by name or ARN (`arn:...`).
    #[serde(default)]
    pub instance_profile: Option<String>,
    /// Tags put on every instance, volume, network interface, security group and key pair pallet
    /// creates, besides its own (`Name`, `pallet:*`, which they may not set).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The `ec2` provider, to register with `App::provider("ec2", pallet_ec2::provider())` so a
/// configuration can name it; the service is named after its table (`aws` below):
///
/// ```toml
/// [services.aws]
/// provider = "ec2"
/// region = "eu-west-1"
/// image_owner = "136693071363"          # Debian's account
/// subnet_id = "subnet-0123456789abcdef0"
/// ingress_cidrs = ["203.0.113.7/32"]    # 0.0.0.0/0 only with allow_world = true
/// user_data_file = "cloud-init.yaml"
/// root_volume_size_gib = 20
/// root_volume_type = "gp3"
/// instance_profile = "web-server"
/// tags = { team = "infra", env = "prod" }
/// ```
///
/// Credentials come from the standard AWS chain (environment `AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, `AWS_PROFILE` and `~/.aws/credentials` /
/// `~/.aws/config` including SSO and assumed roles, web identity, ECS and instance-metadata
/// roles); so does the region unless `region` is set. The admin user's public key is imported
/// as key pair `pallet-<user>`.
///
/// Errors (when the service is built): unknown keys, an unreadable `user_data_file`, both user
/// data keys, and every check of [`Ec2::check`].
pub fn provider() -> ProviderFactory {
    Arc::new(|c: ProviderConfig<'_>| {
        Box::pin(async move {
            let o: Ec2Config = c.parse()?;
            let at = |m: String| ComputeError::Config(format!("services.{}: {m}", c.service));
            let user_data = match (o.user_data, o.user_data_file) {
                (Some(_), Some(_)) => return Err(at("set user_data or user_data_file, not both".into())),
                (Some(d), None) => Some(d),
                (None, Some(f)) => {
                    let p = c.path(&f);
                    Some(std::fs::read_to_string(&p).map_err(|e| at(format!("user_data_file {}: {e}", p.display())))?)
                }
                (None, None) => None,
            };
            let mut svc = Ec2::connect(Ec2Options {
                region: o.region,
                endpoint_url: o.endpoint_url,
                max_attempts: o.max_attempts,
                static_credentials: None,
            })
            .await
            .service_name(c.service)
            .use_private_ip(o.use_private_ip)
            .vpc(o.vpc_id)
            .subnet(o.subnet_id)
            .ingress_cidrs(o.ingress_cidrs)
            .allow_world(o.allow_world)
            .security_group_ids(o.security_group_ids)
            .root_volume(o.root_volume_size_gib, o.root_volume_type)
            .tags(o.tags);
            if let Some(owner) = o.image_owner {
                svc = svc.image_owner(owner);
            }
            if let Some(d) = user_data {
                svc = svc.user_data(d);
            }
            if let Some(p) = o.instance_profile {
                svc = svc.instance_profile(p);
            }
            if let Some(t) = o.running_timeout_secs {
                svc = svc.running_timeout(Duration::from_secs(t));
            }
            if let Some(k) = c.admin.public_key_path().and_then(|p| std::fs::read_to_string(p).ok()) {
                svc = svc.admin_key(c.admin.username.clone(), k);
            }
            // `aws: ...` becomes `services.aws: ...`, as the other option errors read.
            svc.check().map_err(|e| match e {
                ComputeError::Config(m) => ComputeError::Config(format!("services.{m}")),
                e => e,
            })?;
            Ok(Arc::new(svc) as Arc<dyn ComputeService>)
        })
    })
}
