//! JSON selectors: `rooms.join["!r"].timeline.events[*].event_id`.
//!
//! A [`Path`] is a list of [`Segment`]s. Dotted names are split on `.`; keys that contain dots or
//! other punctuation use the bracket form `["org.matrix.msc4354.sticky_events"]`. `[*]` (or a bare
//! `*` segment) fans out over every element of an array or every value of an object; a path with a
//! fan-out selects a list of values, a path without one selects at most one value.

use serde_json::Value;
use std::fmt;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// An array index; negative counts from the end.
    Index(i64),
    /// Every element of an array or every value of an object.
    Wildcard,
    /// The elements of an array (or values of an object) in which `at` selects `equals`:
    /// `events[?event_id == "$e"]`, `events[?content.body == "hi"]`. A fan-out, like `[*]`.
    Filter {
        /// Where to look inside each element.
        at: Box<Path>,
        /// The value it must have there.
        equals: Value,
    },
}

impl Segment {
    /// Whether this segment keeps a child value (for [`Segment::Wildcard`] and
    /// [`Segment::Filter`]).
    fn keeps(&self, child: &Value) -> bool {
        match self {
            Segment::Filter { at, equals } => {
                at.select(child).into_value().as_ref() == Some(equals)
            }
            _ => true,
        }
    }

    fn fans_out(&self) -> bool {
        matches!(self, Segment::Wildcard | Segment::Filter { .. })
    }
}

/// A parsed selector.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    segments: Vec<Segment>,
}

/// Why a selector did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid selector `{path}` at character {offset}: {reason}")]
pub struct PathError {
    /// The selector text.
    pub path: String,
    /// 0-based character offset of the problem.
    pub offset: usize,
    /// What was expected.
    pub reason: String,
}

/// What a selector found.
#[derive(Debug, Clone, PartialEq)]
pub enum Selected {
    /// A path without fan-out: the value, if present.
    One(Option<Value>),
    /// A path with fan-out: every value found (possibly none).
    Many(Vec<Value>),
}

impl Selected {
    /// The selection as one JSON value: `None` when a single path found nothing, an array for fan-out.
    pub fn into_value(self) -> Option<Value> {
        match self {
            Selected::One(v) => v,
            Selected::Many(vs) => Some(Value::Array(vs)),
        }
    }
}

impl Path {
    /// The empty path: the document itself.
    pub fn root() -> Self {
        Path {
            segments: Vec::new(),
        }
    }

