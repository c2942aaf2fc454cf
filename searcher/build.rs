//! Rebuilds the crate when a migration is added or edited: `sqlx::migrate!` embeds
//! `migrations/` at compile time and cannot track the directory itself on stable Rust.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
