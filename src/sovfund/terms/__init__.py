"""Term sheets: typed models, loading and validation (the first stage of the data flow)."""

from sovfund.terms.load import load_terms, parse_terms
from sovfund.terms.models import Contract, Terms
from sovfund.terms.sections import index_rate, require_simulation

__all__ = ["Contract", "Terms", "index_rate", "load_terms", "parse_terms", "require_simulation"]
