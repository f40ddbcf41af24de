//! The `nmfnet` command line as a library: the flags of every command ([`cli`], [`commands`])
//! and the jobs they make for the entry points of `nmfnet-app`; the one table of flag names
//! ([`vocabulary`]). The binary parses and runs; the tests parse command lines into jobs.

pub mod args;
pub mod cli;
pub mod commands;
pub mod vocabulary;
