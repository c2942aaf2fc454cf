//! exec: turns a sized, simulated cycle into a signed backrun transaction.
//!
//! - `calldata`: the executor contract's packed calldata (the one Rust encoder).
//! - [`bid`]: how much of the profit goes to the builder, and how (coinbase transfer from
//!   inside the executor, or priority fee).
//! - [`fees`]: EIP-1559 fee fields from the next block's base fee.
//! - [`gas`]: calldata cost and the execution gas learned per cycle, so the bid settles
//!   before the simulation that proves it.
//! - [`nonce`]: a local nonce manager that survives several bundles per block and resyncs
//!   on every head.
//! - [`sign`]: builds and signs the EIP-1559 transaction, returning its EIP-2718 bytes.

pub mod bid;
pub mod calldata;
pub mod fees;
pub mod gas;
pub mod nonce;
pub mod sign;
