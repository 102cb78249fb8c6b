use stevedore::script_fn;

script_fn! {
    /// Installs one package.
    pub fn install(name: &str) {
        apt => { apt-get install -y #name; }
        dnf | yum => { dnf install -y #name; }
    }
}

fn main() {
    let _ = install("nginx");
}
