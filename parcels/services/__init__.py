"""Every state change of the parcel point; each public function is one transaction (or a chunked job).

- announcements: `announce_parcel` — expect a parcel (webshop, CSV, API, member); idempotent per code
- intake: `receive_parcel` → `IntakeResult` (carrier recognised or asked, announcement matched, slot
  suggested, recipient told after commit); `store_parcel` (scan the slot); `storage_until`
- pickup: `look_up_for_pickup` (code/QR → waiting parcels, wrong codes rate-limited), `hand_out_parcels`
  → `HandoutResult` (row locks; one desk wins)
- lifecycle: `expire_overdue_parcels` (each morning), `declare_lost` (area managers, with a reason),
  `erase_recipient_data` (after the point's retention period)
- notices: `send_ready_notice` (at intake), `send_due_reminders` (hourly: reminders, last day),
  `send_pickup_notice` (after a handout, with the pickup voucher): rich e-mails with the QR, each once
- imports: `announce_batch` (all-or-nothing, errors per row: the API), `import_announcements_csv`; a member's
  "let me know when it arrives": `expect_parcel` (a `ParcelWatch`: never an announcement, never a recipient)
- conversion: `set_pickup_voucher`, `issue_pickup_voucher` (loyalty's voucher service, once per handout)
- transitions: `transition` — the only writer of `Parcel.state`, checked against `states.TRANSITIONS`; for
  the next services (returns drop-off, handover, inventory), with `lock_parcels` and `derived_key`
- returns: `drop_off_return` → `ReturnResult` (carrier settled as at intake, size checked, receipt e-mailed
  after commit: `send_return_receipt`)
- handover: `open_handover`, `scan_for_handover` → `HandoverScan`, `close_handover` (scanned items only)
- webshop: `receive_announced_parcel` — a webshop parcel the merchant brings: the normal intake, no desk scan
- inventory: `start_inventory`, `scan_inventory` → `InventoryScanResult`, `finish_inventory` → `InventoryResult`
  (`inventory_result` reads it again), `mark_missing_parcels`

Reads are in `parcels.selectors` (`find_waiting_parcels`, `suggest_location`, `parcel_history`, …).
"""

from .announcements import announce_parcel, clean_tracking_code
from .conversion import issue_pickup_voucher, set_pickup_voucher
from .handover import HandoverScan, close_handover, open_handover, scan_for_handover
from .imports import AnnouncementRow, BatchResult, announce_batch, expect_parcel, import_announcements_csv
from .intake import IntakeResult, receive_parcel, storage_until, store_parcel
from .inventory import (
    InventoryResult,
    InventoryScanResult,
    finish_inventory,
    inventory_result,
    mark_missing_parcels,
    scan_inventory,
    start_inventory,
)
from .lifecycle import declare_lost, erase_recipient_data, expire_overdue_parcels
from .notices import send_due_reminders, send_pickup_notice, send_ready_notice
from .pickup import HandoutResult, hand_out_parcels, look_up_for_pickup
from .returns import ReturnResult, drop_off_return, send_return_receipt
from .transitions import derived_key, lock_parcels, record_move, transition
from .webshop import receive_announced_parcel

__all__ = [
    "AnnouncementRow",
    "BatchResult",
    "HandoutResult",
    "HandoverScan",
    "IntakeResult",
    "InventoryResult",
    "InventoryScanResult",
    "ReturnResult",
    "announce_batch",
    "announce_parcel",
    "clean_tracking_code",
    "close_handover",
    "declare_lost",
    "derived_key",
    "drop_off_return",
    "erase_recipient_data",
    "expect_parcel",
    "expire_overdue_parcels",
    "finish_inventory",
    "hand_out_parcels",
    "import_announcements_csv",
    "inventory_result",
    "issue_pickup_voucher",
    "lock_parcels",
    "look_up_for_pickup",
    "mark_missing_parcels",
    "open_handover",
    "receive_announced_parcel",
    "receive_parcel",
    "record_move",
    "scan_for_handover",
    "scan_inventory",
    "send_due_reminders",
    "send_pickup_notice",
    "send_ready_notice",
    "send_return_receipt",
    "set_pickup_voucher",
    "start_inventory",
    "storage_until",
    "store_parcel",
    "transition",
]
