//! Rendering one node's phase to one script.
//!
//! The script defines the action helpers (see [`crate::action`]), then runs each action in a
//! subshell under `set -e` with its stdout and stderr redirected to files, and after each prints
//! the action's output and a result record on the record channel (the script's stdout; see
//! [`super::records`] for the protocol). The first failing action stops the script, whose exit
//! status is then that action's.
//!
//! Actions that share a merge key are merged into one action that runs first (packages:
//! `package`, `packages`, `package_manager` and `package_source`, as Pallet ran its aggregated
//! actions first in a phase).

use crate::action::{Action, ActionError, Merged, RenderContext};
use stevedore::{Os, Script, script};

/// How to render a phase.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The phase name (for the header comment).
    pub phase: String,
    /// The node name (for the header comment).
    pub node: String,
    /// The per-run nonce that marks result records (letters and digits).
    pub nonce: String,
    /// Check mode: actions report what they would change without changing it.
    pub check: bool,
    /// Where pallet keeps checksums and backups on the node (default `/var/lib/pallet`).
    pub state_dir: String,
    /// Replace secret values by placeholders (dry runs).
    pub redact: bool,
    /// The facts (probe output) the script is rendered for, when they come from the
    /// controller's cache: the script first probes the node and, when it differs, prints the new
    /// facts and exits with code 98 before any action runs.
    pub guard: Option<std::sync::Arc<[u8]>>,
}

impl RenderOptions {
    /// Options for `phase` on `node` with a fresh random nonce, apply mode, default state dir.
    pub fn new(phase: impl Into<String>, node: impl Into<String>) -> RenderOptions {
        RenderOptions {
            phase: phase.into(),
            node: node.into(),
            nonce: new_nonce(),
            check: false,
            state_dir: "/var/lib/pallet".to_string(),
            redact: false,
            guard: None,
        }
    }
}

