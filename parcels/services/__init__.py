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
- imports: `announce_batch` (all-or-nothing, errors per row: the API and members), `import_announcements_csv`
- conversion: `set_pickup_voucher`, `issue_pickup_voucher` (loyalty's voucher service, once per handout)
- transitions: `transition` — the only writer of `Parcel.state`, checked against `states.TRANSITIONS`; for
  the next services (returns drop-off, handover, inventory), with `lock_parcels` and `derived_key`

Reads are in `parcels.selectors` (`find_waiting_parcels`, `suggest_location`, `parcel_history`, …).
"""

from .announcements import announce_parcel, clean_tracking_code
from .conversion import issue_pickup_voucher, set_pickup_voucher
from .imports import AnnouncementRow, BatchResult, announce_batch, import_announcements_csv
from .intake import IntakeResult, receive_parcel, storage_until, store_parcel
from .lifecycle import declare_lost, erase_recipient_data, expire_overdue_parcels
from .notices import send_due_reminders, send_pickup_notice, send_ready_notice
from .pickup import HandoutResult, hand_out_parcels, look_up_for_pickup
from .transitions import derived_key, lock_parcels, record_move, transition

__all__ = [
    "AnnouncementRow",
    "BatchResult",
    "HandoutResult",
    "IntakeResult",
    "announce_batch",
    "announce_parcel",
    "clean_tracking_code",
    "declare_lost",
    "derived_key",
    "erase_recipient_data",
    "expire_overdue_parcels",
    "hand_out_parcels",
    "import_announcements_csv",
    "issue_pickup_voucher",
    "lock_parcels",
    "look_up_for_pickup",
    "receive_parcel",
    "record_move",
    "send_due_reminders",
    "send_pickup_notice",
    "send_ready_notice",
    "set_pickup_voucher",
    "storage_until",
    "store_parcel",
    "transition",
]
