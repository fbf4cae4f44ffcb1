//! Suite diagnostics: one error type for everything wrong with a suite file, rendered with
//! `file:line:column`, the source line and a caret, plus a hint when there is one.

use super::pos::Pos;
use std::fmt;
use std::path::{Path, PathBuf};

/// Something wrong in a suite, catalogue, expectations or fault file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub pos: Pos,
    /// What is wrong, lower case.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The offending source line, if the file could be read.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at a position; the source line is filled from `source`.
    pub fn new(file: &Path, source: &str, pos: Pos, message: impl Into<String>) -> Self {
        let source_line = (pos.line > 0)
            .then(|| source.lines().nth(pos.line - 1).map(str::to_string))
            .flatten();
        Diagnostic {
            file: file.to_path_buf(),
            pos,
            message: message.into(),
            hint: None,
            source_line,
        }
    }

    /// Adds a hint.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        write!(
            f,
            "  --> {}:{}:{}",
            self.file.display(),
            self.pos.line,
            self.pos.column
        )?;
        if let Some(line) = &self.source_line {
            let gutter = self.pos.line.to_string().len();
            write!(f, "\n{:gutter$} |\n{}", "", snippet(self.pos, line))?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// A source line under its line number, and a caret under `pos`'s column: how load errors and
/// run failures both show where in a file something is.
pub fn snippet(pos: Pos, line: &str) -> String {
    let gutter = pos.line.to_string().len();
    let caret = " ".repeat(pos.column.saturating_sub(1));
    format!("{} | {line}\n{:gutter$} | {caret}^", pos.line, "")
}

/// Several diagnostics, for the whole set of files a run loads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\n\n{} errors", self.0.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_position_line_and_caret() {
        let src = "name: x\nsteps:\n  - snd: {}\n";
        let d = Diagnostic::new(
            Path::new("suites/a/b.yaml"),
            src,
            Pos { line: 3, column: 5 },
            "unknown step `snd`",
        )
        .with_hint("did you mean `send`?");
        assert_eq!(
            d.to_string(),
            "error: unknown step `snd`\n  --> suites/a/b.yaml:3:5\n  |\n3 |   - snd: {}\n  |     ^\n  = hint: did you mean `send`?"
        );
    }
}
