//! Encoder for the executor contract's packed calldata.
