use pallet::prelude::*;

plan_fn! {
    fn lines(ctx) {
        cron("backup", "15 3 * * *", "root\n* * * * * root", "/usr/local/bin/backup");
        sudoers("deploy", ["deploy ALL=(ALL) NOPASSWD:ALL", "x\nALL ALL=(ALL) NOPASSWD:ALL"]);
        line_in_file("/etc/sysctl.conf", "vm.swappiness=10\nkernel.x=1");
        authorize_key("deploy", "ssh-ed25519 AAAA a\nssh-ed25519 BBBB b");
    }
}

fn main() {}
