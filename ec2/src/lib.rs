//! AWS EC2 as a pallet compute service, through the official `aws-sdk-ec2`.
//!
//! - Credentials and region come from the standard AWS chain (environment, profile and SSO,
//!   web identity, container and instance roles); [`Ec2::connect`] can override the region and
//!   endpoint (tests use moto's EC2 server). [`provider`] builds it from a configuration table.
//! - A node spec becomes `RunInstances`: the image id, or an image found by OS family and version
//!   among an owner's images; the instance type, or one chosen from the minimum cores and RAM;
//!   the location as availability zone; the subnet and VPC ([`Ec2::subnet`], [`Ec2::vpc`]);
//!   user data, the root volume's size and type, an IAM instance profile; a key pair
//!   `pallet-<user>` imported from the admin user's public key; a security group
//!   `pallet-<group>` opening the node spec's inbound ports (and 22) to the configured CIDRs
//!   only ([`Ec2::ingress_cidrs`]; `0.0.0.0/0` and `::/0` need [`Ec2::allow_world`]), its rules
//!   reconciled (added and revoked) whenever the group is prepared; a spot price from its QoS.
//! - Every instance is launched with its tags (`pallet:managed`, `pallet:group`, `Name` =
//!   `<group>-<n>`, and the user's [`Ec2::tags`]) on the instance, its volumes and network
//!   interfaces in the same call, so none ever exists untagged; security groups and key pairs
//!   are created with theirs. One that does not reach `running` in time is terminated and
//!   reported. State flags live in tag `pallet:state`.
//! - It lists images (by owner and name pattern) and instance types ([`listing`]).
//! - An address map lets the SSH layer reach a node at another address than the one EC2 reports
//!   (tests; a jump host is the usual way to reach private addresses).

mod config;
mod ingress;
mod listing;
mod network;

pub use config::{Ec2Config, provider};
pub use ingress::Cidr;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, Filter, IamInstanceProfileSpecification, InstanceMarketOptionsRequest,
    InstanceStateName, InstanceType, MarketType, Placement, ResourceType, SpotMarketOptions, Tag, VolumeType,
};
use base64::Engine;
use network::{Prepared, tag_spec};
use pallet_runtime::compute::{BoxFuture, ComputeError, ComputeService, HardwareInfo, ImageInfo, ImageQuery};
use pallet_runtime::node::Node;
use pallet_runtime::spec::{GroupSpec, HardwarePreference, NodeSpec};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Tag marking instances pallet manages.
pub const MANAGED_TAG: &str = "pallet:managed";
/// Tag holding the group name.
pub const GROUP_TAG: &str = "pallet:group";
/// Tag holding the node's state flags, comma separated.
pub const STATE_TAG: &str = "pallet:state";

/// The most user data EC2 takes, before base64.
pub const MAX_USER_DATA: usize = 16 * 1024;

/// Maps a node to the address and port the SSH layer should use instead of EC2's.
pub type AddressMap = Arc<dyn Fn(&Node) -> Option<(String, u16)> + Send + Sync>;

