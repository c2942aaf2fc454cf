//! Everything that turns a sized cycle into a transaction: the executor's packed calldata.

pub mod calldata;
