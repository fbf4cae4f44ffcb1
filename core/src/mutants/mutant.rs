//! A generated mutant: a fault aimed at one requirement's declared surface.

use crate::fault::Fault;
use crate::surfaces::Surface;

/// A generated mutant.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// `mutant:S-27:sync.sticky/incremental:drop-first`.
    pub name: String,
    /// The requirement it is aimed at.
    pub requirement: String,
    /// The declared surface it rewrites.
    pub surface: Surface,
    /// The operator's name.
    pub operator: String,
    /// The rewrite, ready to inject.
    pub fault: Fault,
}

/// The prefix of every mutant's name.
pub const PREFIX: &str = "mutant:";
