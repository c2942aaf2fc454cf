//! Market fixtures on the devnet: the market config of the devnet's factories, a universe of
//! many pools created fast ([`create_many_pools`]), hostile tokens and pools
//! ([`create_hostile_pools`]), and pool activity (swaps, mints, burns) to sync over.
//!
//! Speed: every transaction is signed with an explicit nonce, gas limit and fees (no
//! estimation or nonce round trips) and sent without waiting for its receipt; the chain
//! (`--no-mining`) then mines until the last one is in, and each mined block's receipts are
//! checked in one `eth_getBlockReceipts`.
//!
//! Hostile tokens are ordinary ERC20s whose code is then replaced (`anvil_setCode`) by a small
//! forwarder that delegates every call to a clean ERC20 implementation except one selector:
//! `transfer` reverts, or `decimals` returns an absurd value or reverts. Their storage, and so
//! their balances and the pools' reserves, is untouched.

use super::{Artifact, Devnet, DevnetAddresses, Role, UNISWAP_V2_PAIR_INIT_CODE_HASH};
use crate::abi::{ISwapRouter, IUniswapV2Router02};
use alloy::{
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{
        Address, B256, Bytes, TxHash, U256,
        aliases::{I24, U24, U160},
        keccak256,
    },
    providers::{Provider, ext::AnvilApi},
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolValue},
};
use eyre::{WrapErr, bail, eyre};
use searcher::{
    abi::{IERC20, IUniswapV2Factory, IUniswapV3Factory},
    market::{
        config::{FactoryConfig, FactoryKind, MarketConfig},
        math::v3::tick_math::get_tick_at_sqrt_ratio,
    },
};
use std::collections::HashSet;

use crate::abi::INonfungiblePositionManager as Npm;

const ETHER: u128 = 1_000_000_000_000_000_000;
const MAX_FEE: u128 = 100_000_000_000;
const PRIORITY_FEE: u128 = 1_000_000_000;
/// Supply of each fixture token (all held by the deployer).
const FIXTURE_SUPPLY: u128 = 1_000_000_000 * ETHER;

fn ether(n: u128) -> U256 {
    U256::from(n) * U256::from(ETHER)
}

/// The market config for the devnet: its three factories (both V2 sets at 0.3%, V3) from
/// block 0, WETH as the base token.
pub fn market_config(addresses: &DevnetAddresses) -> MarketConfig {
    let v2 = |d: &super::V2Dex| FactoryConfig {
        dex: d.name.clone(),
        kind: FactoryKind::UniswapV2 {
            fee_numerator: d.fee_numerator,
            fee_denominator: d.fee_denominator,
        },
        address: d.factory,
        start_block: 0,
    };
    MarketConfig {
        factories: vec![
            v2(&addresses.uniswap_v2),
            v2(&addresses.sushiswap),
            FactoryConfig {
                dex: addresses.uniswap_v3.name.clone(),
                kind: FactoryKind::UniswapV3,
                address: addresses.uniswap_v3.factory,
                start_block: 0,
            },
        ],
        base_tokens: vec![addresses.weth],
        ..MarketConfig::default()
    }
}

/// Sends transactions from one dev account with locally tracked nonces.
#[derive(Debug)]
pub struct TxBatch<'a> {
    devnet: &'a Devnet,
    from: Address,
    nonce: u64,
    chain_id: u64,
    /// The block gas limit: a wave of sends never asks for more gas than one block holds.
    block_gas: u64,
    /// Gas limits of the transactions sent since the last mined wave.
    wave_gas: u64,
    sent: Vec<TxHash>,
}

