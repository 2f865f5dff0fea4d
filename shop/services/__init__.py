"""The webshop's state changes. Each public function is one transaction (or a chunked job); import the module
you need (`from shop.services import checkout, orders, stock`), each module's docstring gives its rules.

- cart (shopper): `cart_for`, `add_to_cart`, `add_box_to_cart`, `set_quantity`, `remove_line`, `merge_carts`
- stock: `reserve`, `consume_reservations`, `release_reservations`, `release_lapsed`, `reserve_again`, `restock`
- checkout: `place_order` (a part per merchant, frozen lines with VAT, reservations, voucher and gift card)
- orders: `mark_order_paid`, `expire_order`, `expire_unpaid`, `erase_contact_data`
- loyalty_bridge: `take_voucher`, `take_gift_card`, `give_back`, `award_points`, `reverse_for_refund`
- notices: `send_paid_notices`, `part_ready`, `part_handed_over`, `refunded`
- shop-pay: payments, refunds, transfers, onboarding, invariants; shop-sell: products, imports, fulfilment,
  statements.
"""
