//! Exact integer AMM math, equal to the contracts to the wei.
