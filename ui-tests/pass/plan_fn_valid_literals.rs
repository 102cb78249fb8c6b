use pallet::prelude::*;

plan_fn! {
    fn valid(ctx) {
        user("deploy", home = "/home/deploy", shell = "/bin/sh", groups = ["adm", "www-data"]);
        group("web");
        directory("/srv/app", owner = "app", group = "1000", mode = 0o2750).recursive(true);
        package("nginx");
        package("libstdc++6");
        packages().apt(["libssl-dev", "nginx=1.22.1-9"]).dnf(["openssl-devel"]).apk(["openssl-dev"]);
        service("getty@tty1.service").restart().if_flag("site");
        cron("backup", "15 3 * * mon-fri", "root", "/usr/local/bin/backup --quiet");
        cron("boot", "@reboot", "root", "/usr/local/bin/warm");
        sudoers("deploy", ["deploy ALL=(ALL) NOPASSWD:ALL"]);
        hostname("web-1");
        wait_for_port(8080, host = "::1");
        symbolic_link("releases/2", "/srv/app/current");
        let name = "any value: checked when the plan runs";
        user(name);
    }
}

fn main() {
    let _ = valid;
}
