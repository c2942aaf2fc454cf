#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod bundle;
pub mod config;
pub mod encode;
pub mod fanout;
pub mod inclusion;
pub mod metrics;
pub mod outcome;
pub mod ratelimit;
#[cfg(feature = "server")]
pub mod server;
pub mod sign;

pub use bundle::{Bundle, BundleError, Cancel, MevShareBackrun, Refund, new_replacement_uuid};
pub use config::{AuthConfig, RateLimitConfig, RelayConfig, RelayFlavour};
pub use encode::{BloxrouteSubmitBundle, CancelForm, EncodedRequest, JsonRpcRequest, RequestKind};
pub use fanout::{Fanout, FanoutError, Prepared, SubmissionRecord};
pub use inclusion::{
    BuilderRule, BuilderTable, InclusionError, InclusionQuery, InclusionStatus, LandedTx,
    classify_inclusion,
};
pub use outcome::{RelayOutcome, classify_answer};
pub use ratelimit::RateLimiter;
pub use sign::{
    FLASHBOTS_SIGNATURE_HEADER, SignatureError, sign_body, sign_body_sync, verify_signature,
};