impl<'a> TxBatch<'a> {
    /// Starts at the account's pending nonce.
    pub async fn new(devnet: &'a Devnet, role: Role) -> eyre::Result<Self> {
        let from = devnet.address(role);
        let nonce = devnet.provider().get_transaction_count(from).pending().await?;
        let block_gas = devnet
            .provider()
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| eyre!("no latest block"))?
            .header
            .gas_limit;
        Ok(Self {
            devnet,
            from,
            nonce,
            chain_id: devnet.chain_id(),
            block_gas,
            wave_gas: 0,
            sent: Vec::new(),
        })
    }

    /// The sender.
    pub fn from(&self) -> Address {
        self.from
    }

    /// The nonce the next transaction gets (and so the address a deployment gets).
    pub fn next_address(&self) -> Address {
        self.from.create(self.nonce)
    }

    /// Sends a call (`to`) or a deployment (`to == None`) without waiting for it. When the
    /// gas limits sent since the last block would exceed a block's, that wave is mined first
    /// (anvil drops transactions its block builder skips for lack of room, and every later
    /// nonce of the sender with them).
    pub async fn send(
        &mut self,
        to: Option<Address>,
        data: Vec<u8>,
        gas: u64,
    ) -> eyre::Result<TxHash> {
        let tx = TransactionRequest::default()
            .from(self.from)
            .nonce(self.nonce)
            .gas_limit(gas)
            .max_fee_per_gas(MAX_FEE)
            .max_priority_fee_per_gas(PRIORITY_FEE)
            .with_chain_id(self.chain_id);
        let tx = match to {
            Some(to) => tx.to(to).input(Bytes::from(data).into()),
            None => tx.with_deploy_code(Bytes::from(data)),
        };
        if self.wave_gas + gas > self.block_gas {
            self.mine_all().await?;
        }
        self.wave_gas += gas;
        let pending = self.devnet.provider().send_transaction(tx).await.wrap_err("sending")?;
        self.nonce += 1;
        let hash = *pending.tx_hash();
        self.sent.push(hash);
        Ok(hash)
    }

    /// The hashes sent so far (taken: the batch forgets them).
    pub fn take_sent(&mut self) -> Vec<TxHash> {
        std::mem::take(&mut self.sent)
    }

    /// Mines until every sent transaction is in a block and checks they all succeeded;
    /// returns the last block number.
    pub async fn mine_all(&mut self) -> eyre::Result<u64> {
        self.wave_gas = 0;
        let sent = self.take_sent();
        mine_all(self.devnet, sent).await
    }
}

/// Mines one block at a 1 gwei base fee: a fixture fills hundreds of blocks, and EIP-1559
/// would otherwise raise the base fee past any fee cap (x1.125 per full block).
async fn mine_at_fixture_base_fee(devnet: &Devnet) -> eyre::Result<u64> {
    use alloy::providers::ext::AnvilApi;
    devnet.provider().anvil_set_next_block_base_fee_per_gas(1_000_000_000).await?;
    devnet.mine().await
}

/// Mines blocks until every transaction in `sent` is included, checking each succeeded;
/// returns the last block mined (one block when `sent` is empty).
pub async fn mine_all(devnet: &Devnet, sent: Vec<TxHash>) -> eyre::Result<u64> {
    let provider = devnet.provider();
    let order = sent.clone();
    let mut pending: HashSet<TxHash> = sent.into_iter().collect();
    let mut block = mine_at_fixture_base_fee(devnet).await?;
    for _ in 0..1000 {
        let receipts = provider
            .get_block_receipts(BlockId::number(block))
            .await?
            .ok_or_else(|| eyre!("no receipts for block {block}"))?;
        for r in receipts {
            if pending.remove(&r.transaction_hash) && !r.status() {
                let tx = provider.get_transaction_by_hash(r.transaction_hash).await?;
                let reason = match tx {
                    Some(t) => {
                        let request: TransactionRequest = t.into_request();
                        let to = request.to;
                        let replay = provider.call(request).block((block - 1).into()).await;
                        format!("to {to:?}: {:?}", replay.err())
                    }
                    None => "unknown transaction".into(),
                };
                bail!(
                    "fixture transaction {} reverted in block {block}: {reason}",
                    r.transaction_hash
                );
            }
        }
        if pending.is_empty() {
            return Ok(block);
        }
        block = mine_at_fixture_base_fee(devnet).await?;
    }
    let missing: Vec<usize> =
        order.iter().enumerate().filter(|(_, h)| pending.contains(*h)).map(|(i, _)| i).collect();
    let sample = pending.iter().next().copied();
    let detail = match sample {
        Some(h) => format!(
            "{h}: tx {:?} receipt {:?}",
            provider.get_transaction_by_hash(h).await?.map(|t| t.block_number),
            provider.get_transaction_receipt(h).await?.map(|r| (r.block_number, r.status()))
        ),
        None => String::new(),
    };
    bail!(
        "{} transactions never mined (positions {missing:?} of {}); last block {block}; {detail}",
        pending.len(),
        order.len()
    )
}

