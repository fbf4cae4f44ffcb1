//! Scenario files: the model, the step vocabulary, and the loader that turns YAML into scenarios
//! with `file:line:column` diagnostics.

pub mod checks;
pub mod diagnostic;
pub mod loader;
pub mod model;
pub mod needs;
pub mod vars;
pub mod vocabulary;
pub mod yaml;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use loader::{load_file, load_suites};
pub use model::*;
