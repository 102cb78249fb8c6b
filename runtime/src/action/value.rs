//! Values captured on a node for plans of any node to read in later phases (Pallet's
//! `with-action-values`/`remote-file-content`, Ansible's `register`).

use super::{Action, ActionError, RenderContext};
use stevedore::{Script, script};

/// Captures the stdout of a script on the node as value `name`.
#[derive(Debug, Clone)]
pub struct Capture {
    name: String,
    producer: Script,
    once: bool,
    secret: bool,
}

/// Captures what `producer` prints as value `name` of this node: plans of every node read it in
/// later phases of the operation with `ctx.value::<T>(node, name)`. The value is also kept on the
/// node (`$P_STATE/values/NAME`, mode 0600), so with [`Capture::once`] a later run reads the kept
/// value instead of running the producer again (a join token generated once). The action is a
/// change when it produced a new value (or a different one), else ok.
///
/// `name` holds letters, digits, `-`, `_` and `.`; the producer runs in a subshell under
/// `set -e`, so its first failing command fails the action.
///
/// ```
/// # use pallet_runtime::action::capture;
/// # use stevedore::script;
/// let token = capture("join-token", script! { head -c 16 /dev/urandom | od -An -tx1 | tr -d " \n"; })
///     .once()
///     .secret(true);
/// ```
pub fn capture(name: impl Into<String>, producer: Script) -> Capture {
    Capture { name: name.into(), producer, once: false, secret: false }
}

impl Capture {
    /// Runs the producer only when the node keeps no value of this name yet.
    pub fn once(mut self) -> Self {
        self.once = true;
        self
    }

    /// The value is a secret: masked in every report, log and dry run (it never leaves the
    /// record channel and the plans that read it).
    pub fn secret(mut self, on: bool) -> Self {
        self.secret = on;
        self
    }
}

/// Is `name` a value name (letters, digits, `-`, `_`, `.`; not empty, not starting with `.`)?
pub fn valid_value_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Action for Capture {
    fn kind(&self) -> &'static str {
        "capture"
    }

    fn describe(&self) -> String {
        format!(
            "capture {}{}{}",
            self.name,
            if self.once { " once" } else { "" },
            if self.secret { " (secret)" } else { "" }
        )
    }

    fn script(&self, _: &RenderContext<'_>) -> Result<Script, ActionError> {
        if !valid_value_name(&self.name) {
            return Err(ActionError::Invalid(format!(
                "capture `{}`: a value name holds letters, digits, `-`, `_` and `.`",
                self.name
            )));
        }
        let (name, producer) = (&self.name, &self.producer);
        let secret = if self.secret { "1" } else { "0" };
        let once = if self.once { "1" } else { "0" };
        Ok(script! {
            p_kept=$P_STATE/values/#name;
            if [ #once = 1 ] && [ -e $p_kept ] {
                cp -- $p_kept $P_T/capture;
            } else {
                ( set -e; #producer; ) > $P_T/capture;
                if [ ! -e $p_kept ] || ! cmp -s -- $P_T/capture $p_kept {
                    p_changed;
                    if ! p_checking {
                        ( umask 077; mkdir -p -- $P_STATE/values; cat -- $P_T/capture > $p_kept.new; );
                        mv -f -- $p_kept.new $p_kept;
                    }
                }
            }
            p_value #name $P_T/capture #secret;
        })
    }
}