/// What [`create_many_pools`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManyPools {
    /// The new tokens.
    pub tokens: Vec<Address>,
    /// Every new pool's address.
    pub pools: Vec<Address>,
    /// The block the last one was created in.
    pub last_block: u64,
}

/// Shape of [`create_many_pools`]'s universe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManyPoolsSpec {
    /// New tokens, each paired with WETH on both V2 DEXes.
    pub tokens: usize,
    /// Each token is also paired with this many following tokens on `uniswap-v2`.
    pub token_pairs_per_token: usize,
    /// Every `v3_every`-th token also gets a WETH pool on V3 (0.3%) with two positions.
    pub v3_every: usize,
}

impl ManyPoolsSpec {
    /// 100 tokens: 200 WETH pairs, 800 token pairs and 50 V3 pools (1,050 pools).
    pub const THOUSAND: Self = Self { tokens: 100, token_pairs_per_token: 8, v3_every: 2 };

    /// Pools this spec creates.
    pub fn pool_count(&self) -> usize {
        let pairs: usize =
            (0..self.tokens).map(|i| self.token_pairs_per_token.min(self.tokens - 1 - i)).sum();
        2 * self.tokens + pairs + self.tokens.div_ceil(self.v3_every.max(1))
    }
}

fn sort(a: Address, b: Address) -> (Address, Address) {
    if a < b { (a, b) } else { (b, a) }
}

fn v2_pair(factory: Address, a: Address, b: Address) -> Address {
    let (t0, t1) = sort(a, b);
    factory
        .create2(keccak256([t0.as_slice(), t1.as_slice()].concat()), UNISWAP_V2_PAIR_INIT_CODE_HASH)
}

fn v3_pool(factory: Address, a: Address, b: Address, fee: u32) -> Address {
    let (t0, t1) = sort(a, b);
    let salt = keccak256((t0, t1, U24::from(fee)).abi_encode());
    factory.create2(salt, super::UNISWAP_V3_POOL_INIT_CODE_HASH)
}

/// `sqrt(num / den) * 2^96`, rounded down.
fn sqrt_price_x96(num: U256, den: U256) -> U256 {
    let scaled: U256 = (num << 192) / den;
    scaled.root(2)
}

