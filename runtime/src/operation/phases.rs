//! Which phases an operation runs, in which order: one function for `lift`, `converge`, `plan`
//! and `check`.

use crate::spec::{EffectiveSpec, SETTINGS};

/// The phases to run, in order, without duplicates: `settings` (always first: it publishes
/// what other nodes' plans read), then `leading` (`bootstrap` for `converge` and `plan`), then
/// `requested`, or, when none are requested, the default phases of every target spec in the
/// order first seen (Pallet's `:default-phases`, `configure` unless a spec says otherwise).
///
/// ```
/// # use pallet_runtime::operation::phases::phases_to_run;
/// assert_eq!(phases_to_run(&["bootstrap"], &[], []), ["settings", "bootstrap"]);
/// assert_eq!(
///     phases_to_run(&[], &["deploy".to_string(), "settings".to_string()], []),
///     ["settings", "deploy"]
/// );
/// ```
pub fn phases_to_run<'a>(
    leading: &[&str],
    requested: &[String],
    targets: impl IntoIterator<Item = &'a EffectiveSpec>,
) -> Vec<String> {
    let mut out = vec![SETTINGS.to_string()];
    let mut add = |p: &str| {
        if !out.iter().any(|q| q == p) {
            out.push(p.to_string());
        }
    };
    for p in leading {
        add(p);
    }
    if requested.is_empty() {
        for spec in targets {
            for p in spec.default_phases() {
                add(&p);
            }
        }
    } else {
        for p in requested {
            add(p);
        }
    }
    out
}
