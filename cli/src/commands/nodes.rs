//! `ops nodes [GROUP ... | --all]`: the running and stopped nodes of groups, from the service
//! each group is placed on, or with `--all` every node those services know, of any group.

use super::Online;
use crate::{EXIT_OK, Failure, output};
use pallet_runtime::node::Node;

pub(crate) async fn run(ctx: Online, all: bool) -> Result<u8, Failure> {
    let mut nodes: Vec<Node> = Vec::new();
    for p in &ctx.targets {
        let listed = p.service.nodes().await.map_err(Failure::compute)?;
        nodes.extend(listed.into_iter().filter(|n| all || p.groups.iter().any(|g| g.contains(n))));
    }
    output::nodes(&nodes, ctx.format);
    Ok(EXIT_OK)
}