/// Creates `spec.pool_count()` pools on the devnet with liquidity: new ERC20s, each paired
/// with WETH on both V2 DEXes (at slightly different prices per token), with its next
/// neighbours on `uniswap-v2`, and every other one with WETH on V3.
pub async fn create_many_pools(devnet: &Devnet, spec: ManyPoolsSpec) -> eyre::Result<ManyPools> {
    let a = &devnet.addresses;
    let mut batch = TxBatch::new(devnet, Role::Deployer).await?;
    let code = Artifact::Erc20.creation_code(devnet.toolchain())?;
    let mut tokens = Vec::with_capacity(spec.tokens);
    for _ in 0..spec.tokens {
        tokens.push(batch.next_address());
        let mut init = code.to_vec();
        init.extend((U256::from(FIXTURE_SUPPLY),).abi_encode_params());
        batch.send(None, init, 3_000_000).await?;
    }
    let spenders = [a.uniswap_v2.router, a.sushiswap.router, a.uniswap_v3.position_manager];
    for &token in &tokens {
        for spender in spenders {
            let data = IERC20::approveCall { spender, value: U256::MAX }.abi_encode();
            batch.send(Some(token), data, 100_000).await?;
        }
    }
    let me = batch.from();
    let mut pools = Vec::new();
    let add = |router: Address, x: Address, ax: U256, y: Address, ay: U256| {
        let data = IUniswapV2Router02::addLiquidityCall {
            tokenA: x,
            tokenB: y,
            amountADesired: ax,
            amountBDesired: ay,
            amountAMin: U256::ZERO,
            amountBMin: U256::ZERO,
            to: me,
            deadline: U256::MAX,
        }
        .abi_encode();
        (router, data)
    };
    for (i, &token) in tokens.iter().enumerate() {
        // 1 WETH = 1000 + i tokens on uniswap-v2, 1000 + 2i on sushiswap.
        let price = 1000 + i as u128;
        for (dex, p) in [(&a.uniswap_v2, price), (&a.sushiswap, price + i as u128)] {
            let (router, data) = add(dex.router, a.weth, ether(5), token, ether(5 * p));
            batch.send(Some(router), data, 4_000_000).await?;
            pools.push(v2_pair(dex.factory, a.weth, token));
        }
        for &other in tokens.iter().skip(i + 1).take(spec.token_pairs_per_token) {
            let (router, data) = add(a.uniswap_v2.router, token, ether(1000), other, ether(1000));
            batch.send(Some(router), data, 4_000_000).await?;
            pools.push(v2_pair(a.uniswap_v2.factory, token, other));
        }
        if i % spec.v3_every.max(1) == 0 {
            pools.push(send_v3_pool(&mut batch, a, token, price).await?);
        }
    }
    let last_block = batch.mine_all().await?;
    Ok(ManyPools { tokens, pools, last_block })
}

/// Queues a WETH/token V3 pool at 0.3% (`price` tokens per WETH) with a wide and a narrow
/// position; returns its address.
async fn send_v3_pool(
    batch: &mut TxBatch<'_>,
    a: &DevnetAddresses,
    token: Address,
    price: u128,
) -> eyre::Result<Address> {
    let (fee, spacing) = (3000u32, 60i32);
    let (t0, t1) = sort(a.weth, token);
    let weth_is_0 = t0 == a.weth;
    let sqrt = if weth_is_0 {
        sqrt_price_x96(U256::from(price), U256::ONE)
    } else {
        sqrt_price_x96(U256::ONE, U256::from(price))
    };
    let center = get_tick_at_sqrt_ratio(sqrt).map_err(|e| eyre!("price tick: {e}"))?;
    let npm = a.uniswap_v3.position_manager;
    let data = Npm::createAndInitializePoolIfNecessaryCall {
        token0: t0,
        token1: t1,
        fee: U24::from(fee),
        sqrtPriceX96: U160::from(sqrt),
    }
    .abi_encode();
    batch.send(Some(npm), data, 6_000_000).await?;
    let align = |t: i32| t.div_euclid(spacing) * spacing;
    for width in [6000, 600] {
        let (amount0, amount1) =
            if weth_is_0 { (ether(2), ether(2 * price)) } else { (ether(2 * price), ether(2)) };
        let data = Npm::mintCall {
            params: Npm::MintParams {
                token0: t0,
                token1: t1,
                fee: U24::from(fee),
                tickLower: I24::try_from(align(center - width))?,
                tickUpper: I24::try_from(align(center + width))?,
                amount0Desired: amount0,
                amount1Desired: amount1,
                amount0Min: U256::ZERO,
                amount1Min: U256::ZERO,
                recipient: batch.from(),
                deadline: U256::MAX,
            },
        }
        .abi_encode();
        batch.send(Some(npm), data, 1_000_000).await?;
    }
    Ok(v3_pool(a.uniswap_v3.factory, a.weth, token, fee))
}

