use pallet::prelude::*;

plan_fn! {
    fn paths(ctx) {
        directory("relative/path");
        directory("-delete", owner = "root").recursive(true);
        symbolic_link("/srv/app", "current");
        remote_file("etc/motd", content = "hi\n");
    }
}

fn main() {}
