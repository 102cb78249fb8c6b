use stevedore::script;

fn main() {
    let _ = script! {
        sh!("if [ -f /etc/motd ]; then\n  cat /etc/motd\n");
    };
}
