//! Names a server supplies that mscheck may use to name files (expectations, snapshot folders):
//! short, of a few safe characters, never `.` or `..`.

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
