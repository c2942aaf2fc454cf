//! Finds the project-installed toolchain: the foundry binaries (anvil, forge, cast) and the
//! npm protocol artifacts that `tools/dev setup` puts under the project root.
//!
//! Resolution order for the root: `$SEARCHER_ROOT`, then the current directory and its
//! parents, then `$CARGO_MANIFEST_DIR` (set by `cargo run`/`test`/`bench`) and its parents.
//! A root is a directory holding `node_modules/@foundry-rs`. No source path is compiled in:
//! the build directory is shared between checkouts (see `tools/dev`), so a binary built in one
//! clone must not look for files in another. Individual binaries can be overridden with
//! `$ANVIL_BIN`, `$FORGE_BIN` and `$CAST_BIN`.

use std::path::{Path, PathBuf};

/// Errors locating the toolchain.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    /// No directory with `node_modules/@foundry-rs` was found.
    #[error(
        "project toolchain not found (looked for node_modules/@foundry-rs from $SEARCHER_ROOT, \
         the current directory and $CARGO_MANIFEST_DIR); run `tools/dev setup`"
    )]
    RootNotFound,
    /// A binary or artifact is missing under the root.
    #[error("{what} not found at {path}; run `tools/dev setup`")]
    Missing {
        /// What was looked for.
        what: &'static str,
        /// Where it was expected.
        path: PathBuf,
    },
}

/// Directories that may be the project root, in resolution order (see the module docs).
pub fn candidate_roots() -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(root) = std::env::var_os("SEARCHER_ROOT") {
        candidates.push(PathBuf::from(root));
    }
    if let Ok(cwd) = std::env::current_dir() {
        candidates.extend(cwd.ancestors().map(Path::to_path_buf));
    }
    if let Some(manifest) = std::env::var_os("CARGO_MANIFEST_DIR") {
        candidates.extend(Path::new(&manifest).ancestors().map(Path::to_path_buf));
    }
    candidates
}

/// The located toolchain.
#[derive(Debug, Clone)]
pub struct Toolchain {
    root: PathBuf,
}

impl Toolchain {
    /// Locates the toolchain (see the module docs for the search order).
    pub fn locate() -> Result<Self, ToolchainError> {
        candidate_roots()
            .into_iter()
            .find(|dir| dir.join("node_modules/@foundry-rs").is_dir())
            .map(|root| Self { root })
            .ok_or(ToolchainError::RootNotFound)
    }

    /// The project root (holds `node_modules`, `foundry.toml`, `script/`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `node_modules` under the root.
    pub fn node_modules(&self) -> PathBuf {
        self.root.join("node_modules")
    }

    /// The anvil binary.
    pub fn anvil(&self) -> Result<PathBuf, ToolchainError> {
        self.foundry_bin("anvil", "ANVIL_BIN")
    }

    /// The forge binary.
    pub fn forge(&self) -> Result<PathBuf, ToolchainError> {
        self.foundry_bin("forge", "FORGE_BIN")
    }

    /// The cast binary.
    pub fn cast(&self) -> Result<PathBuf, ToolchainError> {
        self.foundry_bin("cast", "CAST_BIN")
    }

    /// The solc wrapper forge should use (`FOUNDRY_SOLC`), unless the user set their own.
    pub fn solc(&self) -> PathBuf {
        std::env::var_os("FOUNDRY_SOLC")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("tools/solc"))
    }

    /// A file under `node_modules`, checked to exist.
    pub fn artifact(&self, relative: &str) -> Result<PathBuf, ToolchainError> {
        let path = self.node_modules().join(relative);
        if path.is_file() {
            Ok(path)
        } else {
            Err(ToolchainError::Missing { what: "npm artifact", path })
        }
    }

    fn foundry_bin(&self, name: &'static str, env: &str) -> Result<PathBuf, ToolchainError> {
        if let Some(path) = std::env::var_os(env) {
            return Ok(PathBuf::from(path));
        }
        let path = self.node_modules().join(format!("@foundry-rs/{name}-linux-amd64/bin/{name}"));
        if path.is_file() { Ok(path) } else { Err(ToolchainError::Missing { what: name, path }) }
    }
}