/// What [`create_hostile_pools`] made: each pool with WETH on `uniswap-v2` unless noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostilePools {
    /// Pair whose token's `transfer` reverts (after liquidity was added).
    pub transfer_reverts: Address,
    /// Pair whose token's `decimals()` returns 200.
    pub absurd_decimals: Address,
    /// Pair whose token's `decimals()` reverts.
    pub decimals_revert: Address,
    /// Pair whose token has 6 decimals (odd but fine: must not be flagged).
    pub six_decimals: Address,
    /// Pair created without liquidity (zero reserves).
    pub empty: Address,
    /// V3 pool created but never initialized.
    pub uninitialized_v3: Address,
    /// The devnet's own fee-on-transfer pair (WETH/FOT).
    pub fee_on_transfer: Address,
}

/// What a [`forwarder`] does on its intercepted selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intercept {
    /// Revert with no data.
    Revert,
    /// Return this 32-byte word.
    Return(U256),
}

/// Runtime code that delegates every call to `implementation`, except calls with `selector`,
/// which do what `intercept` says.
pub fn forwarder(implementation: Address, selector: [u8; 4], intercept: Intercept) -> Bytes {
    let mut c = vec![0x60, 0x00, 0x35, 0x60, 0xe0, 0x1c, 0x63]; // selector = calldata[0..4]
    c.extend(selector);
    c.extend([0x14, 0x60, 0x00, 0x57]); // EQ, PUSH1 <intercept>, JUMPI
    let intercept_label = c.len() - 2;
    // Forward: copy calldata, delegatecall, copy return data, return or revert with it.
    c.extend([0x36, 0x60, 0x00, 0x60, 0x00, 0x37]);
    c.extend([0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, 0x73]);
    c.extend(implementation.as_slice());
    c.extend([0x5a, 0xf4, 0x3d, 0x60, 0x00, 0x60, 0x00, 0x3e, 0x60, 0x00, 0x57]);
    let ok_label = c.len() - 2;
    c.extend([0x3d, 0x60, 0x00, 0xfd]);
    c[ok_label] = c.len() as u8;
    c.extend([0x5b, 0x3d, 0x60, 0x00, 0xf3]);
    c[intercept_label] = c.len() as u8;
    c.push(0x5b);
    match intercept {
        Intercept::Revert => c.extend([0x60, 0x00, 0x60, 0x00, 0xfd]),
        Intercept::Return(word) => {
            c.push(0x7f);
            c.extend(word.to_be_bytes::<32>());
            c.extend([0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]);
        }
    }
    c.into()
}

