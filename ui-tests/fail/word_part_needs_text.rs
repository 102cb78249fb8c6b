use stevedore::script;

fn main() {
    let names = vec!["a", "b"];
    let _ = script! {
        cat /etc/#names.conf;
    };
}
