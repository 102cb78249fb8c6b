use pallet::prelude::*;

fn main() {
    let _ = group_spec! { name = "Web_1", count = 1 };
}
