use stevedore::{script_fn, Os};

script_fn! {
    /// One arm per group, and Fedora's own arm beats its group's.
    pub fn install(name: &str) {
        debian_like => { apt-get install -y #name; }
        rhel_like => { dnf install -y #name; }
        fedora => { dnf install -y --setopt=install_weak_deps=False #name; }
        suse_like | arch_like | alpine_like => { echo "not here" >&2; false; }
    }

    /// Dispatch on the user-management flavour, covering every flavour.
    pub fn add_user(name: &str) {
        shadow => { useradd --system #name; }
        shadow_short => { useradd -r #name; }
        busybox => { adduser -S -D #name; }
    }
}

fn main() {
    let on = |spec: &str| install("nginx").render_text(&Os::parse(spec).unwrap()).unwrap();
    assert_eq!(on("ubuntu-24.04"), "apt-get install -y nginx\n");
    assert_eq!(on("rocky-9"), "dnf install -y nginx\n");
    assert_eq!(on("amazon-2023"), "dnf install -y nginx\n");
    assert_eq!(on("fedora-40"), "dnf install -y --setopt=install_weak_deps=False nginx\n");
    assert!(on("alpine-3.20").contains("not here"));
    let user = |spec: &str| add_user("app").render_text(&Os::parse(spec).unwrap()).unwrap();
    assert_eq!(user("debian-12"), "useradd --system app\n");
    assert_eq!(user("centos-7"), "useradd -r app\n");
    assert_eq!(user("alpine-3.20"), "adduser -S -D app\n");
}
