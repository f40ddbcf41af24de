//! The entry points of nmfnet: one function per command, plain data in and out (requests,
//! summaries, host matrices; no command-line or Burn types), each compiled here once for every
//! backend feature. The `nmfnet` command line, the experiments, the benchmarks and a Python
//! binding call these; none of them instantiates a backend itself.
//!
//! * [`cluster`]: SymNMF-Net or a classical solver on a similarity graph.
//! * [`nmf`]: plain NMF of a matrix or an image folder.
//! * [`gan`]: GAN-UNET training, evaluation, factorisation, and its classical comparisons.
//! * [`data`]: the papers' data sets, verified or described.
//! * [`allocator`]: the C allocator's settings for nmfnet's own processes.
//! * [`argv`]: the command line that runs a request (quoted by reports).
//! * [`outdir`]: output folders (what is checked before a run, what it writes).
//! * [`job`]: the run options every command shares, `job.json`, and the field names of messages.

pub mod allocator;
pub mod argv;
pub mod cluster;
pub mod data;
pub mod gan;
pub mod job;
pub mod nmf;
pub mod outdir;

pub use nmfnet_train::runtime::backend::{compiled_backends, BackendKind};
