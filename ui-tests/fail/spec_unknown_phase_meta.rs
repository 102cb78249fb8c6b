use pallet::prelude::*;

fn main() {
    let _ = server_spec! { phases_meta = { deploy = { serail = 2 } } };
}
