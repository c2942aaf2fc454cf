//! End-to-end tests on the local devnet (one test binary, reth-style).

mod devnet;