/// Creates hostile tokens and pools next to the devnet's own fee-on-transfer pair.
pub async fn create_hostile_pools(devnet: &Devnet) -> eyre::Result<HostilePools> {
    let a = &devnet.addresses;
    let provider = devnet.provider();
    let mut batch = TxBatch::new(devnet, Role::Deployer).await?;
    let code = Artifact::Erc20.creation_code(devnet.toolchain())?;
    let deploy = async |batch: &mut TxBatch<'_>| -> eyre::Result<Address> {
        let address = batch.next_address();
        let mut init = code.to_vec();
        init.extend((U256::from(FIXTURE_SUPPLY),).abi_encode_params());
        batch.send(None, init, 3_000_000).await?;
        Ok(address)
    };
    let implementation = deploy(&mut batch).await?;
    let reverting = deploy(&mut batch).await?;
    let absurd = deploy(&mut batch).await?;
    let no_decimals = deploy(&mut batch).await?;
    let six = deploy(&mut batch).await?;
    let empty_token = deploy(&mut batch).await?;
    let me = batch.from();
    for token in [reverting, absurd, no_decimals, six] {
        let data =
            IERC20::approveCall { spender: a.uniswap_v2.router, value: U256::MAX }.abi_encode();
        batch.send(Some(token), data, 100_000).await?;
        let data = IUniswapV2Router02::addLiquidityCall {
            tokenA: a.weth,
            tokenB: token,
            amountADesired: ether(5),
            amountBDesired: ether(5000),
            amountAMin: U256::ZERO,
            amountBMin: U256::ZERO,
            to: me,
            deadline: U256::MAX,
        }
        .abi_encode();
        batch.send(Some(a.uniswap_v2.router), data, 4_000_000).await?;
    }
    let data =
        IUniswapV2Factory::createPairCall { tokenA: a.weth, tokenB: empty_token }.abi_encode();
    batch.send(Some(a.uniswap_v2.factory), data, 4_000_000).await?;
    let data = IUniswapV3Factory::createPoolCall {
        tokenA: a.weth,
        tokenB: empty_token,
        fee: U24::from(3000),
    }
    .abi_encode();
    batch.send(Some(a.uniswap_v3.factory), data, 6_000_000).await?;
    batch.mine_all().await?;

    let transfer = IERC20::transferCall::SELECTOR;
    let decimals = IERC20::decimalsCall::SELECTOR;
    provider
        .anvil_set_code(reverting, forwarder(implementation, transfer, Intercept::Revert))
        .await?;
    provider
        .anvil_set_code(
            absurd,
            forwarder(implementation, decimals, Intercept::Return(U256::from(200))),
        )
        .await?;
    provider
        .anvil_set_code(no_decimals, forwarder(implementation, decimals, Intercept::Revert))
        .await?;
    provider
        .anvil_set_code(six, forwarder(implementation, decimals, Intercept::Return(U256::from(6))))
        .await?;
    devnet.mine().await?;

    let fot = a.token("FOT").ok_or_else(|| eyre!("devnet has no FOT"))?;
    let pair = |t: Address| v2_pair(a.uniswap_v2.factory, a.weth, t);
    Ok(HostilePools {
        transfer_reverts: pair(reverting),
        absurd_decimals: pair(absurd),
        decimals_revert: pair(no_decimals),
        six_decimals: pair(six),
        empty: pair(empty_token),
        uninitialized_v3: v3_pool(a.uniswap_v3.factory, a.weth, empty_token, 3000),
        fee_on_transfer: a
            .pool("uniswap-v2", a.weth, fot, None)
            .map(|p| p.address)
            .ok_or_else(|| eyre!("no FOT pair"))?,
    })
}

/// Pool activity on the devnet's own pools, deterministic in `seed`: V2 swaps on both DEXes,
/// V3 swaps on both pools, new V3 positions at fresh ticks and partial or full burns of
/// existing ones. Sent from a trader (swaps) and the deployer (positions) without mining.
#[derive(Debug)]
pub struct Activity {
    state: u64,
    /// First position id minted by this generator (older ones only lose a sixteenth per
    /// burn, so the devnet's own liquidity is never drained).
    first_own_position: Option<u64>,
}

