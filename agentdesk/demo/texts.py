"""Phrase templates for the demo data: names, products and what customers and agents write.

The generator combines these pieces (opener + detail + closing, per intent and mood) so
hundreds of messages read naturally without repeating. Placeholders such as ``{order}``
are filled by the generator; every template is plain text (no markup).
"""

from __future__ import annotations

COMPANY = "Kestrel Home"
SUPPORT_DOMAIN = "kestrel.example"

AGENTS = (
    ("alice", "Alice Martin"),
    ("bob", "Bob Okafor"),
    ("carmen", "Carmen Ruiz"),
    ("dev", "Dev Patel"),
)

# Customers whose names test unicode handling; always present in the demo.
SPECIAL_CUSTOMERS = (
    ("Zoë Ångström", "zoe.angstrom"),
    ("José Núñez", "jose.nunez"),
    ("李小龙", "xiaolong.li"),
    ("Łukasz Wróbel", "lukasz.wrobel"),
    ("Siobhán O'Connor", "siobhan.oconnor"),
    ("Nguyễn Thị Lan", "lan.nguyen"),
    ("Ayşe Yılmaz", "ayse.yilmaz"),
    ("Анна Петрова", "anna.petrova"),
    ("Björn Åkesson", "bjorn.akesson"),
    ("Chloé Dubois", "chloe.dubois"),
)

FIRST_NAMES = (
    "Ann",
    "Ben",
    "Clara",
    "Daniel",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kate",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xenia",
    "Yusuf",
    "Zara",
    "Amir",
    "Bianca",
    "Carlos",
    "Deepa",
    "Elena",
    "Felix",
    "Greta",
    "Hannah",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
    "Oscar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomás",
    "Ulla",
    "Victor",
    "Wen",
    "Yara",
    "Zeynep",
)
LAST_NAMES = (
    "Lee",
    "Schmidt",
    "Okafor",
    "Rossi",
    "Kowalski",
    "Tanaka",
    "Haddad",
    "Brown",
    "García",
    "Novak",
    "Andersen",
    "Moreau",
    "Costa",
    "Fischer",
    "Kim",
    "Mensah",
    "Ortiz",
    "Patel",
    "Quinn",
    "Silva",
    "Berg",
    "Walsh",
    "Yamada",
    "Meyer",
    "Dubois",
    "Hughes",
    "Ivanova",
    "Jensen",
    "Khan",
    "Laurent",
    "Murphy",
    "Nakamura",
    "Olsen",
    "Pereira",
    "Romero",
)
EMAIL_DOMAINS = ("example.com", "mail.example", "example.org", "example.net", "post.example")
CHAT_DOMAIN = "chat.example.org"

PRODUCTS = (
    "Aero 2 wireless headphones",
    "Nimbus standing desk",
    "Kettle Pro 1.7 L",
    "Lumo smart bulb (4-pack)",
    "Cirrus air purifier",
    "Terra cast-iron pan",
    "Drift robot vacuum",
    "Halo desk lamp",
    "Pebble Bluetooth speaker",
    "Summit office chair",
    "Breeze tower fan",
    "Orbit coffee grinder",
)
CARRIERS = ("DHL", "UPS", "DPD", "PostNord", "GLS")
PLANS = ("Kestrel Plus monthly", "Kestrel Plus annual", "Kestrel Business")
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge")
DEVICES = ("iPhone", "Android phone", "work laptop", "iPad", "Windows PC")

INTENTS = ("refund", "delivery", "login", "billing", "product", "complaint")
MOODS = ("calm", "confused", "angry")

SUBJECTS = {
    "refund": (
        "Refund for order {order}",
        "Where is my refund?",
        "Refund request – {product}",
        "Return received but no refund yet",
        "Money back for order {order}",
        "Refund not showing on my card",
    ),
    "delivery": (
        "Order {order} still not delivered",
        "Delivery delay",
        "Where is my parcel?",
        "Tracking hasn't moved in {days} days",
        "Late delivery – order {order}",
        "{carrier} says delivered, but nothing arrived",
    ),
    "login": (
        "Can't log in",
        "Password reset email never arrives",
        "Locked out of my account",
        "Two-factor code not working",
        "Login problem on {device}",
        "Account access",
    ),
    "billing": (
        "Charged twice",
        "Wrong amount on invoice {invoice}",
        "Billing error",
        "Unexpected charge of {amount}",
        "Invoice {invoice} – VAT missing",
        "Subscription charged after cancelling",
    ),
    "product": (
        "Question about the {product}",
        "Is the {product} compatible?",
        "{product}: how do I set it up?",
        "Before I buy – {product}",
        "Spare parts?",
        "Warranty question",
    ),
    "complaint": (
        "Very disappointed",
        "Complaint about my order {order}",
        "Poor service",
        "Damaged {product}",
        "This is unacceptable",
        "Formal complaint",
    ),
}

