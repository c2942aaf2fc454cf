//! Key loading: the trading key and the relay identity key, from a keystore file (the format
//! `cast wallet new` / `cast wallet import` writes) or from the environment. Never from a CLI
//! flag, never into a log line: errors name the *source* of a key, never its contents.
//!
//! The two keys have different jobs and must differ: the trading key signs backruns and owns
//! the executor; the identity key only signs relay requests (`X-Flashbots-Signature`) and
//! should hold no funds. [`Keys::load`] refuses a configuration where they are the same key.

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use serde::{Deserialize, Serialize};
use std::{fmt, path::PathBuf};

/// Where a key comes from.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "source",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case",
    deny_unknown_fields
)]
pub enum KeySource {
    /// An encrypted JSON keystore; the password is read from the environment variable
    /// `password_env`, or from the file `password_file`.
    Keystore {
        /// Keystore path.
        path: PathBuf,
        /// Environment variable holding the password.
        #[serde(default)]
        password_env: Option<String>,
        /// File holding the password (trailing newline ignored).
        #[serde(default)]
        password_file: Option<PathBuf>,
    },
    /// A hex private key in an environment variable.
    Env {
        /// The variable's name.
        var: String,
    },
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only names and paths; never values.
        match self {
            Self::Keystore { path, password_env, password_file } => f
                .debug_struct("Keystore")
                .field("path", path)
                .field("password_env", password_env)
                .field("password_file", password_file)
                .finish(),
            Self::Env { var } => f.debug_struct("Env").field("var", var).finish(),
        }
    }
}

/// Errors loading keys. None of them carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The environment variable is unset or not Unicode.
    #[error("environment variable {0} is not set")]
    EnvMissing(String),
    /// The variable's value is not a 32-byte hex private key (the value is not shown).
    #[error("environment variable {0} does not hold a valid hex private key")]
    EnvInvalid(String),
    /// No password source for a keystore.
    #[error("keystore {0}: set `password_env` or `password_file`")]
    NoPassword(PathBuf),
    /// The password file could not be read.
    #[error("keystore password file {path}: {source}")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Decryption failed (wrong password, corrupt file, missing file).
    #[error("keystore {path}: {reason}")]
    Keystore {
        /// The keystore.
        path: PathBuf,
        /// The decryption error's text (alloy's errors carry no key material).
        reason: String,
    },
    /// The identity key equals the trading key.
    #[error("the relay identity key must differ from the trading key (both are {0})")]
    SameKey(Address),
}

impl KeySource {
    /// Loads the signer.
    pub fn load(&self) -> Result<PrivateKeySigner, KeyError> {
        match self {
            Self::Env { var } => {
                let value = std::env::var(var).map_err(|_| KeyError::EnvMissing(var.clone()))?;
                value
                    .trim()
                    .parse::<PrivateKeySigner>()
                    .map_err(|_| KeyError::EnvInvalid(var.clone()))
            }
            Self::Keystore { path, password_env, password_file } => {
                // Say the file is missing before asking for its password.
                if !path.is_file() {
                    return Err(KeyError::Keystore {
                        path: path.clone(),
                        reason: "no such file (create one with `cast wallet new` or `cast wallet import`)".into(),
                    });
                }
                let password = match (password_env, password_file) {
                    (Some(var), _) => {
                        std::env::var(var).map_err(|_| KeyError::EnvMissing(var.clone()))?
                    }
                    (None, Some(file)) => std::fs::read_to_string(file)
                        .map(|s| s.trim_end_matches(['\n', '\r']).to_owned())
                        .map_err(|source| KeyError::PasswordFile { path: file.clone(), source })?,
                    (None, None) => return Err(KeyError::NoPassword(path.clone())),
                };
                PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
                    let text = e.to_string();
                    // eth-keystore says "Mac Mismatch": to an operator, a wrong password.
                    let reason = if text.to_ascii_lowercase().contains("mac mismatch") {
                        "wrong password (the keystore's MAC does not match)".to_owned()
                    } else {
                        text
                    };
                    KeyError::Keystore { path: path.clone(), reason }
                })
            }
        }
    }
}

/// The searcher's two keys.
pub struct Keys {
    /// Signs backruns; owns the executor.
    pub trading: PrivateKeySigner,
    /// Signs relay requests only.
    pub identity: PrivateKeySigner,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("trading", &self.trading.address())
            .field("identity", &self.identity.address())
            .finish()
    }
}

impl Keys {
    /// Loads both keys and checks they differ.
    pub fn load(trading: &KeySource, identity: &KeySource) -> Result<Self, KeyError> {
        let trading = trading.load()?;
        let identity = identity.load()?;
        if trading.address() == identity.address() {
            return Err(KeyError::SameKey(trading.address()));
        }
        Ok(Self { trading, identity })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    #[test]
    fn env_key_loads_and_errors_never_echo_the_value() {
        // Unique names: tests run in parallel in one process.
        unsafe { std::env::set_var("SEARCHER_TEST_KEY_OK", KEY) };
        let signer = KeySource::Env { var: "SEARCHER_TEST_KEY_OK".into() }.load().unwrap();
        assert_eq!(
            signer.address(),
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".parse::<Address>().unwrap()
        );

        let secret_looking = "0xdeadbeef_not_a_key_but_secret";
        unsafe { std::env::set_var("SEARCHER_TEST_KEY_BAD", secret_looking) };
        let err = KeySource::Env { var: "SEARCHER_TEST_KEY_BAD".into() }.load().unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("deadbeef"), "error must not echo the value: {shown}");

        let err = KeySource::Env { var: "SEARCHER_TEST_KEY_UNSET".into() }.load().unwrap_err();
        assert!(matches!(err, KeyError::EnvMissing(_)));
    }

    #[test]
    fn keystore_round_trip_and_wrong_password() {
        let dir = tempfile::tempdir().unwrap();
        // eth-keystore takes a rand 0.8 RNG; k256 re-exports the matching OsRng.
        let mut rng = alloy::signers::k256::elliptic_curve::rand_core::OsRng;
        let (signer, _uuid) =
            PrivateKeySigner::new_keystore(dir.path(), &mut rng, "pw-123", Some("k.json")).unwrap();
        let path = dir.path().join("k.json");
        let pw_file = dir.path().join("pw");
        std::fs::write(&pw_file, "pw-123\n").unwrap();
        let source = KeySource::Keystore {
            path: path.clone(),
            password_env: None,
            password_file: Some(pw_file),
        };
        assert_eq!(source.load().unwrap().address(), signer.address());

        let bad_pw = dir.path().join("bad");
        std::fs::write(&bad_pw, "nope").unwrap();
        let err = KeySource::Keystore { path, password_env: None, password_file: Some(bad_pw) }
            .load()
            .unwrap_err();
        assert!(matches!(err, KeyError::Keystore { .. }));
    }

    #[test]
    fn identity_must_differ_and_debug_hides_keys() {
        unsafe { std::env::set_var("SEARCHER_TEST_KEY_SAME", KEY) };
        let src = KeySource::Env { var: "SEARCHER_TEST_KEY_SAME".into() };
        assert!(matches!(Keys::load(&src, &src), Err(KeyError::SameKey(_))));

        let keys = Keys { trading: KEY.parse().unwrap(), identity: PrivateKeySigner::random() };
        let shown = format!("{keys:?}");
        assert!(!shown.contains(&KEY[2..]), "Debug must not print key material");
    }
}
