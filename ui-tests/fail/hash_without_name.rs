use stevedore::script;

fn main() {
    let _ = script! {
        echo # hello;
    };
}
