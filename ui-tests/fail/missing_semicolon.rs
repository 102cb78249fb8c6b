use stevedore::script;

fn main() {
    let _ = script! {
        apt-get update
        apt-get install -y nginx;
    };
}
