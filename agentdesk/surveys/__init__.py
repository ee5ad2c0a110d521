"""Customer satisfaction surveys: the question sent when a conversation is resolved and
the recognition of the customer's answer (a rating and a comment)."""
