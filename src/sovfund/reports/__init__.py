"""Writers that render results to files (no logic of their own)."""

from sovfund.reports.files import write_json

__all__ = ["write_json"]
