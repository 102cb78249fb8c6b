use stevedore::script;

fn main() {
    let v = "default";
    let _ = script! { echo ${X:-#v}; };
    let _ = script! { echo ${X:-#(v)}; };
}
