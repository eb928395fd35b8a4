"""What payments does with chain events: handlers record one fact row per log (registered with
the indexer in PaymentsConfig.ready); recompute rebuilds entitlements and the listing's
chain-derived fields (sales count, on-chain pause, registered offer) from those facts; changes
applies recorded term changes; notices tells people about sales and payouts."""
