"""A KB ranking evaluation set: varied customer messages and the article that answers each.

Two help centres: the demo's (``agentdesk/demo/kb``, 51 articles) and ``nordic/`` (15
articles of a clothing and homeware shop, written for this set). ``DEV`` was written
before the ranking was changed and used while changing it; ``HOLDOUT`` was written
after the first changes (its misses then led to four more concepts), ``FRESH`` after
those, and never tuned on. Each case: (help centre, message, acceptable slugs).
"""

from __future__ import annotations

from pathlib import Path

import agentdesk.demo

DEMO = Path(agentdesk.demo.__file__).parent / "kb"
NORDIC = Path(__file__).parent / "nordic"

DEV: list[tuple[str, str, tuple[str, ...]]] = [
    # nordic
    ("nordic", "The vase came shattered in the box, what now?", ("broken-item",)),
    ("nordic", "Jacket doesn't fit, I want to send it back.", ("returns", "size-exchange")),
    ("nordic", "My table lamp stopped charging after 14 months.", ("warranty",)),
    ("nordic", "Can I get the same jumper one size bigger instead?", ("size-exchange",)),
    ("nordic", "Two plates were in pieces when I opened the parcel.", ("broken-item",)),
    ("nordic", "Order 55123 still hasn't shown up, it's been over a week.", ("late-order",)),
    ("nordic", "I paid two times for the same order, please fix it", ("double-charge",)),
    ("nordic", "Your checkout keeps declining my Visa.", ("payment-failed",)),
    ("nordic", "I forgot my password and the reset link never came.", ("reset-password",)),
    ("nordic", "Please stop sending me marketing emails.", ("newsletter",)),
    ("nordic", "I want all my personal data erased under GDPR.", ("delete-account",)),
    ("nordic", "The box arrived but the scarf I ordered wasn't in it.", ("missing-item",)),
    ("nordic", "Is my gift card still valid? I got it last Christmas.", ("gift-cards",)),
    ("nordic", "My wool sweater is pilling after two washes.", ("care-washing",)),
    ("nordic", "Do you deliver to Switzerland and will I pay import tax?", ("international",)),
    ("nordic", "What size should I order? I'm usually between M and L.", ("size-guide",)),
    ("nordic", "Die Vase ist zerbrochen angekommen.", ("broken-item",)),
    ("nordic", "Ich möchte die Hose zurückschicken und mein Geld zurück.", ("returns",)),
    ("nordic", "Mon colis n'est toujours pas arrivé après dix jours.", ("late-order",)),
    ("nordic", "On m'a débité deux fois pour la même commande.", ("double-charge",)),
    ("nordic", "Quiero devolver el abrigo, no me queda bien.", ("returns", "size-exchange")),
    ("nordic", "No puedo iniciar sesión, olvidé mi contraseña.", ("reset-password",)),
    ("nordic", "hey where's my stuff?? ordered monday", ("late-order",)),
    ("nordic", "the kettle won't turn on anymore, it's only a year old", ("warranty",)),
    # demo
    ("demo", "The mug was smashed when it arrived, can I get a new one?", ("damaged-on-arrival",)),
    ("demo", "I got a blue lamp but ordered the green one.", ("wrong-item",)),
    ("demo", "Is there a fee if I send back my order without the box?", ("return-without-box",)),
    ("demo", "How long until my money is back after the return?", ("refund-timeline",)),
    ("demo", "I returned the speaker three weeks ago and still no refund.", ("refund-missing",)),
    (
        "demo",
        "I cancelled Plus but you took money again this month.",
        ("subscription-charged-after-cancel",),
    ),
    (
        "demo",
        "There's a payment from Kestrel Home on my statement I don't know.",
        ("unknown-charge",),
    ),
    ("demo", "Can you put our company VAT number on the invoice?", ("invoice-company-vat",)),
    ("demo", "My card keeps getting rejected when I pay.", ("payment-declined",)),
    ("demo", "The page keeps refreshing when I try to log in.", ("login-loop",)),
    (
        "demo",
        "I got a new phone and now the authenticator codes don't work.",
        ("two-factor-new-phone",),
    ),
    ("demo", "Too many attempts, my account is blocked.", ("account-locked",)),
    ("demo", "The smart plug is blinking orange and won't connect.", ("reset-smart-device",)),
    ("demo", "Where do I find the serial number on the device?", ("device-code",)),
    ("demo", "Can I use my kettle in the US with 110 volts?", ("voltage-travel",)),
    ("demo", "I need a replacement filter for the vacuum.", ("spare-parts",)),
    ("demo", "My parcel went back to the sender, why?", ("returned-to-sender",)),
    ("demo", "Only half my order came, where is the rest?", ("split-shipments",)),
    ("demo", "I want to move to the yearly plan.", ("change-plan",)),
    ("demo", "Please cancel my order, I ordered by mistake.", ("order-cancel",)),
    ("demo", "I need a label to return the toaster.", ("return-label",)),
    ("demo", "Meine Bestellung ist zu spät, sie sollte am Montag kommen.", ("late-delivery",)),
    ("demo", "Ich wurde zweimal belastet.", ("charged-twice",)),
    (
        "demo",
        "Je n'arrive pas à réinitialiser mon mot de passe.",
        ("reset-password", "reset-email-missing"),
    ),
    ("demo", "Mi pedido llegó dañado.", ("damaged-on-arrival",)),
    ("demo", "I'd like to file a formal complaint about your service.", ("complaint-escalation",)),
]
HOLDOUT: list[tuple[str, str, tuple[str, ...]]] = [
    ("nordic", "The glass bowl had a big chip in it when I unpacked it.", ("broken-item",)),
    ("nordic", "These trousers are way too long for me, can I swap them?", ("size-exchange",)),
    ("nordic", "How do I get my money back for the boots? They hurt my feet.", ("returns",)),
    ("nordic", "Tracking hasn't updated since Tuesday. Is my parcel lost?", ("late-order",)),
    ("nordic", "Why is there a second payment for order 8812 on my card?", ("double-charge",)),
    ("nordic", "Klarna won't accept my payment at checkout", ("payment-failed",)),
    ("nordic", "My account got locked after I typed the wrong password", ("reset-password",)),
    ("nordic", "How do I turn off your promotional newsletters?", ("newsletter",)),
    (
        "nordic",
        "Please close my account and remove everything you store about me",
        ("delete-account",),
    ),
    (
        "nordic",
        "I only got the candles, the blanket from the same order is not there",
        ("missing-item",),
    ),
    ("nordic", "Can I pay with a voucher I got from my sister?", ("gift-cards",)),
    ("nordic", "Can I put my merino cardigan in the dryer?", ("care-washing",)),
    ("nordic", "Do you ship to the UK? Will there be customs fees?", ("international",)),
    ("nordic", "The desk lamp flickers and then dies, bought it in March.", ("warranty",)),
    (
        "nordic",
        "Das Paket ist seit zwei Wochen unterwegs und immer noch nicht da.",
        ("late-order",),
    ),
    ("nordic", "La tasse est arrivée cassée.", ("broken-item",)),
    (
        "nordic",
        "La chaqueta es demasiado pequeña, quiero cambiarla por una talla más.",
        ("size-exchange", "returns"),
    ),
    ("demo", "The box was crushed and the blender jug is cracked.", ("damaged-on-arrival",)),
    ("demo", "You sent me a toaster, I ordered a kettle!", ("wrong-item",)),
    (
        "demo",
        "How many days does it take for a refund to show up on my card?",
        ("refund-timeline",),
    ),
    (
        "demo",
        "My order shows delivered but nothing was left at my door.",
        ("delivered-not-received",),
    ),
    ("demo", "How do I get my invoice as a PDF?", ("invoices-download",)),
    ("demo", "I can't remember my password, how do I make a new one?", ("reset-password",)),
    ("demo", "The reset email never shows up, not even in spam.", ("reset-email-missing",)),
    ("demo", "Do you accept Apple Pay?", ("payment-methods",)),
    (
        "demo",
        "The vacuum robot dies halfway through cleaning and won't dock.",
        ("robot-vacuum-troubleshooting",),
    ),
    ("demo", "Can I pick up my parcel at a locker instead of home delivery?", ("pickup-points",)),
    ("demo", "I want to change where my order gets shipped to.", ("change-delivery-address",)),
    ("demo", "Mi reembolso todavía no ha llegado.", ("refund-missing",)),
    ("demo", "Je veux annuler mon abonnement Plus.", ("cancel-subscription",)),
]

