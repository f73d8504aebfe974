//! param′ (PROTOCOL.md §4): the `param` text with its images taken out, byte for byte as received
//! otherwise, because the signature covers param′ rather than param.
//!
//! Receivers must compute param′ from the bytes they received (re-serialising would change the
//! text and break the signature), so this is a small JSON scanner that records where each member
//! of an object starts and ends, not a parser that builds values. It validates the JSON grammar
//! as it goes; whatever it cannot scan as a JSON object is `400_02`.

use std::borrow::Cow;
use std::ops::Range;

/// Deepest nesting of arrays and objects the scanner follows. Deeper input is refused rather
/// than risking the stack.
pub const MAX_DEPTH: usize = 64;

/// Why a `param` could not be scanned as a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("param is not a JSON object: {expected} expected at byte {offset}")]
pub struct ScanError {
    /// Byte offset into the param text where scanning stopped.
    pub offset: usize,
    /// What the grammar allowed there.
    pub expected: &'static str,
}

/// One member of a JSON object, as byte ranges into the scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The key between its quotes, escapes left as written.
    pub key: Range<usize>,
    /// The value, from its first byte to its last.
    pub value: Range<usize>,
    /// Whether the value holds escape sequences (`\n`, `\u4e2d`, …) in some string.
    pub value_escaped: bool,
}

/// A text with some members taken out: param′ as pieces, without copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped<'a> {
    text: &'a str,
    /// Byte ranges taken out, in order, disjoint.
    removed: Vec<Range<usize>>,
    /// The value of each member taken out (a JSON string's range, quotes included), and
    /// whether it holds escapes.
    values: Vec<(Range<usize>, bool)>,
}

impl<'a> Stripped<'a> {
    /// The kept pieces in order; their concatenation is param′.
    pub fn pieces(&self) -> impl Iterator<Item = &'a str> + '_ {
        let starts = std::iter::once(0).chain(self.removed.iter().map(|cut| cut.end));
        let ends = (self.removed.iter().map(|cut| cut.start)).chain([self.text.len()]);
        starts.zip(ends).map(|(start, end)| &self.text[start..end])
    }

    /// param′ as one string.
    pub fn to_text(&self) -> String {
        self.pieces().collect()
    }

    /// The JSON text of each value taken out, in order (e.g. `"/9j/4AAQ…"` with its quotes).
    pub fn removed_values(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.values
            .iter()
            .map(|(range, _)| &self.text[range.clone()])
    }

    /// The `index`-th value taken out, read as a JSON string: borrowed when it holds no
    /// escapes (a base64 photo never does), unescaped otherwise; `None` when it is not a
    /// string.
    pub(crate) fn removed_string(&self, index: usize) -> Option<Cow<'a, str>> {
        let (range, escaped) = self.values.get(index)?;
        let raw = &self.text[range.clone()];
        match raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(text) if !escaped => Some(Cow::Borrowed(text)),
            Some(_) => serde_json::from_str::<String>(raw).ok().map(Cow::Owned),
            None => None,
        }
    }
}

/// Scans `param` as a JSON object and takes nothing out: param′ of the rules that sign the
/// whole param.
pub(crate) fn unstripped(param: &str) -> Result<Stripped<'_>, ScanError> {
    unstripped_members(param).map(|(stripped, _)| stripped)
}

/// param′ of a `C_SIGN_IN` param: the top-level `img` member removed.
pub fn strip_sign_in_img(param: &str) -> Result<Stripped<'_>, ScanError> {
    let (mut stripped, members) = unstripped_members(param)?;
    stripped.remove(&members, "img");
    Ok(stripped)
}

/// param′ of a `T_POST_DEVICE_PERSON` param: the `img` member of each object in the top-level
/// `data` array removed.
pub fn strip_person_imgs(param: &str) -> Result<Stripped<'_>, ScanError> {
    let (mut stripped, members) = unstripped_members(param)?;
    let data = members.iter().find(|m| &param[m.key.clone()] == "data");
    if let Some(data) = data {
        for element in Scanner::at(param, data.value.start).elements(1)? {
            if param.as_bytes()[element.start] == b'{' {
                let person = Scanner::at(param, element.start).object_members(0)?;
                stripped.remove(&person, "img");
            }
        }
    }
    Ok(stripped)
}

fn unstripped_members(param: &str) -> Result<(Stripped<'_>, Vec<Member>), ScanError> {
    let members = scan_object(param)?;
    let stripped = Stripped {
        text: param,
        removed: Vec::new(),
        values: Vec::new(),
    };
    Ok((stripped, members))
}

/// The members of the JSON object that is the whole of `text` (white space around it allowed).
pub fn scan_object(text: &str) -> Result<Vec<Member>, ScanError> {
    let mut scanner = Scanner::at(text, 0);
    scanner.skip_ws();
    let members = scanner.object_members(0)?;
    scanner.skip_ws();
    if scanner.pos != text.len() {
        return Err(scanner.error("end of text"));
    }
    Ok(members)
}

