use pallet::prelude::*;

fn main() {
    let _ = group_spec! { name = "web", count = -1 };
    let _ = group_spec! { name = "db", count = 2.5 };
}
