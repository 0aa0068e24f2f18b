"""Term sheets: typed models, loading and validation (the first stage of the data flow)."""

from sovfund.terms.load import load_terms, parse_terms
from sovfund.terms.models import Terms

__all__ = ["Terms", "load_terms", "parse_terms"]