impl Stripped<'_> {
    /// Takes out the first of `members` named `key`, with its joining comma (PROTOCOL.md §4):
    /// up to the next member when there is one, else back from the previous member's value,
    /// else just the member itself. Members must come after any taken out before.
    fn remove(&mut self, members: &[Member], key: &str) {
        let text = self.text;
        let Some(index) = members.iter().position(|m| &text[m.key.clone()] == key) else {
            return;
        };
        let member = &members[index];
        let key_start = member.key.start - 1; // the opening quote
        let range = match (members.get(index + 1), index.checked_sub(1)) {
            (Some(next), _) => key_start..next.key.start - 1,
            (None, Some(previous)) => {
                let previous_end = members[previous].value.end;
                let comma = text[previous_end..key_start].find(',').unwrap_or(0);
                previous_end + comma..member.value.end
            }
            (None, None) => key_start..member.value.end,
        };
        self.removed.push(range);
        self.values
            .push((member.value.clone(), member.value_escaped));
    }
}

/// Where the plain text of a JSON string stops: the offset of the first `"`, `\` or
/// character below U+0020 (which JSON forbids unescaped), if any.
///
/// Looks at 64 bytes at a time with a branch-free fold that the compiler vectorises, built for
/// AVX2 as well as the baseline and chosen at run time, so a 60 KB photo costs about a
/// microsecond.
#[multiversion::multiversion(targets("x86_64+avx2", "x86_64+sse4.1"))]
fn string_stop(bytes: &[u8]) -> Option<usize> {
    let is_stop = |b: u8| (b == b'"') | (b == b'\\') | (b < 0x20);
    let mut chunks = bytes.chunks_exact(64);
    for (index, chunk) in chunks.by_ref().enumerate() {
        if chunk
            .iter()
            .fold(0u8, |hits, &b| hits | u8::from(is_stop(b)))
            != 0
        {
            return chunk
                .iter()
                .position(|&b| is_stop(b))
                .map(|i| index * 64 + i);
        }
    }
    let tail = chunks.remainder();
    let tail_start = bytes.len() - tail.len();
    tail.iter()
        .position(|&b| is_stop(b))
        .map(|i| tail_start + i)
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Escape sequences seen so far.
    escapes: usize,
}

impl<'a> Scanner<'a> {
    fn at(text: &'a str, pos: usize) -> Self {
        Self {
            bytes: text.as_bytes(),
            pos,
            escapes: 0,
        }
    }

    fn error(&self, expected: &'static str) -> ScanError {
        ScanError {
            offset: self.pos,
            expected,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), ScanError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    /// Scans `{ ... }` at the cursor, returning its members.
    fn object_members(&mut self, depth: usize) -> Result<Vec<Member>, ScanError> {
        self.expect(b'{', "'{'")?;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(members);
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':', "':'")?;
            self.skip_ws();
            let escapes_before = self.escapes;
            let value = self.value(depth + 1)?;
            members.push(Member {
                key: key.start + 1..key.end - 1,
                value,
                value_escaped: self.escapes > escapes_before,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(members);
                }
                _ => return Err(self.error("',' or '}'")),
            }
        }
    }

    /// Scans `[ ... ]` at the cursor, returning each element's range.
    fn elements(&mut self, depth: usize) -> Result<Vec<Range<usize>>, ScanError> {
        self.expect(b'[', "'['")?;
        let mut elements = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(elements);
        }
        loop {
            self.skip_ws();
            elements.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(elements);
                }
                _ => return Err(self.error("',' or ']'")),
            }
        }
    }

    /// Scans one value at the cursor and returns its range.
    fn value(&mut self, depth: usize) -> Result<Range<usize>, ScanError> {
        if depth > MAX_DEPTH {
            return Err(self.error("less deeply nested JSON"));
        }
        let start = self.pos;
        match self.peek() {
            Some(b'"') => return self.string(),
            Some(b'{') => {
                self.object_members(depth)?;
            }
            Some(b'[') => {
                self.elements(depth)?;
            }
            Some(b't') => self.literal("true")?,
            Some(b'f') => self.literal("false")?,
            Some(b'n') => self.literal("null")?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.error("a JSON value")),
        }
        Ok(start..self.pos)
    }

    fn literal(&mut self, word: &'static str) -> Result<(), ScanError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error(word))
        }
    }

    fn digits(&mut self) -> Result<(), ScanError> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos == start {
            Err(self.error("a digit"))
        } else {
            Ok(())
        }
    }

    fn number(&mut self) -> Result<(), ScanError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(())
    }

    /// Scans a string at the cursor, returning its range including both quotes. Finds the
    /// closing quote with `memchr`, so a 60 KB base64 photo costs one fast pass.
    fn string(&mut self) -> Result<Range<usize>, ScanError> {
        let start = self.pos;
        self.expect(b'"', "'\"'")?;
        loop {
            let rest = &self.bytes[self.pos..];
            let Some(found) = string_stop(rest) else {
                self.pos = self.bytes.len();
                return Err(self.error("'\"' closing the string"));
            };
            self.pos += found;
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(start..self.pos);
                }
                b'\\' => {}
                _ => return Err(self.error("no control character in a string")),
            }
            self.escape()?;
        }
    }

    fn escape(&mut self) -> Result<(), ScanError> {
        self.escapes += 1;
        self.pos += 1; // the backslash
        match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 1,
            Some(b'u') => {
                self.pos += 1;
                let hex = self.bytes.get(self.pos..self.pos + 4);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(self.error("four hex digits after \\u"));
                }
                self.pos += 4;
            }
            _ => return Err(self.error("a valid escape after '\\'")),
        }
        Ok(())
    }
}
