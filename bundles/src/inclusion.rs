//! After the target block: did the bundle land, who built the block, what did we pay.
//!
//! The verdict comes from the chain only (the Flashbots stats APIs answer 403): our backrun's
//! presence in the target block and its receipt. Builders are named from the block's fee
//! recipient and `extraData` through a [`BuilderTable`]. Realised profit needs the executor's
//! address and is left to the caller; gas used, effective gas price, priority fee paid and the
//! coinbase transfer (when the caller knows it from simulation) are here.

use crate::bundle::Bundle;
use alloy::{
    eips::BlockNumberOrTag,
    network::primitives::BlockTransactionsKind,
    primitives::{Address, B256, TxHash, U256},
    providers::Provider,
    rpc::types::{Block, TransactionReceipt},
    transports::TransportError,
};
use serde::{Deserialize, Serialize};

/// Reading the chain failed, or the node's answers are inconsistent.
#[derive(Debug, thiserror::Error)]
pub enum InclusionError {
    /// RPC failure.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The block passed in is not the query's target block.
    #[error("block {got} is not the target block {expected}")]
    WrongBlock {
        /// Target block of the query.
        expected: u64,
        /// Number of the block passed in.
        got: u64,
    },
    /// A transaction is in the block but the node has no receipt for it.
    #[error("no receipt for {0}, which is in the block")]
    MissingReceipt(TxHash),
    /// A receipt names a block the node does not return.
    #[error("block {0} named by a receipt is unavailable")]
    MissingBlock(u64),
}

impl InclusionError {
    /// Whether asking again later may succeed (RPC hiccup, node catching up).
    pub const fn is_retryable(&self) -> bool {
        !matches!(self, Self::WrongBlock { .. })
    }
}

/// One mapping rule: a fee recipient or an `extraData` substring names a builder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BuilderRule {
    /// Builder name to report.
    pub name: String,
    /// Matches blocks with this fee recipient (`miner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_recipient: Option<Address>,
    /// Matches blocks whose `extraData`, read as text, contains this (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_data: Option<String>,
}

/// Well-known mainnet `extraData` markers, checked after configured rules.
pub const WELL_KNOWN_EXTRA_DATA: &[(&str, &str)] = &[
    ("beaverbuild.org", "beaverbuild"),
    ("Titan (titanbuilder.xyz)", "titan"),
    ("titanbuilder", "titan"),
    ("rsync-builder.xyz", "rsync"),
    ("BuilderNet (Flashbots)", "buildernet"),
    ("BuilderNet", "buildernet"),
    ("Illuminate Dmocratize Dstribute", "flashbots"),
    ("bloXroute", "bloxroute"),
];

/// Names the builder of a block. Fee-recipient rules win over `extraData` rules; configured
/// rules come before the well-known defaults; with no match the name is the `extraData` as
/// text when it is printable ASCII, else its hex, else (empty) the fee recipient.
///
/// Deserialises from a list of [`BuilderRule`]s (the defaults are appended).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "Vec<BuilderRule>")]
pub struct BuilderTable {
    rules: Vec<BuilderRule>,
}

impl Default for BuilderTable {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl From<Vec<BuilderRule>> for BuilderTable {
    fn from(rules: Vec<BuilderRule>) -> Self {
        Self::new(rules)
    }
}

impl BuilderTable {
    /// `rules` followed by the [`WELL_KNOWN_EXTRA_DATA`] defaults.
    pub fn new(mut rules: Vec<BuilderRule>) -> Self {
        rules.extend(WELL_KNOWN_EXTRA_DATA.iter().map(|(marker, name)| BuilderRule {
            name: (*name).to_owned(),
            fee_recipient: None,
            extra_data: Some((*marker).to_owned()),
        }));
        Self { rules }
    }

    /// The rules in matching order.
    pub fn rules(&self) -> &[BuilderRule] {
        &self.rules
    }

    /// `name` as a metric label: a name the rules give, else `other` (so a builder writing
    /// arbitrary `extraData` cannot grow a metric's label set without bound).
    pub fn metric_label(&self, name: &str) -> String {
        if self.rules.iter().any(|r| r.name == name) { name.to_owned() } else { "other".to_owned() }
    }

    /// The builder name for a block with this fee recipient and `extraData`.
    pub fn name(&self, fee_recipient: Address, extra_data: &[u8]) -> String {
        if let Some(rule) = self.rules.iter().find(|r| r.fee_recipient == Some(fee_recipient)) {
            return rule.name.clone();
        }
        let text = String::from_utf8_lossy(extra_data).to_lowercase();
        if let Some(rule) = self.rules.iter().find(|r| {
            r.extra_data.as_ref().is_some_and(|m| !m.is_empty() && text.contains(&m.to_lowercase()))
        }) {
            return rule.name.clone();
        }
        if extra_data.is_empty() {
            fee_recipient.to_string()
        } else if extra_data.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            String::from_utf8_lossy(extra_data).trim().to_owned()
        } else {
            alloy::primitives::hex::encode_prefixed(extra_data)
        }
    }

