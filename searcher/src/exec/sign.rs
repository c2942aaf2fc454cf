//! Builds and signs the backrun: an EIP-1559 transaction to the executor, signed with the
//! trading key, returned as EIP-2718 bytes ready for a bundle.

use super::fees::Fees;
use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, Bytes, Signature, TxHash, TxKind, U256},
};

/// What to sign.
#[derive(Debug, Clone)]
pub struct BackrunRequest {
    /// Chain id.
    pub chain_id: u64,
    /// The executor.
    pub to: Address,
    /// Packed executor calldata.
    pub input: Bytes,
    /// Nonce from the nonce manager.
    pub nonce: u64,
    /// Gas limit (simulated gas plus headroom).
    pub gas_limit: u64,
    /// Fee fields.
    pub fees: Fees,
}

/// A signed backrun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBackrun {
    /// EIP-2718 encoding (what `eth_sendBundle` takes).
    pub raw: Bytes,
    /// Transaction hash.
    pub hash: TxHash,
    /// The signer.
    pub from: Address,
    /// Nonce used.
    pub nonce: u64,
}

/// Signing failed (the signer's error text; never key material).
#[derive(Debug, thiserror::Error)]
#[error("signing the backrun failed: {0}")]
pub struct SignError(String);

impl BackrunRequest {
    /// The unsigned transaction. The hot path simulates exactly this value and then signs it,
    /// so what is signed is what was simulated, and signing happens once.
    pub fn transaction(&self) -> TxEip1559 {
        TxEip1559 {
            chain_id: self.chain_id,
            nonce: self.nonce,
            gas_limit: self.gas_limit,
            max_fee_per_gas: self.fees.max_fee_per_gas,
            max_priority_fee_per_gas: self.fees.max_priority_fee_per_gas,
            to: TxKind::Call(self.to),
            value: U256::ZERO,
            access_list: Default::default(),
            input: self.input.clone(),
        }
    }
}

/// Signs a backrun with the trading key.
pub fn sign_backrun(
    signer: &impl TxSignerSync<Signature>,
    req: &BackrunRequest,
) -> Result<SignedBackrun, SignError> {
    sign_transaction(signer, req.transaction())
}

/// Signs an unsigned backrun transaction (see [`BackrunRequest::transaction`]). The hot path
/// passes a [`alloy_signer_local::Secp256k1Signer`] (libsecp256k1); any local signer gives the
/// same deterministic (RFC 6979) signature.
pub fn sign_transaction(
    signer: &impl TxSignerSync<Signature>,
    mut tx: TxEip1559,
) -> Result<SignedBackrun, SignError> {
    let nonce = tx.nonce;
    let signature = signer.sign_transaction_sync(&mut tx).map_err(|e| SignError(e.to_string()))?;
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    Ok(SignedBackrun {
        raw: envelope.encoded_2718().into(),
        hash: *envelope.tx_hash(),
        from: TxSignerSync::address(signer),
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{
        consensus::transaction::SignerRecoverable, eips::eip2718::Decodable2718,
        signers::local::PrivateKeySigner,
    };

    fn request(chain_id: u64, nonce: u64, input: &'static [u8], fees: Fees) -> BackrunRequest {
        BackrunRequest {
            chain_id,
            to: Address::repeat_byte(0xee),
            input: Bytes::from_static(input),
            nonce,
            gas_limit: 150_000,
            fees,
        }
    }

    #[test]
    fn signed_backrun_decodes_and_recovers_the_signer() {
        let signer = PrivateKeySigner::random();
        let req = request(31337, 7, &[1, 2, 3], Fees::with_base_fee(1_000_000_000, 2));
        let signed = sign_backrun(&signer, &req).unwrap();
        let decoded = TxEnvelope::decode_2718(&mut signed.raw.as_ref()).unwrap();
        assert_eq!(*decoded.tx_hash(), signed.hash);
        assert_eq!(decoded.recover_signer().unwrap(), signer.address());
        let TxEnvelope::Eip1559(tx) = decoded else { panic!("not 1559") };
        assert_eq!(tx.tx().nonce, 7);
        assert_eq!(tx.tx().max_fee_per_gas, 1_000_000_002);
        assert_eq!(tx.tx().input.as_ref(), &[1, 2, 3]);
    }

    #[test]
    fn the_unsigned_transaction_simulates_as_the_signed_one_executes() {
        use crate::state::tx_env;
        use alloy::consensus::transaction::Recovered;
        let signer = PrivateKeySigner::random();
        let req = request(1, 3, &[9, 0, 9], Fees::with_base_fee(7_000_000_000, 1_500_000_000));
        let simulated = tx_env(&Recovered::new_unchecked(req.transaction(), signer.address()));
        let signed = sign_backrun(&signer, &req).unwrap();
        let decoded = TxEnvelope::decode_2718(&mut signed.raw.as_ref()).unwrap();
        let from = decoded.recover_signer().unwrap();
        let executed = tx_env(&Recovered::new_unchecked(decoded, from));
        assert_eq!(simulated, executed);
    }

    #[test]
    fn libsecp256k1_and_k256_sign_identically() {
        let k256 = PrivateKeySigner::random();
        let fast = k256.to_secp256k1();
        let req = request(1, 11, &[4, 5, 6], Fees::with_base_fee(3_000_000_000, 1));
        assert_eq!(sign_backrun(&k256, &req).unwrap(), sign_backrun(&fast, &req).unwrap());
    }
}
