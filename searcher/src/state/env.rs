//! The EVM environment of the block after the head: chain rules ([`ChainConfig`]), the head's
//! header fields the next block derives from ([`HeadInfo`]), and conversions from alloy
//! transactions to revm's [`TxEnv`].

use super::error::{Result, StateError};
use alloy::{
    consensus::{Transaction, transaction::Recovered},
    eips::{Typed2718, eip1559::BaseFeeParams, eip7840::BlobParams},
    primitives::{Address, B256, U256},
};
use revm::{
    context::{BlockEnv, CfgEnv, TxEnv, either::Either},
    context_interface::block::BlobExcessGasAndPrice,
    primitives::hardfork::SpecId,
};

/// Seconds between Ethereum slots.
pub const DEFAULT_SLOT_SECONDS: u64 = 12;

/// The chain rules the EVM runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The hardfork whose rules apply (anvil 1.7 runs the latest, Osaka-era rules).
    pub spec: SpecId,
    /// Seconds between blocks: the next block's timestamp is the head's plus this.
    pub slot_seconds: u64,
    /// EIP-1559 parameters for the next block's base fee.
    pub base_fee_params: BaseFeeParams,
    /// Blob fee parameters for the next block's blob base fee.
    pub blob_params: BlobParams,
}

impl ChainConfig {
    /// Ethereum rules (Osaka, 12 s slots, EIP-1559 and BPO1 blob parameters) on `chain_id`.
    pub const fn ethereum(chain_id: u64) -> Self {
        Self {
            chain_id,
            spec: SpecId::OSAKA,
            slot_seconds: DEFAULT_SLOT_SECONDS,
            base_fee_params: BaseFeeParams::ethereum(),
            blob_params: BlobParams::bpo1(),
        }
    }

    /// The revm configuration for simulating pending transactions.
    ///
    /// The nonce check is off: a pending transaction may sit behind another of its sender's
    /// pending transactions, and the exec stage owns our own nonces. Balance, fee and gas
    /// checks stay on, so a transaction that cannot pay fails here as it would on chain.
    pub fn cfg_env(&self) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(self.spec);
        cfg.chain_id = self.chain_id;
        cfg.disable_nonce_check = true;
        cfg
    }
}

/// The fields of a head block header that the next block's environment derives from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadInfo {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp (seconds).
    pub timestamp: u64,
    /// Base fee per gas (wei).
    pub base_fee: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Fee recipient.
    pub beneficiary: Address,
    /// `mixHash` (the beacon chain's randomness after the merge).
    pub mix_hash: B256,
    /// Excess blob gas (Cancun and later).
    pub excess_blob_gas: Option<u64>,
    /// Blob gas used (Cancun and later).
    pub blob_gas_used: Option<u64>,
}

impl HeadInfo {
    /// Reads the fields from an RPC header.
    pub fn from_header(header: &alloy::rpc::types::Header) -> Result<Self> {
        let inner = &header.inner;
        Ok(Self {
            number: inner.number,
            hash: header.hash,
            parent_hash: inner.parent_hash,
            timestamp: inner.timestamp,
            base_fee: inner.base_fee_per_gas.ok_or(StateError::MissingHeaderField {
                number: inner.number,
                field: "baseFeePerGas",
            })?,
            gas_limit: inner.gas_limit,
            gas_used: inner.gas_used,
            beneficiary: inner.beneficiary,
            mix_hash: inner.mix_hash,
            excess_blob_gas: inner.excess_blob_gas,
            blob_gas_used: inner.blob_gas_used,
        })
    }

    /// The next block's base fee under `params`.
    pub fn next_base_fee(&self, params: BaseFeeParams) -> u64 {
        alloy::eips::eip1559::calc_next_block_base_fee(
            self.gas_used,
            self.gas_limit,
            self.base_fee,
            params,
        )
    }

    /// The environment of the block after this one.
    ///
    /// Number + 1, timestamp + the slot time, the next base fee and blob base fee, the same
    /// gas limit, and `beneficiary` as the coinbase (the head's own fee recipient when `None`:
    /// the likeliest builder when nothing better is known).
    pub fn next_block_env(&self, chain: &ChainConfig, beneficiary: Option<Address>) -> BlockEnv {
        let blob = self.excess_blob_gas.map(|excess| {
            let next_excess = chain.blob_params.next_block_excess_blob_gas_osaka(
                excess,
                self.blob_gas_used.unwrap_or_default(),
                self.base_fee,
            );
            BlobExcessGasAndPrice::new(next_excess, chain.blob_params.update_fraction as u64)
        });
        BlockEnv {
            number: U256::from(self.number + 1),
            beneficiary: beneficiary.unwrap_or(self.beneficiary),
            timestamp: U256::from(self.timestamp + chain.slot_seconds),
            gas_limit: self.gas_limit,
            basefee: self.next_base_fee(chain.base_fee_params),
            difficulty: U256::ZERO,
            prevrandao: Some(self.mix_hash),
            blob_excess_gas_and_price: blob,
            slot_num: 0,
        }
    }
}

