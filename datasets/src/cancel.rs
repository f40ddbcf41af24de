//! A request's stop switch: set from another thread (a Ctrl-C handler, a Python binding
//! waiting for the fit), read by the long loops — the classical solvers once per iteration,
//! the training loop once per step — which then stop with a typed "cancelled" error. Clones
//! share the switch; the default one is never set by anybody but its holder.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

/// Every switch equals every other: what a request asks for does not depend on its switch.
impl PartialEq for Cancel {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every loop holding a clone of this switch to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::Cancel;

    #[test]
    fn clones_share_the_switch() {
        let a = Cancel::new();
        let b = a.clone();
        assert!(!b.is_cancelled());
        a.cancel();
        assert!(b.is_cancelled());
        assert!(!Cancel::new().is_cancelled());
    }
}
