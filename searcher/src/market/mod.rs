//! The pool universe: pool kinds, their state and exact math.

pub mod math;
