"""A labelled mood set: customer messages and the label an experienced agent gives them.

angry: hostile, insulting, threatening or shouting; frustrated: upset, repeated or long
unresolved trouble, without hostility; neutral: a plain question or report, polite even
when it names a problem; positive: thanks and praise.
"""

MOODS: list[tuple[str, str]] = [
    # polite reports of a problem are neutral, not angry
    ("Hello, unfortunately my parcel arrived damaged and the glass is broken. Could you please help? Thank you!", "neutral"),
    ("Hi, I think I was charged twice for order 4411. Could you check, please? Thanks a lot.", "neutral"),
    ("Good morning, the kettle stopped working after a month. What should I do? Kind regards", "neutral"),
    ("Sorry to bother you, but my password reset email never arrived. Any idea?", "neutral"),
    ("Hi there, I'd like to return a jacket that doesn't fit. How do I do that?", "neutral"),
    ("My parcel is late, it was due yesterday. Can you tell me where it is?", "neutral"),
    ("Could you cancel my subscription please? I no longer need it.", "neutral"),
    ("Hallo, leider ist die Vase kaputt angekommen. Können Sie mir bitte helfen?", "neutral"),
    ("Bonjour, mon colis n'est pas encore arrivé. Pouvez-vous vérifier ? Merci", "neutral"),
    ("Hola, quiero devolver un abrigo. ¿Cómo lo hago? Gracias", "neutral"),
    ("What are your opening hours for the pickup point?", "neutral"),
    ("The app shows an error when I log in. Screenshot attached.", "neutral"),
    # frustrated: upset, repeated, waiting
    ("This is the third time I'm writing about my refund. Still nothing.", "frustrated"),
    ("I've been waiting two weeks for my parcel and nobody answers my emails.", "frustrated"),
    ("Still no refund after a month. I'm really disappointed.", "frustrated"),
    ("Why is it so hard to cancel? I've tried three times now.", "frustrated"),
    ("I'm fed up with this login loop, I can't get into my account again!", "frustrated"),
    ("Ich warte immer noch auf meine Rückerstattung. Das ist enttäuschend.", "frustrated"),
    ("Toujours pas de remboursement après trois semaines, c'est décevant.", "frustrated"),
    ("Todavía no ha llegado mi pedido y nadie me responde.", "frustrated"),
    ("I was promised a call back yesterday and nobody called. Again.", "frustrated"),
    ("The replacement is broken too. This is really annoying.", "frustrated"),
    # angry: hostile, threats, shouting
    ("This is RIDICULOUS. I want my money back NOW or I'm calling my bank.", "angry"),
    ("Your service is the worst I have ever seen. Absolutely useless!!", "angry"),
    ("You are thieves. You charged me twice and ignore me. I will report you.", "angry"),
    ("WHERE IS MY ORDER??? THIS IS A SCAM", "angry"),
    ("Unacceptable. Terrible company, I'll never buy from you again and will tell everyone.", "angry"),
    ("Das ist eine Frechheit! Inakzeptabel, ich will sofort mein Geld zurück!!", "angry"),
    ("C'est inadmissible, vous êtes des escrocs !!", "angry"),
    ("¡Es inaceptable! Son unos estafadores, quiero mi dinero YA.", "angry"),
    # positive
    ("Thank you so much, the replacement arrived and works perfectly!", "positive"),
    ("Great service, thanks for sorting this out so quickly.", "positive"),
    ("Love the new lamp, thanks for the quick delivery!", "positive"),
    ("Vielen Dank, das hat super geklappt!", "positive"),
    ("Merci beaucoup, tout est parfait !", "positive"),
    ("¡Muchas gracias, todo perfecto!", "positive"),
]  # fmt: skip

# Written after the rules were calibrated on MOODS, never tuned on.
FRESH_MOODS: list[tuple[str, str]] = [
    ("Hi, my order hasn't shipped yet. Is there a delay? Thanks", "neutral"),
    ("Quick question: do you ship to Norway?", "neutral"),
    ("The lid of my blender cracked. Can I buy a spare part?", "neutral"),
    ("I have now called four times and each time I'm told to wait. Still waiting.", "frustrated"),
    ("Honestly I'm tired of chasing you for this refund.", "frustrated"),
    ("You people are a joke. Fix it or I'm done with you.", "angry"),
    ("STOP SENDING ME EMAILS. I UNSUBSCRIBED TWICE.", "angry"),
    ("Thanks, that did the trick!", "positive"),
    ("Wonderful, the new headphones are amazing. Thank you!", "positive"),
    ("Ich habe immer noch keine Antwort bekommen, schon wieder nicht.", "frustrated"),
    ("Bonjour, pouvez-vous m'envoyer la facture ? Merci", "neutral"),
    ("Me han cobrado dos veces. ¿Pueden revisarlo, por favor?", "neutral"),
]  # fmt: skip
