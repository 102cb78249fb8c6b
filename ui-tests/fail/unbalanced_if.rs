use stevedore::script;

fn main() {
    let _ = script! {
        if [ -f /etc/motd ]
    };
    let _ = script! {
        else { echo no; }
    };
}
