use pallet::prelude::*;

fn main() {
    let name = String::from("web");
    let _ = group_spec! { name = name, count = 1 };
}
