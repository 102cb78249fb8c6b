//! The typed configuration (serde; every field has a documented default) and its checks.

use serde::{Deserialize, Serialize};

/// nginx as a whole: global settings, upstreams and sites.
///
/// Deserializes from any serde format (`pallet.toml`, JSON); a missing field takes its default,
/// an unknown one is an error. The default is one site, `default`, on port 80 serving the
/// distribution's web root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NginxConfig {
    /// `worker_processes`; `None` (default) is `auto`.
    pub worker_processes: Option<u32>,
    /// `worker_connections` (default 768, as Debian ships it).
    pub worker_connections: u32,
    /// `server_tokens` (default `false`: the version is not advertised).
    pub server_tokens: bool,
    /// Include `/etc/nginx/conf.d/*.conf` inside `http` (default `true`), so packages and other
    /// crates can add configuration. Debian's `sites-enabled` is never included: sites come from
    /// [`NginxConfig::sites`].
    pub include_conf_d: bool,
    /// Upstreams (default none), named in [`Location::proxy_pass`] as `http://NAME`.
    pub upstreams: Vec<Upstream>,
    /// Sites, each a `server` block (default: one site, see [`Site::default`]).
    pub sites: Vec<Site>,
}

impl Default for NginxConfig {
    fn default() -> Self {
        NginxConfig {
            worker_processes: None,
            worker_connections: 768,
            server_tokens: false,
            include_conf_d: true,
            upstreams: Vec::new(),
            sites: vec![Site::default()],
        }
    }
}

/// An `upstream` block: servers listed by hand and/or the nodes of a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Upstream {
    /// The upstream's name (letters, digits, `_`, `-`, `.`), used as `http://NAME` (required).
    pub name: String,
    /// Every node with this role (in the operation) is a server, at the `host` and `port` it
    /// published under [`Upstream::facility`] (default none).
    pub role: Option<String>,
    /// The settings facility the role's nodes publish their endpoint under, with the shape of
    /// [`crate::HttpEndpoint`] (`{ "host": ..., "port": ... }`; extra fields are ignored, so
    /// `nginx` (this crate's own [`crate::NginxSettings`]) works too). Default
    /// [`crate::HTTP_FACILITY`] (`http`).
    pub facility: String,
    /// Servers given by hand: `host:port` (default none).
    pub servers: Vec<String>,
}

impl Default for Upstream {
    fn default() -> Self {
        Upstream { name: String::new(), role: None, facility: crate::HTTP_FACILITY.to_string(), servers: Vec::new() }
    }
}

/// A site: one `server` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Site {
    /// A name for reports and the comment above the block (default `default`).
    pub name: String,
    /// `listen`: ports (`80`) or `address:port` (`127.0.0.1:8080`, `[::]:80`) (default `["80"]`).
    pub listen: Vec<String>,
    /// Adds `default_server` to every `listen` (default `true`; at most one site per port may
    /// have it, which `nginx -t` checks).
    pub default_server: bool,
    /// `server_name`s (default `["_"]`: any name). Host names and `*` wildcards; no regexes.
    pub server_name: Vec<String>,
    /// `root`: an absolute path; `None` (default) is the distribution's web root
    /// (`/var/www/html` on Debian, `/usr/share/nginx/html` on RHEL, `/var/lib/nginx/html` on
    /// Alpine).
    pub root: Option<String>,
    /// `index` files (default `["index.html"]`).
    pub index: Vec<String>,
    /// `location` blocks (default none: then `location / { try_files $uri $uri/ =404; }`).
    pub locations: Vec<Location>,
    /// Raw directives added to the `server` block, each a complete directive such as
    /// `client_max_body_size 10m;` (default none). Not checked here: `nginx -t` checks them.
    pub directives: Vec<String>,
}

impl Default for Site {
    fn default() -> Self {
        Site {
            name: "default".into(),
            listen: vec!["80".into()],
            default_server: true,
            server_name: vec!["_".into()],
            root: None,
            index: vec!["index.html".into()],
            locations: Vec::new(),
            directives: Vec::new(),
        }
    }
}

