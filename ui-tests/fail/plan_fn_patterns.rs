use pallet::prelude::*;

plan_fn! {
    fn patterns(ctx) {
        sed("/etc/ssh/sshd_config", [("^Port 22$", "Port 2222")], restriction = "1e touch /tmp/x");
        sed("/etc/app.conf", [("", "b"), ("a", "\\U&")]);
        line_in_file("/etc/app.conf", "max=20", regexp = "max=||*");
        file("/etc/app/");
    }
}

fn main() {}
