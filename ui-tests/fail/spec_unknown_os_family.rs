use pallet::prelude::*;

fn main() {
    let _ = node_spec! { image = { os_family = Debain } };
}
