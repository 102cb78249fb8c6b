use stevedore::script;

fn main() {
    // Three mistakes, three errors; the macro still yields a Script, so the code after it
    // type-checks and adds no errors of its own.
    let s = script! {
        echo #;
        fi;
        cat << 42;
    };
    let _text: String = s.to_text().unwrap();
}