impl Activity {
    /// A generator seeded with `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed | 1, first_own_position: None }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 0
    }

    /// Queues `n` random actions; returns their hashes (mine them with [`mine_all`]).
    pub async fn send(&mut self, devnet: &Devnet, n: usize) -> eyre::Result<Vec<TxHash>> {
        let a = &devnet.addresses;
        let weth = a.weth;
        let tka = a.token("TKA").ok_or_else(|| eyre!("TKA"))?;
        let tkb = a.token("TKB").ok_or_else(|| eyre!("TKB"))?;
        let mut trader = TxBatch::new(devnet, Role::Trader(0)).await?;
        let mut lp = TxBatch::new(devnet, Role::Deployer).await?;
        let npm_address = a.uniswap_v3.position_manager;
        let npm = Npm::new(npm_address, devnet.provider());
        let positions = npm.totalSupply().call().await?.to::<u64>();
        let first_own = *self.first_own_position.get_or_insert(positions + 1);
        let mut burnt = HashSet::new();
        for _ in 0..n {
            let amount = ether(1) * U256::from(1 + self.next() % 20) / U256::from(10);
            match self.next() % 6 {
                0 | 1 => {
                    let router = if self.coin() { a.uniswap_v2.router } else { a.sushiswap.router };
                    let path = match self.next() % 4 {
                        0 => vec![weth, tka],
                        1 => vec![tka, weth],
                        2 => vec![weth, tkb],
                        _ => vec![tkb, tka],
                    };
                    let amount = if path[0] == weth { amount } else { amount * U256::from(1000) };
                    let data = IUniswapV2Router02::swapExactTokensForTokensCall {
                        amountIn: amount,
                        amountOutMin: U256::ZERO,
                        path,
                        to: trader.from(),
                        deadline: U256::MAX,
                    }
                    .abi_encode();
                    trader.send(Some(router), data, 300_000).await?;
                }
                2 | 3 => {
                    let (other, fee) = if self.coin() { (tka, 3000u32) } else { (tkb, 500) };
                    let (token_in, token_out, amount) = if self.coin() {
                        (weth, other, amount * U256::from(10))
                    } else {
                        (other, weth, amount * U256::from(10_000))
                    };
                    let data = ISwapRouter::exactInputSingleCall {
                        params: ISwapRouter::ExactInputSingleParams {
                            tokenIn: token_in,
                            tokenOut: token_out,
                            fee: U24::from(fee),
                            recipient: trader.from(),
                            deadline: U256::MAX,
                            amountIn: amount,
                            amountOutMinimum: U256::ZERO,
                            sqrtPriceLimitX96: U160::ZERO,
                        },
                    }
                    .abi_encode();
                    trader.send(Some(a.uniswap_v3.swap_router), data, 5_000_000).await?;
                }
                4 => {
                    let (other, fee, spacing) =
                        if self.coin() { (tka, 3000u32, 60i32) } else { (tkb, 500, 10) };
                    let pool = a
                        .pool("uniswap-v3", weth, other, Some(fee))
                        .ok_or_else(|| eyre!("v3 pool"))?;
                    let center =
                        searcher::abi::IUniswapV3Pool::new(pool.address, devnet.provider())
                            .slot0()
                            .call()
                            .await?
                            .tick;
                    let center = i32::try_from(center)?;
                    let lo = (center - 1 - (self.next() % 300) as i32 * spacing)
                        .div_euclid(spacing)
                        * spacing;
                    let hi = lo + (1 + (self.next() % 200) as i32) * spacing;
                    let (t0, t1) = sort(weth, other);
                    let data = Npm::mintCall {
                        params: Npm::MintParams {
                            token0: t0,
                            token1: t1,
                            fee: U24::from(fee),
                            tickLower: I24::try_from(lo)?,
                            tickUpper: I24::try_from(hi)?,
                            amount0Desired: ether(10),
                            amount1Desired: ether(10),
                            amount0Min: U256::ZERO,
                            amount1Min: U256::ZERO,
                            recipient: lp.from(),
                            deadline: U256::MAX,
                        },
                    }
                    .abi_encode();
                    lp.send(Some(npm_address), data, 1_000_000).await?;
                }
                _ => {
                    if positions == 0 {
                        continue;
                    }
                    let token_id = U256::from(1 + self.next() % positions);
                    if !burnt.insert(token_id) {
                        continue;
                    }
                    let position = npm.positions(token_id).call().await?;
                    if position.liquidity == 0 {
                        continue;
                    }
                    // Own positions: half the time all of it (clears ticks), else a quarter.
                    let liquidity = if token_id < U256::from(first_own) {
                        position.liquidity / 16
                    } else if self.coin() {
                        position.liquidity
                    } else {
                        position.liquidity / 4
                    };
                    if liquidity == 0 {
                        continue;
                    }
                    let data = Npm::decreaseLiquidityCall {
                        params: Npm::DecreaseLiquidityParams {
                            tokenId: token_id,
                            liquidity,
                            amount0Min: U256::ZERO,
                            amount1Min: U256::ZERO,
                            deadline: U256::MAX,
                        },
                    }
                    .abi_encode();
                    lp.send(Some(npm_address), data, 1_000_000).await?;
                }
            }
        }
        let mut sent = trader.take_sent();
        sent.extend(lp.take_sent());
        Ok(sent)
    }
}

/// Hash of the block at `number` on the devnet.
pub async fn block_hash(devnet: &Devnet, number: u64) -> eyre::Result<B256> {
    Ok(devnet
        .provider()
        .get_block_by_number(number.into())
        .await?
        .ok_or_else(|| eyre!("no block {number}"))?
        .header
        .hash)
}
