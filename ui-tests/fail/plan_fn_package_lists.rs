use pallet::prelude::*;

plan_fn! {
    fn lists(ctx) {
        packages().apt(["nginx", "--help"]).dnf(["openssl devel"]).apk(["curl", "x;y"]);
    }
}

fn main() {}