OPENERS = {
    ("refund", "calm"): (
        "I returned the {product} from order {order} about {days} days ago and wanted to check on the refund.",
        "Could you let me know when I can expect the refund for order {order}?",
        "I sent back the {product} last week; the return label said the refund takes 5 days.",
        "I'd like to request a refund for the {product} – it isn't what I expected.",
    ),
    ("refund", "confused"): (
        "I'm a bit lost: the app says my return for order {order} was received, but I don't see any refund.",
        "I got an email saying 'refund issued' but my bank shows nothing. Is that normal?",
        "Not sure if I did this right – I returned the {product} without the original box. Will I still get my money back?",
        "The refund I got is {amount}, but I paid more than that. Did I miss something?",
    ),
    ("refund", "angry"): (
        "It has been {days} days since you received my return and I still have no refund.",
        "I am done waiting. Refund order {order} today or I will dispute the charge with my bank.",
        "This is the third time I'm asking about my refund for the {product}.",
        "You took my return but kept my money. Where is my {amount}?",
    ),
    ("delivery", "calm"): (
        "My order {order} was supposed to arrive on {weekday} but hasn't come yet.",
        "Just checking on order {order} – the tracking number {tracking} hasn't updated since {weekday}.",
        "Could you tell me when the {product} will ship? The order page still says 'processing'.",
        "I ordered the {product} {days} days ago; is there an estimated delivery date?",
    ),
    ("delivery", "confused"): (
        "The tracking for {tracking} says 'returned to sender' but I never saw a delivery attempt.",
        "{carrier} says my parcel was delivered, but there's nothing at my door or with the neighbours.",
        "I got two tracking numbers for order {order} and only one parcel arrived. Is the other one coming?",
        "My order shows 'delivered to pickup point' but I don't know which one.",
    ),
    ("delivery", "angry"): (
        "Order {order} is {days} days late and nobody tells me anything.",
        "I paid for express shipping and the {product} still isn't here. Unbelievable.",
        "Your courier marked my parcel delivered. It was NOT delivered.",
        "I needed the {product} for this weekend. Now it's useless to me.",
    ),
    ("login", "calm"): (
        "I can't log in to my account – it says my password is wrong, although I'm sure it's right.",
        "I asked for a password reset but the email hasn't arrived.",
        "I got a new {device} and the two-factor codes from my authenticator don't work any more.",
        "Could you help me change the email address I use to log in?",
    ),
    ("login", "confused"): (
        "When I log in on {browser} the page just reloads and I end up on the login screen again.",
        "It says my account is locked, but I only tried twice?",
        "I'm getting a message 'session expired' every few minutes on my {device}.",
        "I don't remember which email I used to sign up – maybe my old work address?",
    ),
    ("login", "angry"): (
        "I have been locked out of my account for two days. I need my invoices NOW.",
        "Your password reset link expires before the email even arrives.",
        "Your login is broken. I've reset my password three times today.",
        "I can't access my orders because of your two-factor thing and there's no way to contact anyone.",
    ),
    ("billing", "calm"): (
        "I think I was charged twice for order {order} – I see two payments of {amount}.",
        "Could you send me a corrected invoice for {invoice}? The company name is missing.",
        "My card ending {last4} was charged {amount} for {plan}, but I thought I was on the cheaper plan.",
        "Can I change the billing address on invoice {invoice}?",
    ),
    ("billing", "confused"): (
        "I see a charge of {amount} from {company} on my statement but I don't recognise it.",
        "The invoice {invoice} shows a different amount than the checkout page did.",
        "I cancelled {plan} last month but I was charged again. Did the cancellation not go through?",
        "Why is VAT added twice on invoice {invoice}?",
    ),
    ("billing", "angry"): (
        "You charged my card ending {last4} twice. Fix this immediately.",
        "I cancelled {plan} and you STILL took {amount}. This is theft.",
        "Three months of wrong invoices. Our accountant is furious.",
        "I want the {amount} you overcharged me back today.",
    ),
    ("product", "calm"): (
        "Does the {product} work with 110 V? I'm moving to the US next month.",
        "Is there a replacement filter for the {product}, and how often should I change it?",
        "How do I pair the {product} with a second phone?",
        "Could you tell me the exact dimensions of the {product} packaging?",
    ),
    ("product", "confused"): (
        "The manual for the {product} says to hold the button for 5 seconds, but nothing happens.",
        "I'm not sure which version of the {product} I have – is there a serial number somewhere?",
        "The app asks for a 'device code' for my {product}. Where do I find that?",
        "My {product} blinks orange three times. What does that mean?",
    ),
    ("product", "angry"): (
        "The {product} stopped working after two weeks. Is this what I paid for?",
        "Your product page said the {product} was dishwasher safe. It is clearly not.",
        "The {product} makes a horrible noise and the manual is useless.",
        "I've tried every step in your guide and the {product} still won't turn on.",
    ),
    ("complaint", "calm"): (
        "I'd like to give some feedback about my last order {order}.",
        "The {product} arrived with a scratch on the side. Not a huge deal, but I wanted to let you know.",
        "Your courier left my parcel in the rain, and the box was soaked.",
        "I was promised a call back on {weekday} and nobody called.",
    ),
    ("complaint", "confused"): (
        "I received a {product} but I ordered something completely different – order {order}.",
        "Somebody from your team told me one thing on chat and another by email. Which is right?",
        "I was told my case was closed, but my problem is not solved.",
        "I got a survey about a conversation I never had with you.",
    ),
    ("complaint", "angry"): (
        "The {product} arrived broken and your chat bot just keeps sending me links.",
        "Worst customer service I've experienced. I've been waiting {days} days for an answer.",
        "Your driver threw my parcel over the fence. The {product} is ruined.",
        "I want to speak to a manager about order {order}. This is not acceptable.",
    ),
}

