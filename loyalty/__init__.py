"""The city pass: points ledger, campaigns, rewards, vouchers, gift cards and the merchant till."""
