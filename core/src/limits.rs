//! How much mscheck reads of a file it is given: inputs and results files are read within a
//! cap, never until memory runs out.

use crate::units::human_bytes;

/// The most mscheck reads of an input file it is given (suite, catalogue, profile, expectations,
/// faults): the largest shipped one is under 100 KB.
pub(crate) const MAX_INPUT_FILE: u64 = 4 * 1024 * 1024;

/// The most mscheck reads of a `results.json` (a full run's is about 1 MB).
pub const MAX_RESULTS_FILE: u64 = 256 * 1024 * 1024;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
