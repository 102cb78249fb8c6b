use stevedore::{Os, script};

#[test]
fn smoke() {
    let name = "nginx";
    let files = vec!["a b", "c"];
    let s = script! {
        /// install things
        apt-get install -q -y #name;
        if [ -f /etc/nginx/nginx.conf ] && test -d $HOME {
            echo "it's there" > /tmp/out 2>&1;
        } else if true {
            echo ${X:-default} $1 $? "$(uname -r)";
        } else {
            exit 1;
        }
        for f in #files { echo $f; }
        case $(uname -s) {
            "Linux" | Darwin => { echo unix; }
            _ => { echo other; }
        }
        fn greet() { echo hello "$1"; }
        while ! false { break; }
        X=1 Y=#name env;
        cat /etc/#name.conf | grep -v "^#" >> /tmp/x;
        sh!("echo raw; echo more");
        { echo a; echo b; } > /dev/null;
        (cd /tmp && ls);
        cat << "line1\nline2";
        echo $((1 + 2));
        for x in split!($(echo a b)) { echo $x; }
    };
    let text = s.to_text().unwrap();
    println!("{text}");
    pallet_testkit::gate::assert_passes(&text);
    let _ = Os::parse("debian-12").unwrap();
}
