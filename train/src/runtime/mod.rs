//! What a run needs around the loop: the backends and the one dispatch to them ([`backend`]),
//! the output-folder discipline ([`rundir`]), the bounded reader of model records ([`record`])
//! and, with the feature `collective`, data-parallel peers (`collective`).

pub mod backend;
#[cfg(feature = "collective")]
pub mod collective;
pub mod record;
pub mod rundir;
