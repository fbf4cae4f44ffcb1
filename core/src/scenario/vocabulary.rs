//! The words a step may use besides its kind's fields: the common keys and the control kinds.
//! The call kinds and their fields live in [`crate::steps`], one module each.

/// Keys that every step may have besides its kind.
pub(crate) const COMMON_KEYS: &[&str] = &[
    "id",
    "note",
    "expect",
    "capture",
    "accumulate",
    "observe",
    "within",
    "every",
    "hold",
    "hold_until",
    "snapshot",
    "sample",
    "judges",
];

/// Step kinds that are not calls: lifecycle, concurrency, repetition.
pub(crate) const CONTROL_KINDS: &[&str] = &["homeserver", "concurrent", "repeat"];

/// Every step kind name, call and control.
pub(crate) fn all_step_names() -> impl Iterator<Item = &'static str> {
    crate::steps::KINDS
        .iter()
        .map(|k| k.name)
        .chain(CONTROL_KINDS.iter().copied())
}
