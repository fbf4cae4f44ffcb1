//! Locking a mutex whose holder panicked.

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
