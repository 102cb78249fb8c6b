use stevedore::script;

fn main() {
    let logs = vec!["a.log", "b.log"];
    let _ = script! {
        echo done >> #logs;
    };
}
