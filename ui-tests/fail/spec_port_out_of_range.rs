use pallet::prelude::*;

fn main() {
    let _ = node_spec! { network = { inbound_ports = [22, 70000, 0] } };
}
