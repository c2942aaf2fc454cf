//! The demo's traffic generator: victim swaps from the funded traders through the real
//! routers (Router02 on both V2 DEXes, SwapRouter on V3), some large enough to open a
//! profitable cross-DEX gap and some too small to cover a backrun's costs.
//!
//! With a MEV-Share matchmaker ([`Traffic::send_mixed`]), a share of the victims is sent
//! privately instead (`eth_sendPrivateTransaction`, never in anvil's mempool) with a mix of
//! privacy settings: 70% the default hints (amounts hidden), 10% full logs, 10% calldata,
//! 10% the hash only.

use super::{Devnet, Role, deploy::FUNDED_TRADERS, relay::DevMatchmaker};
use crate::abi::{ISwapRouter, IUniswapV2Router02};
use alloy::{
    consensus::TxEnvelope,
    eips::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, TxHash, U256, aliases::U24, aliases::U160},
    providers::Provider,
    rpc::types::mev::PrivacyHint,
};

const ETHER: u128 = 1_000_000_000_000_000_000;

/// How big a victim is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VictimSize {
    /// Moves the price far enough that a backrun pays (5 to 40 WETH).
    Large,
    /// Too small for a backrun to cover gas (0.001 to 0.05 WETH).
    Small,
}

/// A victim swap sent to the mempool.
#[derive(Debug, Clone)]
pub struct Victim {
    /// Its hash.
    pub hash: TxHash,
    /// Which DEX it went through.
    pub dex: &'static str,
    /// The trader.
    pub from: Address,
    /// Intended size class.
    pub size: VictimSize,
    /// Human-readable, e.g. `12.5 WETH -> TKA on sushiswap`.
    pub description: String,
    /// Sent privately to the matchmaker, with this privacy (`None`: to the public mempool).
    pub private: Option<PrivateHints>,
}

/// What a privately sent victim lets its hint reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateHints {
    /// No preference: the default hints (swap logs with the amounts removed).
    Default,
    /// Every log with its data.
    FullLogs,
    /// Calldata, function selector and contract address.
    Calldata,
    /// The hash only.
    HashOnly,
}

impl PrivateHints {
    /// The `privacy.hints` of `eth_sendPrivateTransaction` (`None`: the default).
    pub fn privacy_hint(self) -> Option<PrivacyHint> {
        match self {
            Self::Default => None,
            Self::FullLogs => Some(PrivacyHint::default().with_hash().with_logs()),
            Self::Calldata => Some(
                PrivacyHint::default()
                    .with_hash()
                    .with_calldata()
                    .with_function_selector()
                    .with_contract_address(),
            ),
            Self::HashOnly => Some(PrivacyHint::default().with_hash()),
        }
    }
}

/// A seeded generator (xorshift; reproducible runs, no floating point in amounts).
#[derive(Debug, Clone)]
pub struct Traffic {
    state: u64,
    /// Share of large victims, in percent.
    pub large_percent: u64,
}

