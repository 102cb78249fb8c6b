use pallet::prelude::*;

plan_fn! {
    fn site(ctx) {
        remote_file("/etc/motd", content = "hi\n", ownr = "root");
    }
}

fn main() {}
