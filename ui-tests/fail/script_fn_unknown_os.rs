use stevedore::script_fn;

script_fn! {
    pub fn greet() {
        debain => { echo hello; }
        _ => { echo hi; }
    }
}

fn main() {
    let _ = greet();
}