    /// A path made of these segments.
    pub(crate) fn from_segments(segments: Vec<Segment>) -> Self {
        Path { segments }
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether the path fans out, so that it selects a list.
    pub(crate) fn fans_out(&self) -> bool {
        self.segments.iter().any(Segment::fans_out)
    }

    /// Parses selector text.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let err = |offset: usize, reason: &str| PathError {
            path: text.to_string(),
            offset,
            reason: reason.to_string(),
        };
        let chars: Vec<char> = text.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        let mut expect_segment = true;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    if expect_segment && i != 0 {
                        return Err(err(i, "empty segment between dots"));
                    }
                    if i == 0 && chars.len() == 1 {
                        break;
                    }
                    expect_segment = true;
                    i += 1;
                }
                '[' => {
                    let (seg, end) = parse_bracket(&chars, i + 1).map_err(|(o, r)| err(o, &r))?;
                    segments.push(seg);
                    i = end;
                    expect_segment = false;
                }
                _ => {
                    if !expect_segment {
                        return Err(err(i, "expected `.` or `[` between segments"));
                    }
                    let start = i;
                    while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                        i += 1;
                    }
                    let name: String = chars[start..i].iter().collect();
                    if let Some(bad) = name.find([']', '"']) {
                        return Err(err(
                            start + bad,
                            "unexpected character; quote such keys as [\"key\"]",
                        ));
                    }
                    if name == "*" {
                        segments.push(Segment::Wildcard);
                    } else {
                        segments.push(Segment::Key(name));
                    }
                    expect_segment = false;
                }
            }
        }
        if expect_segment && !segments.is_empty() {
            return Err(err(chars.len(), "path ends with a dot"));
        }
        Ok(Path { segments })
    }

    /// Selects from a document.
    pub fn select(&self, doc: &Value) -> Selected {
        let mut current: Vec<&Value> = vec![doc];
        for seg in &self.segments {
            let mut next = Vec::new();
            for v in current {
                match seg {
                    Segment::Key(k) => {
                        if let Some(x) = v.as_object().and_then(|o| o.get(k)) {
                            next.push(x);
                        }
                    }
                    Segment::Index(n) => {
                        if let Some(arr) = v.as_array() {
                            if let Some(idx) = resolve_index(*n, arr.len()) {
                                next.push(&arr[idx]);
                            }
                        }
                    }
                    Segment::Wildcard | Segment::Filter { .. } => match v {
                        Value::Array(a) => next.extend(a.iter().filter(|x| seg.keeps(x))),
                        Value::Object(o) => next.extend(o.values().filter(|x| seg.keeps(x))),
                        _ => {}
                    },
                }
            }
            current = next;
        }
        if self.fans_out() {
            Selected::Many(current.into_iter().cloned().collect())
        } else {
            Selected::One(current.first().map(|v| (*v).clone()))
        }
    }

    /// Calls `f` with every value the path selects, mutably.
    pub(crate) fn for_each_mut(&self, doc: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        fn walk(v: &mut Value, segs: &[Segment], f: &mut dyn FnMut(&mut Value)) {
            let Some((seg, rest)) = segs.split_first() else {
                f(v);
                return;
            };
            match seg {
                Segment::Key(k) => {
                    if let Some(x) = v.as_object_mut().and_then(|o| o.get_mut(k)) {
                        walk(x, rest, f);
                    }
                }
                Segment::Index(n) => {
                    if let Some(arr) = v.as_array_mut() {
                        if let Some(idx) = resolve_index(*n, arr.len()) {
                            walk(&mut arr[idx], rest, f);
                        }
                    }
                }
                Segment::Wildcard | Segment::Filter { .. } => match v {
                    Value::Array(a) => a
                        .iter_mut()
                        .filter(|x| seg.keeps(x))
                        .for_each(|x| walk(x, rest, f)),
                    Value::Object(o) => o
                        .values_mut()
                        .filter(|x| seg.keeps(x))
                        .for_each(|x| walk(x, rest, f)),
                    _ => {}
                },
            }
        }
        walk(doc, &self.segments, f)
    }

    /// Removes every value the path selects. Returns how many were removed.
    pub(crate) fn delete(&self, doc: &mut Value) -> usize {
        let Some((last, parent)) = self.segments.split_last() else {
            return 0;
        };
        let parent = Path {
            segments: parent.to_vec(),
        };
        let mut removed = 0;
        parent.for_each_mut(doc, &mut |v| match (last, v) {
            (Segment::Key(k), Value::Object(o)) => {
                removed += usize::from(o.shift_remove(k).is_some())
            }
            (Segment::Index(n), Value::Array(a)) => {
                if let Some(idx) = resolve_index(*n, a.len()) {
                    a.remove(idx);
                    removed += 1;
                }
            }
            (Segment::Wildcard, Value::Array(a)) => {
                removed += a.len();
                a.clear();
            }
            (Segment::Wildcard, Value::Object(o)) => {
                removed += o.len();
                o.clear();
            }
            (seg @ Segment::Filter { .. }, Value::Array(a)) => {
                let before = a.len();
                a.retain(|x| !seg.keeps(x));
                removed += before - a.len();
            }
            (seg @ Segment::Filter { .. }, Value::Object(o)) => {
                let before = o.len();
                o.retain(|_, x| !seg.keeps(x));
                removed += before - o.len();
            }
            _ => {}
        });
        removed
    }

    /// Sets the value at the path, creating the last key if needed (not intermediate ones).
    pub fn set(&self, doc: &mut Value, value: &Value) -> usize {
        let Some((last, parent)) = self.segments.split_last() else {
            *doc = value.clone();
            return 1;
        };
        let parent = Path {
            segments: parent.to_vec(),
        };
        let mut count = 0;
        parent.for_each_mut(doc, &mut |v| match (last, v) {
            (Segment::Key(k), Value::Object(o)) => {
                o.insert(k.clone(), value.clone());
                count += 1;
            }
            (Segment::Index(n), Value::Array(a)) => {
                if let Some(idx) = resolve_index(*n, a.len()) {
                    a[idx] = value.clone();
                    count += 1;
                }
            }
            (Segment::Wildcard, Value::Array(a)) => {
                a.iter_mut().for_each(|x| *x = value.clone());
                count += a.len();
            }
            (Segment::Wildcard, Value::Object(o)) => {
                o.values_mut().for_each(|x| *x = value.clone());
                count += o.len();
            }
            (seg @ Segment::Filter { .. }, Value::Array(a)) => {
                for x in a.iter_mut().filter(|x| seg.keeps(x)) {
                    *x = value.clone();
                    count += 1;
                }
            }
            (seg @ Segment::Filter { .. }, Value::Object(o)) => {
                for x in o.values_mut().filter(|x| seg.keeps(x)) {
                    *x = value.clone();
                    count += 1;
                }
            }
            _ => {}
        });
        count
    }
}

