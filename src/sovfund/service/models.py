"""The API's request and response bodies (they make its OpenAPI document).

Money is a decimal string both ways (``"1234.56"``; requests may also write
``"1,000.50"`` or ``"1e9"`` as the CLI takes them); dates are ``YYYY-MM-DD``. Every
write takes an idempotency key: the ``key`` field or the ``Idempotency-Key`` header.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuditPage",
    "Booking",
    "CallRequest",
    "Check",
    "DebtRequest",
    "Distribution",
    "DistributionRequest",
    "FeesBilled",
    "FeesRequest",
    "Fund",
    "Health",
    "InvestmentRequest",
    "JobBody",
    "JobList",
    "JournalPage",
    "LeversBody",
    "MarkRequest",
    "Me",
    "Notice",
    "NoticeList",
    "Partner",
    "PartnersRequest",
    "PaymentRequest",
    "ProceedsRequest",
    "Register",
    "ScenarioList",
    "SimulationRequest",
    "Statement",
    "StatementDates",
    "StudyRequest",
    "TrialBalance",
]

Money = Annotated[
    str,
    Field(
        pattern=r"^[0-9][0-9,]*(\.[0-9]+)?([eE]\+?[0-9]+)?$",
        max_length=40,
        description="A decimal amount, as a string",
        examples=["1000000.00"],
    ),
]
MoneyOut = Annotated[str, Field(description="A decimal amount", examples=["1234.56"])]
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40, examples=["lp"])]
Key = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="Idempotency key: the same key and request book once",
        examples=["call-2026-1"],
    ),
]
Rate = Annotated[
    str,
    Field(
        pattern=r"^[0-9]+(\.[0-9]+)?$",
        max_length=20,
        description="USD/JPY (yen per dollar), for partners in yen",
        examples=["150"],
    ),
]
Fraction = Annotated[float, Field(ge=-0.2, le=1.0, allow_inf_nan=False)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    """A result with more fields than listed (the books' JSON, as the CLI prints it)."""

    model_config = ConfigDict(extra="allow")


# ---- requests ------------------------------------------------------------------------


class CallRequest(_Request):
    """A capital call pro rata to unfunded commitments (``sovfund books call``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"amount": "1000000", "date": "2026-01-15", "key": "call-2026-1"}]
        },
    )
    amount: Money
    date: dt.date
    due: dt.date | None = None
    purpose: Annotated[str, Field(max_length=200)] | None = None
    project: Id | None = None
    usd_jpy: Rate | None = None
    preview: bool = Field(False, description="Each partner's share; nothing booked")
    key: Key | None = None


class PaymentRequest(_Request):
    """Called capital received (``sovfund books pay``): all of it, or some partners'."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"entry": 1, "key": "pay-1"}]}
    )
    entry: Annotated[int, Field(ge=1, le=2**62)]
    partners: Annotated[list[Id], Field(max_length=100_000)] | None = None
    date: dt.date | None = None
    amount: Money | None = None
    key: Key | None = None


class InvestmentRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"project": "bridge", "amount": "1000", "date": "2026-02-01"}]
        },
    )
    project: Id
    amount: Money
    date: dt.date
    key: Key | None = None


class ProceedsRequest(InvestmentRequest):
    usd_jpy: Rate | None = None


class MarkRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"project": "bridge", "value": "1200", "date": "2026-06-30"}]
        },
    )
    project: Id
    value: Money
    date: dt.date
    usd_jpy: Rate | None = None
    key: Key | None = None


class DebtRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": "1000", "date": "2026-02-15"}]},
    )
    amount: Money
    date: dt.date
    rate: Fraction | None = Field(None, description="Annual rate (default: the term sheet's)")
    index_rate: Fraction | None = None
    usd_jpy: Rate | None = None
    key: Key | None = None


class FeesRequest(_Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"through": "2026-03-31"}]}
    )
    through: dt.date
    usd_jpy: Rate | None = None
    key: Key | None = None


class DistributionRequest(_Request):
    """Cash to the partners through the waterfall; ``preview`` books nothing."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": "1000", "date": "2027-02-01", "preview": True}]},
    )
    amount: Money
    date: dt.date
    preview: bool = False
    project: Id | None = None
    usd_jpy: Rate | None = None
    index_rate: Fraction | None = None
    key: Key | None = None


class PartnersRequest(_Request):
    """LPs to add, as ``sovfund books partners`` reads them: CSV with the header
    ``id,name,class,country,currency,commitment[,closing]``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"csv": "id,name,class,country,currency,commitment\nlp9,LP 9,retail,US,USD,1000\n"}
            ]
        },
    )
    csv: Annotated[str, Field(min_length=1, max_length=20_000_000)]
    usd_jpy: Rate | None = None
    key: Key | None = None


class LeversBody(_Request):
    """The scenario explorer's levers: one ad hoc stress."""

    leverage: Annotated[float, Field(ge=0, le=20, allow_inf_nan=False)] | None = Field(
        None, description="Debt to equity (default: the term sheet's)"
    )
    overrun_scale: Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)] = Field(
        1.0, description="Cost overruns times this"
    )
    rate_shift: Annotated[float, Field(ge=-0.05, le=0.1, allow_inf_nan=False)] = Field(
        0.0, description="Added to the short rate and the 10-year yield (0.01: +100bp)"
    )
    tariff_snapback: bool = Field(False, description="Tariffs snap back")


