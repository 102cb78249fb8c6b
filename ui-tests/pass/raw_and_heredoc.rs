use stevedore::script;

fn main() {
    let config = "listen 80;\nserver_name $host;\n";
    let s = script! {
        sh!("set -eu; umask 022");
        cat << #config > /etc/nginx/conf.d/site.conf;
    };
    assert_eq!(
        s.to_text().unwrap(),
        "set -eu; umask 022\ncat <<'EOF' >/etc/nginx/conf.d/site.conf\nlisten 80;\nserver_name $host;\nEOF\n"
    );
}
