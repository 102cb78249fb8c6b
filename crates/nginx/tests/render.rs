//! Plans rendered offline: the OS support statement, the file the proxy gets, planning errors.

use pallet::prelude::*;
use pallet_nginx::{Location, NginxConfig, Site, Upstream};
use pallet_plan_testkit::{assert_os_support, plan_text};

fn proxy() -> NginxConfig {
    NginxConfig {
        upstreams: vec![Upstream {
            name: "app".into(),
            role: Some("app".into()),
            facility: pallet_nginx::FACILITY.into(),
            ..Default::default()
        }],
        sites: vec![Site {
            name: "front".into(),
            server_name: vec!["www.example.org".into()],
            locations: vec![
                Location { path: "/".into(), proxy_pass: Some("http://app".into()), ..Default::default() },
                Location {
                    path: "/static/".into(),
                    root: Some("/srv/static".into()),
                    try_files: vec!["$uri".into(), "=404".into()],
                    ..Default::default()
                },
            ],
            ..Site::default()
        }],
        ..NginxConfig::default()
    }
}

fn groups() -> Vec<GroupSpec> {
    vec![
        group_spec! { name = "app", count = 2, roles = [app], extends = [pallet_nginx::server_spec(NginxConfig::default())] },
        group_spec! { name = "web", count = 1, extends = [pallet_nginx::server_spec(proxy())] },
    ]
}

#[test]
fn claimed_oses_plan_and_pass_the_gate_and_others_are_refused() {
    let claimed: Vec<&str> = pallet_nginx::OS_TESTED.iter().chain(pallet_nginx::OS_RENDERED).copied().collect();
    assert_os_support(groups, &["configure"], &claimed, "pallet-nginx does not support");
}

#[test]
fn the_proxy_lists_the_role_nodes_and_checks_the_file_before_reloading() {
    let scripts = plan_text(&groups(), "debian-12", &["configure"]).unwrap();
    let web = scripts.iter().find(|s| s.node == "web-1").unwrap();
    assert_eq!(
        web.actions,
        [
            "packages: install nginx",
            "remote_file /etc/nginx/nginx.conf (content, 1160 bytes) mode 0644",
            "service nginx start enable",
            "service nginx reload if pallet-nginx-conf changed",
        ]
    );
    for line in [
        "    upstream app {\n",
        "        server 192.0.2.11:80;\n",
        "        server 192.0.2.12:80;\n",
        "        server_name www.example.org;\n",
        "            proxy_pass http://app;\n",
        "            try_files $uri =404;\n",
    ] {
        assert!(web.payload.contains(line), "{line} missing from nginx.conf:\n{}", web.payload);
    }
    assert!(web.script.contains("nginx -t -q -c \"$1\""), "{}", web.script);
    // The app nodes serve the distribution's web root on 80.
    let app = scripts.iter().find(|s| s.node == "app-1").unwrap();
    assert!(app.payload.contains("        root /var/www/html;\n"), "{}", app.payload);
    let rhel = plan_text(&groups(), "rocky-9", &["configure"]).unwrap();
    assert!(rhel[0].payload.contains("user nginx;\n") && rhel[0].payload.contains("/usr/share/nginx/html;"));
}

#[test]
fn a_role_node_without_settings_and_invalid_values_fail_the_plan() {
    let orphan = vec![
        group_spec! { name = "app", count = 1, roles = [app] },
        group_spec! { name = "web", count = 1, extends = [pallet_nginx::server_spec(proxy())] },
    ];
    let e = plan_text(&orphan, "debian-12", &["configure"]).unwrap_err();
    assert!(e.contains("upstream app (role app): node app-1 published no `nginx` settings"), "{e}");

    let mut bad = proxy();
    bad.sites[0].root = Some("/srv/www; include /etc/shadow".into());
    let g = vec![group_spec! { name = "web", count = 1, extends = [pallet_nginx::server_spec(bad)] }];
    let e = plan_text(&g, "debian-12", &["configure"]).unwrap_err();
    assert!(e.contains("site front root `/srv/www; include /etc/shadow`: must be one word"), "{e}");
}

#[test]
fn settings_publish_host_port_and_names() {
    let g = vec![group_spec! { name = "web", count = 1, extends = [pallet_nginx::server_spec(proxy())] }];
    // Planning `settings` renders nothing (it only publishes); a reader sees what was published.
    let reader = move |ctx: &mut Plan<'_>| {
        let web = ctx.nodes_in_group("web")[0].clone();
        let s: pallet_nginx::NginxSettings = ctx.settings(&web, pallet_nginx::FACILITY).unwrap();
        assert_eq!(
            s,
            pallet_nginx::NginxSettings {
                host: "192.0.2.11".into(),
                port: 80,
                server_names: vec!["www.example.org".into()]
            }
        );
        ctx.add(file("/tmp/read"));
    };
    let mut all = g;
    all.push(GroupSpec::new("reader").unwrap().count(1).phase("configure", reader));
    let scripts = plan_text(&all, "debian-12", &["configure"]).unwrap();
    assert!(scripts.iter().any(|s| s.node == "reader-1"));
}
