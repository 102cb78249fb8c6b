use pallet::prelude::*;

plan_fn! {
    fn names(ctx) {
        user("root;id");
        user("--help");
        group("web admins");
        package("--help");
        package("vim && id");
        package("-oDpkg::Pre-Invoke::=touch /tmp/x");
        service("ngin x");
        hostname("-x");
        package("nginx", version = "1.22 && id");
    }
}

fn main() {}