    /// The builder name of `block`.
    pub fn name_block<T>(&self, block: &Block<T>) -> String {
        self.name(block.header.beneficiary, &block.header.extra_data)
    }
}

/// What to look for: our transaction and the victims it backruns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionQuery {
    /// Our bundle hash (for the caller's bookkeeping).
    pub bundle_hash: B256,
    /// The block the bundle targeted.
    pub target_block: u64,
    /// Our transaction (the backrun) whose receipt decides landing.
    pub our_tx: TxHash,
    /// The transactions we backrun.
    pub victims: Vec<TxHash>,
    /// Coinbase transfer our transaction makes (from simulation), if any.
    pub coinbase_transfer: Option<U256>,
}

impl InclusionQuery {
    /// For a `[victims.., backrun]` bundle: our transaction is the last one.
    pub fn for_bundle(bundle: &Bundle) -> Self {
        let hashes = bundle.tx_hashes();
        let (our_tx, victims) = hashes.split_last().map_or((B256::ZERO, &[][..]), |(l, v)| (*l, v));
        Self {
            bundle_hash: bundle.hash(),
            target_block: bundle.target_block,
            our_tx,
            victims: victims.to_vec(),
            coinbase_transfer: None,
        }
    }

    /// Sets the coinbase transfer known from simulation.
    pub const fn with_coinbase_transfer(mut self, value: U256) -> Self {
        self.coinbase_transfer = Some(value);
        self
    }
}

/// Our transaction on chain: where, built by whom, and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandedTx {
    /// Block number.
    pub block: u64,
    /// Builder name from the [`BuilderTable`].
    pub builder: String,
    /// The block's fee recipient.
    pub fee_recipient: Address,
    /// Position in the block.
    pub tx_index: Option<u64>,
    /// Whether our transaction follows the last victim directly.
    pub right_after_victim: bool,
    /// Receipt status (a reverted backrun still pays gas).
    pub success: bool,
    /// Gas used.
    pub gas_used: u64,
    /// Effective gas price paid, wei per gas.
    pub effective_gas_price: u128,
    /// The block's base fee, wei per gas.
    pub base_fee: Option<u64>,
    /// Priority fee paid to the builder: `gas_used * (effective_gas_price - base_fee)`.
    pub priority_fee_paid: U256,
    /// Coinbase transfer, when the query carried one.
    pub coinbase_transfer: Option<U256>,
}

impl LandedTx {
    /// Total bid paid to the builder: priority fee plus coinbase transfer.
    pub fn bid_paid(&self) -> U256 {
        self.priority_fee_paid + self.coinbase_transfer.unwrap_or_default()
    }

    /// Gas fee burnt and paid: `gas_used * effective_gas_price`.
    pub fn gas_cost(&self) -> U256 {
        U256::from(self.gas_used) * U256::from(self.effective_gas_price)
    }
}

/// The verdict for one bundle after its target block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InclusionStatus {
    /// Our transaction is in the target block.
    Landed(LandedTx),
    /// Our transaction is on chain, but in another block.
    LandedInOtherBlock(LandedTx),
    /// A victim is on chain without our transaction.
    VictimLandedWithoutUs {
        /// Block the victim landed in.
        block: u64,
        /// Builder of that block.
        builder: String,
    },
    /// Neither our transaction nor a victim is on chain.
    NotLanded,
}

impl InclusionStatus {
    /// Stable label for metrics and the store.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::Landed(_) => "landed",
            Self::LandedInOtherBlock(_) => "landed_in_other_block",
            Self::VictimLandedWithoutUs { .. } => "victim_landed_without_us",
            Self::NotLanded => "not_landed",
        }
    }

    /// Builder of the block the verdict is about, if any.
    pub fn builder(&self) -> Option<&str> {
        match self {
            Self::Landed(tx) | Self::LandedInOtherBlock(tx) => Some(&tx.builder),
            Self::VictimLandedWithoutUs { builder, .. } => Some(builder),
            Self::NotLanded => None,
        }
    }

    /// Our transaction, when it is on chain.
    pub const fn landed(&self) -> Option<&LandedTx> {
        match self {
            Self::Landed(tx) | Self::LandedInOtherBlock(tx) => Some(tx),
            _ => None,
        }
    }
}

/// Classifies `query` against its target `block` (full transactions or hashes), reading
/// receipts (and, for other blocks, headers) through `provider`.
pub async fn classify_inclusion<P: Provider>(
    provider: &P,
    block: &Block,
    query: &InclusionQuery,
    builders: &BuilderTable,
) -> Result<InclusionStatus, InclusionError> {
    let number = block.header.number;
    if number != query.target_block {
        return Err(InclusionError::WrongBlock { expected: query.target_block, got: number });
    }
    let hashes: Vec<TxHash> = block.transactions.hashes().collect();
    let status = if hashes.contains(&query.our_tx) {
        let receipt = provider
            .get_transaction_receipt(query.our_tx)
            .await?
            .ok_or(InclusionError::MissingReceipt(query.our_tx))?;
        InclusionStatus::Landed(landed(block, &hashes, &receipt, query, builders))
    } else if let Some((receipt, other)) = on_chain_elsewhere(provider, query.our_tx).await? {
        let other_hashes: Vec<TxHash> = other.transactions.hashes().collect();
        InclusionStatus::LandedInOtherBlock(landed(
            &other,
            &other_hashes,
            &receipt,
            query,
            builders,
        ))
    } else if query.victims.iter().any(|v| hashes.contains(v)) {
        InclusionStatus::VictimLandedWithoutUs {
            block: number,
            builder: builders.name_block(block),
        }
    } else {
        let mut status = InclusionStatus::NotLanded;
        for victim in &query.victims {
            if let Some((_, other)) = on_chain_elsewhere(provider, *victim).await? {
                status = InclusionStatus::VictimLandedWithoutUs {
                    block: other.header.number,
                    builder: builders.name_block(&other),
                };
                break;
            }
        }
        status
    };
    crate::metrics::record_inclusion(&status, builders);
    Ok(status)
}

