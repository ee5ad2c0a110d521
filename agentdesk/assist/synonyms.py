"""What customers say and the words a help-centre article uses for it (EN/DE/FR/ES).

Customers rarely use an article's words: "the vase came shattered" is about a *damaged*
item, "send it back" is a *return*, "stopped charging" is a *faulty* device (not a
charge on the bill). Each concept lists the phrases or word beginnings that name it
(whole words with an English ending, or word beginnings marked ``*``, in any of
the four languages) and the English words that an
answering article uses. ``expand`` finds the concepts in a text; the ranking searches
their article words in place of the words that named them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# concept -> (article words, phrases or word beginnings that name it)
CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "damaged": (
        ("damaged", "damage", "broken"),
        (
            "shatter", "smash", "crack", "in pieces", "broke", "broken", "dent", "scratch", "damag*",
            "zerbroch*", "kaputt*", "beschädig*", "zerkratzt", "cassé*", "brisé*", "endommag*",
            "abîm*", "roto", "rota", "dañad*", "rompi*", "estropead*",
        ),
    ),
    "faulty": (
        ("warranty", "repair", "faulty", "troubleshooting"),
        (
            "stopped working", "stopped charging", "stops charging", "won't charge",
            "will not charge", "not charging", "doesn't charge", "does not charge",
            "don't work", "won't turn on", "doesn't turn on", "does not turn on", "won't switch on",
            "not turning on", "not working", "doesn't work", "does not work", "no longer works",
            "faulty", "defect*", "malfunction*", "funktioniert nicht", "geht nicht mehr",
            "lädt nicht", "defekt", "ne marche", "ne fonctionne", "ne charge", "en panne",
            "no funciona", "no carga", "no enciende", "averiad*",
        ),
    ),
    "return": (
        ("return", "returns"),
        (
            "send it back", "send them back", "send back", "sending back", "sent back",
            "return", "zurückschick*", "zurücksend*", "rücksend*", "zurückgeb*", "retourn*",
            "renvoy*", "devolv*", "devoluci*",
        ),
    ),
    "misfit": (
        ("exchange", "swap", "return"),
        (
            "doesn't fit", "does not fit", "don't fit", "didn't fit", "too small", "too big",
            "too large", "too tight", "too loose", "too long", "too short", "bigger",
            "smaller", "passt nicht", "zu klein", "zu groß", "trop petit", "trop grand",
            "ne me va pas", "no me queda", "me queda",
        ),
    ),
    "size": (
        ("size", "sizing", "fit"),
        ("size", "sizing", "größe", "taille", "talla"),
    ),
    "exchange": (
        ("exchange", "swap"),
        ("exchange", "swap", "umtausch*", "tauschen", "échang*", "cambiar", "cambio"),
    ),
    "twice": (
        ("twice", "duplicate", "charged"),
        (
            "twice", "two times", "2 times", "double charg", "charged double", "duplicate",
            "second payment", "second charge", "extra charge", "charged again", "paid again",
            "zweimal", "doppelt", "deux fois", "dos veces", "duplicad*",
        ),
    ),
    "charge": (
        ("charge", "charged", "payment"),
        (
            "took money", "taken money", "debited", "billed", "belast*", "abgebucht*",
            "abbuch*", "débit*", "prélev*", "cobr*", "cargo",
        ),
    ),
    "late": (
        ("late", "delay"),
        (
            "late", "delay", "overdue", "taking so long", "taking forever", "should have arrived",
            "should have come", "verspät*", "zu spät", "en retard", "retard", "retras*", "tarde",
        ),
    ),
    "not arrived": (
        ("arrived", "received", "tracking", "delivery"),
        (
            "hasn't arrived", "has not arrived", "haven't received", "have not received",
            "not arrived", "not received", "hasn't shown up", "not shown up", "hasn't come",
            "never arrived", "never came", "still no", "still not", "still haven't",
            "still hasn't", "where is my", "where's my", "nicht angekommen", "noch nicht",
            "nie angekommen", "pas arrivé", "pas reçu", "toujours pas", "jamais reçu",
            "no ha llegado", "no llegó", "no he recibido", "todavía no", "aún no",
        ),
    ),
    "partial": (
        ("missing", "several parcels", "split"),
        (
            "only half", "only part", "the rest of", "rest of my order", "part of my order",
            "only one of", "only got one", "other items", "nur ein teil", "nur die hälfte",
            "une partie", "seulement la moitié", "solo una parte", "parte de mi pedido",
        ),
    ),
    "parcel": (  # context more than the problem: weighs half (see CONTEXT)
        ("parcel", "package", "delivery"),
        ("parcel", "package", "paket", "päckchen", "colis", "paquete", "envío", "lieferung"),
    ),
    "order": (("order",), ("bestellung", "commande", "pedido")),
    "missing": (
        ("missing",),
        (
            "wasn't in", "was not in", "weren't in", "not in the box", "not in the parcel",
            "not included", "not there", "missing", "fehlt", "manque", "falta",
        ),
    ),
    "password": (
        ("password", "reset"),
        ("password", "passwort", "kennwort", "mot de passe", "contraseña"),
    ),
    "forgot": (
        ("forgot", "reset"),
        (
            "forgot", "forgotten", "can't remember", "cannot remember", "don't remember",
            "vergessen", "oublié", "olvid*",
        ),
    ),
    "pickup": (
        ("pickup", "collect", "pickup point"),
        (
            "pick up", "pick it up", "pickup", "collect", "locker", "parcel shop",
            "abholen", "packstation", "point relais", "retirer", "recoger", "punto de recogida",
        ),
    ),
    "login": (
        ("login", "sign in", "log in"),
        (
            "log in", "login", "log on", "sign in", "sign-in", "signin", "anmeld*", "einlogg*",
            "connexion", "connecter", "iniciar sesión", "acceder", "entrar",
        ),
    ),
    "refund": (
        ("refund",),
        (
            "money back", "refund", "reimburs*", "geld zurück", "rückerstatt*", "erstatt*",
            "rembours*", "reembols*",
        ),
    ),
    "cancel": (
        ("cancel", "cancellation"),
        (
            "cancel", "stop my", "end my", "terminate", "kündig*", "stornier*", "annul*",
            "résili*", "cancelar", "anular",
        ),
    ),
    "unsubscribe": (
        ("unsubscribe", "newsletter", "marketing", "emails"),
        (
            "stop sending", "stop emailing", "unsubscribe", "newsletter", "marketing email",
            "promotional email", "spam me", "abbestell*", "désabonn*", "désinscri*",
            "darme de baja", "dar de baja",
        ),
    ),
    "erase": (
        ("delete", "privacy", "data"),
        (
            "erase", "gdpr", "dsgvo", "rgpd", "forget me", "personal data", "löschen",
            "supprimer", "borrar", "eliminar",
        ),
    ),
    "declined": (
        ("declined", "rejected", "refused"),
        (
            "declin*", "reject*", "refused", "won't go through", "doesn't go through",
            "not go through", "abgelehnt*", "refusé", "rechaz*",
        ),
    ),
    "download": (
        ("download", "copy"),
        (
            "download", "get an invoice", "get a copy", "get a receipt", "herunterlad*",
            "télécharg*", "descarg*",
        ),
    ),
    "invoice": (
        ("invoice", "receipt"),
        ("invoice", "receipt", "rechnung", "quittung", "facture", "reçu", "factura", "recibo"),
    ),
    "wrong item": (
        ("wrong", "received"),
        (
            "wrong item", "wrong colour", "wrong color", "wrong product", "wrong one",
            "sent me the wrong", "sent me a different", "not the one i ordered",
            "but ordered", "but i ordered", "not what i ordered", "falsch*", "mauvais article",
            "equivocad*", "incorrect",
        ),
    ),
    "voucher": (
        ("voucher", "gift card", "discount"),
        (
            "voucher", "gift card", "giftcard", "coupon", "promo code", "discount code",
            "gutschein", "bon d'achat", "carte cadeau", "tarjeta regalo", "cupón",
        ),
    ),
    "plan": (
        ("plan", "subscription", "annual", "monthly"),
        ("yearly", "annual", "monthly", "abo", "abonnement", "suscripci*"),
    ),
    "customs": (
        ("customs", "international", "import"),
        ("import tax", "import duty", "import vat", "duties", "customs", "zoll", "douane",
         "aduana"),
    ),
    "two-factor": (
        ("two-factor", "2fa", "authenticator"),
        ("authenticator", "2fa", "two-factor", "two factor", "zwei-faktor", "double facteur"),
    ),
    "locked": (
        ("locked", "account"),
        ("blocked", "locked", "too many attempts", "gesperrt*", "bloqué*", "bloquead*"),
    ),
    "washing": (
        ("washing", "care", "wash"),
        ("wash", "pilling", "shrunk", "shrink", "dryer", "tumble", "laundry", "waschen",
         "gewaschen*", "trockner*", "lavage", "lavé*", "sèche-linge", "lavar", "lavado",
         "secadora*"),
    ),
    "serial": (
        ("serial number", "device code"),
        ("serial", "seriennummer", "numéro de série", "número de serie"),
    ),
}  # fmt: skip

# Concepts that set the scene rather than name the problem: they weigh half.
CONTEXT = frozenset({"parcel", "order"})

# Words that say little about which article answers ("came", "send", "fix"): a query
# word among them counts a third of a distinctive word.
WEAK_WORDS = frozenset(
    [
        "came",
        "come",
        "comes",
        "got",
        "get",
        "gets",
        "getting",
        "send",
        "sent",
        "want",
        "wanted",
        "fix",
        "make",
        "made",
        "open",
        "opened",
        "put",
        "take",
        "took",
        "give",
        "gave",
        "use",
        "used",
        "said",
        "ordered",
        "order",
        "orders",
        "bought",
        "item",
        "items",
        "stuff",
        "keep",
        "keeps",
        "keeping",
        "same",
        "anymore",
        "month",
        "months",
        "year",
        "years",
        "last",
        "first",
        "instead",
        "received",
        "arrived",
        "thing",
        "things",
        "problem",
        "issue",
    ]
)


@dataclass(frozen=True)
class Concept:
    """A concept found in the text, the article words that stand for it and the span."""

    name: str
    words: tuple[str, ...]
    start: int
    end: int


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """A phrase matches at a word start, as a whole word with an English ending (s, es,
    d, ed, ing); one ending in ``*`` matches whatever follows."""
    alternatives = [
        re.escape(p[:-1]) if p.endswith("*") else re.escape(p) + r"(?:s|es|d|ed|ing)?(?!\w)"
        for p in sorted(phrases, key=len, reverse=True)
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


@functools.cache
def _patterns() -> dict[str, re.Pattern[str]]:
    """One pattern per concept, compiled on first use (not at import)."""
    return {name: _pattern(phrases) for name, (_, phrases) in CONCEPTS.items()}


def normalise(text: str) -> str:
    """Lower case, curly apostrophes straight (so "doesn’t fit" is "doesn't fit")."""
    return text.lower().replace("’", "'")


def expand(text: str) -> list[Concept]:
    """The concepts ``text`` names, in order of appearance (each once)."""
    text = normalise(text)
    found = []
    for name, pattern in _patterns().items():
        match = pattern.search(text)
        if match:
            found.append(Concept(name, CONCEPTS[name][0], match.start(), match.end()))
    return sorted(found, key=lambda c: c.start)