/// The EC2 compute service. Build it with [`Ec2::connect`] and the builder methods, or from a
/// configuration table with [`provider`].
#[derive(Clone)]
pub struct Ec2 {
    client: Client,
    name: String,
    public_key: Option<String>,
    key_user: String,
    image_owner: Option<String>,
    use_private_ip: bool,
    running_timeout: Duration,
    address_map: Option<AddressMap>,
    vpc_id: Option<String>,
    subnet_id: Option<String>,
    ingress_cidrs: Vec<String>,
    allow_world: bool,
    security_group_ids: Vec<String>,
    user_data: Option<String>,
    root_volume_size_gib: Option<i32>,
    root_volume_type: Option<String>,
    instance_profile: Option<String>,
    tags: BTreeMap<String, String>,
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
            name: "ec2".into(),
            public_key: None,
            key_user: "admin".into(),
            image_owner: None,
            use_private_ip: false,
            running_timeout: Duration::from_secs(300),
            address_map: None,
            vpc_id: None,
            subnet_id: None,
            ingress_cidrs: Vec::new(),
            allow_world: false,
            security_group_ids: Vec::new(),
            user_data: None,
            root_volume_size_gib: None,
            root_volume_type: None,
            instance_profile: None,
            tags: BTreeMap::new(),
        }
    }

    /// The name in messages and listings (default `ec2`; [`provider`] uses the configuration's
    /// service name).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Launch in this VPC (default: the subnet's, else the region's default VPC).
    pub fn vpc(mut self, id: Option<String>) -> Self {
        self.vpc_id = id;
        self
    }

    /// Launch in this subnet (default: see [`Ec2Config::subnet_id`]).
    pub fn subnet(mut self, id: Option<String>) -> Self {
        self.subnet_id = id;
        self
    }

    /// The networks (CIDRs, or bare addresses) that may reach the node spec's inbound ports and
    /// 22; default none, which is an error when a group is prepared unless
    /// [`Ec2::allow_world`] or [`Ec2::security_group_ids`] lets traffic in.
    pub fn ingress_cidrs<S: Into<String>>(mut self, cidrs: impl IntoIterator<Item = S>) -> Self {
        self.ingress_cidrs = cidrs.into_iter().map(Into::into).collect();
        self
    }

    /// Allow `0.0.0.0/0` and `::/0` (and open to both when no CIDR is given); default false.
    pub fn allow_world(mut self, on: bool) -> Self {
        self.allow_world = on;
        self
    }

    /// Security groups attached to every instance besides `pallet-<group>`; default none.
    pub fn security_group_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.security_group_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// User data for every instance (at most [`MAX_USER_DATA`] bytes; base64-encoded here).
    pub fn user_data(mut self, text: impl Into<String>) -> Self {
        self.user_data = Some(text.into());
        self
    }

    /// The root volume's size in GiB and type (`gp3`...); `None` keeps the image's.
    pub fn root_volume(mut self, size_gib: Option<i32>, volume_type: Option<String>) -> Self {
        self.root_volume_size_gib = size_gib;
        self.root_volume_type = volume_type;
        self
    }

    /// An IAM instance profile for every instance, by name or ARN (`arn:...`).
    pub fn instance_profile(mut self, name_or_arn: impl Into<String>) -> Self {
        self.instance_profile = Some(name_or_arn.into());
        self
    }

    /// Tags for every resource pallet creates, besides its own (`Name`, `pallet:*`).
    pub fn tags<K: Into<String>, V: Into<String>>(mut self, tags: impl IntoIterator<Item = (K, V)>) -> Self {
        self.tags = tags.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self
    }

    /// Checks the settings that need no AWS call: the CIDRs (well-formed; `0.0.0.0/0` and `::/0`
    /// only with [`Ec2::allow_world`]), the tags (not `Name`, `pallet:*` or `aws:*`), the root
    /// volume (type known to EC2, size 1 to 65536 GiB) and the user data's size.
    ///
    /// # Errors
    /// [`ComputeError::Config`] naming the service and the setting.
    pub fn check(&self) -> Result<(), ComputeError> {
        let config = |m: String| ComputeError::Config(format!("{}: {m}", self.name));
        if !self.ingress_cidrs.is_empty() {
            ingress::sources(&self.name, &self.ingress_cidrs, self.allow_world)?;
        }
        if let Some(k) = self.tags.keys().find(|k| *k == "Name" || k.starts_with("pallet:") || k.starts_with("aws:")) {
            return Err(config(format!("tags: `{k}` is pallet's or AWS's own (Name, pallet:*, aws:*)")));
        }
        if let Some(t) = &self.root_volume_type
            && VolumeType::try_parse(t).is_err()
        {
            return Err(config(format!("root_volume_type `{t}`: one of {}", VolumeType::values().join(", "))));
        }
        if let Some(n) = self.root_volume_size_gib.filter(|n| !(1..=65536).contains(n)) {
            return Err(config(format!("root_volume_size_gib {n}: 1 to 65536")));
        }
        if let Some(d) = self.user_data.as_ref().filter(|d| d.len() > MAX_USER_DATA) {
            return Err(config(format!("user data of {} bytes: at most {MAX_USER_DATA}", d.len())));
        }
        Ok(())
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

    pub(crate) fn err(&self, what: &str, e: impl std::error::Error) -> ComputeError {
        ComputeError::Provider { service: self.name.clone(), message: format!("{what}: {}", DisplayErrorContext(e)) }
    }

    fn provider_err(&self, message: String) -> ComputeError {
        ComputeError::Provider { service: self.name.clone(), message }
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
        let resp = req.send().await.map_err(|e| self.err("describe instances", e))?;
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
        let resp = req.send().await.map_err(|e| self.err(&format!("group {group}: find an image"), e))?;
        let mut images: Vec<_> = resp.images().iter().filter(|i| i.image_id().is_some()).collect();
        images.sort_by(|a, b| b.creation_date().cmp(&a.creation_date()));
        images.first().and_then(|i| i.image_id().map(String::from)).ok_or_else(|| {
            ComputeError::Config(format!("group {group}: no image matches `{pattern}` (family {family} {version})"))
        })
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
                .map_err(|e| self.err(&format!("describe {id}"), e))?;
            let state = resp
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .find_map(|i| i.state().and_then(|s| s.name()).cloned());
            match state {
                Some(InstanceStateName::Running) => return Ok(()),
                Some(InstanceStateName::Pending) | None => {}
                Some(other) => return Err(self.provider_err(format!("{id} went to {other:?}"))),
            }
            if Instant::now() > deadline {
                return Err(self.provider_err(format!("{id} did not reach running within {:?}", self.running_timeout)));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The root device of `image`, for a block device mapping that resizes it.
    async fn root_device(&self, group: &str, image: &str) -> Result<String, ComputeError> {
        let r = self
            .client
            .describe_images()
            .image_ids(image)
            .send()
            .await
            .map_err(|e| self.err(&format!("group {group}: describe image {image}"), e))?;
        r.images().first().and_then(|i| i.root_device_name()).map(String::from).ok_or_else(|| {
            ComputeError::Config(format!(
                "{}: group {group}: image {image} has no root device to size (root_volume_*)",
                self.name
            ))
        })
    }

    async fn launch(&self, group: &GroupSpec, name: String, image: &str, p: &Prepared) -> Result<Node, ComputeError> {
        let spec = group.server().effective().node_spec().clone();
        let g = group.name();
        let mut tags = self.tags_for(Some(g));
        tags.insert("Name".into(), name.clone());
        let mut req = self
            .client
            .run_instances()
            .image_id(image)
            .instance_type(instance_type(&spec))
            .min_count(1)
            .max_count(1)
            .security_group_ids(&p.security_group)
            .tag_specifications(tag_spec(ResourceType::Instance, &tags))
            .tag_specifications(tag_spec(ResourceType::Volume, &tags))
            .tag_specifications(tag_spec(ResourceType::NetworkInterface, &tags));
        for extra in &self.security_group_ids {
            req = req.security_group_ids(extra);
        }
        if let Some(k) = &p.key_pair {
            req = req.key_name(k);
        }
        match (&p.site.subnet_id, &spec.location.location_id) {
            (Some(subnet), _) => req = req.subnet_id(subnet),
            (None, Some(zone)) => req = req.placement(Placement::builder().availability_zone(zone).build()),
            (None, None) => {}
        }
        if let Some(d) = &self.user_data {
            req = req.user_data(base64::engine::general_purpose::STANDARD.encode(d));
        }
        if let Some(profile) = &self.instance_profile {
            let spec = IamInstanceProfileSpecification::builder();
            let spec = if profile.starts_with("arn:") { spec.arn(profile) } else { spec.name(profile) };
            req = req.iam_instance_profile(spec.build());
        }
        if self.root_volume_size_gib.is_some() || self.root_volume_type.is_some() {
            let mut ebs = EbsBlockDevice::builder().delete_on_termination(true);
            if let Some(n) = self.root_volume_size_gib {
                ebs = ebs.volume_size(n);
            }
            if let Some(t) = &self.root_volume_type {
                ebs = ebs.volume_type(VolumeType::from(t.as_str()));
            }
            let device = self.root_device(g, image).await?;
            req = req.block_device_mappings(BlockDeviceMapping::builder().device_name(device).ebs(ebs.build()).build());
        }
        if let Some(price) = spec.qos.spot_price {
            req = req
                .instance_market_options(
                    InstanceMarketOptionsRequest::builder()
                        .market_type(MarketType::Spot)
                        .spot_options(SpotMarketOptions::builder().max_price(format!("{price}")).build())
                        .build(),
                )
                .tag_specifications(tag_spec(ResourceType::SpotInstancesRequest, &tags));
        }
        let resp = req.send().await.map_err(|e| {
            let code = e.code().unwrap_or("").to_string();
            self.err(&format!("group {g}: run instance {name} ({code})"), e)
        })?;
        let id = resp.instances().first().and_then(|i| i.instance_id()).unwrap_or_default().to_string();
        if let Err(e) = self.wait_running(&id).await {
            // It is tagged, but not usable: terminate it and report.
            let _ = self.client.terminate_instances().instance_ids(&id).send().await;
            return Err(self.provider_err(format!("group {g}: {e}; {id} terminated")));
        }
        let resp = self
            .client
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .map_err(|e| self.err(&format!("describe {id}"), e))?;
        resp.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find_map(|i| self.node_of(i))
            .ok_or_else(|| self.provider_err(format!("{id} vanished")))
    }

    /// Prepares `group` (see [`ComputeService::prepare_group`]).
    async fn prepare_spec(&self, group: &GroupSpec) -> Result<Prepared, ComputeError> {
        self.check()?;
        let spec = group.server().effective().node_spec().clone();
        self.prepare(group.name(), &spec.network.inbound_ports, spec.location.location_id.as_deref()).await
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

impl ComputeService for Ec2 {
    fn name(&self) -> &str {
        &self.name
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
            // The image first: finding none changes nothing.
            let image = self.image_for(&spec, g).await?;
            let prepared = self.prepare_spec(group).await?;
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
            let launches = names.into_iter().map(|n| self.launch(group, n, &image, &prepared));
            let mut nodes = Vec::new();
            let mut errors = Vec::new();
            for r in futures_util::future::join_all(launches).await {
                match r {
                    Ok(n) => nodes.push(n),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            if !errors.is_empty() {
                return Err(self.provider_err(errors.join("; ")));
            }
            Ok(nodes)
        })
    }

    fn prepare_group<'a>(&'a self, group: &'a GroupSpec) -> BoxFuture<'a, Result<(), ComputeError>> {
        Box::pin(async move { self.prepare_spec(group).await.map(|_| ()) })
    }

    fn images<'a>(&'a self, query: &'a ImageQuery) -> BoxFuture<'a, Result<Vec<ImageInfo>, ComputeError>> {
        Box::pin(self.list_images(query))
    }

    fn hardware(&self) -> BoxFuture<'_, Result<Vec<HardwareInfo>, ComputeError>> {
        Box::pin(self.list_hardware())
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
            req.send().await.map_err(|e| self.err("terminate instances", e))?;
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
                .map_err(|e| self.err(&format!("tag {}", node.name), e))?;
            Ok(())
        })
    }
}
