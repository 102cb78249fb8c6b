//! `ops nodes [GROUP ...]`: the running and stopped nodes of groups on the service.

use super::Online;
use crate::{EXIT_OK, Failure, output};
use pallet_runtime::node::Node;

pub(crate) async fn run(ctx: Online) -> Result<u8, Failure> {
    let mut nodes: Vec<Node> = Vec::new();
    for p in &ctx.targets {
        let listed = p.service.nodes().await.map_err(Failure::failed)?;
        nodes.extend(listed.into_iter().filter(|n| p.groups.iter().any(|g| g.contains(n))));
    }
    output::nodes(&nodes, ctx.format);
    Ok(EXIT_OK)
}
