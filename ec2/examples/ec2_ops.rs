//! An ops binary that can use EC2: the `ec2` provider registered, so a configuration file can
//! name it (see `pallet_ec2::provider` for the options):
//!
//! ```toml
//! default_service = "aws"
//!
//! [services.aws]
//! provider = "ec2"
//! region = "eu-west-1"
//! ingress_cidrs = ["203.0.113.7/32"]
//! ```
//!
//! ```sh
//! cargo run -p pallet-ec2 --example ec2_ops -- images --owner 136693071363 'debian-12-*'
//! cargo run -p pallet-ec2 --example ec2_ops -- converge web=2
//! ```

use pallet_runtime::spec::{GroupSpec, NodeSpec};
use stevedore::os::Family;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let web = GroupSpec::new("web")
        .expect("a valid group name")
        .count(1)
        .node_spec(NodeSpec::new().os_family(Family::Debian).os_version_matches("12").inbound_ports([22, 80]));
    pallet_cli::App::new([web]).provider("ec2", pallet_ec2::provider()).run().await
}
