use stevedore::script;

fn main() {
    let _ = script! {
        if [[ -f /etc/motd ]] { cat /etc/motd; }
        make &> build.log;
    };
}
