//! Text for people: JSON and strings cut to a length for messages, and the did-you-mean
//! suggestion for a mistyped word.

use serde_json::Value;

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

/// The value a word names in a table of `(word, value)`: how the enums read from files
/// (strengths, predicate keys, methods) map their words.
pub fn by_word<T: Copy>(table: &[(&str, T)], word: &str) -> Option<T> {
    table.iter().find(|(w, _)| *w == word).map(|(_, v)| *v)
}

/// The word of a value in a table of `(word, value)` (empty when the table lacks it).
pub fn word_of<T: Copy + PartialEq>(table: &[(&'static str, T)], value: T) -> &'static str {
    table
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("", |(w, _)| w)
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