/// A prefix `location` block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Location {
    /// The URI prefix, starting with `/` (required).
    pub path: String,
    /// `root` for this location (default: the site's).
    pub root: Option<String>,
    /// `proxy_pass`: `http://UPSTREAM` naming one of [`NginxConfig::upstreams`], or any
    /// `http://` / `https://` URL (default none). Adds `Host`, `X-Real-IP`, `X-Forwarded-For`
    /// and `X-Forwarded-Proto` headers.
    pub proxy_pass: Option<String>,
    /// `try_files` (default none; nginx variables such as `$uri` allowed).
    pub try_files: Vec<String>,
    /// Raw directives, as for [`Site::directives`] (default none).
    pub directives: Vec<String>,
}

/// One `listen` entry, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listen {
    pub(crate) address: Option<String>,
    pub(crate) port: u16,
}

impl Listen {
    pub(crate) fn parse(text: &str) -> Result<Listen, String> {
        let bad = || format!("listen `{text}`: expected a port (`80`) or `address:port` (`10.0.0.1:80`, `[::]:80`)");
        if let Ok(port) = text.parse::<u16>() {
            return Ok(Listen { address: None, port });
        }
        let (addr, port) = text.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let ip = addr.strip_prefix('[').and_then(|a| a.strip_suffix(']')).unwrap_or(addr);
        let parsed: std::net::IpAddr = ip.parse().map_err(|_| bad())?;
        if parsed.is_ipv6() && !addr.starts_with('[') {
            return Err(bad());
        }
        Ok(Listen { address: Some(addr.to_string()), port })
    }
}

/// Characters that would change the structure of nginx's configuration (end a directive, open
/// a block, start a comment or a quoted string, expand a variable).
const SPECIAL: &[char] = &[';', '{', '}', '"', '\'', '#', '\\', '$'];

/// A value written into the configuration as one bare word: non-empty, no white space or
/// control characters, none of `; { } " ' # \ $` (`$` allowed when `vars`).
pub(crate) fn word(what: &str, value: &str, vars: bool) -> Result<(), String> {
    let bad = value.is_empty()
        || value.chars().any(|c| c.is_whitespace() || c.is_control() || (SPECIAL.contains(&c) && !(vars && c == '$')));
    if bad {
        return Err(format!(
            "{what} `{}`: must be one word without white space or any of ; {{ }} \" ' # \\{}",
            value.escape_debug(),
            if vars { "" } else { " $" }
        ));
    }
    Ok(())
}

fn name(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
        return Err(format!("{what} `{}`: use letters, digits, `_`, `-` and `.`", value.escape_debug()));
    }
    Ok(())
}

fn absolute(what: &str, value: &str) -> Result<(), String> {
    word(what, value, false)?;
    if !value.starts_with('/') {
        return Err(format!("{what} `{value}`: must be an absolute path"));
    }
    Ok(())
}

