//! V2: random reserves and amounts on the real `UniswapV2Pair`. The pair accepts exactly the
//! output [`get_amount_out`] computes and not one wei more (its K check), pays the output
//! [`get_amount_in`] was asked for, ends with the reserves the math predicts, and a cycle
//! sized by [`optimal_v2_cycle`] across real pairs returns exactly the predicted output.
//!
//! `V2_DIFF_SWAPS` sets the number of swaps (default 500; a tenth as many cycles).

use alloy::primitives::{Address, Bytes, U256};
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::abi::{IMockToken, IV2Factory, IV2Pair};
use super::{CALLER, Chain, artifact, cases, driver_code, log_uniform, u};
use searcher::market::math::sizing::{optimal_v2_cycle, v2_chain_amount_out};
use searcher::market::math::v2::{MAX_RESERVE, get_amount_in, get_amount_out};
use searcher::market::math::{MathError, V2Fee, V2Hop};

struct V2Chain {
    chain: Chain,
    /// Two factories, i.e. two DEXes: a 2-hop cycle needs the same pair on both.
    factories: [Address; 2],
}

/// A pair seen from one side: swapping `token_in` for the other token.
struct Pair {
    address: Address,
    /// Whether `token_in` is the pair's token0.
    zero_for_one: bool,
}

impl V2Chain {
    fn token(&mut self) -> Address {
        self.chain.create(driver_code("MockToken"))
    }

    /// Creates the pair of two tokens on DEX `dex` and seeds it to `r_in` of `token_in` and
    /// `r_out` of `token_out`.
    fn pair(
        &mut self,
        dex: usize,
        token_in: Address,
        token_out: Address,
        r_in: u128,
        r_out: u128,
    ) -> Pair {
        let call = IV2Factory::createPairCall { tokenA: token_in, tokenB: token_out };
        let address = self.chain.call(self.factories[dex % 2], &call).expect("createPair");
        let token0 = self.chain.call(address, &IV2Pair::token0Call {}).expect("view");
        let pair = Pair { address, zero_for_one: token0 == token_in };
        self.mint(token_in, address, r_in);
        self.mint(token_out, address, r_out);
        self.chain.call(address, &IV2Pair::syncCall {}).expect("sync");
        assert_eq!(self.reserves(&pair), (r_in, r_out));
        pair
    }

    fn mint(&mut self, token: Address, to: Address, amount: u128) {
        let call = IMockToken::mintCall { to, amount: u(amount) };
        self.chain.call(token, &call).expect("mint");
    }

    fn balance(&mut self, token: Address, owner: Address) -> U256 {
        self.chain.call(token, &IMockToken::balanceOfCall { owner }).expect("view")
    }

    /// The pair's reserves as (input side, output side).
    fn reserves(&mut self, pair: &Pair) -> (u128, u128) {
        let r = self.chain.call(pair.address, &IV2Pair::getReservesCall {}).expect("view");
        let (r0, r1) = (r.reserve0.to::<u128>(), r.reserve1.to::<u128>());
        if pair.zero_for_one { (r0, r1) } else { (r1, r0) }
    }

    /// `pair.swap` paying `out` of the output token to `to`; the input must already be in.
    fn swap(&mut self, pair: &Pair, out: U256, to: Address) -> Result<(), String> {
        let (amount0_out, amount1_out) =
            if pair.zero_for_one { (U256::ZERO, out) } else { (out, U256::ZERO) };
        let call = IV2Pair::swapCall {
            amount0Out: amount0_out,
            amount1Out: amount1_out,
            to,
            data: Bytes::new(),
        };
        self.chain.call(pair.address, &call).map(|_| ())
    }
}

fn setup() -> Option<V2Chain> {
    let code = match artifact("@uniswap/v2-core/build/UniswapV2Factory.json") {
        Ok(code) => code,
        Err(reason) => {
            eprintln!("skipped: v2 differential test needs the v2-core artifacts: {reason}");
            return None;
        }
    };
    let mut chain = Chain::new();
    // constructor(address _feeToSetter)
    let mut init = code.to_vec();
    init.extend_from_slice(&[0u8; 12]);
    init.extend_from_slice(CALLER.as_slice());
    let init = Bytes::from(init);
    let factories = [chain.create(init.clone()), chain.create(init)];
    Some(V2Chain { chain, factories })
}