/// The start of a guarded script: the node's facts now, compared by SHA-256 with the ones it
/// was rendered for; a difference prints them as a `facts` block and exits 98. The expected
/// digest is a literal of the script, so the guard costs the facts script and one
/// `sha256sum`; a node without `sha256sum` always reports a difference, so its phase runs
/// once more, rendered for the facts it just printed (never unguarded on stale facts).
fn guard(expected: &[u8]) -> Script {
    use sha2::Digest;
    let facts = crate::facts::facts_script();
    // `sha256sum < FILE` prints the digest, two spaces and `-` (GNU coreutils and busybox alike).
    let mut want: String = sha2::Sha256::digest(expected).iter().map(|b| format!("{b:02x}")).collect();
    want.push_str("  -");
    script! {
        ( #facts; ) > $P_T/probe 2>/dev/null;
        p_sum=$(sha256sum < $P_T/probe 2>/dev/null) || p_sum="";
        if [ $p_sum != #want ] {
            p_emit facts 0 $P_T/probe 1048576;
            exit 98;
        }
    }
}

/// A fresh nonce: 24 hex digits from the OS random source (time and pid when unavailable).
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 12];
    let ok =
        std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes)).is_ok();
    if !ok {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes[..8].copy_from_slice(&(t as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&std::process::id().to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("PALLET{hex}")
}

/// One action of a rendered phase.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedAction {
    /// 1-based position in the phase script.
    pub index: usize,
    /// The action kind.
    pub kind: String,
    /// Its one-line description.
    pub description: String,
}

/// A rendered phase.
#[derive(Debug, Clone)]
pub struct PhaseScript {
    /// The script text.
    pub text: Vec<u8>,
    /// The actions in script order.
    pub actions: Vec<PlannedAction>,
    /// The nonce its records carry.
    pub nonce: String,
    /// What goes after the script on stdin (file content, archives).
    pub payload: super::Payload,
}

/// An action that cannot be rendered for the node.
#[derive(Debug, Clone, thiserror::Error)]
#[error("action {index} ({description}): {error}")]
pub struct PhaseRenderError {
    /// 1-based position.
    pub index: usize,
    /// Its description.
    pub description: String,
    /// Why.
    pub error: ActionError,
}

/// Merges actions by merge key (merged actions first, in the order their keys first appear)
/// and orders the actions as the script will run them.
fn arrange<'a>(actions: &'a [Box<dyn Action>], os: &Os) -> (Vec<Box<dyn Merged>>, Vec<&'a dyn Action>) {
    let mut merged: Vec<(&'static str, Box<dyn Merged>)> = Vec::new();
    let mut rest = Vec::new();
    for a in actions {
        let absorbed = match a.merge_key() {
            Some(key) => match merged.iter_mut().find(|(k, _)| *k == key) {
                Some((_, m)) => m.absorb(a.as_ref(), os),
                None => match a.start_merge() {
                    Some(mut m) => {
                        let ok = m.absorb(a.as_ref(), os);
                        merged.push((key, m));
                        ok
                    }
                    None => false,
                },
            },
            None => false,
        };
        if !absorbed {
            rest.push(a.as_ref());
        }
    }
    (merged.into_iter().map(|(_, m)| m).filter(|m| !m.is_empty()).collect(), rest)
}

fn prologue(o: &RenderOptions, os: &Os, count: usize) -> Script {
    let header =
        format!("pallet phase {} on {} ({os}), {count} action{}", o.phase, o.node, if count == 1 { "" } else { "s" });
    let header = Script::comment(&header);
    let nonce = &o.nonce;
    let check = if o.check { "1" } else { "0" };
    let state = &o.state_dir;
    script! {
        #header;
        P_N=#nonce;
        P_CHECK=#check;
        P_STATE=#state;
        P_DATA=${1:-};
        umask 022;
        P_T=$(mktemp -d ${TMPDIR:-/tmp}/pallet.XXXXXXXX) || { echo "pallet: cannot create a temporary directory" >&2; exit 70; }
        trap "rm -rf \"$P_T\"" EXIT;
        trap "exit 129" HUP;
        trap "exit 130" INT;
        trap "exit 143" TERM;
        fn p_changed() { : > $P_T/changed; }
        fn p_checking() { [ $P_CHECK = 1 ]; }
        /// Flags (`flag_on_changed`) stay pending on the node until a phase in which an action
        /// conditioned on them (`if_flag`) ran ends: a failed run leaves them pending.
        fn p_flag() {
            sh!("case \"$1\" in ''|.*|*[!A-Za-z0-9_.-]*) echo \"pallet: invalid flag name\" >&2; return 1;; esac");
            : > $P_T/flag.$1;
            if ! p_checking { mkdir -p $P_STATE/pending && : > $P_STATE/pending/$1; }
        }
        fn p_flagged() { [ -e $P_T/flag.$1 ] || [ -e $P_STATE/pending/$1 ]; }
        fn p_handled() { : > $P_T/handled.$1; }
        fn p_retried() { echo >> $P_T/retries; }
        fn p_value() { mkdir -p $P_T/values; cp -- $2 $P_T/values/$1; if [ $3 = 1 ] { : > $P_T/values/$1.secret; } }
        /// p_data OFFSET LENGTH: bytes of the payload that came after this script, streamed.
        fn p_data() { tail -c +$(($1 + 1)) $P_DATA | head -c $2; }
        /// p_emit KIND INDEX FILE LIMIT: the last LIMIT bytes of FILE as a block framed by length
        /// (`wc` may pad its count with spaces: arithmetic drops them).
        fn p_emit() {
            p_len=$(wc -c < $3);
            p_len=$(($p_len + 0));
            p_src=$3;
            if [ $p_len -gt $4 ] { tail -c $4 $3 > $P_T/emit; p_src=$P_T/emit; p_len=$4; }
            printf "%s %s %s %s\\n" $P_N $1 $2 $p_len;
            cat $p_src;
            printf "\\n";
        }
        fn p_done() {
            p_rc=$2;
            if [ $p_rc -ne 0 ] { p_st=failed; } else if [ -e $P_T/changed ] { p_st=changed; } else { p_st=ok; }
            p_retries=0;
            if [ -e $P_T/retries ] { p_retries=$(wc -l < $P_T/retries | tr -d " "); rm -f $P_T/retries; }
            if [ -e $P_T/changed ] { rm -f $P_T/changed; }
            if [ -s $P_T/out ] { p_emit out $1 $P_T/out 1048576; }
            if [ -d $P_T/values ] {
                sh!("for p_v in \"$P_T\"/values/*; do case \"$p_v\" in *.secret) continue;; esac; p_vs=0; [ -e \"$p_v.secret\" ] && p_vs=1; p_emit \"value ${p_v##*/} $p_vs\" \"$1\" \"$p_v\" 16777216; done");
                rm -rf $P_T/values;
            }
            if [ -s $P_T/err ] { p_emit stderr $1 $P_T/err 4000; }
            printf "%s %s %s %s %s\\n" $P_N $1 $p_st $p_rc $p_retries;
            [ $p_rc -eq 0 ];
        }
    }
}

fn epilogue() -> Script {
    script! {
        for p_f in $P_T/flag.* {
            if [ -e $p_f ] { printf "%s flag %s\\n" $P_N ${p_f # #*/flag.}; }
        }
        /// Every action ran: the flags whose conditioned actions ran are handled.
        for p_f in $P_T/handled.* {
            if [ -e $p_f ] && ! p_checking { rm -f $P_STATE/pending/${p_f # #*/handled.}; }
        }
        printf "%s done\\n" $P_N;
        exit 0;
    }
}

/// Renders `actions` (one node's phase) for `os` into one script.
///
/// # Errors
/// The first action that cannot be rendered for this OS (before anything runs).
pub fn render_phase(actions: &[Box<dyn Action>], os: &Os, o: &RenderOptions) -> Result<PhaseScript, PhaseRenderError> {
    let payload = std::cell::RefCell::new(super::Payload::default());
    let cx = RenderContext { os, redact: o.redact, payload: &payload };
    let (merged, rest) = arrange(actions, os);
    let ordered: Vec<&dyn Action> = merged.iter().map(|m| m.as_ref() as &dyn Action).chain(rest).collect();
    let mut planned = Vec::new();
    let mut body = prologue(o, os, ordered.len());
    if let Some(expected) = &o.guard {
        body.push(&guard(expected));
    }
    for (i, a) in ordered.iter().enumerate() {
        let index = i + 1;
        let description = a.describe();
        let err = |error: ActionError| PhaseRenderError { index, description: description.clone(), error };
        a.validate().map_err(err)?;
        let s = a.script(&cx).map_err(err)?;
        s.check(os).map_err(|e| err(e.into()))?;
        let comment = Script::comment(&format!("[{index}/{}] {description}", ordered.len()));
        body.push(&script! {
            #comment;
            ( set -e; #s; ) > $P_T/out 2> $P_T/err;
            p_done #index $? || exit $p_rc;
        });
        planned.push(PlannedAction { index, kind: a.kind().to_string(), description });
    }
    body.push(&epilogue());
    let text = body.render(os).map_err(|e| PhaseRenderError {
        index: 0,
        description: "phase script".into(),
        error: e.into(),
    })?;
    Ok(PhaseScript { text, actions: planned, nonce: o.nonce.clone(), payload: payload.into_inner() })
}

/// The dry-run text of a phase: one line per action, then (with `scripts`) the script with
/// secrets replaced by placeholders.
///
/// # Errors
/// As [`render_phase`].
pub fn dry_run(
    actions: &[Box<dyn Action>],
    os: &Os,
    o: &RenderOptions,
    scripts: bool,
) -> Result<String, PhaseRenderError> {
    let o = RenderOptions { redact: true, ..o.clone() };
    let rendered = render_phase(actions, os, &o)?;
    let mut out = format!("{} on {} ({os}):\n", o.phase, o.node);
    for a in &rendered.actions {
        out.push_str(&format!("  {}. {}\n", a.index, a.description));
    }
    if scripts {
        out.push('\n');
        out.push_str(&String::from_utf8_lossy(&rendered.text));
    }
    Ok(out)
}
