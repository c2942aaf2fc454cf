// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IExecutor
/// @notice The ABI-visible surface of the arbitrage executor (`contracts/src/Executor.sol`).
/// @dev The hot entry point has no selector: the owner sends a packed *program* (layout in
///      Executor.sol, encoder in `searcher::exec::calldata`) straight to the fallback. Every
///      function below is also served by that fallback, so the contract does not inherit this
///      interface; tests and scripts call it through it.
interface IExecutor {
    /// @notice A non-owner called an owner-only entry (a program, `sweep`, or an unknown selector).
    error NotOwner();
    /// @notice A callback arrived from an address the running execution did not just call (for
    ///         `unlockCallback`: not from the PoolManager during this contract's own `unlock`).
    error UnexpectedCallback();
    /// @notice The program is malformed (unknown mode bits, not 2 to 4 whole hops), or its last
    ///         hop does not pay WETH (the last pool's output token is not WETH, or it has no code),
    ///         or a V3 "pool" returned no swap result, or a V4 program runs where there is no
    ///         PoolManager.
    error BadRoute();
    /// @notice The program's final output does not cover its input, the minimum profit and the
    ///         builder payment.
    error Unprofitable();
    /// @notice A Uniswap V3 or V4 hop returned less than the program's minimum for that hop.
    error InsufficientOutput();
    /// @notice A pool asked to be paid more than the exact input the program gave it.
    error ExcessiveInput();
    /// @notice `sweep` could not move the token or the ETH.
    error TransferFailed();
    /// @notice A constructor argument that must be set is the zero address.
    error ZeroAddress();

    /// @notice Moves `amount` of `token` (or of ETH when `token` is the zero address) to the
    ///         immutable cold wallet. Owner only; the destination cannot be chosen.
    function sweep(address token, uint256 amount) external;

    /// @notice Uniswap V2 flash-swap callback. Accepted only from the pair this execution just
    ///         called (transient storage), once.
    function uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes calldata data)
        external;

    /// @notice Uniswap V3 swap callback. Accepted only from the pool this execution just called,
    ///         once; pays the pool what it is owed.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data)
        external;

    /// @notice The searcher EOA, the only account that may run programs and sweep.
    function owner() external view returns (address);

    /// @notice The only destination of `sweep`.
    function coldWallet() external view returns (address);

    /// @notice Uniswap V4 PoolManager callback. Accepted only from the PoolManager while this
    ///         contract's own `unlock` is running (armed in transient storage right before it),
    ///         once; runs the program it was given.
    function unlockCallback(bytes calldata data) external returns (bytes memory);

    /// @notice The WETH9 contract every cycle starts and ends in.
    function weth() external view returns (address);

    /// @notice The Uniswap V4 PoolManager (zero where there is none: V4 programs revert).
    function poolManager() external view returns (address);
}
