use pallet::prelude::*;

fn main() {
    let _ = group_spec! { name = "web", cont = 2 };
}
