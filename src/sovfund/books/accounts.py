"""The chart of accounts: what each account holds and which side it sits on.

Fund-level accounts are in the fund's currency (USD). Each partner's capital account
is a set of sub-accounts in the partner's currency, one posting per partner per
entry (``posting.partner_id``); together they are the partner's capital account, and
all partners' capital accounts together equal the fund's net assets. A partner in
another currency (yen) meets the fund's dollars through ``fx_trading``: each booking
posts the yen to the partner and the dollars to the fund, with the trading account
taking the other side in each currency, so each currency balances on its own.

Postings are signed: debits positive, credits negative. A capital account's balance
is therefore minus the sum of its postings.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "ACCOUNTS",
    "CAPITAL",
    "CARRY",
    "CASH",
    "CONTRIBUTIONS",
    "DEBT",
    "DISTRIBUTIONS",
    "EQUALIZATION",
    "EQUALIZATION_RECEIVABLE",
    "EXPENSES",
    "FEES",
    "FEES_PAYABLE",
    "FX_TRADING",
    "INTEREST_PAYABLE",
    "INVESTMENTS",
    "REALIZED",
    "RECEIVABLE",
    "REPURCHASE_DEDUCTIONS",
    "UNREALIZED",
    "VALUATION",
    "Kind",
]

Kind = Literal["asset", "liability", "capital", "trading"]

CASH: Final = "cash"
RECEIVABLE: Final = "calls_receivable"  # per partner and call (posting.ref)
EQUALIZATION_RECEIVABLE: Final = "equalization_receivable"  # interest a late partner owes
INVESTMENTS: Final = "investments"  # per project, at cost
VALUATION: Final = "valuation"  # per project: the mark less cost
DEBT: Final = "debt"
INTEREST_PAYABLE: Final = "interest_payable"
FEES_PAYABLE: Final = "fees_payable"  # per GP: management fees earned, not yet paid
FX_TRADING: Final = "fx_trading"

CONTRIBUTIONS: Final = "contributions"
DISTRIBUTIONS: Final = "distributions"
FEES: Final = "management_fees"
CARRY: Final = "carried_interest"
REALIZED: Final = "realized_gains"
UNREALIZED: Final = "unrealized_gains"
EXPENSES: Final = "fund_expenses"
EQUALIZATION: Final = "equalization_interest"
REPURCHASE_DEDUCTIONS: Final = "repurchase_deductions"  # early repurchases: kept by the fund

ACCOUNTS: dict[str, tuple[Kind, str]] = {
    CASH: ("asset", "Cash"),
    RECEIVABLE: ("asset", "Capital called, not yet received"),
    EQUALIZATION_RECEIVABLE: ("asset", "Equalization interest owed by later closings"),
    INVESTMENTS: ("asset", "Project investments at cost"),
    VALUATION: ("asset", "Project valuations above (below) cost"),
    DEBT: ("liability", "Fund debt"),
    INTEREST_PAYABLE: ("liability", "Interest accrued on fund debt"),
    FEES_PAYABLE: ("liability", "Management fees owed to the GPs"),
    FX_TRADING: ("trading", "Currency trading (each currency's side of conversions)"),
    CONTRIBUTIONS: ("capital", "Capital contributions (called)"),
    DISTRIBUTIONS: ("capital", "Distributions"),
    FEES: ("capital", "Management fees"),
    CARRY: ("capital", "Carried interest (credited to GPs, charged to LPs)"),
    REALIZED: ("capital", "Realized gains: project proceeds"),
    UNREALIZED: ("capital", "Unrealized gains and losses: marks"),
    EXPENSES: ("capital", "Fund expenses: interest on fund debt"),
    EQUALIZATION: ("capital", "Equalization interest (paid by later, to earlier partners)"),
    REPURCHASE_DEDUCTIONS: ("capital", "Early repurchase deductions (kept by the fund)"),
}

CAPITAL: tuple[str, ...] = tuple(code for code, (kind, _) in ACCOUNTS.items() if kind == "capital")
