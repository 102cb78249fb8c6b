//! AWS EC2 as a pallet compute service, through the official `aws-sdk-ec2`.
//!
//! - Credentials and region come from the standard AWS chain (environment, profile, instance
//!   role); [`Ec2::connect`] can override the endpoint (tests use moto's EC2 server).
//! - A node spec becomes `RunInstances`: the image id, or an image found by OS family and version
//!   among an owner's images; the instance type, or one chosen from the minimum cores and RAM;
//!   the location as availability zone; a key pair `pallet-<user>` imported from the admin
//!   user's public key; a security group `pallet-<group>` opening the node spec's inbound
//!   ports; a spot price from its QoS.
//! - Every instance is launched with its tags (`pallet:managed`, `pallet:group`, `Name` =
//!   `<group>-<n>`) in the same call, so none ever exists untagged; one that does not reach
//!   `running` in time is terminated and reported. State flags live in tag `pallet:state`.
//! - An address map lets the SSH layer reach a node at another address than the one EC2 reports
//!   (bastions, tests).

use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{
    Filter, InstanceMarketOptionsRequest, InstanceStateName, InstanceType, IpPermission, IpRange, MarketType,
    Placement, ResourceType, SpotMarketOptions, Tag, TagSpecification,
};
use pallet_runtime::compute::{BoxFuture, ComputeError, ComputeService, ProviderConfig, ProviderFactory};
use pallet_runtime::node::Node;
use pallet_runtime::spec::{GroupSpec, HardwarePreference, NodeSpec};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Tag marking instances pallet manages.
pub const MANAGED_TAG: &str = "pallet:managed";
/// Tag holding the group name.
pub const GROUP_TAG: &str = "pallet:group";
/// Tag holding the node's state flags, comma separated.
pub const STATE_TAG: &str = "pallet:state";

/// Maps a node to the address and port the SSH layer should use instead of EC2's.
pub type AddressMap = Arc<dyn Fn(&Node) -> Option<(String, u16)> + Send + Sync>;

/// The EC2 compute service.
#[derive(Clone)]
pub struct Ec2 {
    client: Client,
    public_key: Option<String>,
    key_user: String,
    image_owner: Option<String>,
    use_private_ip: bool,
    running_timeout: Duration,
    address_map: Option<AddressMap>,
}

/// Where to connect and how.
#[derive(Debug, Clone, Default)]
pub struct Ec2Options {
    /// The region (default: from the AWS configuration chain).
    pub region: Option<String>,
    /// An endpoint URL instead of AWS's (moto in tests).
    pub endpoint_url: Option<String>,
    /// How many times the SDK retries a throttled or failed call (default: the SDK's).
    pub max_attempts: Option<u32>,
    /// An access key id and secret instead of the credential chain (tests).
    pub static_credentials: Option<(String, String)>,
}

