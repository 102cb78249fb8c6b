use pallet::prelude::*;

plan_fn! {
    fn site(ctx) {
        remote_file("/etc/motd", content = "hi\n", mode = 0o644, mode = 0o600);
    }
}

fn main() {}