DETAILS = {
    "refund": (
        "I paid with my card ending {last4}.",
        "The return was dropped off at the {carrier} shop with tracking {tracking}.",
        "The item was unused and still in its original packaging.",
        "My order number is {order}, in case you need it.",
        "I'd prefer the money back rather than store credit.",
    ),
    "delivery": (
        "The delivery address is correct – I've checked it twice.",
        "Tracking number: {tracking} ({carrier}).",
        "I'm home every day after 3 pm if they need to try again.",
        "It's a gift, so I really need it before {weekday}.",
        "My neighbours haven't received anything either.",
    ),
    "login": (
        "My account email is {email}.",
        "I'm using {browser} on a {device}.",
        "I already cleared cookies and tried a private window.",
        "I checked the spam folder too, nothing there.",
        "The error says 'Something went wrong (code 4011)'.",
    ),
    "billing": (
        "The invoice number is {invoice}.",
        "We're a small business and need the VAT number on the invoice.",
        "Both charges are dated {weekday}.",
        "I noticed it when I checked my statement on {weekday}.",
        "Our company account is registered to {email}.",
    ),
    "product": (
        "I bought it about {days} days ago (order {order}).",
        "I've read the FAQ but couldn't find the answer.",
        "The serial number on the bottom starts with KH-{last4}.",
        "I'd rather not return it if there's a simple fix.",
        "I'm using it with the latest version of the app.",
    ),
    "complaint": (
        "Order {order}, delivered on {weekday}.",
        "I've been a customer for years and this has never happened before.",
        "I have photos if you need them.",
        "I'd like this escalated, please.",
        "I expect at least an apology.",
    ),
}

MOOD_CLOSINGS = {
    "calm": (
        "Thanks in advance!",
        "Thank you for your help.",
        "Many thanks,",
        "Best regards,",
        "Thanks!",
        "Kind regards,",
    ),
    "confused": (
        "Could you explain what I should do?",
        "Sorry if this is a silly question.",
        "Thanks, I'm a bit lost here.",
        "Any help appreciated.",
        "Not sure what to do next.",
    ),
    "angry": (
        "I expect an answer today.",
        "Sort this out.",
        "Very disappointed.",
        "This needs fixing now.",
        "I'm not impressed.",
    ),
}

EMAIL_GREETINGS = (
    "Hi,",
    "Hello,",
    "Hi there,",
    "Dear Kestrel team,",
    "Hello support,",
    "Good morning,",
)

