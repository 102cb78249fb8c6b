//! OS dispatch of script functions: the value a `script_fn!` call builds and how it picks an arm.

use crate::os::Os;
use crate::script::{Script, ScriptError};
use stevedore_core::os::{Axis, Selector};

/// A call of a script function: every arm, already filled with the call's arguments, and the
/// default. Which arm runs is decided when the script is rendered for a node's [`Os`].
pub struct Dispatch {
    /// The script function's name.
    pub function: &'static str,
    /// What the arms are named after.
    pub axis: Axis,
    /// `(names, script)` per arm. `script_fn!` guarantees each value of the axis is named by at
    /// most one arm and each family is in at most one group arm.
    pub arms: Vec<(Vec<Selector>, Script)>,
    /// The `_` arm.
    pub default: Option<Script>,
}

impl Dispatch {
    /// The arm for `os`: the first arm naming the OS's value on this axis; else the first arm
    /// naming a family group the OS's family is in (a family's own arm beats its group's);
    /// else the default.
    ///
    /// # Errors
    /// [`ScriptError::NoImplementation`] when none applies.
    pub fn select(&self, os: &Os) -> Result<&Script, ScriptError> {
        let find = |group: bool| {
            self.arms
                .iter()
                .find(|(sels, _)| sels.iter().any(|s| matches!(s, Selector::Group(_)) == group && os.selects(*s)))
                .map(|(_, s)| s)
        };
        find(false).or_else(|| find(true)).or(self.default.as_ref()).ok_or_else(|| ScriptError::NoImplementation {
            function: self.function,
            os: os.to_string(),
            axis: self.axis.describe(),
            value: match self.axis {
                Axis::Family => os.family.map(|f| f.name().to_string()),
                Axis::Packager => os.packager.map(|p| p.name().to_string()),
                Axis::Init => os.init.map(|i| i.name().to_string()),
                Axis::Users => os.users().map(|u| u.name().to_string()),
            }
            .unwrap_or_else(|| "unknown".to_string()),
        })
    }
}

/// Builds the script a script function returns (called by `script_fn!` expansions).
pub fn dispatch(
    function: &'static str,
    axis: Axis,
    arms: Vec<(Vec<Selector>, Script)>,
    default: Option<Script>,
) -> Script {
    let all = arms.iter().map(|(_, s)| s).chain(default.iter());
    let inline_safe = all.clone().all(|s| s.inline_safe);
    let error = all.filter_map(|s| s.error.clone()).next();
    Script::from_dispatch(Dispatch { function, axis, arms, default }, inline_safe, error)
}