/// The receipt of `tx` and the header-only block it is in, if it is mined.
async fn on_chain_elsewhere<P: Provider>(
    provider: &P,
    tx: TxHash,
) -> Result<Option<(TransactionReceipt, Block)>, InclusionError> {
    let Some(receipt) = provider.get_transaction_receipt(tx).await? else { return Ok(None) };
    let Some(number) = receipt.block_number else { return Ok(None) };
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .kind(BlockTransactionsKind::Hashes)
        .await?
        .ok_or(InclusionError::MissingBlock(number))?;
    Ok(Some((receipt, block)))
}

fn landed(
    block: &Block,
    hashes: &[TxHash],
    receipt: &TransactionReceipt,
    query: &InclusionQuery,
    builders: &BuilderTable,
) -> LandedTx {
    let base_fee = block.header.base_fee_per_gas;
    let priority =
        receipt.effective_gas_price.saturating_sub(u128::from(base_fee.unwrap_or_default()));
    let position = hashes.iter().position(|h| *h == query.our_tx);
    let right_after_victim = match (position, query.victims.last()) {
        (Some(i), Some(victim)) => i > 0 && hashes[i - 1] == *victim,
        _ => false,
    };
    LandedTx {
        block: block.header.number,
        builder: builders.name_block(block),
        fee_recipient: block.header.beneficiary,
        tx_index: receipt.transaction_index,
        right_after_victim,
        success: receipt.status(),
        gas_used: receipt.gas_used,
        effective_gas_price: receipt.effective_gas_price,
        base_fee,
        priority_fee_paid: U256::from(receipt.gas_used) * U256::from(priority),
        coinbase_transfer: query.coinbase_transfer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    #[test]
    fn builder_names() {
        let ours = address!("0x1111111111111111111111111111111111111111");
        let table = BuilderTable::new(vec![
            BuilderRule { name: "devnet-a".into(), fee_recipient: Some(ours), extra_data: None },
            BuilderRule {
                name: "custom".into(),
                fee_recipient: None,
                extra_data: Some("my builder".into()),
            },
        ]);
        let other = Address::repeat_byte(0x22);
        // Fee recipient beats extraData.
        assert_eq!(table.name(ours, b"beaverbuild.org"), "devnet-a");
        assert_eq!(table.name(other, b"beaverbuild.org"), "beaverbuild");
        assert_eq!(table.name(other, b"Titan (titanbuilder.xyz)"), "titan");
        assert_eq!(table.name(other, b"rsync-builder.xyz"), "rsync");
        assert_eq!(table.name(other, b"BuilderNet (Flashbots)"), "buildernet");
        assert_eq!(table.name(other, b"BuilderNet (Nethermind)"), "buildernet");
        assert_eq!(table.name(other, b"This is MY BUILDER"), "custom");
        // Fallbacks: printable ASCII, hex, fee recipient.
        assert_eq!(table.name(other, b"geth/v1.14 "), "geth/v1.14");
        assert_eq!(table.name(other, &[0xd8, 0x83, 0x01]), "0xd88301");
        assert_eq!(table.name(other, b""), other.to_string());
    }

    #[test]
    fn table_from_toml_keeps_defaults_after_rules() {
        #[derive(Deserialize)]
        struct File {
            builders: BuilderTable,
        }
        let file: File = toml::from_str(
            r#"
            [[builders]]
            name = "devnet-b"
            fee-recipient = "0x2222222222222222222222222222222222222222"
            "#,
        )
        .unwrap();
        let table = file.builders;
        assert_eq!(table.rules()[0].name, "devnet-b");
        assert_eq!(table.rules().len(), 1 + WELL_KNOWN_EXTRA_DATA.len());
    }

    #[test]
    fn query_for_bundle_takes_last_tx_as_ours() {
        use alloy::primitives::Bytes;
        let bundle = Bundle::new(
            vec![Bytes::from_static(&[1]), Bytes::from_static(&[2]), Bytes::from_static(&[3])],
            5,
        )
        .unwrap();
        let query = InclusionQuery::for_bundle(&bundle);
        assert_eq!(query.our_tx, bundle.tx_hashes()[2]);
        assert_eq!(query.victims, bundle.tx_hashes()[..2]);
        assert_eq!(query.target_block, 5);
    }
}