impl NginxConfig {
    /// Checks every value that goes into `nginx.conf`: names, ports and addresses, absolute
    /// paths, no character that could change the file's structure, `proxy_pass` naming a known
    /// upstream or an `http(s)://` URL, unique site and upstream names.
    ///
    /// # Errors
    /// Every problem found, one per line, naming the site, location or upstream.
    pub fn validate(&self) -> Result<(), String> {
        let mut errors = Vec::new();
        let mut push = |r: Result<(), String>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        let mut seen = std::collections::BTreeSet::new();
        for u in &self.upstreams {
            push(name("upstream name", &u.name));
            if !seen.insert(&u.name) {
                push(Err(format!("upstream `{}` is defined twice", u.name)));
            }
            if let Some(r) = &u.role {
                push(name(&format!("upstream {} role", u.name), r));
            }
            push(name(&format!("upstream {} facility", u.name), &u.facility));
            for s in &u.servers {
                push(word(&format!("upstream {} server", u.name), s, false));
            }
            if u.role.is_none() && u.servers.is_empty() {
                push(Err(format!("upstream `{}`: give a role or servers", u.name)));
            }
        }
        let mut sites = std::collections::BTreeSet::new();
        for s in &self.sites {
            let at = format!("site {}", s.name);
            push(name("site name", &s.name));
            if !sites.insert(&s.name) {
                push(Err(format!("site `{}` is defined twice", s.name)));
            }
            if s.listen.is_empty() {
                push(Err(format!("{at}: listen on at least one port")));
            }
            for l in &s.listen {
                push(Listen::parse(l).map(|_| ()).map_err(|e| format!("{at}: {e}")));
            }
            for n in &s.server_name {
                push(word(&format!("{at} server_name"), n, false));
            }
            if let Some(r) = &s.root {
                push(absolute(&format!("{at} root"), r));
            }
            for i in &s.index {
                push(word(&format!("{at} index"), i, false));
            }
            for l in &s.locations {
                let at = format!("{at} location {}", l.path);
                push(absolute(&at, &l.path));
                if let Some(r) = &l.root {
                    push(absolute(&format!("{at} root"), r));
                }
                for t in &l.try_files {
                    push(word(&format!("{at} try_files"), t, true));
                }
                if let Some(p) = &l.proxy_pass {
                    push(word(&format!("{at} proxy_pass"), p, false));
                    match p.strip_prefix("http://").or_else(|| p.strip_prefix("https://")) {
                        None => push(Err(format!("{at} proxy_pass `{p}`: must start with http:// or https://"))),
                        Some(rest) => {
                            let host = rest.split(['/', ':']).next().unwrap_or_default();
                            let is_ip = host.parse::<std::net::IpAddr>().is_ok() || rest.starts_with('[');
                            let known = self.upstreams.iter().any(|u| u.name == host);
                            if !known && !is_ip && !host.contains('.') && host != "localhost" {
                                push(Err(format!(
                                    "{at} proxy_pass `{p}`: no upstream `{host}`; upstreams: {}",
                                    self.upstreams.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ")
                                )));
                            }
                        }
                    }
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors.join("\n")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_entries_parse_or_are_refused() {
        assert_eq!(Listen::parse("80"), Ok(Listen { address: None, port: 80 }));
        assert_eq!(Listen::parse("10.0.0.1:8080").unwrap().address.as_deref(), Some("10.0.0.1"));
        assert_eq!(Listen::parse("[::]:80").unwrap().port, 80);
        for bad in ["", "http", "80000", "::1:80", "host:80", "1.2.3.4:x"] {
            assert!(Listen::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_is_valid_and_values_that_change_the_structure_are_refused() {
        assert_eq!(NginxConfig::default().validate(), Ok(()));
        let mut c = NginxConfig::default();
        c.sites[0].server_name = vec!["example.org; include /etc/passwd".into()];
        c.sites[0].root = Some("relative/path".into());
        c.sites[0].locations.push(Location {
            path: "/api/".into(),
            proxy_pass: Some("http://nowhere".into()),
            ..Default::default()
        });
        c.upstreams.push(Upstream { name: "app".into(), ..Default::default() });
        let e = c.validate().unwrap_err();
        assert!(e.contains("server_name `example.org; include /etc/passwd`"), "{e}");
        assert!(e.contains("root `relative/path`: must be an absolute path"), "{e}");
        assert!(e.contains("proxy_pass `http://nowhere`: no upstream `nowhere`; upstreams: app"), "{e}");
        assert!(e.contains("upstream `app`: give a role or servers"), "{e}");
    }

    #[test]
    fn configuration_deserializes_with_defaults_and_refuses_unknown_fields() {
        let c: NginxConfig = serde_json::from_str(r#"{"sites": [{"name": "app", "listen": ["8080"]}]}"#).unwrap();
        assert_eq!(c.worker_connections, 768);
        assert_eq!(c.sites[0].server_name, ["_"]);
        assert!(c.sites[0].default_server);
        let e = serde_json::from_str::<NginxConfig>(r#"{"site": []}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `site`"), "{e}");
    }
}