#[test]
fn amounts_match_the_real_pair() {
    let Some(mut v2) = setup() else { return };
    let mut rng = StdRng::seed_from_u64(0x5eed_0fa2);
    let fee = V2Fee::UNISWAP;
    let max = MAX_RESERVE.to::<u128>();
    let (mut swaps, mut bought, mut zero_out) = (0, 0, 0);
    for _ in 0..cases("V2_DIFF_SWAPS", 500) {
        let (token_in, token_out) = (v2.token(), v2.token());
        let (r_in, r_out) = (log_uniform(&mut rng, 111), log_uniform(&mut rng, 111));
        let pair = v2.pair(0, token_in, token_out, r_in, r_out);
        let amount_in = log_uniform(&mut rng, 111).min(max - r_in).max(1);
        let out = get_amount_out(u(amount_in), u(r_in), u(r_out), fee).expect("valid");
        let hop = V2Hop { reserve_in: u(r_in), reserve_out: u(r_out), fee };
        v2.mint(token_in, pair.address, amount_in);
        if out.is_zero() {
            assert_eq!(hop.amount_out(u(amount_in)), Err(MathError::InsufficientOutputAmount));
            assert!(v2.swap(&pair, out, CALLER).is_err());
            zero_out += 1;
            continue;
        }
        assert_eq!(hop.amount_out(u(amount_in)), Ok(out));
        // One wei more than the formula fails (K, or the reserve); the formula itself passes.
        assert!(v2.swap(&pair, out + U256::ONE, CALLER).is_err(), "{r_in} {r_out} {amount_in}");
        v2.swap(&pair, out, CALLER).expect("the pair accepts get_amount_out");
        let (r_in, r_out) = (r_in + amount_in, r_out - out.to::<u128>());
        assert_eq!(v2.reserves(&pair), (r_in, r_out));
        swaps += 1;

        // get_amount_in on the new reserves buys the output asked for.
        let want = log_uniform(&mut rng, 111) % r_out;
        if want == 0 {
            continue;
        }
        if let Ok(need) = get_amount_in(u(want), u(r_in), u(r_out), fee)
            && need <= u(max - r_in)
        {
            let before = v2.balance(token_out, CALLER);
            v2.mint(token_in, pair.address, need.to::<u128>());
            v2.swap(&pair, u(want), CALLER).expect("get_amount_in pays enough");
            assert_eq!(v2.balance(token_out, CALLER) - before, u(want));
            bought += 1;
        }
    }
    eprintln!(
        "v2 differential: {swaps} exact-in swaps, {bought} exact-out buys, {zero_out} zero outputs refused"
    );
}

#[test]
fn sized_cycles_earn_the_predicted_output() {
    let Some(mut v2) = setup() else { return };
    let mut rng = StdRng::seed_from_u64(0x5eed_c7c1e);
    let fee = V2Fee::UNISWAP;
    let mut executed = 0;
    for _ in 0..cases("V2_DIFF_SWAPS", 500) / 10 {
        // Tokens T0 -> T1 (-> T2) -> T0 through pairs whose prices disagree by up to 5%.
        let n = rng.random_range(2..=3);
        let tokens: Vec<Address> = (0..n).map(|_| v2.token()).collect();
        let mut pairs = Vec::new();
        let mut hops = Vec::new();
        for k in 0..n {
            let base = log_uniform(&mut rng, 100).max(1_000_000);
            let skew = if k == 0 { rng.random_range(1_000..1_050) } else { 1_000 };
            let (r_in, r_out) = (base, base / 1_000 * skew);
            pairs.push(v2.pair(k, tokens[k], tokens[(k + 1) % n], r_in, r_out));
            hops.push(V2Hop { reserve_in: u(r_in), reserve_out: u(r_out), fee });
        }
        let Some(sized) = optimal_v2_cycle(&hops).expect("valid hops") else { continue };
        assert_eq!(v2_chain_amount_out(&hops, sized.amount_in), Ok(sized.amount_out));
        // Pay the first pair; each pair pays the next one directly; the last pays the caller.
        let before = v2.balance(tokens[0], CALLER);
        v2.mint(tokens[0], pairs[0].address, sized.amount_in.to::<u128>());
        let mut amount = sized.amount_in;
        for (k, hop) in hops.iter().enumerate() {
            let out = hop.amount_out(amount).expect("sized input is valid");
            let to = pairs.get(k + 1).map_or(CALLER, |p| p.address);
            v2.swap(&pairs[k], out, to).expect("hop");
            amount = out;
        }
        assert_eq!(v2.balance(tokens[0], CALLER) - before, sized.amount_out);
        executed += 1;
    }
    eprintln!("v2 differential: {executed} sized cycles executed exactly");
    assert!(executed > 0);
}