impl Ec2 {
    /// Connects with the standard AWS configuration chain and `o`'s overrides.
    pub async fn connect(o: Ec2Options) -> Ec2 {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(r) = o.region {
            loader = loader.region(aws_config::Region::new(r));
        }
        if let Some(u) = o.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        if let Some((id, secret)) = o.static_credentials {
            loader = loader.credentials_provider(aws_sdk_ec2::config::Credentials::new(
                id,
                secret,
                None,
                None,
                "pallet-static",
            ));
        }
        if let Some(n) = o.max_attempts {
            loader = loader.retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(n));
        }
        let cfg = loader.load().await;
        Ec2 {
            client: Client::new(&cfg),
            public_key: None,
            key_user: "admin".into(),
            image_owner: None,
            use_private_ip: false,
            running_timeout: Duration::from_secs(300),
            address_map: None,
        }
    }

    /// The admin user's public key, imported as key pair `pallet-<user>`.
    pub fn admin_key(mut self, user: impl Into<String>, public_key: impl Into<String>) -> Self {
        self.key_user = user.into();
        self.public_key = Some(public_key.into().trim().to_string());
        self
    }

    /// Looks images up among this owner's (an account id, or `amazon`).
    pub fn image_owner(mut self, owner: impl Into<String>) -> Self {
        self.image_owner = Some(owner.into());
        self
    }

    /// Connect to the private address instead of the public one.
    pub fn use_private_ip(mut self, on: bool) -> Self {
        self.use_private_ip = on;
        self
    }

    /// How long an instance may take to reach `running` (default 300 s).
    pub fn running_timeout(mut self, d: Duration) -> Self {
        self.running_timeout = d;
        self
    }

    /// Reaches nodes at the address `f` returns (when it returns one).
    pub fn address_map(mut self, f: impl Fn(&Node) -> Option<(String, u16)> + Send + Sync + 'static) -> Self {
        self.address_map = Some(Arc::new(f));
        self
    }

    fn err(what: &str, e: impl std::error::Error) -> ComputeError {
        ComputeError::Provider { service: "ec2".into(), message: format!("{what}: {}", DisplayErrorContext(e)) }
    }

    fn node_of(&self, i: &aws_sdk_ec2::types::Instance) -> Option<Node> {
        let tag = |k: &str| i.tags().iter().find(|t| t.key() == Some(k)).and_then(|t| t.value()).map(String::from);
        let group = tag(GROUP_TAG)?;
        let id = i.instance_id()?.to_string();
        let name = tag("Name").unwrap_or_else(|| id.clone());
        let state = i.state().and_then(|s| s.name()).cloned();
        let public = i.public_ip_address().map(String::from);
        let private = i.private_ip_address().map(String::from);
        let address = if self.use_private_ip { private.clone() } else { public.clone().or_else(|| private.clone()) };
        let mut n = Node::new(name, group, address.unwrap_or_default());
        n.id = id;
        n.private_ip = private;
        n.running = state == Some(InstanceStateName::Running);
        n.flags = tag(STATE_TAG)
            .map(|s| s.split(',').filter(|f| !f.is_empty()).map(String::from).collect())
            .unwrap_or_default();
        if let Some(map) = &self.address_map
            && let Some((addr, port)) = map(&n)
        {
            n.primary_ip = addr;
            n.ssh_port = port;
        }
        Some(n)
    }

    async fn instances(&self, group: Option<&str>) -> Result<Vec<aws_sdk_ec2::types::Instance>, ComputeError> {
        let mut req = self
            .client
            .describe_instances()
            .filters(Filter::builder().name(format!("tag:{MANAGED_TAG}")).values("1").build())
            .filters(Filter::builder().name("instance-state-name").values("pending").values("running").build());
        if let Some(g) = group {
            req = req.filters(Filter::builder().name(format!("tag:{GROUP_TAG}")).values(g).build());
        }
        let resp = req.send().await.map_err(|e| Self::err("describe instances", e))?;
        Ok(resp.reservations().iter().flat_map(|r| r.instances().iter().cloned()).collect())
    }

    async fn image_for(&self, spec: &NodeSpec, group: &str) -> Result<String, ComputeError> {
        if let Some(id) = &spec.image.image_id {
            return Ok(id.clone());
        }
        let family = spec.image.os_family.ok_or_else(|| {
            ComputeError::Config(format!(
                "group {group}: the node spec needs an image id or an OS family to find an image"
            ))
        })?;
        let version = spec.image.os_version_matches.clone().unwrap_or_default();
        // The image name filter is a column of stevedore's OS table.
        let pattern = family.ec2_image_pattern(&version);
        let mut req = self.client.describe_images().filters(Filter::builder().name("name").values(&pattern).build());
        if let Some(o) = &self.image_owner {
            req = req.owners(o);
        }
        let resp = req.send().await.map_err(|e| Self::err(&format!("group {group}: find an image"), e))?;
        let mut images: Vec<_> = resp.images().iter().filter(|i| i.image_id().is_some()).collect();
        images.sort_by(|a, b| b.creation_date().cmp(&a.creation_date()));
        images.first().and_then(|i| i.image_id().map(String::from)).ok_or_else(|| {
            ComputeError::Config(format!("group {group}: no image matches `{pattern}` (family {family} {version})"))
        })
    }

    async fn key_pair(&self) -> Result<Option<String>, ComputeError> {
        let Some(key) = &self.public_key else { return Ok(None) };
        let name = format!("pallet-{}", self.key_user);
        let exists = self.client.describe_key_pairs().key_names(&name).send().await.is_ok();
        if !exists {
            self.client
                .import_key_pair()
                .key_name(&name)
                .public_key_material(Blob::new(key.as_bytes()))
                .send()
                .await
                .map_err(|e| Self::err(&format!("import key pair {name}"), e))?;
        }
        Ok(Some(name))
    }

    async fn security_group(&self, group: &str, ports: &[u16]) -> Result<String, ComputeError> {
        let name = format!("pallet-{group}");
        let found = self
            .client
            .describe_security_groups()
            .filters(Filter::builder().name("group-name").values(&name).build())
            .send()
            .await
            .map_err(|e| Self::err(&format!("group {group}: describe security group"), e))?;
        if let Some(id) = found.security_groups().first().and_then(|g| g.group_id()) {
            return Ok(id.to_string());
        }
        let created = self
            .client
            .create_security_group()
            .group_name(&name)
            .description(format!("pallet group {group}"))
            .send()
            .await
            .map_err(|e| Self::err(&format!("group {group}: create security group {name}"), e))?;
        let id = created.group_id().unwrap_or_default().to_string();
        let mut all: BTreeSet<u16> = ports.iter().copied().collect();
        all.insert(22);
        let mut req = self.client.authorize_security_group_ingress().group_id(&id);
        for p in all {
            req = req.ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(i32::from(p))
                    .to_port(i32::from(p))
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            );
        }
        req.send().await.map_err(|e| Self::err(&format!("group {group}: open ports"), e))?;
        Ok(id)
    }

    async fn wait_running(&self, id: &str) -> Result<(), ComputeError> {
        let deadline = Instant::now() + self.running_timeout;
        loop {
            let resp = self
                .client
                .describe_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(|e| Self::err(&format!("describe {id}"), e))?;
            let state = resp
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .find_map(|i| i.state().and_then(|s| s.name()).cloned());
            match state {
                Some(InstanceStateName::Running) => return Ok(()),
                Some(InstanceStateName::Pending) | None => {}
                Some(other) => {
                    return Err(ComputeError::Provider {
                        service: "ec2".into(),
                        message: format!("{id} went to {other:?}"),
                    });
                }
            }
            if Instant::now() > deadline {
                return Err(ComputeError::Provider {
                    service: "ec2".into(),
                    message: format!("{id} did not reach running within {:?}", self.running_timeout),
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn launch(
        &self,
        group: &GroupSpec,
        name: String,
        image: &str,
        sg: &str,
        key: Option<&str>,
    ) -> Result<Node, ComputeError> {
        let spec = group.server().effective().node_spec().clone();
        let g = group.name();
        let tags = TagSpecification::builder()
            .resource_type(ResourceType::Instance)
            .tags(Tag::builder().key(MANAGED_TAG).value("1").build())
            .tags(Tag::builder().key(GROUP_TAG).value(g).build())
            .tags(Tag::builder().key("Name").value(&name).build())
            .build();
        let mut req = self
            .client
            .run_instances()
            .image_id(image)
            .instance_type(instance_type(&spec))
            .min_count(1)
            .max_count(1)
            .security_group_ids(sg)
            .tag_specifications(tags);
        if let Some(k) = key {
            req = req.key_name(k);
        }
        if let Some(zone) = &spec.location.location_id {
            req = req.placement(Placement::builder().availability_zone(zone).build());
        }
        if let Some(price) = spec.qos.spot_price {
            req = req.instance_market_options(
                InstanceMarketOptionsRequest::builder()
                    .market_type(MarketType::Spot)
                    .spot_options(SpotMarketOptions::builder().max_price(format!("{price}")).build())
                    .build(),
            );
        }
        let resp = req.send().await.map_err(|e| {
            let code = e.code().unwrap_or("").to_string();
            Self::err(&format!("group {g}: run instance {name} ({code})"), e)
        })?;
        let id = resp.instances().first().and_then(|i| i.instance_id()).unwrap_or_default().to_string();
        if let Err(e) = self.wait_running(&id).await {
            // It is tagged, but not usable: terminate it and report.
            let _ = self.client.terminate_instances().instance_ids(&id).send().await;
            return Err(ComputeError::Provider {
                service: "ec2".into(),
                message: format!("group {g}: {e}; {id} terminated"),
            });
        }
        let resp = self
            .client
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .map_err(|e| Self::err(&format!("describe {id}"), e))?;
        resp.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find_map(|i| self.node_of(i))
            .ok_or_else(|| ComputeError::Provider { service: "ec2".into(), message: format!("{id} vanished") })
    }
}

/// The explicit instance type, else the smallest common type with the minimum cores and RAM.
pub fn instance_type(spec: &NodeSpec) -> InstanceType {
    if let Some(id) = &spec.hardware.hardware_id {
        return InstanceType::from(id.as_str());
    }
    // (type, vCPUs, MiB), smallest first.
    const TYPES: [(&str, u32, u32); 7] = [
        ("t3.nano", 2, 512),
        ("t3.micro", 2, 1024),
        ("t3.small", 2, 2048),
        ("t3.medium", 2, 4096),
        ("t3.large", 2, 8192),
        ("t3.xlarge", 4, 16384),
        ("t3.2xlarge", 8, 32768),
    ];
    let cores = spec.hardware.min_cores.unwrap_or(1);
    let ram = spec.hardware.min_ram_mib.unwrap_or(0);
    let mut fits = TYPES.iter().filter(|(_, c, m)| *c >= cores && *m >= ram);
    let pick = match spec.hardware.preference {
        Some(HardwarePreference::Biggest) | Some(HardwarePreference::Fastest) => fits.next_back(),
        _ => fits.min_by_key(|(_, c, m)| (*m, *c)),
    };
    InstanceType::from(pick.map_or("t3.2xlarge", |t| t.0))
}

/// The options of an `ec2` service in a configuration file (see [`provider`]).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2Config {
    /// The region (default: from the AWS configuration chain).
    #[serde(default)]
    pub region: Option<String>,
    /// An endpoint URL instead of AWS's.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Look images up among this owner's (an account id, or `amazon`).
    #[serde(default)]
    pub image_owner: Option<String>,
    /// Connect to private addresses (from inside the VPC).
    #[serde(default)]
    pub use_private_ip: bool,
    /// How long an instance may take to reach `running`, in seconds (default 300).
    #[serde(default)]
    pub running_timeout_secs: Option<u64>,
}

/// The `ec2` provider, to register with `App::provider("ec2", pallet_ec2::provider())` so a
/// configuration can name it:
///
/// ```toml
/// [services.aws]
/// provider = "ec2"
/// region = "eu-west-1"
/// image_owner = "136693071363"   # Debian's account
/// ```
///
/// Credentials come from the standard AWS chain; the admin user's public key is imported as
/// key pair `pallet-<user>`.
pub fn provider() -> ProviderFactory {
    Arc::new(|c: ProviderConfig<'_>| {
        Box::pin(async move {
            let o: Ec2Config = c.parse()?;
            let mut svc =
                Ec2::connect(Ec2Options { region: o.region, endpoint_url: o.endpoint_url, ..Ec2Options::default() })
                    .await
                    .use_private_ip(o.use_private_ip);
            if let Some(owner) = o.image_owner {
                svc = svc.image_owner(owner);
            }
            if let Some(t) = o.running_timeout_secs {
                svc = svc.running_timeout(Duration::from_secs(t));
            }
            if let Some(k) = c.admin.public_key_path().and_then(|p| std::fs::read_to_string(p).ok()) {
                svc = svc.admin_key(c.admin.username.clone(), k);
            }
            Ok(Arc::new(svc) as Arc<dyn ComputeService>)
        })
    })
}

impl ComputeService for Ec2 {
    fn name(&self) -> &str {
        "ec2"
    }

    fn creates_nodes(&self) -> bool {
        true
    }

    fn nodes(&self) -> BoxFuture<'_, Result<Vec<Node>, ComputeError>> {
        Box::pin(async move {
            let mut nodes: Vec<Node> = self.instances(None).await?.iter().filter_map(|i| self.node_of(i)).collect();
            nodes.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(nodes)
        })
    }

    fn create_nodes<'a>(
        &'a self,
        group: &'a GroupSpec,
        count: usize,
    ) -> BoxFuture<'a, Result<Vec<Node>, ComputeError>> {
        Box::pin(async move {
            let g = group.name();
            let spec = group.server().effective().node_spec().clone();
            let image = self.image_for(&spec, g).await?;
            let key = self.key_pair().await?;
            let sg = self.security_group(g, &spec.network.inbound_ports).await?;
            let taken: BTreeSet<String> =
                self.instances(Some(g)).await?.iter().filter_map(|i| self.node_of(i)).map(|n| n.name).collect();
            let mut names = Vec::new();
            let mut k = 1;
            while names.len() < count {
                let n = format!("{g}-{k}");
                if !taken.contains(&n) {
                    names.push(n);
                }
                k += 1;
            }
            let launches = names.into_iter().map(|n| self.launch(group, n, &image, &sg, key.as_deref()));
            let mut nodes = Vec::new();
            let mut errors = Vec::new();
            for r in futures_util::future::join_all(launches).await {
                match r {
                    Ok(n) => nodes.push(n),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            if !errors.is_empty() {
                return Err(ComputeError::Provider { service: "ec2".into(), message: errors.join("; ") });
            }
            Ok(nodes)
        })
    }

    fn destroy_nodes<'a>(&'a self, nodes: &'a [Node]) -> BoxFuture<'a, Result<(), ComputeError>> {
        Box::pin(async move {
            if nodes.is_empty() {
                return Ok(());
            }
            let mut req = self.client.terminate_instances();
            for n in nodes {
                req = req.instance_ids(&n.id);
            }
            req.send().await.map_err(|e| Self::err("terminate instances", e))?;
            Ok(())
        })
    }

    fn set_flag<'a>(&'a self, node: &'a Node, flag: &'a str) -> BoxFuture<'a, Result<(), ComputeError>> {
        Box::pin(async move {
            let mut flags = node.flags.clone();
            flags.insert(flag.to_string());
            let value = flags.into_iter().collect::<Vec<_>>().join(",");
            self.client
                .create_tags()
                .resources(&node.id)
                .tags(Tag::builder().key(STATE_TAG).value(value).build())
                .send()
                .await
                .map_err(|e| Self::err(&format!("tag {}", node.name), e))?;
            Ok(())
        })
    }
}
