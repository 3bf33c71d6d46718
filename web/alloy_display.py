"""How the pages write an alloy (:mod:`alloyloop.featurize.alloy_names`, shared with the
terminal tables and the round report)."""

from alloyloop.featurize.alloy_names import AlloyText, alloy_text, alloy_tokens

__all__ = ["AlloyText", "alloy_text", "alloy_tokens"]
