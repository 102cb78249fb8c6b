//! Script delivery, the same for every transport: the fixed bootstrap command that reads the
//! script from stdin into a private temporary file and runs it, and the pump that feeds stdin
//! and reads stdout and stderr.

use super::{AdminUser, TransportError};
use stevedore::quote::quote_str;

/// The fixed remote command that runs a script of `len` bytes sent on stdin.
///
/// # Errors
/// [`TransportError::InvalidUser`] when `sudo_user` cannot be quoted (it holds a NUL byte).
pub fn bootstrap_command(len: usize, user: &AdminUser) -> Result<String, TransportError> {
    let run = if user.uses_sudo() {
        let as_user = match &user.sudo_user {
            Some(u) => {
                let q = quote_str(u).map_err(|e| TransportError::InvalidUser(format!("sudo_user: {e}")))?;
                format!("-u {q} ")
            }
            None => String::new(),
        };
        if user.sudo_password.is_some() {
            // The password line follows the script on stdin; sudo reads it, the script gets /dev/null.
            format!("sudo -S -p '' {as_user}sh -c 'exec sh \"$1\" </dev/null' sh \"$f\"")
        } else {
            format!("sudo -n {as_user}sh \"$f\" </dev/null")
        }
    } else {
        "sh \"$f\" </dev/null".to_string()
    };
    Ok(format!(
        "f=$(mktemp \"${{TMPDIR:-/tmp}}/pallet.XXXXXXXX\") || exit 97; head -c {len} >\"$f\" || {{ rm -f \"$f\"; exit 97; }}; {run}; rc=$?; rm -f \"$f\"; exit $rc"
    ))
}

/// The stdin that goes with [`bootstrap_command`]: the script, then the sudo password line.
pub fn bootstrap_stdin(script: &[u8], user: &AdminUser) -> Vec<u8> {
    let mut v = script.to_vec();
    if let (true, Some(p)) = (user.uses_sudo(), &user.sudo_password) {
        v.extend_from_slice(p.expose().as_bytes());
        v.push(b'\n');
    }
    v
}

/// Feeds `input` to a child's stdin (then closes it), hands its stdout to `on_stdout` as it
/// arrives and collects its stderr, until both streams end.
pub async fn drive<W, O, E>(
    mut stdin: W,
    stdout: O,
    mut stderr: E,
    input: Vec<u8>,
    on_stdout: &mut (dyn FnMut(&[u8]) + Send),
) -> std::io::Result<Vec<u8>>
where
    W: tokio::io::AsyncWrite + Unpin,
    O: tokio::io::AsyncRead + Unpin,
    E: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let writer = async move {
        let _ = stdin.write_all(&input).await;
        let _ = stdin.shutdown().await;
    };
    let mut err = Vec::new();
    let (_, out, _) = tokio::join!(writer, pump(stdout, on_stdout), async {
        let _ = stderr.read_to_end(&mut err).await;
    });
    out.map(|()| err)
}

/// Reads `reader` to its end, handing each chunk to `f`.
pub async fn pump<R: tokio::io::AsyncRead + Unpin>(
    mut reader: R,
    f: &mut (dyn FnMut(&[u8]) + Send),
) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        f(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Secret;

    #[test]
    fn bootstrap_variants() {
        let cmd = |u: &AdminUser| bootstrap_command(10, u).unwrap();
        let plain = AdminUser::new("admin");
        assert!(cmd(&plain).contains("head -c 10 >\"$f\""));
        assert!(cmd(&plain).contains("sudo -n sh \"$f\" </dev/null"));
        let root = AdminUser::new("root");
        assert!(!cmd(&root).contains("sudo"));
        let pw = AdminUser::new("admin").sudo_password(Secret::new("pa ss"));
        assert!(cmd(&pw).contains("sudo -S -p ''"));
        assert!(!cmd(&pw).contains("pa ss"), "the password is never on the command line");
        assert_eq!(bootstrap_stdin(b"s", &pw), b"spa ss\n");
        assert_eq!(format!("{:?}", Secret::new("x")), "Secret(***)");
        let bad = AdminUser::new("admin").sudo_user("a\0b");
        assert!(matches!(bootstrap_command(1, &bad), Err(TransportError::InvalidUser(_))));
    }
}
