//! End-to-end tests on the local devnet (one test binary, reth-style).

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "the whole binary is test code, helpers included"
)]

mod arbitrum;
mod demo;
mod devnet;
mod differential;
mod faults;
mod market;
mod mevshare;
mod operator;
mod operator_input;
mod predict;
mod relay;
mod robustness;
mod sim;
mod watch;
