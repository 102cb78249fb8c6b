use pallet::prelude::*;

plan_fn! {
    fn wait(ctx) {
        wait_for_port(0);
        wait_for_port(5432, host = "-p1");
    }
}

fn main() {}
