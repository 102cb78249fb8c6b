use stevedore::script_fn;

script_fn! {
    /// `el` is part of `rhel_like`: which arm would rocky take?
    pub fn add_repo() {
        rhel_like => { dnf config-manager --add-repo /etc/app.repo; }
        el => { dnf install -y epel-release; }
        _ => { true; }
    }
}

fn main() {
    let _ = add_repo();
}
