//! The one way mscheck reads YAML: positions ([`Pos`]), parsing with limits on size and nesting
//! ([`parse`], [`read_file`]), node helpers and conversion to JSON, and [`Diagnostic`]s that
//! name the file, the line and column, the kind of file and what to do. Every file kind
//! (scenarios, the catalogue, faults, exemptions, expectations, profiles) is read through it.

mod diagnostic;
mod nodes;
mod pos;
mod read;

pub use diagnostic::{snippet, Diagnostic, Diagnostics};
pub use nodes::*;
pub use pos::Pos;
pub use read::{load_error, read_file, unknown_keys, FileKind};
