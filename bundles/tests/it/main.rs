//! Integration tests of the bundles crate: fan-out against fault servers, inclusion on anvil.

mod fanout;
mod fault;
mod inclusion;
