//! A phase's payload: file content and archives sent after the phase script on the same stdin,
//! instead of inside it.
//!
//! The delivery (see `transport::delivery`) writes the payload to a second private temporary
//! file next to the script's and passes its path as the script's first argument (`$P_DATA`);
//! an action reads its part with `p_data OFFSET LENGTH` (`tail -c +OFFSET | head -c LENGTH`),
//! streaming. So content of any size costs the node no shell memory (a shell never parses it),
//! never appears in the script text, a dry run or a log, and the controller holds each content
//! once (the chunks are shared with the actions, not copied).

use std::sync::Arc;

/// The bytes that go with one phase script, in order.
#[derive(Debug, Clone, Default)]
pub struct Payload {
    chunks: Vec<Arc<[u8]>>,
    /// Indexes into `chunks` of the secret ones.
    secret: Vec<usize>,
    len: u64,
}

impl Payload {
    /// Appends `bytes`; returns their `(offset, length)` in the payload.
    pub fn push(&mut self, bytes: Arc<[u8]>) -> (u64, u64) {
        let offset = self.len;
        let len = bytes.len() as u64;
        self.len += len;
        if len > 0 {
            self.chunks.push(bytes);
        }
        (offset, len)
    }

    /// Appends secret `bytes` (as [`Payload::push`]; [`Payload::redacted`] hides them).
    pub fn push_secret(&mut self, bytes: Arc<[u8]>) -> (u64, u64) {
        if !bytes.is_empty() {
            self.secret.push(self.chunks.len());
        }
        self.push(bytes)
    }

    /// The payload as text for a dry run: invalid UTF-8 replaced, each secret chunk replaced by
    /// `<secret: N bytes>`.
    pub fn redacted(&self) -> String {
        let mut out = String::new();
        for (i, c) in self.chunks.iter().enumerate() {
            if self.secret.contains(&i) {
                out.push_str(&format!("<secret: {} bytes>", c.len()));
            } else {
                out.push_str(&String::from_utf8_lossy(c));
            }
        }
        out
    }

    /// The total length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Is there nothing to send?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks, in order.
    pub fn chunks(&self) -> &[Arc<[u8]>] {
        &self.chunks
    }
}
