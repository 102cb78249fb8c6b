//! Running scripts with the local `sh` (Pallet's localhost executor).

use super::delivery::{bootstrap_command, bootstrap_stdin, drive};
use super::{AdminUser, Connector, ExecOutcome, SshOptions, Transport, TransportError};
use crate::BoxFuture;
use crate::node::Node;
use std::process::Stdio;

/// Opens [`LocalTransport`]s: the node is this machine (the localhost service, and the
/// group-level phases `create-group`/`destroy-group` of `converge`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalConnector;

impl Connector for LocalConnector {
    fn connect<'a>(
        &'a self,
        _node: &'a Node,
        _user: &'a AdminUser,
        _ssh: &'a SshOptions,
    ) -> BoxFuture<'a, Result<Box<dyn Transport>, TransportError>> {
        Box::pin(async { Ok(Box::new(LocalTransport) as Box<dyn Transport>) })
    }
}

/// Runs scripts on this machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalTransport;

impl LocalTransport {
    /// Runs `script` through the bootstrap command with `sh -c`.
    ///
    /// # Errors
    /// [`TransportError::Spawn`] when `sh` cannot be started.
    pub async fn run_script(
        &self,
        script: &[u8],
        data: &[std::sync::Arc<[u8]>],
        user: &AdminUser,
        on_stdout: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<ExecOutcome, TransportError> {
        let spawn_err = |e: std::io::Error| TransportError::Spawn { what: "sh".into(), message: e.to_string() };
        // A process group of its own: a Ctrl-C at the terminal lets the running phase finish;
        // cancelling the operation kills the whole group (the script and what it started).
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(bootstrap_command(script.len(), data.iter().map(|c| c.len() as u64).sum(), user)?)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_err)?;
        let mut group = child.id().map(GroupGuard);
        let missing = || TransportError::Spawn { what: "sh".into(), message: "a standard stream is not piped".into() };
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stderr = child.stderr.take().ok_or_else(missing)?;
        let err =
            drive(stdin, stdout, stderr, bootstrap_stdin(script, data, user), on_stdout).await.map_err(spawn_err)?;
        let status = child.wait().await.map_err(spawn_err)?;
        // Finished on its own: what it started in the background (a daemon) stays.
        if let Some(g) = group.as_mut() {
            g.0 = 0;
        }
        Ok(ExecOutcome { exit_code: status.code(), stderr: err })
    }
}

/// Kills a process group when dropped before the script finished (a cancelled or timed-out
/// local phase).
struct GroupGuard(u32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.0 == 0 {
            return;
        }
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Transport for LocalTransport {
    fn run<'a>(
        &'a self,
        script: &'a [u8],
        data: &'a [std::sync::Arc<[u8]>],
        user: &'a AdminUser,
        on_stdout: &'a mut (dyn FnMut(&[u8]) + Send),
    ) -> BoxFuture<'a, Result<ExecOutcome, TransportError>> {
        Box::pin(self.run_script(script, data, user, on_stdout))
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}
