use stevedore::script;

struct Config;

fn main() {
    let c = Config;
    let _ = script! {
        echo #c;
    };
}
