//! The `nmfnet` command line as a library: the flags of every command ([`cli`], [`commands`])
//! and the requests they make for the entry points of `nmfnet-app`. The binary parses and runs;
//! the tests parse command lines and compare the requests.

pub mod args;
pub mod cli;
pub mod commands;
pub mod vocabulary;
