//! One module per command: its flags, the job they make for `nmfnet-app`, and its output.

pub mod cluster;
pub mod consensus;
pub mod data;
pub mod gan;
pub mod nmf;
pub mod reproduce;
