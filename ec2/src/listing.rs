//! What the service lists besides nodes: images (`DescribeImages` by owner and name pattern)
//! and instance types (`DescribeInstanceTypes`, every page).

use crate::Ec2;
use aws_sdk_ec2::types::Filter;
use pallet_runtime::compute::{ComputeError, HardwareInfo, ImageInfo, ImageQuery};

impl Ec2 {
    /// Images of `q.owners` (default: the configured image owner, else `self`) whose name
    /// matches `q.name` (`*`, `?`), newest first.
    pub(crate) async fn list_images(&self, q: &ImageQuery) -> Result<Vec<ImageInfo>, ComputeError> {
        let owners = if q.owners.is_empty() {
            vec![self.image_owner.clone().unwrap_or_else(|| "self".into())]
        } else {
            q.owners.clone()
        };
        let mut req = self.client.describe_images().set_owners(Some(owners));
        if let Some(n) = &q.name {
            req = req.filters(Filter::builder().name("name").values(n).build());
        }
        let r = req.send().await.map_err(|e| self.err("describe images", e))?;
        let mut images: Vec<ImageInfo> = r
            .images()
            .iter()
            .filter_map(|i| {
                Some(ImageInfo {
                    id: i.image_id()?.to_string(),
                    name: i.name().map(String::from),
                    description: i.description().map(String::from),
                    created: i.creation_date().map(String::from),
                    architecture: i.architecture().map(|a| a.as_str().to_string()),
                    owner: i.owner_id().map(String::from),
                    size: None,
                })
            })
            .collect();
        images.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(images)
    }

    /// Every instance type of the region, smallest first (cores, then memory, then name).
    pub(crate) async fn list_hardware(&self) -> Result<Vec<HardwareInfo>, ComputeError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let r = self
                .client
                .describe_instance_types()
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.err("describe instance types", e))?;
            for t in r.instance_types() {
                let Some(id) = t.instance_type() else { continue };
                out.push(HardwareInfo {
                    id: id.as_str().to_string(),
                    cores: t.v_cpu_info().and_then(|v| v.default_v_cpus()).and_then(|n| u32::try_from(n).ok()),
                    ram_mib: t.memory_info().and_then(|m| m.size_in_mib()).and_then(|n| u64::try_from(n).ok()),
                    architectures: t
                        .processor_info()
                        .map(|p| p.supported_architectures().iter().map(|a| a.as_str().to_string()).collect())
                        .unwrap_or_default(),
                    description: None,
                });
            }
            match r.next_token().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        out.sort_by(|a, b| (a.cores, a.ram_mib, &a.id).cmp(&(b.cores, b.ram_mib, &b.id)));
        Ok(out)
    }
}
