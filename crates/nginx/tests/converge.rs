//! A real converge (podman, Debian 12 base image, nginx from the Debian mirror): an app node
//! serving a page and a proxy node in front of the role's nodes. First run changed, second ok,
//! check mode no change; the page comes through the proxy; check mode shows the diff of a
//! change without making it; a configuration `nginx -t` refuses keeps the old file and nginx
//! keeps serving.

use pallet::prelude::*;
use pallet_nginx::{Location, NginxConfig, Site, Upstream};
use pallet_plan_testkit::Lab;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const APP: &str = "pn-app";
const WEB: &str = "pn-web";

fn proxy(extra: Vec<String>) -> NginxConfig {
    NginxConfig {
        upstreams: vec![Upstream {
            name: "app".into(),
            role: Some("app".into()),
            facility: pallet_nginx::FACILITY.into(),
            ..Default::default()
        }],
        sites: vec![Site {
            name: "front".into(),
            directives: extra,
            locations: vec![Location { path: "/".into(), proxy_pass: Some("http://app".into()), ..Default::default() }],
            ..Site::default()
        }],
        ..NginxConfig::default()
    }
}

plan_fn! {
    /// The app's page names the node.
    fn page(ctx) {
        remote_file("/var/www/html/index.html", content = format!("app node {}\n", ctx.node().name), mode = 0o644);
    }
}

fn groups(extra: Vec<String>) -> Vec<GroupSpec> {
    let base = server_spec! { phases = { bootstrap = bootstrap } };
    let node =
        node_spec! { image = { os_family = Debian, login_user = "root" }, network = { inbound_ports = [22, 80] } };
    vec![
        group_spec! {
            name = "pn-app", count = 1, roles = [app], node_spec = node.clone(),
            extends = [base.clone(), pallet_nginx::server_spec(NginxConfig::default())],
            phases = { configure = page },
        },
        group_spec! {
            name = "pn-web", count = 1, node_spec = node,
            extends = [base, pallet_nginx::server_spec(proxy(extra))],
        },
    ]
}

fn http_get(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET / HTTP/1.0\r\nHost: test\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_proxy_serves_the_app_node_through_the_role_upstream() {
    let Some(lab) = Lab::new("nginx", &[APP, WEB]) else { return };
    lab.converge_twice_and_check(|| groups(Vec::new())).await;

    let web = lab.node(&format!("{WEB}-1")).await;
    let app = lab.node(&format!("{APP}-1")).await;
    let page = http_get(&web.published[&80]);
    assert!(page.starts_with("HTTP/1.1 200") && page.ends_with(&format!("app node {APP}-1\n")), "{page}");
    let conf = lab.exec(&web.name, "cat /etc/nginx/nginx.conf");
    let conf = String::from_utf8_lossy(&conf.stdout);
    assert!(conf.contains(&format!("server {}:80;", app.private_ip.clone().unwrap())), "{conf}");

    // Check mode shows the diff a change would make, and changes nothing.
    let check = lab.check(groups(vec!["client_max_body_size 2m;".into()])).await;
    assert_eq!(check.summary.changed, 2, "the file and the reload: {}", check.changes_text());
    let changes = check.changes_text();
    assert!(
        changes.contains("would change: node pn-web-1 phase configure: remote_file /etc/nginx/nginx.conf"),
        "{changes}"
    );
    assert!(changes.contains("  +        client_max_body_size 2m;"), "{changes}");
    assert_eq!(String::from_utf8_lossy(&lab.exec(&web.name, "cat /etc/nginx/nginx.conf").stdout), conf);

    // A directive nginx refuses: the action fails, the old file stays, nginx keeps proxying.
    let t = Instant::now();
    let failed = lab.converge_failing(groups(vec!["no_such_directive on;".into()])).await;
    let r = failed.result(&web.name, "configure").unwrap();
    let action = r.actions.iter().find(|a| a.kind == "remote_file").unwrap();
    assert!(
        action.stderr.contains("unknown directive \"no_such_directive\"") && action.stderr.contains("verify failed"),
        "{}",
        failed.human()
    );
    let after = lab.exec(&web.name, "cat /etc/nginx/nginx.conf");
    assert_eq!(String::from_utf8_lossy(&after.stdout), conf, "the old file is kept");
    assert!(http_get(&web.published[&80]).ends_with(&format!("app node {APP}-1\n")));
    lab.note("refused configuration", t);
}
