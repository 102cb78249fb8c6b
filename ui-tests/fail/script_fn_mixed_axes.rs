use stevedore::script_fn;

script_fn! {
    pub fn restart(name: &str) {
        apt => { service #name restart; }
        systemd => { systemctl restart #name; }
        _ => { /etc/init.d/#name restart; }
    }
}

fn main() {
    let _ = restart("nginx");
}
