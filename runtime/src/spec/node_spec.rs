//! Node specs: how to select or create a node (Pallet's `node-spec`).

use serde::{Deserialize, Serialize};
use stevedore::os::Family;

/// What a compute service should create for a group, or how to choose among existing images
/// and machine types. Every field is optional; providers use what applies to them.
///
/// Merging ([`NodeSpec::merge`]) is field by field, the later spec winning, as Pallet merged
/// node-spec maps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeSpec {
    /// The image or OS.
    pub image: Image,
    /// Machine size.
    pub hardware: Hardware,
    /// Where (region, zone).
    pub location: Location,
    /// Network access.
    pub network: Network,
    /// Quality of service (spot price, monitoring).
    pub qos: Qos,
}

/// Image selection (Pallet's `:image`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// The OS family the image must run.
    pub os_family: Option<Family>,
    /// A version prefix the OS version must match (`"12"` matches `12.5`).
    pub os_version_matches: Option<String>,
    /// An exact image id (AMI id, container image reference...).
    pub image_id: Option<String>,
    /// The user the image lets in before bootstrap (the `bootstrap` phase runs as this user).
    pub login_user: Option<String>,
    /// The private key of the image's login user (default: the admin user's key, which the
    /// compute service authorizes for that user when it creates the node).
    pub login_key: Option<std::path::PathBuf>,
}

/// Preference among machine types that satisfy the minimums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HardwarePreference {
    /// The cheapest that fits.
    Smallest,
    /// The fastest CPU.
    Fastest,
    /// The largest.
    Biggest,
}

/// Machine size (Pallet's `:hardware`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hardware {
    /// Minimum number of CPU cores.
    pub min_cores: Option<u32>,
    /// Minimum RAM, in MiB.
    pub min_ram_mib: Option<u32>,
    /// Which of the fitting machine types.
    pub preference: Option<HardwarePreference>,
    /// An exact machine type (`t3.small`).
    pub hardware_id: Option<String>,
}

/// Placement (Pallet's `:location`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// A region or zone id (`us-east-1a`).
    pub location_id: Option<String>,
}

/// Network access (Pallet's `:network`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// TCP ports the compute service opens (1..=65535): EC2 to its ingress CIDRs, containers on
    /// 127.0.0.1.
    pub inbound_ports: Vec<u16>,
}

/// Quality of service (Pallet's `:qos`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Qos {
    /// Maximum spot price, in dollars per hour.
    pub spot_price: Option<f64>,
    /// Detailed monitoring.
    pub enable_monitoring: bool,
}

impl NodeSpec {
    /// An empty node spec.
    pub fn new() -> NodeSpec {
        NodeSpec::default()
    }

    /// Sets the OS family.
    pub fn os_family(mut self, f: Family) -> Self {
        self.image.os_family = Some(f);
        self
    }

    /// Sets the OS version prefix.
    pub fn os_version_matches(mut self, v: impl Into<String>) -> Self {
        self.image.os_version_matches = Some(v.into());
        self
    }

    /// Sets the image id.
    pub fn image_id(mut self, id: impl Into<String>) -> Self {
        self.image.image_id = Some(id.into());
        self
    }

    /// Sets the image's login user.
    pub fn login_user(mut self, u: impl Into<String>) -> Self {
        self.image.login_user = Some(u.into());
        self
    }

    /// Sets the private key of the image's login user (default: the admin user's key).
    pub fn login_key(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.image.login_key = Some(path.into());
        self
    }

    /// Sets the minimum cores.
    pub fn min_cores(mut self, n: u32) -> Self {
        self.hardware.min_cores = Some(n);
        self
    }

    /// Sets the minimum RAM in MiB.
    pub fn min_ram_mib(mut self, n: u32) -> Self {
        self.hardware.min_ram_mib = Some(n);
        self
    }

    /// Sets the hardware preference.
    pub fn hardware_preference(mut self, p: HardwarePreference) -> Self {
        self.hardware.preference = Some(p);
        self
    }

    /// Sets an exact machine type.
    pub fn hardware_id(mut self, id: impl Into<String>) -> Self {
        self.hardware.hardware_id = Some(id.into());
        self
    }

    /// Sets the location.
    pub fn location_id(mut self, id: impl Into<String>) -> Self {
        self.location.location_id = Some(id.into());
        self
    }

    /// Sets the inbound ports.
    pub fn inbound_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.network.inbound_ports = ports.into_iter().collect();
        self
    }

    /// Sets the spot price.
    pub fn spot_price(mut self, dollars_per_hour: impl Into<f64>) -> Self {
        self.qos.spot_price = Some(dollars_per_hour.into());
        self
    }

    /// Turns detailed monitoring on or off.
    pub fn enable_monitoring(mut self, on: bool) -> Self {
        self.qos.enable_monitoring = on;
        self
    }

    /// `self` with every field that `over` sets replaced by `over`'s value; inbound ports are
    /// the union of both lists.
    pub fn merge(&self, over: &NodeSpec) -> NodeSpec {
        fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
            b.clone().or_else(|| a.clone())
        }
        let mut ports = self.network.inbound_ports.clone();
        for p in &over.network.inbound_ports {
            if !ports.contains(p) {
                ports.push(*p);
            }
        }
        NodeSpec {
            image: Image {
                os_family: pick(&self.image.os_family, &over.image.os_family),
                os_version_matches: pick(&self.image.os_version_matches, &over.image.os_version_matches),
                image_id: pick(&self.image.image_id, &over.image.image_id),
                login_user: pick(&self.image.login_user, &over.image.login_user),
                login_key: pick(&self.image.login_key, &over.image.login_key),
            },
            hardware: Hardware {
                min_cores: pick(&self.hardware.min_cores, &over.hardware.min_cores),
                min_ram_mib: pick(&self.hardware.min_ram_mib, &over.hardware.min_ram_mib),
                preference: pick(&self.hardware.preference, &over.hardware.preference),
                hardware_id: pick(&self.hardware.hardware_id, &over.hardware.hardware_id),
            },
            location: Location { location_id: pick(&self.location.location_id, &over.location.location_id) },
            network: Network { inbound_ports: ports },
            qos: Qos {
                spot_price: pick(&self.qos.spot_price, &over.qos.spot_price),
                enable_monitoring: self.qos.enable_monitoring || over.qos.enable_monitoring,
            },
        }
    }
}
