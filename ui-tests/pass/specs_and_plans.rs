use pallet::prelude::*;

plan_fn! {
    fn base(ctx) {
        package("curl");
    }
}

plan_fn! {
    fn web_server(ctx) {
        remote_file("/var/www/index.html", content = format!("{}\n", ctx.node().name), mode = 0o644);
    }
}

fn main() {
    let web = group_spec! {
        name = "web",
        count = 2,
        extends = [server_spec! { phases = { configure = base } }],
        node_spec = node_spec! { image = { os_family = Debian }, network = { inbound_ports = [22, 80] } },
        phases = { configure = web_server },
    };
    let cluster = cluster_spec! { name = "prod", groups = [web] };
    assert_eq!(cluster.group_specs()[0].name(), "prod-web");
    assert_eq!(cluster.group_specs()[0].server().effective().phase_fns("configure").len(), 2);
}
