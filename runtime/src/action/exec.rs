//! `exec_script` and `exec_checked_script`: run a script as an action.

use super::{Action, ActionError, RenderContext};
use stevedore::{Script, script};

/// Runs a script (Pallet's `exec-script`). It reports `changed` when it succeeds, since
/// pallet cannot know what it did; in check mode it does not run and reports `changed`.
#[derive(Debug, Clone)]
pub struct ExecScript {
    name: Option<String>,
    script: Script,
}

/// Runs `script`, reporting `changed` on success.
pub fn exec_script(script: Script) -> ExecScript {
    ExecScript { name: None, script }
}

/// Runs `script` as the step `name`: it stops at the first failing command (`set -e`) and the
/// failure message names the step (Pallet's `exec-checked-script`).
pub fn exec_checked_script(name: impl Into<String>, script: Script) -> ExecScript {
    ExecScript { name: Some(name.into()), script }
}

impl ExecScript {
    /// Makes the script's success report `ok` instead of `changed` (for read-only commands).
    pub fn unchanged(self) -> Unchanged {
        Unchanged(self)
    }
}

impl Action for ExecScript {
    fn kind(&self) -> &'static str {
        if self.name.is_some() { "exec_checked_script" } else { "exec_script" }
    }

    fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("exec_checked_script {n}"),
            None => {
                let text = self.script.to_string();
                let first = text.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
                format!("exec_script {}", first.unwrap_or("(empty)").trim())
            }
        }
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        let body = &self.script;
        Ok(match &self.name {
            Some(name) => {
                let fail = format!("{name}: FAIL");
                // `set -e` is ignored inside a subshell that is part of `||`, so the status is
                // taken after the subshell instead.
                script! {
                    p_changed;
                    if p_checking { exit 0; }
                    set +e;
                    ( set -e; #body; );
                    p_rc=$?;
                    set -e;
                    if [ $p_rc -ne 0 ] { printf "%s\\n" #fail >&2; exit $p_rc; }
                }
            }
            None => script! {
                p_changed;
                if p_checking { exit 0; }
                #body;
            },
        })
    }
}

/// An [`ExecScript`] that reports `ok` when it succeeds.
#[derive(Debug, Clone)]
pub struct Unchanged(ExecScript);

impl Action for Unchanged {
    fn kind(&self) -> &'static str {
        self.0.kind()
    }

    fn describe(&self) -> String {
        self.0.describe()
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        let body = &self.0.script;
        Ok(script! { #body; })
    }
}
