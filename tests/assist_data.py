"""A small help centre for assist tests: Markdown articles written to a folder."""

from __future__ import annotations

from pathlib import Path

ARTICLES = {
    "billing/refunds.md": """---
title: How refunds work
tags: [billing, refund, returns]
url: https://help.example.com/refunds
---
Once we receive a returned item, the refund goes back to the original payment method.

1. We check the returned item within 2 working days.
2. The refund is issued to your original payment method.
3. Your bank shows it within 3-5 working days.
""",
    "billing/double-charge.md": """---
title: I was charged twice
tags: [billing, invoice, payment]
url: https://help.example.com/double-charge
---
A second charge is usually a pending authorisation that disappears within 3 days.
If both charges are final, send us the invoice number and we refund the duplicate.
""",
    "shipping/track-parcel.md": """---
title: Track your parcel
tags: [delivery, shipping]
url: https://help.example.com/tracking
---
Every order ships with a tracking link.

- Open the shipping confirmation email.
- Click the tracking link.
- If the parcel has not moved for 5 days, contact us and we open a courier claim.
""",
    "shipping/change-address.md": """---
title: Change the delivery address
tags: [delivery, address]
url: https://help.example.com/address
---
You can change the delivery address until the order ships: go to Orders, choose the
order and press Change address.
""",
    "account/login-code.md": """---
title: The login code never arrives
tags: [account, login, 2fa]
url: https://help.example.com/login-code
---
Codes are sent by SMS and can take a minute.

1. Check the phone number in your profile.
2. Wait 60 seconds, then press Resend code.
3. Still nothing? Switch to the authenticator app option.
""",
    "account/close-account.md": """---
title: Close your account
tags: [account, cancel]
url: https://help.example.com/close
---
To cancel your subscription and close the account, open Settings, Account, Close account.
""",
    "products/kettle-care.md": """---
title: Descaling the blue kettle
tags: [kettle, care]
url: https://help.example.com/kettle
---
Descale the kettle monthly with a mix of water and vinegar.
""",
}


def write_kb(folder: Path, articles: dict[str, str] | None = None) -> Path:
    """Write ``articles`` (default ``ARTICLES``) under ``folder``; returns it."""
    for name, text in (ARTICLES if articles is None else articles).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
