"""The assist layer: KB suggestions, mood and intent, prompts, PII masking, LLM and offline drafts.

Nothing here imports Textual; the assist panel widget drives these modules from a worker.
"""