CUSTOMER_FOLLOWUPS = {
    "calm": (
        "Thanks for the quick answer. I checked again and {detail_lower}",
        "Thank you! One more question: how long will that take?",
        "OK, I've done that. Anything else you need from me?",
        "Great, thanks. Just to confirm – I don't need to do anything else?",
        "Thanks. I tried what you suggested, but it didn't change anything unfortunately.",
        "Perfect, I'll wait then. Could you keep me posted?",
    ),
    "confused": (
        "Sorry, I don't quite follow. Where exactly do I find that?",
        "I tried that but I get a different screen than the one you describe.",
        "Do you mean the email address or the order number?",
        "Which button is that? I only see 'Continue' and 'Back'.",
        "So should I wait, or do something now? I'm not sure.",
        "Hmm, it still says the same thing. Did I do it wrong?",
    ),
    "angry": (
        "That's not an answer. {detail}",
        "I already did all of that. Read my message again.",
        "So I'm supposed to just wait? Again?",
        "This is ridiculous. How many times do I have to explain this?",
        "I want a concrete date, not 'soon'.",
        "Still nothing. I'm losing patience here.",
    ),
}

CUSTOMER_THANKS = (
    "That worked, thank you!",
    "All sorted now, thanks a lot.",
    "Got it, thanks for your help.",
    "Brilliant, thank you so much!",
    "OK, received. Thanks.",
    "Perfect, that's all I needed.",
    "Thanks, much appreciated.",
    "Fine. Thanks for finally sorting it.",
)

CUSTOMER_REOPEN = (
    "Hi again – the same problem is back.",
    "Sorry to bother you again, but it happened again.",
    "I thought this was solved, but {detail_lower}",
    "Following up on this: nothing has changed on my side.",
    "Hello, I never got what you promised in your last message.",
    "Reopening this – the issue came back this morning.",
)

CHAT_OPENERS = ("hi", "hello", "hey", "hi there", "good morning", "hello?")
CHAT_NUDGES = ("anyone there?", "hello?", "still waiting…", "are you there?", "?")

AGENT_FIRST = {
    "refund": (
        "Thanks for getting in touch about order {order}. I can see your return arrived at our warehouse; the refund of {amount} was issued today and usually shows on your statement within 3–5 working days.",
        "I'm sorry the refund is taking so long. I've checked order {order}: the return was scanned in on {weekday} and I've now pushed the refund through manually. You'll get a confirmation email shortly.",
        "Thanks for your message. Refunds go back to the original payment method (card ending {last4}). Your bank can take up to 5 working days to show it; if it's not there by {weekday}, reply here and I'll chase it.",
        "I've looked into this: the refund for the {product} was split into two payments because part of the order was shipped separately. You should see {amount} plus the shipping cost as two lines.",
    ),
    "delivery": (
        "Thanks for your patience. I checked with {carrier}: parcel {tracking} is at their local depot and is scheduled for delivery on {weekday}.",
        "I'm sorry about the delay. Order {order} left our warehouse late because of a stock issue; it's now on its way with {carrier} (tracking {tracking}).",
        "I've opened an investigation with {carrier} for tracking {tracking}. They usually answer within 48 hours – I'll update you as soon as I hear back.",
        "Thanks for letting us know. When a parcel shows 'delivered' but isn't there, it's often with a neighbour or in a safe place. Could you check around, and if it's not there by tomorrow I'll send a replacement.",
    ),
    "login": (
        "Sorry about the trouble logging in. I've sent a fresh password reset link to {email}; it's valid for 60 minutes. Please check your spam folder too.",
        "I've unlocked your account – you can log in again now. The lock happens after five wrong attempts in a row, for your security.",
        "If your authenticator codes stopped working after switching phones, I can reset two-factor for you. For security, could you confirm the last four digits of the card on your last order?",
        "This is usually caused by a blocked cookie. Could you try logging in on {browser} with cookies allowed for kestrel.example, or in a private window?",
    ),
    "billing": (
        "Thanks for flagging this. I can see two payments of {amount}: one was an authorisation that has now been released, so it will disappear from your statement within a few days.",
        "You're right, and I'm sorry. I've refunded the duplicate charge of {amount}; you'll get a confirmation email within the hour.",
        "I've corrected invoice {invoice} with your company details and VAT number. The new version is in your account under Orders → Invoices.",
        "I checked your subscription: {plan} renewed on {weekday} because the cancellation was saved after the renewal date. I've refunded the renewal of {amount} and cancelled the plan.",
    ),
    "product": (
        "Good question! The {product} works with 100–240 V, so you only need a plug adapter, not a converter.",
        "Thanks for asking. Replacement parts for the {product} are in our shop under Spare parts; the filter should be changed every 6 months.",
        "To reset the {product}, unplug it for 10 seconds, then hold the power button for 8 seconds until the light flashes white. That usually clears the orange blinking.",
        "The device code is printed on the sticker under the {product} and on the inside of the box lid – it's 8 characters, starting with KH.",
    ),
    "complaint": (
        "I'm really sorry about this, that's not the experience we want you to have. I've arranged a replacement {product} at no cost; it ships today.",
        "Thank you for telling us, and I apologise. I've passed your feedback about the courier to our logistics team and added a 15% voucher to your account.",
        "I'm sorry you had to chase us. I've read through the whole history and I'm taking this over personally – you'll hear from me by {weekday} at the latest.",
        "I understand your frustration and I apologise. Could you send a photo of the damage? Then I can issue a refund or replacement straight away, whichever you prefer.",
    ),
}

