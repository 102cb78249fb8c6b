use pallet::prelude::*;

fn main() {
    let _ = group_spec! { name = "web", count = 1, count = 2 };
}
