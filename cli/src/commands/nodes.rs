//! `ops nodes [GROUP ...]`: the running and stopped nodes of groups on the service.

use super::Online;
use crate::{EXIT_OK, Failure, output};
use pallet_runtime::node::Node;

pub(crate) async fn run(ctx: Online) -> Result<u8, Failure> {
    let nodes = ctx.service.nodes().await.map_err(Failure::failed)?;
    let nodes: Vec<Node> = nodes.into_iter().filter(|n| ctx.groups.iter().any(|g| g.contains(n))).collect();
    output::nodes(&nodes, ctx.format);
    Ok(EXIT_OK)
}
