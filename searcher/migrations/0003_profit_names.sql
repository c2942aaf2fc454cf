-- One name per concept: "native" is the strategy's exact-math figure, "simulated" is revm's
-- (the one bids are priced on and the one realised profit is compared with).
ALTER TABLE opportunities RENAME COLUMN predicted_profit TO native_profit;
ALTER TABLE bundles RENAME COLUMN predicted_profit TO simulated_profit;
