//! Bundle signing and delivery (see the crate README).
