//! Scenario files: the model, the step vocabulary, and the loader that turns YAML into scenarios
//! with `file:line:column` diagnostics.

pub mod checks;
pub mod loader;
pub mod model;
pub mod needs;
pub mod schema;
pub mod vocabulary;
pub mod windows;

pub use crate::yaml::{Diagnostic, Diagnostics};
pub use loader::{load_file, load_suites};
pub use model::*;

/// The shipped catalogue and suites of this source tree, for unit tests.
#[cfg(test)]
pub fn shipped_suites() -> (crate::catalogue::Catalogue, Vec<Scenario>) {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let catalogue =
        crate::catalogue::Catalogue::load(&root.join("suites").join("requirements.yaml")).unwrap();
    let scenarios = load_suites(&root.join("suites"), &catalogue).unwrap();
    (catalogue, scenarios)
}
