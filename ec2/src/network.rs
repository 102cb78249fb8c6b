//! Where a group's instances go and who may reach them: the VPC and subnet, the group's
//! security group `pallet-<group>` (created tagged, its CIDR rules reconciled with the node
//! spec's ports on every call) and the admin user's key pair.

use crate::ingress::{self, Rule};
use crate::{Ec2, GROUP_TAG, MANAGED_TAG};
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, ResourceType, TagSpecification};
use pallet_runtime::compute::ComputeError;
use std::collections::{BTreeMap, BTreeSet};

/// Where a group's instances are launched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Site {
    /// The VPC of the security group.
    pub vpc_id: String,
    /// The subnet, or `None` for the default VPC's default subnet (of the spec's zone).
    pub subnet_id: Option<String>,
}

/// What a group needs before its instances are launched.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// Where.
    pub site: Site,
    /// The group's security group id.
    pub security_group: String,
    /// The key pair name, when the service has an admin key.
    pub key_pair: Option<String>,
}

impl Ec2 {
    /// The VPC and subnet for a group whose node spec asks for `zone`: the configured subnet
    /// (checked against the configured VPC), else the configured VPC's subnet of that zone with
    /// the most free addresses, else the region's default VPC.
    pub(crate) async fn site(&self, group: &str, zone: Option<&str>) -> Result<Site, ComputeError> {
        let config = |m: String| ComputeError::Config(format!("{}: group {group}: {m}", self.name));
        if let Some(subnet) = &self.subnet_id {
            let r = self
                .client
                .describe_subnets()
                .subnet_ids(subnet)
                .send()
                .await
                .map_err(|e| self.err(&format!("group {group}: describe subnet {subnet}"), e))?;
            let vpc = r
                .subnets()
                .first()
                .and_then(|s| s.vpc_id())
                .ok_or_else(|| config(format!("subnet {subnet} does not exist")))?;
            if let Some(want) = self.vpc_id.as_deref().filter(|v| *v != vpc) {
                return Err(config(format!("subnet {subnet} is in VPC {vpc}, not in vpc_id {want}")));
            }
            return Ok(Site { vpc_id: vpc.to_string(), subnet_id: Some(subnet.clone()) });
        }
        if let Some(vpc) = &self.vpc_id {
            let mut req = self.client.describe_subnets().filters(Filter::builder().name("vpc-id").values(vpc).build());
            if let Some(z) = zone {
                req = req.filters(Filter::builder().name("availability-zone").values(z).build());
            }
            let r = req.send().await.map_err(|e| self.err(&format!("group {group}: subnets of {vpc}"), e))?;
            let best = r
                .subnets()
                .iter()
                .filter_map(|s| Some((s.available_ip_address_count().unwrap_or(0), s.subnet_id()?)))
                .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)));
            let Some((_, subnet)) = best else {
                return Err(config(format!(
                    "VPC {vpc} has no subnet{}: set subnet_id",
                    zone.map(|z| format!(" in {z}")).unwrap_or_default()
                )));
            };
            return Ok(Site { vpc_id: vpc.clone(), subnet_id: Some(subnet.to_string()) });
        }
        let r = self
            .client
            .describe_vpcs()
            .filters(Filter::builder().name("is-default").values("true").build())
            .send()
            .await
            .map_err(|e| self.err(&format!("group {group}: find the default VPC"), e))?;
        let vpc = r
            .vpcs()
            .first()
            .and_then(|v| v.vpc_id())
            .ok_or_else(|| config("the region has no default VPC: set vpc_id or subnet_id".into()))?;
        Ok(Site { vpc_id: vpc.to_string(), subnet_id: None })
    }

    /// The site, security group (rules reconciled) and key pair of `group`, whose node spec
    /// opens `ports` and asks for `zone`.
    pub(crate) async fn prepare(
        &self,
        group: &str,
        ports: &[u16],
        zone: Option<&str>,
    ) -> Result<Prepared, ComputeError> {
        let sources = if self.ingress_cidrs.is_empty() && !self.allow_world && !self.security_group_ids.is_empty() {
            // Only the extra security groups let traffic in.
            Vec::new()
        } else {
            ingress::sources(&self.name, &self.ingress_cidrs, self.allow_world)?
        };
        let site = self.site(group, zone).await?;
        let security_group = self.security_group(group, &site.vpc_id).await?;
        self.reconcile(group, &security_group, &ingress::desired(ports, &sources)).await?;
        let key_pair = self.key_pair().await?;
        Ok(Prepared { site, security_group, key_pair })
    }

    /// The id of security group `pallet-<group>` in `vpc`, created (tagged) when missing.
    async fn security_group(&self, group: &str, vpc: &str) -> Result<String, ComputeError> {
        let name = format!("pallet-{group}");
        let found = self
            .client
            .describe_security_groups()
            .filters(Filter::builder().name("group-name").values(&name).build())
            .filters(Filter::builder().name("vpc-id").values(vpc).build())
            .send()
            .await
            .map_err(|e| self.err(&format!("group {group}: describe security group {name}"), e))?;
        if let Some(id) = found.security_groups().first().and_then(|g| g.group_id()) {
            return Ok(id.to_string());
        }
        let mut tags = self.tags_for(Some(group));
        tags.insert("Name".into(), name.clone());
        let created = self
            .client
            .create_security_group()
            .group_name(&name)
            .description(format!("pallet group {group}"))
            .vpc_id(vpc)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, &tags))
            .send()
            .await
            .map_err(|e| self.err(&format!("group {group}: create security group {name}"), e))?;
        created.group_id().map(String::from).ok_or_else(|| ComputeError::Provider {
            service: self.name.clone(),
            message: format!("group {group}: {name} has no id"),
        })
    }

    /// Authorizes the rules of `wanted` that security group `id` lacks and revokes its CIDR
    /// rules that `wanted` does not have (rules naming other security groups or prefix lists
    /// are left alone).
    async fn reconcile(&self, group: &str, id: &str, wanted: &BTreeSet<Rule>) -> Result<(), ComputeError> {
        let r = self
            .client
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(|e| self.err(&format!("group {group}: describe security group {id}"), e))?;
        let mut current = BTreeSet::new();
        for p in r.security_groups().iter().flat_map(|g| g.ip_permissions()) {
            let protocol = p.ip_protocol().unwrap_or("-1").to_string();
            let (from, to) = (p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
            let v4 = p.ip_ranges().iter().filter_map(|r| r.cidr_ip());
            let v6 = p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6());
            for source in v4.chain(v6) {
                current.insert(Rule { protocol: protocol.clone(), from, to, source: source.to_string() });
            }
        }
        let (add, revoke) = ingress::diff(&current, wanted);
        if !add.is_empty() {
            self.client
                .authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(permissions(&add)))
                .send()
                .await
                .map_err(|e| self.err(&format!("group {group}: open ports in {id}"), e))?;
        }
        if !revoke.is_empty() {
            self.client
                .revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(permissions(&revoke)))
                .send()
                .await
                .map_err(|e| self.err(&format!("group {group}: close ports in {id}"), e))?;
        }
        Ok(())
    }

    /// Key pair `pallet-<user>` with the admin user's public key, imported (tagged) when missing.
    async fn key_pair(&self) -> Result<Option<String>, ComputeError> {
        let Some(key) = &self.public_key else { return Ok(None) };
        let name = format!("pallet-{}", self.key_user);
        let exists = self.client.describe_key_pairs().key_names(&name).send().await.is_ok();
        if !exists {
            let mut tags = self.tags_for(None);
            tags.insert("Name".into(), name.clone());
            self.client
                .import_key_pair()
                .key_name(&name)
                .public_key_material(Blob::new(key.as_bytes()))
                .tag_specifications(tag_spec(ResourceType::KeyPair, &tags))
                .send()
                .await
                .map_err(|e| self.err(&format!("import key pair {name}"), e))?;
        }
        Ok(Some(name))
    }

    /// The user's tags with pallet's: `pallet:managed`, and `pallet:group` for a group's resources.
    pub(crate) fn tags_for(&self, group: Option<&str>) -> BTreeMap<String, String> {
        let mut t = self.tags.clone();
        t.insert(MANAGED_TAG.into(), "1".into());
        if let Some(g) = group {
            t.insert(GROUP_TAG.into(), g.into());
        }
        t
    }
}

/// A tag specification of `tags` for resources of type `kind`.
pub(crate) fn tag_spec(kind: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(kind);
    for (k, v) in tags {
        b = b.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
    }
    b.build()
}

/// `rules` as EC2 permissions, one per protocol and port range.
fn permissions(rules: &[Rule]) -> Vec<IpPermission> {
    let mut by_range: BTreeMap<(&str, i32, i32), Vec<&str>> = BTreeMap::new();
    for r in rules {
        by_range.entry((r.protocol.as_str(), r.from, r.to)).or_default().push(&r.source);
    }
    by_range
        .into_iter()
        .map(|((protocol, from, to), sources)| {
            let mut p = IpPermission::builder().ip_protocol(protocol);
            if protocol != "-1" {
                p = p.from_port(from).to_port(to);
            }
            for s in sources {
                p = if s.contains(':') {
                    p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(s).build())
                } else {
                    p.ip_ranges(IpRange::builder().cidr_ip(s).build())
                };
            }
            p.build()
        })
        .collect()
}