AGENT_FOLLOWUPS = (
    "Thanks for the update. I've checked again and everything looks correct on our side now.",
    "Understood. I've escalated this to our specialist team and will get back to you by {weekday}.",
    "No problem at all – you don't need to do anything else. I'll keep an eye on it.",
    "Thanks for your patience. I've just confirmed with the warehouse: it's sorted.",
    "Sorry for the confusion. In your account, go to Orders, pick order {order} and click 'Details' – it's right at the top.",
    "I completely understand. I've added a note to your account so whoever picks this up sees the full story.",
    "Thanks, that helps. I've made the change; could you try once more and let me know?",
    "I've chased this with {carrier} again and they've promised an answer within 24 hours.",
)

AGENT_INTENT_FOLLOWUPS = {
    "refund": (
        "I can confirm the refund of {amount} left our account on {weekday}; the reference is RF-{last4}, which your bank can trace.",
        "I've double-checked: the refund went to the card ending {last4}. Some banks show it as a credit from 'KESTREL HOME LTD'.",
        "Your return was logged against order {order}, so the refund is linked to that order, not to your account balance.",
    ),
    "delivery": (
        "{carrier} has just confirmed the parcel is out for delivery today.",
        "The carrier investigation is closed: the parcel was lost, so I've sent a replacement with express shipping at our cost.",
        "I've asked {carrier} to hold the parcel at your nearest pickup point; you'll get an SMS with the code.",
    ),
    "login": (
        "I've checked the logs and your last login attempt succeeded – could you confirm you're in?",
        "The reset link must be used in the same browser you requested it from. Could you try again in {browser}?",
        "I've removed the old device from your account, so you can set up two-factor on your new {device} now.",
    ),
    "billing": (
        "The corrected invoice {invoice} is now in your account, and the duplicate payment has been released.",
        "Finance confirmed the refund of {amount}; it should reach your card ending {last4} within 5 working days.",
        "I've set your plan to cancel at the end of the current period, so there will be no further charges.",
    ),
    "product": (
        "Our product team confirmed a firmware update fixes this; open the app and go to Settings → Device → Update.",
        "If the reset didn't help, the {product} is covered by the 2-year warranty, and I can arrange a free repair.",
        "The spare part is in stock; I've added a discount code to your account for it.",
    ),
    "complaint": (
        "I've shared your feedback with the team lead, and we're changing how we handle these cases.",
        "The replacement {product} shipped this morning; the tracking number is {tracking}.",
        "As an apology, I've refunded the shipping cost and added a 15% voucher to your account.",
    ),
}

AGENT_CLOSINGS = ("Best regards,", "Kind regards,", "Thanks,", "All the best,", "Cheers,")
AGENT_SIGNOFF_LINES = (
    "Let me know if there's anything else I can do.",
    "If anything is unclear, just reply to this email.",
    "Have a lovely day!",
    "I hope that helps.",
    "",
)
CHAT_AGENT_OPENERS = (
    "Hi {first}!",
    "Hello {first},",
    "Hi {first}, thanks for waiting.",
    "Hey {first}!",
)

