//! Sim on the devnet: `[victim, backrun]` simulated in revm over the warm head state, then both
//! mined in that order; every simulated figure (profit, gas, builder payment) must equal what
//! the chain realises, to the wei. First with a generic backrun (a Router02 swap from another
//! account, its WETH balance as the profit probe), then with the real executor deployed from
//! its forge artifact, running a cross-DEX cycle encoded by `searcher::exec::calldata`.

use crate::predict::{Fixture, ether};
use alloy::{
    consensus::Transaction as _,
    network::TransactionBuilder,
    primitives::{Bytes, I256, U256},
    providers::Provider,
    rpc::types::{Transaction, TransactionRequest},
    sol_types::SolValue,
};
use searcher::{
    abi::{IERC20, IUniswapV2Pair, IWETH9},
    exec::calldata::{Bribe, Capital, HopKind, Program, ProgramHop},
    predict::PredictedState,
    sim::{ProfitProbe, SimError, SimOutcome, Simulator},
    state::tx_env,
};
use searcher_devnet::Role;
use std::process::Command;

/// What the chain realised for a mined `[victim, backrun]`, to compare with a [`SimOutcome`].
struct Realised {
    profit: I256,
    victim_gas_used: u64,
    gas_used: u64,
    coinbase_delta: U256,
    victim_tip: U256,
}

/// Mines `[victim, backrun]` (already pending, in that order) and measures `probe` across the
/// block, the receipts and the coinbase.
async fn mine_and_measure(
    f: &Fixture,
    probe: ProfitProbe,
    victim: &Transaction,
    backrun: &Transaction,
) -> Realised {
    let erc20 = IERC20::new(probe.token, &f.ipc);
    let before = erc20.balanceOf(probe.holder).call().await.unwrap();
    let head = f.cache.head();
    let coinbase = head.info().beneficiary;
    let coinbase_before = f.ipc.get_balance(coinbase).await.unwrap();
    let block = f.mine().await;
    assert_eq!(block.info().beneficiary, coinbase, "the block paid the coinbase sim assumed");
    assert_eq!(
        block.info().base_fee,
        head.info().next_base_fee(head.chain().base_fee_params),
        "the block's base fee is the one sim assumed"
    );
    let after = erc20.balanceOf(probe.holder).call().await.unwrap();
    let coinbase_after = f.ipc.get_balance(coinbase).await.unwrap();

    let mut gas = Vec::new();
    for tx in [victim, backrun] {
        let receipt =
            f.ipc.get_transaction_receipt(*tx.inner.tx_hash()).await.unwrap().expect("mined");
        assert!(receipt.status(), "{} succeeded", tx.inner.tx_hash());
        assert_eq!(receipt.block_number, Some(block.number()));
        gas.push((receipt.gas_used, receipt.transaction_index.expect("index")));
    }
    assert!(gas[0].1 < gas[1].1, "victim before backrun");
    let victim_tip = victim
        .inner
        .effective_tip_per_gas(block.info().base_fee)
        .expect("victim pays the base fee");
    Realised {
        profit: I256::try_from(after).unwrap() - I256::try_from(before).unwrap(),
        victim_gas_used: gas[0].0,
        gas_used: gas[1].0,
        coinbase_delta: coinbase_after - coinbase_before,
        victim_tip: U256::from(victim_tip),
    }
}

