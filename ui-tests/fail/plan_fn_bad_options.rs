use pallet::prelude::*;

plan_fn! {
    fn options(ctx) {
        file("/etc/app.conf", owner = "-x");
        directory("/srv/app", mode = 0o77777);
        directory("/srv/app").owner("app").group("web admins");
        user("deploy", home = "home/deploy", groups = ["adm", "-G0"]);
    }
}

fn main() {}