NOTES = {
    "refund": (
        "Return scanned in at the warehouse on {weekday}; refund was stuck in the payment queue.",
        "Customer has had 2 refunds this year – fine, both legit returns.",
        "Pushed refund manually in the payment dashboard, reference RF-{last4}.",
    ),
    "delivery": (
        "Opened carrier claim with {carrier}, ref CL-{last4}.",
        "Warehouse confirms the parcel left on {weekday}. Tracking just isn't updating.",
        "Second delay for this customer this month – consider goodwill voucher.",
    ),
    "login": (
        "Checked auth logs: 6 failed attempts from the same IP, account auto-locked.",
        "Identity verified via last 4 card digits before resetting 2FA.",
        "Reset email bounced once – mailbox was full. Asked customer to clear it.",
    ),
    "billing": (
        "Duplicate charge confirmed in the payment provider – one is a pending authorisation.",
        "Invoice reissued; finance cc'd for the VAT correction.",
        "Subscription cancellation timestamp is after the renewal run; refund approved by Alice.",
    ),
    "product": (
        "Known firmware issue on batch KH-22; fix ships in the next update.",
        "Sent link to the setup video, customer seemed happy with that.",
        "Asked product team whether the EU plug version works in the US – confirmed yes.",
    ),
    "complaint": (
        "Escalated to team lead. Customer is a long-time buyer, handle with care.",
        "Offered 15% voucher as goodwill, approved.",
        "Courier complaint logged with {carrier}; photos saved in the claim.",
    ),
}

AUTO_REPLIES = (
    (
        "Automatic reply: Out of office",
        "Thank you for your email. I am out of the office until {weekday} with limited access "
        "to email. I will reply as soon as possible after my return.",
    ),
    (
        "Auto: Thanks for your message",
        "This is an automatic confirmation that your message has been received. "
        "Please do not reply to this email.",
    ),
    (
        "Abwesenheitsnotiz",
        "Ich bin bis {weekday} nicht im Büro. In dringenden Fällen wenden Sie sich bitte an "
        "meine Kollegin.",
    ),
)

OUTBOUND_SUBJECTS = (
    (
        "Your order {order} is delayed",
        "Hi {first},\n\nI wanted to let you know personally that order {order} ({product}) is "
        "delayed by about {days} days because of a supplier issue. We'll ship it the moment it "
        "arrives; if you'd rather cancel, just reply and I'll refund you straight away.\n\n"
        "Sorry for the wait,\n{agent}",
    ),
    (
        "A question about your return",
        "Hi {first},\n\nWe received your return of the {product}, but the serial number doesn't "
        "match order {order}. Could you check whether you might have sent a different unit?\n\n"
        "Thanks,\n{agent}",
    ),
    (
        "Following up on your feedback",
        "Hi {first},\n\nThanks again for your feedback last week. We've changed our packaging "
        "for the {product} based on it, and I've added a small thank-you voucher to your "
        "account.\n\nBest,\n{agent}",
    ),
)

TAG_EXTRAS = ("vip", "urgent", "bug", "escalated", "goodwill", "b2b", "follow-up")

CANNED = (
    (
        "greeting",
        "Hi {customer.first_name},\n\nThanks for getting in touch with Kestrel Home support. ",
    ),
    (
        "refund-issued",
        "Hi {customer.first_name},\n\nI've issued your refund today. It goes back to the original "
        "payment method and usually shows on your statement within 3–5 working days.\n\n"
        "Best regards,\n{agent.name}",
    ),
    (
        "delivery-delay",
        "Hi {customer.first_name},\n\nI'm sorry your parcel is late. I've opened an investigation "
        "with the carrier and will update you within 48 hours. If it doesn't turn up, we'll send "
        "a replacement or refund you, whichever you prefer.\n\nKind regards,\n{agent.name}",
    ),
    (
        "password-reset",
        "Hi {customer.first_name},\n\nI've sent a new password reset link to your account email. "
        "It's valid for 60 minutes – please check your spam folder if you don't see it. "
        "If it still doesn't arrive, reply here and I'll help you directly.\n\n{agent.name}",
    ),
    (
        "invoice-copy",
        "Hi {customer.first_name},\n\nYou'll find all invoices in your account under Orders → "
        "Invoices. I've also attached a corrected copy to this message.\n\n"
        "Best regards,\n{agent.name}",
    ),
    (
        "reset-2fa",
        "Hi {customer.first_name},\n\nI've reset two-factor authentication on your account. The "
        "next time you log in you'll be asked to scan a new QR code with your authenticator "
        "app.\n\nThanks,\n{agent.name}",
    ),
    (
        "escalated",
        "Hi {customer.first_name},\n\nThanks for your patience. I've passed this to our "
        "specialist team, who will get back to you within one working day. I'll keep an eye on "
        "it too.\n\n{agent.name}",
    ),
    (
        "closing",
        "Glad we could sort this out, {customer.first_name}! If anything else comes up, just "
        "reply to this message.\n\nHave a great day,\n{agent.name}",
    ),
)

HTML_SIGNATURES = (
    "Sent from Outlook for iOS",
    "Sent from my iPhone",
    "Get Outlook for Android",
)
