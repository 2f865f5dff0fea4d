"""The collective webshop: catalogue, one cart across merchants, Stripe checkout, fulfilment."""
