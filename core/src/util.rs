//! Small helpers shared by several modules.

use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Compact JSON, cut to at most `max` characters with an ellipsis marker.
pub fn trim_json(v: &Value, max: usize) -> String {
    trim_text(&v.to_string(), max)
}

/// A string cut to at most `max` characters, noting how much was cut.
pub fn trim_text(s: &str, max: usize) -> String {
    let count = s.chars().count();
    if count <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}… ({} more characters)", count - max)
}

/// An error with every error under it, `outer: inner: innermost` (transport errors hide the
/// useful part, such as "connection refused", a few sources down).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut detail = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        detail = format!("{detail}: {s}");
        src = s.source();
    }
    detail
}

/// Text with every control character (C0, DEL, C1) written as `\u{..}`, so that what a server
/// sent can be printed: an ESC from a server never reaches a terminal as an escape sequence.
/// Newlines and tabs are escaped too: one server string stays one line.
pub fn escape_control(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The SHA-256 of some bytes, lower-case hex (the first 16 characters: enough to tell bodies
/// apart in a message or a file name).
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A size the way people read it: `512 B`, `64 KiB`, `16 MiB`.
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * 1024 * 1024;
    match n {
        n if n >= GIB && n % GIB == 0 => format!("{} GiB", n / GIB),
        n if n >= GIB => format!("{:.1} GiB", n as f64 / GIB as f64),
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= MIB => format!("{:.1} MiB", n as f64 / MIB as f64),
        n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
        n if n >= KIB => format!("{:.1} KiB", n as f64 / KIB as f64),
        n => format!("{n} B"),
    }
}

/// Parses a size: `16MiB`, `64M`, `512k`, `1G`, or a bare number of bytes.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// Reads a text file of at most `max` bytes: a larger file (or an endless one, `/dev/zero`) is an
/// error after `max + 1` bytes, never a read until memory runs out.
pub fn read_text_capped(path: &std::path::Path, max: u64) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "larger than {}, the most mscheck reads of such a file",
            human_bytes(max)
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// The most mscheck reads of an input file it is given (suite, catalogue, profile, expectations,
/// faults): the largest shipped one is under 100 KB.
pub(crate) const MAX_INPUT_FILE: u64 = 4 * 1024 * 1024;

/// `base/relative` when `relative` is a plain relative path (no `..`, no root, no prefix, no
/// empty or control-character component), so the result cannot leave `base`; else `None`.
pub fn join_under(base: &std::path::Path, relative: &str) -> Option<std::path::PathBuf> {
    use std::path::Component;
    let rel = std::path::Path::new(relative);
    let plain = !relative.is_empty()
        && !relative.chars().any(char::is_control)
        && rel.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then(|| base.join(rel))
}

/// Whether a server-supplied implementation name may name files (expectations, snapshots):
/// 1–64 characters of `[a-z0-9._-]`, starting with a letter or digit (so never `.` or `..`).
pub fn valid_implementation(name: &str) -> bool {
    short_name(name, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
    })
}

/// Whether a version may name a file: 1–64 characters of `[A-Za-z0-9._+-]`, starting with a
/// letter or digit.
pub fn valid_version(version: &str) -> bool {
    short_name(version, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
    })
}

fn short_name(text: &str, allowed: impl Fn(char) -> bool) -> bool {
    (1..=64).contains(&text.len())
        && text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && text.chars().all(allowed)
}

/// Locking a mutex whose holder panicked: the data is used as it was. Every critical section in
/// mscheck is a read, a push or a swap that leaves the data whole, and a scenario's panic is
/// already reported as its error; refusing the lock would only turn one failure into many.
pub trait Held<T> {
    /// The guard, poisoned or not.
    fn held(&self) -> std::sync::MutexGuard<'_, T>;
}

impl<T> Held<T> for std::sync::Mutex<T> {
    fn held(&self) -> std::sync::MutexGuard<'_, T> {
        self.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Random bytes from the OS.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut b = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("the OS random source works");
    b
}