/// revm's transaction environment for a signed, sender-recovered transaction.
pub fn tx_env<T: Transaction + Typed2718>(tx: &Recovered<T>) -> TxEnv {
    let signer = tx.signer();
    let tx = tx.inner();
    TxEnv {
        tx_type: tx.ty(),
        caller: signer,
        gas_limit: tx.gas_limit(),
        // The legacy gas price, or the EIP-1559 fee cap.
        gas_price: tx.max_fee_per_gas(),
        kind: tx.kind(),
        value: tx.value(),
        data: tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        access_list: tx.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: tx.max_priority_fee_per_gas(),
        blob_hashes: tx.blob_versioned_hashes().map(<[B256]>::to_vec).unwrap_or_default(),
        max_fee_per_blob_gas: tx.max_fee_per_blob_gas().unwrap_or_default(),
        authorization_list: tx
            .authorization_list()
            .map(|list| list.iter().cloned().map(Either::Left).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{
        consensus::{Signed, TxEip1559, TxEnvelope, TxLegacy},
        primitives::{Bytes, Signature, TxKind},
    };

    fn head() -> HeadInfo {
        HeadInfo {
            number: 100,
            hash: B256::repeat_byte(1),
            parent_hash: B256::repeat_byte(2),
            timestamp: 1_000,
            base_fee: 1_000_000_000,
            gas_limit: 30_000_000,
            gas_used: 30_000_000,
            beneficiary: Address::repeat_byte(0xbb),
            mix_hash: B256::repeat_byte(3),
            excess_blob_gas: Some(0),
            blob_gas_used: Some(0),
        }
    }

    #[test]
    fn next_block_is_one_slot_later_with_the_next_base_fee() {
        let chain = ChainConfig::ethereum(1);
        let block = head().next_block_env(&chain, None);
        assert_eq!(block.number, U256::from(101));
        assert_eq!(block.timestamp, U256::from(1_012));
        // A full block raises the base fee by 1/8.
        assert_eq!(block.basefee, 1_125_000_000);
        assert_eq!(block.beneficiary, Address::repeat_byte(0xbb));
        assert_eq!(block.prevrandao, Some(B256::repeat_byte(3)));
        let builder = Address::repeat_byte(0xcc);
        assert_eq!(head().next_block_env(&chain, Some(builder)).beneficiary, builder);
    }

    #[test]
    fn tx_env_carries_every_field_revm_checks() {
        let to = Address::repeat_byte(7);
        let tx = TxEip1559 {
            chain_id: 31337,
            nonce: 5,
            gas_limit: 200_000,
            max_fee_per_gas: 30,
            max_priority_fee_per_gas: 2,
            to: TxKind::Call(to),
            value: U256::from(9),
            access_list: Default::default(),
            input: Bytes::from_static(&[1, 2, 3]),
        };
        let signed = Signed::new_unchecked(tx, Signature::test_signature(), B256::ZERO);
        let sender = Address::repeat_byte(8);
        let env = tx_env(&Recovered::new_unchecked(TxEnvelope::Eip1559(signed), sender));
        assert_eq!((env.tx_type, env.caller, env.nonce, env.gas_limit), (2, sender, 5, 200_000));
        assert_eq!((env.gas_price, env.gas_priority_fee), (30, Some(2)));
        assert_eq!(
            (env.kind, env.value, env.chain_id),
            (TxKind::Call(to), U256::from(9), Some(31337))
        );
        assert_eq!(env.data, Bytes::from_static(&[1, 2, 3]));

        let legacy = TxLegacy {
            gas_price: 11,
            gas_limit: 21_000,
            to: TxKind::Call(to),
            ..Default::default()
        };
        let signed = Signed::new_unchecked(legacy, Signature::test_signature(), B256::ZERO);
        let env = tx_env(&Recovered::new_unchecked(TxEnvelope::Legacy(signed), sender));
        assert_eq!((env.tx_type, env.gas_price, env.gas_priority_fee), (0, 11, None));
    }
}