/// A bracketed segment from just after its `[`: a filter (`[?…]`), a quoted key (`["a.b"]`),
/// `*` or an index; the segment and the position after its `]`, or where and why it is wrong.
fn parse_bracket(chars: &[char], mut i: usize) -> Result<(Segment, usize), (usize, String)> {
    let err = |offset: usize, reason: &str| (offset, reason.to_string());
    let seg = if chars.get(i) == Some(&'?') {
        let (seg, end) = parse_filter(chars, i + 1)?;
        i = end;
        seg
    } else if chars.get(i) == Some(&'"') {
        let (key, end) = quoted_key(chars, i + 1)?;
        i = end;
        Segment::Key(key)
    } else {
        let start = i;
        while i < chars.len() && chars[i] != ']' {
            i += 1;
        }
        let inner: String = chars[start..i].iter().collect();
        match inner.trim() {
            "*" => Segment::Wildcard,
            inner => Segment::Index(inner.parse().map_err(|_| {
                err(
                    start,
                    "expected `*`, an integer or a quoted key inside `[ ]`",
                )
            })?),
        }
    };
    if chars.get(i) != Some(&']') {
        return Err(err(i, "expected `]`"));
    }
    Ok((seg, i + 1))
}

/// A quoted key from just after its opening `"` (`\` escapes the next character); the key and
/// the position after its closing `"`.
fn quoted_key(chars: &[char], mut i: usize) -> Result<(String, usize), (usize, String)> {
    let mut key = String::new();
    loop {
        match chars.get(i) {
            None => return Err((i, "unterminated quoted key".into())),
            Some('\\') => {
                let c = chars
                    .get(i + 1)
                    .ok_or_else(|| (i, "dangling escape".to_string()))?;
                key.push(*c);
                i += 2;
            }
            Some('"') => return Ok((key, i + 1)),
            Some(c) => {
                key.push(*c);
                i += 1;
            }
        }
    }
}

/// Parses the inside of `[?at == value]` from just after the `?`; returns the segment and the
/// position of the closing `]`. The value is a JSON literal (a quoted string, a number,
/// `true`, `false` or `null`); a bare word is taken as a string.
fn parse_filter(chars: &[char], from: usize) -> Result<(Segment, usize), (usize, String)> {
    let mut i = from;
    let mut in_quotes = false;
    while i < chars.len() {
        match chars[i] {
            '\\' if in_quotes => i += 1,
            '"' => in_quotes = !in_quotes,
            ']' if !in_quotes => break,
            _ => {}
        }
        i += 1;
    }
    if i >= chars.len() {
        return Err((i, "expected `]` to close the filter `[?…]`".into()));
    }
    let inner: String = chars[from..i].iter().collect();
    let Some((at, value)) = inner.split_once("==") else {
        return Err((from, "a filter reads `[?selector == value]`".into()));
    };
    let at = Path::parse(at.trim()).map_err(|e| (from + e.offset, e.reason))?;
    if at.segments.is_empty() {
        return Err((from, "a filter needs a selector before `==`".into()));
    }
    let value = value.trim();
    if value.is_empty() {
        return Err((i, "a filter needs a value after `==`".into()));
    }
    let equals = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((
        Segment::Filter {
            at: Box::new(at),
            equals,
        },
        i,
    ))
}

fn resolve_index(n: i64, len: usize) -> Option<usize> {
    let idx = if n < 0 { len as i64 + n } else { n };
    (idx >= 0 && (idx as usize) < len).then_some(idx as usize)
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str(".");
        }
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Key(k) if is_plain(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[\"{}\"]", k.replace('"', "\\\""))?,
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Wildcard => f.write_str("[*]")?,
                Segment::Filter { at, equals } => write!(f, "[?{at} == {equals}]")?,
            }
        }
        Ok(())
    }
}

fn is_plain(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
#[path = "path_tests.rs"]
mod tests;
