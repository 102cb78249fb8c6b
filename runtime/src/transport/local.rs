//! Running scripts with the local `sh` (Pallet's localhost executor).

use super::{AdminUser, ExecOutcome, TransportError, bootstrap_command, bootstrap_stdin, drive};
use std::process::Stdio;

/// Runs scripts on this machine.
#[derive(Debug, Clone, Default)]
pub struct LocalTransport;

impl LocalTransport {
    /// Runs `script` through the bootstrap command with `sh -c`.
    ///
    /// # Errors
    /// [`TransportError::Spawn`] when `sh` cannot be started.
    pub async fn run(
        &self,
        script: &[u8],
        user: &AdminUser,
        on_stdout: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<ExecOutcome, TransportError> {
        let spawn_err = |e: std::io::Error| TransportError::Spawn { what: "sh".into(), message: e.to_string() };
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(bootstrap_command(script.len(), user))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_err)?;
        let (stdin, stdout, stderr) = (
            child.stdin.take().expect("piped"),
            child.stdout.take().expect("piped"),
            child.stderr.take().expect("piped"),
        );
        let err = drive(stdin, stdout, stderr, bootstrap_stdin(script, user), on_stdout).await.map_err(spawn_err)?;
        let status = child.wait().await.map_err(spawn_err)?;
        Ok(ExecOutcome { exit_code: status.code(), stderr: err })
    }
}
