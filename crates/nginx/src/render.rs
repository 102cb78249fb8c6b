//! `nginx.conf` rendered from a checked [`NginxConfig`].

use crate::config::{Listen, Location, NginxConfig, Site};
use crate::os::Flavor;
use std::fmt::Write;

/// The complete `nginx.conf` for `flavor`. `servers` gives each upstream's `server` entries
/// (`host:port`), in order; an upstream without any gets one `down` placeholder so the file
/// stays valid and nginx answers 502 until a node appears. The caller validated `config`.
pub fn nginx_conf(config: &NginxConfig, flavor: &Flavor, servers: &[(String, Vec<String>)]) -> String {
    let mut s = String::new();
    let workers = config.worker_processes.map_or_else(|| "auto".to_string(), |n| n.to_string());
    let tokens = if config.server_tokens { "on" } else { "off" };
    let _ = write!(
        s,
        "# Managed by pallet-nginx: changes made here are replaced on the next run.\n\
         user {user};\n\
         worker_processes {workers};\n\
         pid {pid};\n\
         error_log /var/log/nginx/error.log;\n\
         include {modules};\n\
         \n\
         events {{\n    worker_connections {conns};\n}}\n\
         \n\
         http {{\n\
         \x20   sendfile on;\n\
         \x20   tcp_nopush on;\n\
         \x20   types_hash_max_size 2048;\n\
         \x20   server_tokens {tokens};\n\
         \x20   include /etc/nginx/mime.types;\n\
         \x20   default_type application/octet-stream;\n\
         \x20   access_log /var/log/nginx/access.log;\n\
         \x20   gzip on;\n",
        user = flavor.user,
        pid = flavor.pid,
        modules = flavor.modules,
        conns = config.worker_connections,
    );
    if config.include_conf_d {
        s.push_str("    include /etc/nginx/conf.d/*.conf;\n");
    }
    for (name, list) in servers {
        let _ = writeln!(s, "\n    upstream {name} {{");
        if list.is_empty() {
            s.push_str("        # no node yet: answer 502 until one appears\n        server 127.0.0.1:9 down;\n");
        }
        for server in list {
            let _ = writeln!(s, "        server {server};");
        }
        s.push_str("    }\n");
    }
    for site in &config.sites {
        site_block(&mut s, site, flavor);
    }
    s.push_str("}\n");
    s
}

fn site_block(s: &mut String, site: &Site, flavor: &Flavor) {
    let _ = writeln!(s, "\n    # site {}\n    server {{", site.name);
    for l in &site.listen {
        let l = Listen::parse(l).expect("validated");
        let addr = l.address.map(|a| format!("{a}:")).unwrap_or_default();
        let default = if site.default_server { " default_server" } else { "" };
        let _ = writeln!(s, "        listen {addr}{}{default};", l.port);
    }
    let _ = writeln!(s, "        server_name {};", site.server_name.join(" "));
    let _ = writeln!(s, "        root {};", site.root.as_deref().unwrap_or(flavor.web_root));
    if !site.index.is_empty() {
        let _ = writeln!(s, "        index {};", site.index.join(" "));
    }
    for d in &site.directives {
        let _ = writeln!(s, "        {d}");
    }
    if site.locations.is_empty() {
        s.push_str("        location / {\n            try_files $uri $uri/ =404;\n        }\n");
    }
    for l in &site.locations {
        location_block(s, l);
    }
    s.push_str("    }\n");
}

fn location_block(s: &mut String, l: &Location) {
    let _ = writeln!(s, "        location {} {{", l.path);
    if let Some(r) = &l.root {
        let _ = writeln!(s, "            root {r};");
    }
    if !l.try_files.is_empty() {
        let _ = writeln!(s, "            try_files {};", l.try_files.join(" "));
    }
    if let Some(p) = &l.proxy_pass {
        let _ = writeln!(s, "            proxy_pass {p};");
        s.push_str(
            "            proxy_set_header Host $host;\n\
             \x20           proxy_set_header X-Real-IP $remote_addr;\n\
             \x20           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             \x20           proxy_set_header X-Forwarded-Proto $scheme;\n",
        );
    }
    for d in &l.directives {
        let _ = writeln!(s, "            {d}");
    }
    s.push_str("        }\n");
}
