//! `nmfnet` end to end, through the binary (one test binary, a module per command), and the
//! command lines that reports quote parsed back into their requests.

mod catalogue;
mod classical;
mod cluster;
mod common;
mod data;
mod front;
mod gan;
mod jobs;
mod kills;
mod memory;
mod nmf;
mod reproduce;
mod safety;
mod scale;
