//! Script delivery, the same for every transport: the fixed bootstrap command that reads the
//! script, then its payload (file content: see `render::Payload`), from stdin into private
//! temporary files (mode 0600, from `mktemp`) and runs the script with the payload's path as its
//! first argument; and the pump that feeds stdin and reads stdout and stderr.
//!
//! Both files are removed when the script ends, however it ends, unless the bootstrap shell
//! itself is killed (SIGKILL, the machine stopping): then they stay in `$TMPDIR` (`/tmp`),
//! readable only by their owner.

use super::{AdminUser, TransportError};
use std::sync::Arc;
use stevedore::quote::quote_str;

/// The fixed remote command that runs a script of `len` bytes followed by `data_len` bytes of
/// payload, both sent on stdin.
///
/// # Errors
/// [`TransportError::InvalidUser`] when `sudo_user` cannot be quoted (it holds a NUL byte).
pub fn bootstrap_command(len: usize, data_len: u64, user: &AdminUser) -> Result<String, TransportError> {
    let data = data_len > 0;
    let args = if data { "\"$f\" \"$d\"" } else { "\"$f\"" };
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
            format!("sudo -S -p '' {as_user}sh -c 'exec sh \"$@\" </dev/null' sh {args}")
        } else {
            format!("sudo -n {as_user}sh {args} </dev/null")
        }
    } else {
        format!("sh {args} </dev/null")
    };
    // A connection cut while the script is on its way ends stdin early: `head` then succeeds
    // with less, so the length is checked, or a truncated script (or payload) would run.
    let read_script = format!(
        "f=$(mktemp \"${{TMPDIR:-/tmp}}/pallet.XXXXXXXX\") || exit 97; head -c {len} >\"$f\" && [ $(wc -c <\"$f\") -eq {len} ] || {{ rm -f \"$f\"; exit 97; }}; "
    );
    Ok(if data {
        format!(
            "{read_script}d=$(mktemp \"${{TMPDIR:-/tmp}}/pallet.XXXXXXXX\") || {{ rm -f \"$f\"; exit 97; }}; head -c {data_len} >\"$d\" && [ $(wc -c <\"$d\") -eq {data_len} ] || {{ rm -f \"$f\" \"$d\"; exit 97; }}; {run}; rc=$?; rm -f \"$f\" \"$d\"; exit $rc"
        )
    } else {
        format!("{read_script}{run}; rc=$?; rm -f \"$f\"; exit $rc")
    })
}

/// The stdin that goes with [`bootstrap_command`], as chunks written in order (nothing is
/// copied): the script, the payload, then the sudo password line.
pub fn bootstrap_stdin(script: &[u8], data: &[Arc<[u8]>], user: &AdminUser) -> Vec<Arc<[u8]>> {
    let mut v: Vec<Arc<[u8]>> = Vec::with_capacity(data.len() + 2);
    v.push(Arc::from(script));
    v.extend(data.iter().cloned());
    if let (true, Some(p)) = (user.uses_sudo(), &user.sudo_password) {
        let mut line = p.expose().as_bytes().to_vec();
        line.push(b'\n');
        v.push(Arc::from(line));
    }
    v
}

/// Feeds `input` to a child's stdin (then closes it), hands its stdout to `on_stdout` as it
/// arrives and collects its stderr, until both streams end.
pub async fn drive<W, O, E>(
    mut stdin: W,
    stdout: O,
    mut stderr: E,
    input: Vec<Arc<[u8]>>,
    on_stdout: &mut (dyn FnMut(&[u8]) + Send),
) -> std::io::Result<Vec<u8>>
where
    W: tokio::io::AsyncWrite + Unpin,
    O: tokio::io::AsyncRead + Unpin,
    E: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let writer = async move {
        for chunk in &input {
            if stdin.write_all(chunk).await.is_err() {
                break;
            }
        }
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
        let cmd = |u: &AdminUser| bootstrap_command(10, 0, u).unwrap();
        let plain = AdminUser::new("admin");
        assert!(cmd(&plain).contains("head -c 10 >\"$f\" && [ $(wc -c <\"$f\") -eq 10 ] || {"));
        assert!(cmd(&plain).contains("sudo -n sh \"$f\" </dev/null"));
        let root = AdminUser::new("root");
        assert!(!cmd(&root).contains("sudo"));
        let pw = AdminUser::new("admin").sudo_password(Secret::new("pa ss"));
        assert!(cmd(&pw).contains("sudo -S -p ''"));
        assert!(!cmd(&pw).contains("pa ss"), "the password is never on the command line");
        let chunks = bootstrap_stdin(b"s", &[Arc::from(&b"DATA"[..])], &pw);
        assert_eq!(chunks.concat(), b"sDATApa ss\n");
        let with_data = bootstrap_command(10, 4, &pw).unwrap();
        assert!(
            with_data.contains("head -c 4 >\"$d\" && [ $(wc -c <\"$d\") -eq 4 ] || {")
                && with_data.contains("sh \"$@\" </dev/null' sh \"$f\" \"$d\"")
        );
        assert_eq!(format!("{:?}", Secret::new("x")), "Secret(***)");
        let read: Secret = serde_json::from_str("\"hunter2\"").unwrap();
        assert_eq!(read.expose(), "hunter2");
        let bad = AdminUser::new("admin").sudo_user("a\0b");
        assert!(matches!(bootstrap_command(1, 0, &bad), Err(TransportError::InvalidUser(_))));
    }
}
