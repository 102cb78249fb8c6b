//! `ops providers`: the providers this program knows (built in and registered with
//! `App::provider`), the services it can use (those of the configuration files and the
//! program's own, the default marked) and the service each of its groups is placed on.
//! Contacts no service.

use crate::args::Args;
use crate::config::Config;
use crate::output::{self, GroupRow, ServiceRow};
use crate::settings::service_name_for;
use crate::{App, EXIT_OK};

pub(crate) fn run(app: &App, args: &Args, cfg: &Config) -> u8 {
    let default = args
        .service
        .clone()
        .or_else(|| cfg.default_service.clone())
        .or_else(|| app.services.first().map(|(n, _)| n.clone()));
    let mut services: Vec<ServiceRow> = cfg
        .services
        .iter()
        .map(|(name, sc)| ServiceRow {
            name: name.clone(),
            provider: Some(sc.provider.clone()),
            origin: "config",
            defined_at: Some(format!("{}{}", sc.file, sc.line.map(|l| format!(":{l}")).unwrap_or_default())),
            default: default.as_deref() == Some(name),
        })
        .collect();
    // A configured service shadows the program's service of the same name.
    for (name, _) in app.services.iter().filter(|(n, _)| !cfg.services.contains_key(n)) {
        services.push(ServiceRow {
            name: name.clone(),
            provider: None,
            origin: "program",
            defined_at: None,
            default: default.as_deref() == Some(name),
        });
    }
    let groups: Vec<GroupRow> = app
        .groups
        .iter()
        .map(|g| GroupRow {
            group: g.name().to_string(),
            service: service_name_for(g.name(), args, cfg, &app.group_services, &app.services),
        })
        .collect();
    output::providers(&app.providers.names(), &services, &groups, args.format);
    EXIT_OK
}
