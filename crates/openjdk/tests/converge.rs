//! A real converge (podman, Debian 12 base image, OpenJDK from the Debian mirror): the
//! distribution's JRE. First run changed, second ok, check mode no change; `java -version`
//! names the major through the system's `java` and the published `JAVA_HOME`.

use pallet::prelude::*;
use pallet_openjdk::{JavaSettings, OpenJdkConfig};
use pallet_plan_testkit::Lab;

plan_fn! {
    /// Records the published settings on the node, to compare.
    fn note_settings(ctx) {
        let me = ctx.node().clone();
        match ctx.settings::<JavaSettings>(&me, pallet_openjdk::FACILITY) {
            Ok(s) => { remote_file("/etc/java-settings", content = format!("{} {} {}\n", s.major, s.jdk, s.java_home), mode = 0o644); }
            Err(e) => { ctx.fail(e.to_string()); }
        }
    }
}

fn groups() -> Vec<GroupSpec> {
    let base = server_spec! { phases = { bootstrap = bootstrap } };
    vec![group_spec! {
        name = "pj-java", count = 1,
        node_spec = node_spec! { image = { os_family = Debian, login_user = "root" } },
        extends = [base, pallet_openjdk::server_spec(OpenJdkConfig::default())],
        phases = { configure = note_settings },
    }]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_distributions_jre_runs() {
    let Some(lab) = Lab::new("openjdk", &["pj-java"]) else { return };
    lab.converge_twice_and_check(groups).await;
    let settings = lab.exec("pj-java-1", "cat /etc/java-settings");
    assert_eq!(String::from_utf8_lossy(&settings.stdout), "17 false /usr/lib/jvm/java-17-openjdk\n");
    for java in ["java", "/usr/lib/jvm/java-17-openjdk/bin/java"] {
        let out = lab.exec("pj-java-1", &format!("{java} -version 2>&1"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.starts_with("openjdk version \"17."), "{java}: {text}");
    }
}