FRESH: list[tuple[str, str, tuple[str, ...]]] = [
    ("nordic", "One of the wine glasses arrived in bits.", ("broken-item",)),
    (
        "nordic",
        "The coat is lovely but the sleeves are too short. Could I have an L?",
        ("size-exchange",),
    ),
    ("nordic", "I changed my mind about the rug, how do I return it?", ("returns",)),
    (
        "nordic",
        "It's been 9 days and the courier still hasn't delivered my order.",
        ("late-order",),
    ),
    ("nordic", "My bank shows the same amount taken twice yesterday.", ("double-charge",)),
    ("nordic", "Checkout says my card was declined but I have money on it.", ("payment-failed",)),
    ("nordic", "I can't log into my account, it says wrong password.", ("reset-password",)),
    ("nordic", "How long is a gift card valid for?", ("gift-cards",)),
    ("nordic", "My electric blanket no longer heats up, it's under a year old.", ("warranty",)),
    ("nordic", "Meine Mütze ist nach dem Waschen eingelaufen.", ("care-washing",)),
    ("nordic", "Livrez-vous en Suisse ? Y a-t-il des frais de douane ?", ("international",)),
    ("demo", "The screen of my new tablet was cracked out of the box.", ("damaged-on-arrival",)),
    ("demo", "Where can I see where my parcel is right now?", ("track-order",)),
    ("demo", "I'd like to stop my Kestrel Plus membership.", ("cancel-subscription",)),
    ("demo", "I got only 20 euros back instead of the full price, why?", ("partial-refund",)),
    ("demo", "How do I set up two-step login on my account?", ("two-factor-setup",)),
    ("demo", "My headphones won't connect to my laptop as a second device.", ("pair-bluetooth",)),
    ("demo", "Is the warranty still valid after 18 months?", ("warranty", "warranty-claim")),
    ("demo", "The returns label won't print, is there a QR code option?", ("return-label",)),
    ("demo", "Ich habe das falsche Produkt bekommen.", ("wrong-item",)),
]
