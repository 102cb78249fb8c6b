use stevedore::script;

fn main() {
    let package = "nginx";
    let files = vec!["/etc/a b", "/etc/c"];
    let s = script! {
        /// Install and report.
        apt-get install -y #package;
        for f in #files { test -e $f || echo missing $f; }
        echo /var/log/#package/access.log;
    };
    assert_eq!(
        s.to_text().unwrap(),
        "# Install and report.\napt-get install -y nginx\nfor f in '/etc/a b' /etc/c; do\n  test -e \"$f\" || echo missing \"$f\"\ndone\necho /var/log/nginx/access.log\n"
    );
}
