//! The engine's integration tests (one binary, as in reth): what needs the real protocol
//! bytecode or the devnet's toolchain rather than the engine's internals.

#![expect(clippy::print_stderr, reason = "a test that skips says why on stderr")]

mod arbitrum;
mod differential;
mod fuzz;
