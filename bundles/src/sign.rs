//! `X-Flashbots-Signature`: signing request bodies with the identity key and verifying them.
//!
//! Thin wrappers over alloy's `sign_flashbots_payload` / `verify_flashbots_signature`: the
//! header is `<checksummed address>:0x<r||s||v>` over the EIP-191 personal message
//! `"0x" + hex(keccak256(body))`. The identity key only carries reputation and refunds; it
//! must not be the trading key and should hold no funds. This crate never loads keys: the
//! caller passes a signer in.

use alloy::{
    primitives::Address,
    providers::ext::{FlashbotsSignatureError, sign_flashbots_payload, verify_flashbots_signature},
    signers::local::PrivateKeySigner,
};

pub use alloy::providers::ext::FLASHBOTS_SIGNATURE_HEADER;

/// Signing or verification failed.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The signer failed.
    #[error("signing the request body failed: {0}")]
    Sign(#[from] alloy::signers::Error),
    /// The body is not UTF-8 (JSON bodies always are).
    #[error("request body is not UTF-8")]
    NotUtf8,
    /// The header is malformed or does not match the body.
    #[error("bad X-Flashbots-Signature: {0}")]
    Verify(#[from] FlashbotsSignatureError),
}

/// Returns the `X-Flashbots-Signature` header value for `body`, signed by `identity`.
pub async fn sign_body(identity: &PrivateKeySigner, body: &[u8]) -> Result<String, SignatureError> {
    let body = std::str::from_utf8(body).map_err(|_| SignatureError::NotUtf8)?;
    Ok(sign_flashbots_payload(body.to_owned(), identity).await?)
}

/// [`sign_body`] without an async context: a local key signs synchronously, so the future
/// completes on its first poll.
pub fn sign_body_sync(identity: &PrivateKeySigner, body: &[u8]) -> Result<String, SignatureError> {
    futures::executor::block_on(sign_body(identity, body))
}

/// Verifies an `X-Flashbots-Signature` header against the exact body bytes received and
/// returns the signer's address (v = 0/1 and 27/28 are both accepted).
pub fn verify_signature(header: &str, body: &[u8]) -> Result<Address, SignatureError> {
    Ok(verify_flashbots_signature(header.trim(), body)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256, keccak256};

    /// The vector from `shared/protocols.md`.
    const BODY: &str = "sign this message";
    const HEADER: &str = "0xd5F5175D014F28c85F7D67A111C2c9335D7CD771:0x983dc7c520db0d287faff3cd0aef81d5a7f4ffd3473440d3f705da16299724271f660b6fe367f455b205bc014eff3e20defd011f92000f94d39365ca0bc7867200";

    fn vector_key() -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&b256!(
            "0x0000000000000000000000000000000000000000000000000000000000123456"
        ))
        .unwrap()
    }

    #[test]
    fn signature_test_vector() {
        assert_eq!(
            keccak256(BODY),
            b256!("0x6b45b4a85df800a894cc3cd497112196b811951b996b3715d7ed357559c9fb75")
        );
        assert_eq!(sign_body_sync(&vector_key(), BODY.as_bytes()).unwrap(), HEADER);
    }

    #[tokio::test]
    async fn async_and_sync_signing_agree() {
        assert_eq!(sign_body(&vector_key(), BODY.as_bytes()).await.unwrap(), HEADER);
    }

    #[test]
    fn verify_accepts_vector_with_v_0_and_27() {
        let who = address!("0xd5F5175D014F28c85F7D67A111C2c9335D7CD771");
        assert_eq!(verify_signature(HEADER, BODY.as_bytes()).unwrap(), who);
        let v27 = format!("{}1b", &HEADER[..HEADER.len() - 2]);
        assert_eq!(verify_signature(&v27, BODY.as_bytes()).unwrap(), who);
    }

    #[test]
    fn verify_rejects_tampering() {
        assert!(verify_signature(HEADER, b"sign this messagE").is_err());
        assert!(verify_signature("garbage", BODY.as_bytes()).is_err());
        let other = PrivateKeySigner::random().address();
        let forged = format!("{other}:{}", HEADER.split_once(':').unwrap().1);
        assert!(matches!(
            verify_signature(&forged, BODY.as_bytes()),
            Err(SignatureError::Verify(FlashbotsSignatureError::SignatureMismatch { .. }))
        ));
    }
}
