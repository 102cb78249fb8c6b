use pallet::prelude::*;

fn main() {
    // Both specs lack `name`: each is reported once, and the fallback value keeps the
    // `.groups` use below from adding a cascade of type errors.
    let web = group_spec! { count = 2 };
    let _ = cluster_spec! { groups = [web] };
}
