//! Integration tests of the bundles crate: fan-out against fault servers, inclusion on anvil,
//! hostile bytes into every decoder that reads the outside world.

mod fanout;
mod fault;
mod fuzz;
mod hostile;
mod inclusion;