class SimulationRequest(_Request):
    """``sovfund simulate SCENARIO --paths N --seed S [--stress NAME]`` as a job."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"scenario": "son-2025", "paths": 2000, "seed": 7}]},
    )
    scenario: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)] = "son-2025"
    paths: Annotated[int, Field(ge=1, le=10_000_000)] = 10_000
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    stress: Id | None = Field(None, description="One of the scenario's named stresses")
    levers: LeversBody | None = None


class StudyRequest(_Request):
    """``sovfund stress|frontier|sensitivity SCENARIO --paths N --seed S`` as a job."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"study": "stress", "scenario": "son-2025", "paths": 500, "seed": 0}]
        },
    )
    study: Literal["stress", "frontier", "sensitivity"]
    scenario: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)] = "son-2025"
    paths: Annotated[int, Field(ge=1, le=10_000_000)] = 2_000
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0


# ---- responses ------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"]
    books: Literal["ok", "unavailable"]
    jobs_waiting: int


class Me(BaseModel):
    name: str
    role: str
    partner: str | None


class Booking(_Open):
    """An entry booked, as ``sovfund books call|pay|invest|... --json`` prints it."""

    entry: int | None
    kind: str
    date: str
    amount: MoneyOut
    currency: str
    allocations: dict[str, MoneyOut] = Field(default_factory=dict)


class PartnerShare(BaseModel):
    contributed: MoneyOut
    distributed: MoneyOut
    irr: float | None


class TierPaid(BaseModel):
    name: str
    paid: dict[str, MoneyOut]


class Distribution(_Open):
    """A distribution or its preview, as ``sovfund books distribute --json`` prints it."""

    entry: int | None
    date: str
    amount: MoneyOut
    preview: bool = False
    parties: dict[str, PartnerShare]
    tiers: list[TierPaid]


class FeesBilled(_Open):
    through: str
    amount: MoneyOut
    entries: list[int]
    quarters: list[dict[str, Any]]


class Gains(BaseModel):
    realized: MoneyOut
    unrealized: MoneyOut
    fund_expenses: MoneyOut
    equalization_interest: MoneyOut
    early_repurchase_deductions: MoneyOut


class Statement(_Open):
    """A capital account statement, in the partner's currency (``books statement``)."""

    partner: str
    name: str | None
    role: str
    as_of: str
    currency: str
    commitment: MoneyOut
    called: MoneyOut
    contributed: MoneyOut
    receivable: MoneyOut
    equalization_receivable: MoneyOut
    unfunded: MoneyOut
    distributed: MoneyOut
    repurchased: MoneyOut
    fees: MoneyOut
    carry: MoneyOut
    gains: Gains
    capital_account: MoneyOut
    capital_account_usd: MoneyOut


class StatementDates(BaseModel):
    partner: str
    dates: list[str]


class Partner(BaseModel):
    partner: str
    name: str | None
    role: str
    class_: str | None = Field(alias="class")
    country: str | None
    currency: str
    commitment: MoneyOut
    closing: str


class RegisterRow(Partner):
    called: MoneyOut
    unfunded: MoneyOut
    distributed: MoneyOut


class Register(BaseModel):
    total: int
    offset: int
    limit: int
    partners: list[RegisterRow]


class Notice(BaseModel):
    """A capital call or distribution notice: the partner's part of one entry."""

    entry: int
    kind: Literal["call", "distribution"]
    date: str
    partner: str
    currency: str
    amount: MoneyOut = Field(description="Called from, or distributed to, the partner")
    carry: MoneyOut | None = Field(description="Carried interest charged (distributions)")
    fund_amount: MoneyOut | None
    due: str | None
    purpose: str | None


class NoticeList(BaseModel):
    partner: str
    notices: list[Notice]


class Fund(BaseModel):
    """Fund-level figures, in the fund's currency: no partner's data."""

    name: str
    currency: str
    start: str
    as_of: str | None
    entries: int
    partners: dict[str, int]
    committed: dict[str, MoneyOut]
    cash: MoneyOut
    calls_receivable: MoneyOut
    investments_at_cost: MoneyOut
    valuation_above_cost: MoneyOut
    debt: MoneyOut
    fees_payable: MoneyOut
    net_assets: MoneyOut


class Posting(BaseModel):
    account: str
    partner: str | None
    project: str | None
    ref: int | None
    currency: str
    amount: MoneyOut
    value: MoneyOut


class JournalEntry(BaseModel):
    entry: int
    kind: str
    date: str
    memo: str | None
    key: str | None
    reverses: int | None
    details: dict[str, Any]
    postings: list[Posting] | None


class JournalPage(BaseModel):
    entries: list[JournalEntry]
    next: int | None = Field(description="Pass as `after` for the next page; null: the last")


class TrialBalance(_Open):
    as_of: str | None
    accounts: list[dict[str, Any]]
    totals: dict[str, dict[str, MoneyOut]]


class Check(BaseModel):
    ok: bool
    breaches: list[str]


class AuditRecord(BaseModel):
    id: int
    at: str
    user: str
    role: str
    method: str
    path: str
    key: str | None
    status: int


class AuditPage(BaseModel):
    records: list[AuditRecord]
    next: int | None


class Progress(BaseModel):
    done: int
    total: int


class JobBody(BaseModel):
    """A job: its progress, then its result (the CLI's JSON) or its error."""

    id: str
    kind: Literal["simulation", "study"]
    owner: str
    status: Literal["queued", "running", "done", "failed"]
    request: dict[str, Any]
    progress: Progress
    submitted_at: str
    started_at: str | None
    finished_at: str | None
    seconds: float | None
    verdict: dict[str, Any] | None
    result: dict[str, Any] | None = Field(
        description="When done: what `sovfund simulate --json` (or the study's command) prints"
    )
    error: dict[str, Any] | None


class JobList(BaseModel):
    jobs: list[JobBody]


class Scenario(BaseModel):
    id: str
    name: str
    stresses: list[str]
    leverage: float


class ScenarioList(BaseModel):
    scenarios: list[Scenario]
