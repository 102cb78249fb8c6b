use stevedore::script_fn;

script_fn! {
    /// Groups cover their members, but nothing covers Alpine, Arch or openSUSE here.
    pub fn firewall_open(port: u16) {
        debian_like => { ufw allow #port; }
        rhel_like => { firewall-cmd --add-port=#port/tcp; }
    }
}

fn main() {
    let _ = firewall_open(80);
}
