use stevedore::{script, script_fn, Os};

script_fn! {
    /// Restarts a service with the node's init system.
    pub fn restart(name: &str) {
        systemd => { systemctl restart #name; }
        openrc => { rc-service #name restart; }
        _ => { /etc/init.d/#name restart; }
    }
}

fn main() {
    let s = script! { #(restart("ssh")) || echo failed; };
    assert_eq!(s.render_text(&Os::parse("debian-12").unwrap()).unwrap(), "systemctl restart ssh || echo failed\n");
    assert_eq!(s.render_text(&Os::parse("alpine-3.20").unwrap()).unwrap(), "rc-service ssh restart || echo failed\n");
    assert_eq!(s.render_text(&Os::parse("centos-6").unwrap()).unwrap(), "/etc/init.d/ssh restart || echo failed\n");
    assert!(s.to_bytes().is_err());
}
