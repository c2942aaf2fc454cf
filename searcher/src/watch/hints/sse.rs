//! An incremental, bounded parser of a `text/event-stream` body (the WHATWG server-sent events
//! format), fed with the chunks as they arrive.
//!
//! Lines end with CRLF, LF or CR, and a line ending may be split across two chunks. An empty
//! line dispatches the event whose `data:` lines came before it; a line starting with `:` is a
//! comment (the MEV-Share stream's `:ping` keep-alive); `retry:` sets the reconnection delay;
//! `event:` and `id:` are read and ignored (the MEV-Share stream uses neither). Anything else
//! is ignored, as the format requires.
//!
//! Bounded: a line, or an event's accumulated data, longer than the limit is discarded up to
//! the end of its event and reported once as [`SseItem::Oversized`], so a hostile server cannot
//! make the parser hold more than the limit. It never panics on any input.

/// What the parser found in the bytes fed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// A complete event's data (its `data:` lines joined by `\n`), unvalidated bytes.
    Event(Vec<u8>),
    /// A comment line (`:ping`).
    Comment,
    /// A valid `retry:` field, in milliseconds.
    Retry(u64),
    /// An event (or a line) over the limit, discarded.
    Oversized,
}

/// The parser's state across chunks.
#[derive(Debug)]
pub struct SseParser {
    /// The current line, without its ending.
    line: Vec<u8>,
    /// The current event's data.
    data: Vec<u8>,
    /// Whether the current event has had a `data:` line.
    has_data: bool,
    /// The current line or event went over the limit: discard until the event ends.
    discarding: bool,
    /// The current line went over the limit (its bytes are gone, but it is not empty).
    overlong_line: bool,
    /// The previous byte was a CR (an LF right after it belongs to the same line ending).
    after_cr: bool,
    /// Nothing parsed yet (a leading byte-order mark is skipped).
    at_start: bool,
    limit: usize,
}

const BOM: &[u8] = "\u{feff}".as_bytes();

impl SseParser {
    /// A parser that holds at most `limit` bytes of one line or one event's data.
    pub fn new(limit: usize) -> Self {
        Self {
            line: Vec::new(),
            data: Vec::new(),
            has_data: false,
            discarding: false,
            overlong_line: false,
            after_cr: false,
            at_start: true,
            limit: limit.max(1),
        }
    }

    /// Whether an event has begun and not yet been dispatched (the stream broke mid-event if it
    /// ends now).
    pub fn mid_event(&self) -> bool {
        self.has_data || self.discarding || !self.line.is_empty()
    }

