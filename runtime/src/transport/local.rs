//! Running scripts with the local `sh` (Pallet's localhost executor).

use super::{bootstrap_command, bootstrap_stdin, pump, AdminUser, ExecOutcome, TransportError};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

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
        let input = bootstrap_stdin(script, user);
        let mut stdin = child.stdin.take().expect("piped");
        let writer = async move {
            let _ = stdin.write_all(&input).await;
            drop(stdin);
        };
        let stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let mut err = Vec::new();
        let (_, out_res, _) = tokio::join!(writer, pump(stdout, on_stdout), async {
            use tokio::io::AsyncReadExt;
            let _ = stderr.read_to_end(&mut err).await;
        });
        out_res.map_err(spawn_err)?;
        let status = child.wait().await.map_err(spawn_err)?;
        Ok(ExecOutcome { exit_code: status.code(), stderr: err })
    }
}
