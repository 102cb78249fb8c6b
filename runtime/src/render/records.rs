//! Parsing what a phase script prints: action output and result records.

use crate::report::Status;

/// One thing read from a phase script's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A line the actions printed (without its newline).
    Output(Vec<u8>),
    /// An action finished.
    Action {
        /// 1-based index.
        index: usize,
        /// `Ok`, `Changed` or `Failed` (the record words `ok`, `changed`, `failed`).
        status: Status,
        /// Its exit code.
        code: i32,
    },
    /// The tail of an action's stderr.
    Stderr {
        /// 1-based index.
        index: usize,
        /// The text.
        text: Vec<u8>,
    },
    /// A flag set during the phase.
    Flag(String),
    /// The script ran to its end.
    Done,
}

/// An incremental parser of a phase script's stdout: feed it bytes as they arrive.
pub struct RecordParser {
    marker: Vec<u8>,
    partial: Vec<u8>,
    stderr: Option<(usize, Vec<u8>)>,
    pending_blank: bool,
}

impl RecordParser {
    /// A parser for records carrying `nonce`.
    pub fn new(nonce: &str) -> RecordParser {
        RecordParser {
            marker: format!("{nonce} ").into_bytes(),
            partial: Vec::new(),
            stderr: None,
            pending_blank: false,
        }
    }

    /// Parses the complete lines in `bytes` (plus what was left over before).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.partial.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(pos) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=pos).collect();
            self.line(&line[..line.len() - 1], &mut events);
        }
        events
    }

    /// Parses what is left (a last line without newline).
    pub fn finish(mut self) -> Vec<Event> {
        let mut events = Vec::new();
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, &mut events);
        }
        if let Some((index, text)) = self.stderr.take() {
            events.push(Event::Stderr { index, text });
        }
        events
    }

    fn line(&mut self, line: &[u8], events: &mut Vec<Event>) {
        // Inside a stderr block only its end marker counts: the block is the action's own text.
        if let Some((index, text)) = &mut self.stderr {
            let end = [self.marker.as_slice(), format!("end {index}").as_bytes()].concat();
            if line != end.as_slice() {
                text.extend_from_slice(line);
                text.push(b'\n');
                return;
            }
        }
        if let Some(rest) = line.strip_prefix(self.marker.as_slice()) {
            self.pending_blank = false;
            let rest = String::from_utf8_lossy(rest);
            let words: Vec<&str> = rest.split(' ').collect();
            match words.as_slice() {
                ["done"] => events.push(Event::Done),
                ["flag", name] => events.push(Event::Flag((*name).to_string())),
                ["stderr", i] => {
                    if let Ok(index) = i.parse() {
                        self.stderr = Some((index, Vec::new()));
                    }
                }
                ["end", _] => {
                    if let Some((index, mut text)) = self.stderr.take() {
                        if text.ends_with(b"\n") {
                            text.pop();
                        }
                        events.push(Event::Stderr { index, text });
                    }
                }
                [i, status, code] => {
                    let status = match *status {
                        "ok" => Some(Status::Ok),
                        "changed" => Some(Status::Changed),
                        "failed" => Some(Status::Failed),
                        _ => None,
                    };
                    if let (Ok(index), Some(status), Ok(code)) = (i.parse(), status, code.parse()) {
                        events.push(Event::Action { index, status, code });
                    }
                }
                _ => {}
            }
            return;
        }
        if self.pending_blank {
            events.push(Event::Output(Vec::new()));
        }
        self.pending_blank = line.is_empty();
        if !line.is_empty() {
            events.push(Event::Output(line.to_vec()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_between_output() {
        let mut p = RecordParser::new("N1");
        let mut ev = p.feed(b"hello\n\nN1 1 changed 0\nN1 stderr 1\nwarn\nN1 1 fake 0\n\nN1 end 1\npart");
        ev.extend(p.feed(b"ial\nN1 2 failed 3\nN1 flag site\n\nN1 done\n"));
        ev.extend(p.finish());
        assert_eq!(
            ev,
            vec![
                Event::Output(b"hello".to_vec()),
                Event::Action { index: 1, status: Status::Changed, code: 0 },
                // A record-looking line inside stderr is not taken: stderr ends at `end`.
                Event::Stderr { index: 1, text: b"warn\nN1 1 fake 0\n".to_vec() },
                Event::Output(b"partial".to_vec()),
                Event::Action { index: 2, status: Status::Failed, code: 3 },
                Event::Flag("site".into()),
                Event::Done,
            ]
        );
    }
}