impl Traffic {
    /// A generator with `seed`; `large_percent` of victims are large.
    pub fn new(seed: u64, large_percent: u64) -> Self {
        Self { state: seed | 1, large_percent: large_percent.min(100) }
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Sends `n` victims (at most one per funded trader) to the public mempool and returns
    /// them.
    pub async fn send(&mut self, devnet: &Devnet, n: usize) -> eyre::Result<Vec<Victim>> {
        self.send_mixed(devnet, n, None).await
    }

    /// Sends `n` victims (at most one per funded trader); with `private = Some((matchmaker,
    /// percent))`, that share of them goes to the matchmaker instead of the mempool. A
    /// trader's private victim must land before the same trader is used again (its nonce is
    /// read from anvil, which does not see it).
    pub async fn send_mixed(
        &mut self,
        devnet: &Devnet,
        n: usize,
        private: Option<(&DevMatchmaker, u64)>,
    ) -> eyre::Result<Vec<Victim>> {
        let a = &devnet.addresses;
        let mut victims = Vec::new();
        let first = self.below(FUNDED_TRADERS as u64) as usize;
        for i in 0..n.min(FUNDED_TRADERS) {
            let trader = devnet.address(Role::Trader((first + i) % FUNDED_TRADERS));
            let size = if self.below(100) < self.large_percent {
                VictimSize::Large
            } else {
                VictimSize::Small
            };
            // Amounts in milli-WETH.
            let milli = match size {
                VictimSize::Large => 5_000 + self.below(35_000),
                VictimSize::Small => 1 + self.below(50),
            };
            let (symbol, price) =
                if self.below(2) == 0 { ("TKA", 2_000u128) } else { ("TKB", 1_000) };
            let token = a.token(symbol).ok_or_else(|| eyre::eyre!("{symbol} missing"))?;
            let sell_weth = self.below(2) == 0;
            let weth_amount = U256::from(milli) * U256::from(ETHER / 1000);
            let (token_in, token_out, amount_in) = if sell_weth {
                (a.weth, token, weth_amount)
            } else {
                (token, a.weth, weth_amount * U256::from(price))
            };
            let (sym_in, sym_out) = if sell_weth { ("WETH", symbol) } else { (symbol, "WETH") };
            let dex: &'static str = match self.below(3) {
                0 => "uniswap-v2",
                1 => "sushiswap",
                _ => "uniswap-v3",
            };
            let tx = if dex == "uniswap-v3" {
                let fee = if symbol == "TKA" { 3000u32 } else { 500 };
                let router = ISwapRouter::new(a.uniswap_v3.swap_router, devnet.provider());
                router
                    .exactInputSingle(ISwapRouter::ExactInputSingleParams {
                        tokenIn: token_in,
                        tokenOut: token_out,
                        fee: U24::from(fee),
                        recipient: trader,
                        deadline: U256::MAX,
                        amountIn: amount_in,
                        amountOutMinimum: U256::ZERO,
                        sqrtPriceLimitX96: U160::ZERO,
                    })
                    .from(trader)
                    .into_transaction_request()
            } else {
                let router_address =
                    a.v2_dex(dex).ok_or_else(|| eyre::eyre!("{dex} missing"))?.router;
                let router = IUniswapV2Router02::new(router_address, devnet.provider());
                router
                    .swapExactTokensForTokens(
                        amount_in,
                        U256::ZERO,
                        vec![token_in, token_out],
                        trader,
                        U256::MAX,
                    )
                    .from(trader)
                    .into_transaction_request()
            };
            let tx = tx.with_gas_limit(500_000);
            let hints = match private {
                Some((_, percent)) if self.below(100) < percent => Some(match self.below(10) {
                    0 => PrivateHints::FullLogs,
                    1 => PrivateHints::Calldata,
                    2 => PrivateHints::HashOnly,
                    _ => PrivateHints::Default,
                }),
                _ => None,
            };
            let hash = match (private, hints) {
                (Some((matchmaker, _)), Some(hints)) => {
                    let signer = devnet.signer(Role::Trader((first + i) % FUNDED_TRADERS));
                    let nonce = devnet.provider().get_transaction_count(trader).pending().await?;
                    let tx = tx
                        .with_nonce(nonce)
                        .with_chain_id(devnet.chain_id())
                        .with_max_fee_per_gas(100_000_000_000)
                        .with_max_priority_fee_per_gas(1_000_000_000);
                    let envelope: TxEnvelope = tx.build(&EthereumWallet::new(signer)).await?;
                    let raw = envelope.encoded_2718().into();
                    matchmaker.send_private(raw, hints.privacy_hint()).await?
                }
                _ => *devnet.provider().send_transaction(tx).await?.tx_hash(),
            };
            let whole = milli / 1000;
            let frac = milli % 1000;
            victims.push(Victim {
                hash,
                private: hints,
                dex,
                from: trader,
                size,
                description: format!(
                    "{}{whole}.{frac:03} WETH-worth {sym_in} -> {sym_out} on {dex}",
                    if sell_weth { "" } else { "~" }
                ),
            });
        }
        Ok(victims)
    }
}
