//! Parsing what a phase script prints: result records and the output of each action.
//!
//! The script's stdout is the record channel; actions never write to it (each runs with its
//! stdout and stderr redirected to files of the phase's temporary directory, and inherits no
//! other descriptor of the channel). After each action the script prints, each on a line that
//! starts with the run's nonce:
//!
//! ```text
//! <nonce> out <index> <length>        then exactly <length> bytes: the action's stdout, then \n
//! <nonce> stderr <index> <length>     then exactly <length> bytes: the tail of its stderr, then \n
//! <nonce> facts 0 <length>           then exactly <length> bytes: the node's facts, when they
//!                                     differ from the cached ones the script was rendered for
//! <nonce> value <name> <secret 0|1> <index> <length>
//!                                     then exactly <length> bytes: a value the action captured
//! <nonce> <index> ok|changed|failed <exit code> <retries>
//! <nonce> flag <name>                 (flags set during the phase, at the end)
//! <nonce> done                        (the script reached its end)
//! ```
//!
//! Blocks are framed by their length, not by markers, so nothing an action prints can start,
//! end or imitate a record.

use crate::report::Status;

/// One thing read from a phase script's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// What an action printed on its stdout.
    Output {
        /// 1-based index of the action.
        index: usize,
        /// The bytes.
        text: Vec<u8>,
    },
    /// The tail of an action's stderr.
    Stderr {
        /// 1-based index of the action.
        index: usize,
        /// The text.
        text: Vec<u8>,
    },
    /// An action finished.
    Action {
        /// 1-based index.
        index: usize,
        /// `Ok`, `Changed` or `Failed` (the record words `ok`, `changed`, `failed`).
        status: Status,
        /// Its exit code.
        code: i32,
        /// How many times it retried.
        retries: u32,
    },
    /// The node's facts, when they differ from the ones the script was rendered for (the script
    /// then exits with code 98 before any action).
    Facts(Vec<u8>),
    /// A value an action captured on the node.
    Value {
        /// 1-based index of the action.
        index: usize,
        /// The value's name.
        name: String,
        /// Is it a secret?
        secret: bool,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A flag set during the phase.
    Flag(String),
    /// The script ran to its end.
    Done,
    /// A line outside any record (the script's own diagnostics; never an action's output).
    Stray(Vec<u8>),
}

/// What a framed block holds.
enum BlockKind {
    Out,
    Stderr,
    Facts,
    Value { name: String, secret: bool },
}

/// A framed block being read.
struct Block {
    kind: BlockKind,
    index: usize,
    remaining: usize,
    text: Vec<u8>,
}

impl Block {
    fn event(self) -> Event {
        match self.kind {
            BlockKind::Out => Event::Output { index: self.index, text: self.text },
            BlockKind::Stderr => Event::Stderr { index: self.index, text: self.text },
            BlockKind::Facts => Event::Facts(self.text),
            BlockKind::Value { name, secret } => Event::Value { index: self.index, name, secret, bytes: self.text },
        }
    }
}

/// An incremental parser of a phase script's stdout: feed it bytes as they arrive.
pub struct RecordParser {
    marker: Vec<u8>,
    partial: Vec<u8>,
    block: Option<Block>,
    /// The newline after a block is still to be skipped.
    skip_newline: bool,
}

impl RecordParser {
    /// A parser for records carrying `nonce`.
    pub fn new(nonce: &str) -> RecordParser {
        RecordParser { marker: format!("{nonce} ").into_bytes(), partial: Vec::new(), block: None, skip_newline: false }
    }