/// A random lower-case hex string of `2 * N` characters.
pub fn random_hex<const N: usize>() -> String {
    random_bytes::<N>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `https://127.0.0.1:<port>` for a loopback server name (`localhost:8448`, `127.0.0.1:8448`);
/// why not for anything else. mscheck talks server-server only to servers on loopback.
pub fn loopback_address(server_name: &str) -> Result<String, String> {
    let (host, port) = server_name
        .rsplit_once(':')
        .ok_or_else(|| format!("`{server_name}` names no port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("`{server_name}`: bad port"))?;
    if host != "localhost" && host != "127.0.0.1" {
        return Err(format!("`{server_name}` is not on loopback"));
    }
    Ok(format!("https://127.0.0.1:{port}"))
}

/// The most mscheck reads of a `results.json` (a full run's is about 1 MB).
pub const MAX_RESULTS_FILE: u64 = 256 * 1024 * 1024;

/// Escapes text for HTML (element content and quoted attribute values).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// `2026-12-05T19:58:03Z`: a moment (ms since the Unix epoch) as UTC, for reports.
pub fn utc_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Milliseconds since the Unix epoch, by the local clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Parses `250ms`, `10s`, `2m`, `1h` (a bare number means milliseconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "s" => n * 1000.0,
        "m" | "min" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        _ => return None,
    };
    (ms >= 0.0).then(|| Duration::from_millis(ms as u64))
}

/// Renders a duration the way people read it: `850ms`, `4.2s`, `3m05s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // A difference in case only is the closest of all (`s-17` is S-17, not D-17).
    candidates
        .into_iter()
        .map(|c| {
            let d = if c.eq_ignore_ascii_case(word) {
                0
            } else {
                1 + edit_distance(word, c)
            };
            (d, c)
        })
        .filter(|(d, c)| *d <= 1 + (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions (`sned` → `send`) each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_timestamps() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_796_500_683_000), "2026-12-05T19:58:03Z");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("3000"), Some(Duration::from_millis(3000)));
        assert_eq!(parse_duration("ten"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
    }

    #[test]
    fn joined_paths_stay_under_their_base() {
        let base = std::path::Path::new("/r");
        assert_eq!(
            join_under(base, "transcripts/a/b.txt"),
            Some(std::path::PathBuf::from("/r/transcripts/a/b.txt"))
        );
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a\u{1b}b"] {
            assert_eq!(join_under(base, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("16MiB"), Some(16 * 1024 * 1024));
        assert_eq!(parse_bytes("64k"), Some(65536));
        assert_eq!(parse_bytes("100"), Some(100));
        assert_eq!(parse_bytes("1 parsec"), None);
        assert_eq!(parse_bytes("99999999999999999999G"), None);
        assert_eq!(human_bytes(16 * 1024 * 1024), "16 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10), "10 B");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("ok"), "ok");
        assert_eq!(
            escape_control("a\u{1b}]0;x\u{7}b\n"),
            "a\\u{1b}]0;x\\u{7}b\\u{a}"
        );
    }

    #[test]
    fn files_are_read_within_a_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "12345").unwrap();
        assert_eq!(read_text_capped(&p, 5).unwrap(), "12345");
        assert!(read_text_capped(&p, 4)
            .unwrap_err()
            .to_string()
            .contains("larger than 4 B"));
        if std::path::Path::new("/dev/zero").exists() {
            assert!(read_text_capped(std::path::Path::new("/dev/zero"), 1024).is_err());
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("snd", ["send", "sync", "state"]), Some("send"));
        assert_eq!(
            did_you_mean("sned", ["send", "sync", "state"]),
            Some("send")
        );
        assert_eq!(
            did_you_mean("create_rom", ["create_room", "join"]),
            Some("create_room")
        );
        assert_eq!(did_you_mean("zzzzzz", ["send", "sync"]), None);
        assert_eq!(did_you_mean("s-17", ["D-17", "S-17", "S-18"]), Some("S-17"));
    }
}
