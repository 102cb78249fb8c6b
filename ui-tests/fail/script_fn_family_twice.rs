use stevedore::script_fn;

script_fn! {
    pub fn greet() {
        debian => { echo hello; }
        ubuntu | debian => { echo hi; }
        _ => { echo hey; }
    }
}

fn main() {
    let _ = greet();
}