    /// Parses `chunk`, appending what it completes to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<SseItem>) {
        if self.at_start && !chunk.is_empty() {
            // The BOM may itself be split; only a whole one at the very start is skipped.
            if chunk.starts_with(BOM) {
                chunk = &chunk[BOM.len()..];
            }
            self.at_start = false;
        }
        for &byte in chunk {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    self.end_line(out);
                }
                _ => {
                    self.after_cr = false;
                    if self.discarding {
                        continue;
                    }
                    if self.line.len() >= self.limit {
                        self.overlong_line = true;
                        self.start_discarding();
                    } else {
                        self.line.push(byte);
                    }
                }
            }
        }
    }

    fn start_discarding(&mut self) {
        self.discarding = true;
        self.line = Vec::new();
        self.data = Vec::new();
        self.has_data = false;
    }

    fn end_line(&mut self, out: &mut Vec<SseItem>) {
        let line = std::mem::take(&mut self.line);
        let overlong = std::mem::take(&mut self.overlong_line);
        if line.is_empty() && !overlong {
            self.dispatch(out);
            return;
        }
        if self.discarding {
            return;
        }
        if line[0] == b':' {
            out.push(SseItem::Comment);
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (&line[..], &[][..]),
        };
        match field {
            b"data" => {
                let extra = value.len() + usize::from(self.has_data);
                if self.data.len().saturating_add(extra) > self.limit {
                    self.start_discarding();
                    return;
                }
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            // Too many digits for a u64 is not a valid delay: ignored.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Some(ms) = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()) {
                    out.push(SseItem::Retry(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseItem>) {
        if self.discarding {
            self.discarding = false;
            out.push(SseItem::Oversized);
            return;
        }
        if self.has_data {
            self.has_data = false;
            out.push(SseItem::Event(std::mem::take(&mut self.data)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_chunks(chunks: &[&[u8]], limit: usize) -> Vec<SseItem> {
        let mut parser = SseParser::new(limit);
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut out);
        }
        out
    }

    #[test]
    fn events_comments_and_retry() {
        let items = parse_chunks(
            &[b"\xef\xbb\xbf:ping\n\ndata: {\"a\":1}\n\ndata:x\ndata: y\r\n\r\nretry: 1500\nevent: e\nid: 3\ndata: z\r\r"],
            1024,
        );
        assert_eq!(
            items,
            vec![
                SseItem::Comment,
                SseItem::Event(br#"{"a":1}"#.to_vec()),
                SseItem::Event(b"x\ny".to_vec()),
                SseItem::Retry(1500),
                SseItem::Event(b"z".to_vec()),
            ]
        );
    }

    #[test]
    fn line_endings_split_across_chunks() {
        // CR at the end of one chunk, LF at the start of the next: one line ending.
        let items = parse_chunks(&[b"data: a\r", b"\n\r", b"\ndata: b\n", b"\n"], 1024);
        assert_eq!(items, vec![SseItem::Event(b"a".to_vec()), SseItem::Event(b"b".to_vec())]);
        // Byte by byte gives the same.
        let body = b"data: a\r\n\r\n:ping\r\ndata: b\n\n";
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(
            parse_chunks(&chunks, 1024),
            vec![SseItem::Event(b"a".to_vec()), SseItem::Comment, SseItem::Event(b"b".to_vec())]
        );
    }

    #[test]
    fn oversized_lines_and_events_are_discarded_once() {
        let long = [b'x'; 40];
        let mut body = b"data: ".to_vec();
        body.extend_from_slice(&long);
        body.extend_from_slice(b"\ndata: more\n\ndata: ok\n\n");
        assert_eq!(
            parse_chunks(&[&body], 16),
            vec![SseItem::Oversized, SseItem::Event(b"ok".to_vec())]
        );
        // Many short data lines adding up past the limit.
        let body = b"data: 12345\ndata: 12345\ndata: 12345\ndata: 12345\n\ndata: ok\n\n";
        assert_eq!(
            parse_chunks(&[body], 16),
            vec![SseItem::Oversized, SseItem::Event(b"ok".to_vec())]
        );
    }

    #[test]
    fn ignores_what_the_format_ignores() {
        let items = parse_chunks(
            &[b"\n\nevent: x\n\nfoo: bar\nretry: 12a\nretry: 99999999999999999999999\ndata\n\n"],
            64,
        );
        // `data` without a colon is a data line with an empty value.
        assert_eq!(items, vec![SseItem::Event(Vec::new())]);
    }

    #[test]
    fn mid_event_is_reported() {
        let mut parser = SseParser::new(64);
        let mut out = Vec::new();
        parser.feed(b"data: {\"hash\"", &mut out);
        assert!(parser.mid_event());
        parser.feed(b"\n\n", &mut out);
        assert!(!parser.mid_event());
        assert_eq!(out.len(), 1);
    }

    proptest! {
        #![proptest_config(crate::fuzz_config())]
        /// Any bytes, cut anywhere: no panic, nothing held past the limit, and the result does
        /// not depend on where the chunks were cut.
        #[test]
        fn hostile_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048), cut in 0usize..2048, limit in 1usize..256) {
            let cut = cut.min(body.len());
            let mut parser = SseParser::new(limit);
            let mut split = Vec::new();
            parser.feed(&body[..cut], &mut split);
            parser.feed(&body[cut..], &mut split);
            prop_assert!(parser.line.len() <= limit && parser.data.len() <= limit);
            let whole = parse_chunks(&[&body], limit);
            // A BOM cut in two is not skipped; every other cut parses the same.
            if !(cut > 0 && cut < BOM.len() && body.starts_with(&BOM[..cut])) {
                prop_assert_eq!(split, whole);
            }
        }

        /// Lines from the SSE alphabet (more structure than random bytes).
        #[test]
        fn hostile_lines(lines in proptest::collection::vec("(data|:|retry|event|id|)[: ]?[a-z0-9{}\",:]{0,12}(\r\n|\n|\r)", 0..64)) {
            let body = lines.concat();
            let items = parse_chunks(&[body.as_bytes()], 32);
            for item in items {
                if let SseItem::Event(data) = item {
                    prop_assert!(data.len() <= 32);
                }
            }
        }
    }
}
