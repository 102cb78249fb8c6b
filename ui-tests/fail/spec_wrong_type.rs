use pallet::prelude::*;

fn main() {
    let _ = group_spec! { name = "web", count = "2" };
    let _ = node_spec! { image = { os_version_matches = 12 }, qos = { enable_monitoring = "yes" } };
}
