//! What a compute service can list besides nodes (Pallet's `images` and `hardware` tasks): the
//! images it can create nodes from and the machine types it offers, as typed rows the CLI prints
//! as a table or JSON (`docs/report.schema.json`, `image` and `hardware`).

use serde::{Deserialize, Serialize};

/// Which images to list ([`ComputeService::images`](super::ComputeService::images)).
///
/// Both parts are optional; a service says which it cannot use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageQuery {
    /// Only images of these owners (EC2: account ids, `self`, `amazon`...). Empty: the
    /// service's default (EC2: its configured `image_owner`, else `self`).
    pub owners: Vec<String>,
    /// Only images whose name matches this pattern (`*` and `?` wildcards for EC2; a reference
    /// filter such as `localhost/pallet-*` for container engines).
    pub name: Option<String>,
}

/// One image a service can create nodes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The id to put in a node spec's `image_id` (AMI id, image reference or id).
    pub id: String,
    /// Its name (EC2 image name, `repository:tag`), when it has one.
    pub name: Option<String>,
    /// A description, when the service keeps one.
    pub description: Option<String>,
    /// When it was created, as the service reports it (ISO 8601 for EC2).
    pub created: Option<String>,
    /// CPU architecture (`x86_64`, `arm64`), when known.
    pub architecture: Option<String>,
    /// The owner (EC2 account id), when known.
    pub owner: Option<String>,
    /// Its size, as the service reports it (`200 MB`), when known.
    pub size: Option<String>,
}

/// One machine type a service offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardwareInfo {
    /// The id to put in a node spec's `hardware_id` (`t3.micro`), or `host` for this machine.
    pub id: String,
    /// Virtual CPUs, when known.
    pub cores: Option<u32>,
    /// Memory in MiB, when known.
    pub ram_mib: Option<u64>,
    /// Supported CPU architectures.
    pub architectures: Vec<String>,
    /// A note (`containers share this machine`).
    pub description: Option<String>,
}

impl HardwareInfo {
    /// This machine: its CPUs as the process sees them and `MemTotal` of `/proc/meminfo`
    /// (`None` where that cannot be read), id `host`, with `description`.
    pub fn this_machine(description: impl Into<String>) -> HardwareInfo {
        let cores = std::thread::available_parallelism().ok().and_then(|n| u32::try_from(n.get()).ok());
        let ram_mib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kib| kib / 1024)
        });
        HardwareInfo {
            id: "host".into(),
            cores,
            ram_mib,
            architectures: vec![std::env::consts::ARCH.to_string()],
            description: Some(description.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_reads_cores_and_memory() {
        let h = HardwareInfo::this_machine("note");
        assert_eq!(h.id, "host");
        assert!(h.cores.is_some_and(|c| c >= 1), "{h:?}");
        assert!(h.ram_mib.is_some_and(|m| m >= 64), "{h:?}");
        assert_eq!(h.architectures, [std::env::consts::ARCH]);
    }
}
