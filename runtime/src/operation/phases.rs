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

/// A phase an operation was asked to run that no target defines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhaseError {
    /// A requested phase (`--phase`) that none of the groups defines.
    #[error("no group of {groups} defines phase `{phase}`{hint}; their phases: {known}")]
    Unknown {
        /// The phase.
        phase: String,
        /// The groups, comma-separated.
        groups: String,
        /// `` (did you mean `x`?)`` or nothing.
        hint: String,
        /// The phases they define, comma-separated.
        known: String,
    },
    /// A group's `default_phases` names a phase it does not define.
    #[error("group {group}: default phase `{phase}` is not defined by the group or anything it extends")]
    UndefinedDefault {
        /// The group.
        group: String,
        /// The phase.
        phase: String,
    },
}

/// Checks, before anything runs, that every requested phase is defined by at least one target
/// and that no target's explicit default phases name an undefined phase: asking for a phase
/// nothing defines would otherwise run nothing and succeed.
///
/// # Errors
/// [`PhaseError`] for the first problem.
pub fn check_phases<'a>(
    requested: &[String],
    targets: impl IntoIterator<Item = (&'a str, &'a EffectiveSpec)>,
) -> Result<(), PhaseError> {
    let targets: Vec<(&str, &EffectiveSpec)> = targets.into_iter().collect();
    if requested.is_empty() {
        for (group, spec) in &targets {
            if let Some(phase) = spec.undefined_default_phases().into_iter().next() {
                return Err(PhaseError::UndefinedDefault { group: (*group).to_string(), phase });
            }
        }
    }
    for phase in requested {
        if targets.iter().any(|(_, s)| s.has_phase(phase)) {
            continue;
        }
        let mut known: Vec<&str> = Vec::new();
        for (_, s) in &targets {
            for p in s.phase_names() {
                if !known.contains(&p.as_str()) {
                    known.push(p);
                }
            }
        }
        let mut groups: Vec<&str> = targets.iter().map(|(g, _)| *g).collect();
        groups.dedup();
        let hint = crate::suggest::did_you_mean(phase, known.iter().copied())
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        return Err(PhaseError::Unknown {
            phase: phase.clone(),
            groups: groups.join(", "),
            hint,
            known: known.join(", "),
        });
    }
    Ok(())
}