    /// Parses `bytes` (plus what was left over before) as far as they go.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            if let Some(b) = &mut self.block {
                let n = b.remaining.min(bytes.len());
                b.text.extend_from_slice(&bytes[..n]);
                b.remaining -= n;
                bytes = &bytes[n..];
                if b.remaining > 0 {
                    return events;
                }
                if let Some(b) = self.block.take() {
                    events.push(b.event());
                }
                self.skip_newline = true;
            }
            if self.skip_newline {
                match bytes.first() {
                    None => return events,
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                }
                self.skip_newline = false;
            }
            let Some(pos) = bytes.iter().position(|&b| b == b'\n') else {
                self.partial.extend_from_slice(bytes);
                return events;
            };
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(&bytes[..pos]);
            bytes = &bytes[pos + 1..];
            self.line(&line, &mut events);
        }
    }

    /// Parses what is left (a last line without newline; a block cut short is kept as far as
    /// it came).
    pub fn finish(mut self) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(b) = self.block.take() {
            events.push(b.event());
        }
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, &mut events);
        }
        events
    }

    fn line(&mut self, line: &[u8], events: &mut Vec<Event>) {
        let Some(rest) = line.strip_prefix(self.marker.as_slice()) else {
            if !line.is_empty() {
                events.push(Event::Stray(line.to_vec()));
            }
            return;
        };
        let rest = String::from_utf8_lossy(rest);
        let words: Vec<&str> = rest.split(' ').collect();
        match words.as_slice() {
            ["done"] => events.push(Event::Done),
            ["flag", name] => events.push(Event::Flag((*name).to_string())),
            [kind @ ("out" | "stderr" | "facts"), i, len] => match (i.parse(), len.parse()) {
                (Ok(index), Ok(remaining)) => {
                    let kind = match *kind {
                        "stderr" => BlockKind::Stderr,
                        "facts" => BlockKind::Facts,
                        _ => BlockKind::Out,
                    };
                    self.block = Some(Block { kind, index, remaining, text: Vec::new() });
                }
                _ => events.push(Event::Stray(line.to_vec())),
            },
            ["value", name, secret, i, len] => match (i.parse(), len.parse()) {
                (Ok(index), Ok(remaining)) => {
                    let kind = BlockKind::Value { name: (*name).to_string(), secret: *secret == "1" };
                    self.block = Some(Block { kind, index, remaining, text: Vec::new() });
                }
                _ => events.push(Event::Stray(line.to_vec())),
            },
            [i, status, code] | [i, status, code, _] => {
                let retries = match words.as_slice() {
                    [_, _, _, r] => r.parse().ok(),
                    _ => Some(0),
                };
                let status = match *status {
                    "ok" => Some(Status::Ok),
                    "changed" => Some(Status::Changed),
                    "failed" => Some(Status::Failed),
                    _ => None,
                };
                match (i.parse(), status, code.parse(), retries) {
                    (Ok(index), Some(status), Ok(code), Some(retries)) => {
                        events.push(Event::Action { index, status, code, retries })
                    }
                    _ => events.push(Event::Stray(line.to_vec())),
                }
            }
            _ => events.push(Event::Stray(line.to_vec())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(input: &[u8], chunk: usize) -> Vec<Event> {
        let mut p = RecordParser::new("N1");
        let mut ev = Vec::new();
        for c in input.chunks(chunk) {
            ev.extend(p.feed(c));
        }
        ev.extend(p.finish());
        ev
    }

    #[test]
    fn blocks_are_framed_by_length() {
        let input = b"oops\nN1 out 1 23\nN1 2 ok 0\nfake\nN1 done\n\nN1 stderr 1 4\nwarn\nN1 1 changed 0 2\nN1 flag site\nN1 done\n";
        let expect = vec![
            Event::Stray(b"oops".to_vec()),
            // Record-looking text inside a block is the action's own output.
            Event::Output { index: 1, text: b"N1 2 ok 0\nfake\nN1 done\n".to_vec() },
            Event::Stderr { index: 1, text: b"warn".to_vec() },
            Event::Action { index: 1, status: Status::Changed, code: 0, retries: 2 },
            Event::Flag("site".into()),
            Event::Done,
        ];
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(parse_in_chunks(input, chunk), expect, "chunks of {chunk}");
        }
    }

    #[test]
    fn unknown_status_words_are_not_results() {
        assert_eq!(parse_in_chunks(b"N1 1 fine 0\n", 4), vec![Event::Stray(b"N1 1 fine 0".to_vec())]);
    }
}