fn assert_exact(outcome: &SimOutcome, realised: &Realised) {
    assert_eq!(outcome.profit, realised.profit, "profit, to the wei");
    assert_eq!(outcome.victim_gas_used, realised.victim_gas_used, "victim gas");
    assert_eq!(outcome.gas_used, realised.gas_used, "backrun gas");
    assert_eq!(
        outcome.builder_payment,
        realised.coinbase_delta - realised.victim_tip * U256::from(realised.victim_gas_used),
        "builder payment: the coinbase's gain from the backrun"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_backrun_simulates_to_the_wei() {
    let Some(mut f) = Fixture::start("generic_backrun_simulates_to_the_wei").await else { return };
    let a = f.devnet.addresses.clone();
    // The victim buys TKA with 50 WETH on uniswap-v2; the "backrun" sells TKA back into the
    // same pair from another account, so what it receives depends on the victim.
    let victim =
        f.router02_swap("uniswap-v2", Role::Trader(0), ether(50), U256::ZERO, &["WETH", "TKA"]);
    let victim = f.send(victim).await;
    let backrun = f.router02_swap(
        "uniswap-v2",
        Role::Trader(1),
        ether(100_000),
        U256::ZERO,
        &["TKA", "WETH"],
    );
    let backrun = f.send(backrun).await;

    let probe = ProfitProbe { token: a.weth, holder: f.devnet.address(Role::Trader(1)) };
    let sim = Simulator::new(probe);
    let head = f.cache.head();
    let outcome =
        sim.simulate(&head, tx_env(&victim.inner), tx_env(&backrun.inner)).expect("simulated");
    assert!(outcome.profit > I256::ZERO);
    assert_eq!(outcome.coinbase_transfer, U256::ZERO, "no direct payment");
    assert_eq!(outcome.priority_fee, outcome.builder_payment);
    let prediction = f.predictor().predict_rpc(&head, &victim, &f.lookup()).expect("predicted");
    let replayed =
        sim.simulate_predicted(&head, &prediction, tx_env(&backrun.inner)).expect("replayed");
    assert_eq!(replayed, outcome, "replaying predict's victim state changes nothing");
    // Order matters: without the victim, the backrun would get less WETH for its TKA.
    let alone = sim.simulate(&head, tx_env(&backrun.inner), tx_env(&backrun.inner));
    assert!(alone.is_err() || alone.is_ok_and(|o| o.profit < outcome.profit));

    let realised = mine_and_measure(&f, probe, &victim, &backrun).await;
    assert_exact(&outcome, &realised);
}

/// Compiles the executor with the project's forge into a scratch directory (the shared
/// `contracts/out` may not exist yet: `tools/dev test` runs cargo before forge) and returns its
/// creation code.
fn executor_creation_code(f: &Fixture) -> Bytes {
    let toolchain = f.devnet.toolchain();
    let scratch = std::env::temp_dir().join(format!("searcher-executor-{}", std::process::id()));
    let out = scratch.join("out");
    let output = Command::new(toolchain.forge().expect("forge"))
        .current_dir(toolchain.root())
        .env("FOUNDRY_SOLC", toolchain.solc())
        .env("FOUNDRY_OFFLINE", "true")
        .args(["build", "contracts/src/Executor.sol", "--out"])
        .arg(&out)
        .arg("--cache-path")
        .arg(scratch.join("cache"))
        .output()
        .expect("forge runs");
    assert!(
        output.status.success(),
        "forge build of the executor: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let artifact =
        std::fs::read_to_string(out.join("Executor.sol/Executor.json")).expect("artifact");
    let _ = std::fs::remove_dir_all(&scratch);
    let json: serde_json::Value = serde_json::from_str(&artifact).expect("artifact JSON");
    let code = json["bytecode"]["object"].as_str().expect("bytecode.object");
    alloy::hex::decode(code).expect("hex").into()
}

fn v2_out(amount_in: U256, reserve_in: U256, reserve_out: U256) -> U256 {
    let with_fee = amount_in * U256::from(997);
    with_fee * reserve_out / (reserve_in * U256::from(1000) + with_fee)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executor_backrun_simulated_profit_is_realised_to_the_wei() {
    let Some(mut f) = Fixture::start("executor_backrun_simulated_profit_is_realised").await else {
        return;
    };
    let a = f.devnet.addresses.clone();
    let searcher = f.devnet.address(Role::Searcher);
    let tka = a.token("TKA").unwrap();

    // Deploy the executor (owner: the searcher; no V4 PoolManager on this devnet) and fund it
    // with WETH.
    let args =
        (searcher, f.devnet.address(Role::ColdWallet), a.weth, alloy::primitives::Address::ZERO)
            .abi_encode_params();
    let mut code = executor_creation_code(&f).to_vec();
    code.extend_from_slice(&args);
    let deploy = f
        .send(
            TransactionRequest::default()
                .from(searcher)
                .with_deploy_code(code)
                .with_gas_limit(3_000_000),
        )
        .await;
    let weth9 = IWETH9::new(a.weth, f.devnet.provider().clone());
    f.send(weth9.deposit().value(ether(100)).from(searcher).into_transaction_request()).await;
    f.mine().await;
    let executor = f
        .ipc
        .get_transaction_receipt(*deploy.inner.tx_hash())
        .await
        .unwrap()
        .and_then(|r| r.contract_address)
        .expect("executor deployed");
    f.send(weth9.transfer(executor, ether(100)).from(searcher).into_transaction_request()).await;
    f.mine().await;

    // The victim buys TKA with 40 WETH on uniswap-v2: TKA is now dearer there than on
    // sushiswap. Predict its effect, as the hot path does.
    let victim =
        f.router02_swap("uniswap-v2", Role::Trader(0), ether(40), U256::ZERO, &["WETH", "TKA"]);
    let victim = f.send(victim).await;
    let head = f.cache.head();
    let prediction = f.predictor().predict_rpc(&head, &victim, &f.lookup()).expect("predicted");
    let uni = a.pool("uniswap-v2", a.weth, tka, None).unwrap().address;
    let sushi = a.pool("sushiswap", a.weth, tka, None).unwrap().address;
    let PredictedState::V2 { reserve0, reserve1 } = prediction.pools[0].state else { panic!("V2") };
    assert_eq!(prediction.pools[0].address, uni);

    // Cycle: WETH -> TKA on sushiswap, TKA -> WETH on uniswap-v2 (predicted reserves).
    let weth_is_0 = a.weth < tka;
    let s = IUniswapV2Pair::new(sushi, &f.ipc).getReserves().call().await.unwrap();
    let (s_weth, s_tka) =
        if weth_is_0 { (s.reserve0, s.reserve1) } else { (s.reserve1, s.reserve0) };
    let (u_weth, u_tka) = if weth_is_0 { (reserve0, reserve1) } else { (reserve1, reserve0) };
    let amount_in = ether(8);
    let tka_out = v2_out(amount_in, U256::from(s_weth), U256::from(s_tka));
    let weth_out = v2_out(tka_out, U256::from(u_tka), U256::from(u_weth));
    assert!(weth_out > amount_in, "the victim opened a profitable gap");
    let bribe = ether(1) / U256::from(100);
    let program = Program {
        capital: Capital::Inventory,
        amount_in,
        min_profit: U256::ZERO,
        bribe: Bribe::FromWeth(bribe),
        hops: vec![
            ProgramHop {
                kind: HopKind::V2,
                pool: sushi,
                zero_for_one: weth_is_0,
                amount_out: tka_out,
            },
            ProgramHop {
                kind: HopKind::V2,
                pool: uni,
                zero_for_one: !weth_is_0,
                amount_out: weth_out,
            },
        ],
    };
    let backrun = TransactionRequest::default()
        .from(searcher)
        .to(executor)
        .input(program.encode().expect("encodes").into())
        .with_gas_limit(400_000);
    let backrun = f.send(backrun).await;
    assert_eq!(backrun.inner.to(), Some(executor));

    // The executor's bytecode is read from the node like any other contract.
    let sim = Simulator::for_executor(executor, a.weth);
    let outcome =
        sim.simulate(&head, tx_env(&victim.inner), tx_env(&backrun.inner)).expect("simulated");
    let native = weth_out - amount_in - bribe;
    assert_eq!(
        sim.reconcile(*victim.inner.tx_hash(), native, &outcome),
        I256::try_from(native).unwrap()
    );
    assert_eq!(outcome.coinbase_transfer, bribe, "the bribe reaches the coinbase");

    // Starting from predict's victim post-state gives the same figures without rerunning it.
    let replayed =
        sim.simulate_predicted(&head, &prediction, tx_env(&backrun.inner)).expect("replayed");
    assert_eq!(replayed, outcome);

    let realised = mine_and_measure(&f, sim.probe(), &victim, &backrun).await;
    assert_exact(&outcome, &realised);
    assert_eq!(realised.profit, I256::try_from(native).unwrap());

    // A prediction from an older head is refused.
    let stale = sim.simulate_predicted(&f.cache.head(), &prediction, tx_env(&backrun.inner));
    assert!(matches!(stale, Err(SimError::StalePrediction { .. })), "{stale:?}");
}
