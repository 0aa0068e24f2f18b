"""The roles table of DESIGN.md ("The service") as the rules routes declare.

=========  ===================================================================
role       may
=========  ===================================================================
gp_admin   everything on the fund: partners, calls, payments, investments,
           debt, fees, distributions (with a preview), marks; run simulations
lp         its own partner's statements, notices and documents, nothing else
auditor    read everything, the journal included; write nothing
analyst    run simulations and studies, read fund-level figures; no partner's data
=========  ===================================================================

Each route declares one of these (``Depends(rule)``); ``tests/service`` derives the
authorization matrix from the routes and checks it against this table.
"""

from __future__ import annotations

from sovfund.service.auth import ROLES, ApiRule, PageRule, PublicRule

__all__ = [
    "BOOKS_READ",
    "FUND_READ",
    "FUND_WRITE",
    "JOBS_READ",
    "JOBS_RUN",
    "JOB_OWN",
    "PAGE_ACCOUNT",
    "PAGE_CONSOLE",
    "PAGE_CONSOLE_WRITE",
    "PAGE_EXPLORER",
    "PAGE_EXPLORER_RUN",
    "PAGE_HOME",
    "PAGE_JOB",
    "PARTNERS_READ",
    "PARTNER_OWN",
    "PUBLIC",
    "SCENARIOS_READ",
    "SESSION",
]

FUND_WRITE = ApiRule("fund.write", ("gp_admin",))
"""Partners, calls, payments, investments, proceeds, marks, debt, fees, distributions."""
FUND_READ = ApiRule("fund.read", ("gp_admin", "auditor", "analyst"))
"""Fund-level figures: no partner's data."""
PARTNERS_READ = ApiRule("partners.read", ("gp_admin", "auditor"))
"""The register of every partner."""
PARTNER_OWN = ApiRule("partner.own", ("gp_admin", "auditor", "lp"), own="partner")
"""One partner's details, statements, notices and documents (an LP: its own only)."""
BOOKS_READ = ApiRule("books.read", ("gp_admin", "auditor"))
"""The journal, the trial balance, the check, the audit log."""
JOBS_RUN = ApiRule("jobs.run", ("analyst", "gp_admin"))
"""Submitting simulations and studies."""
JOBS_READ = ApiRule("jobs.read", ("analyst", "gp_admin", "auditor"))
"""The list of jobs (an analyst's own; every job for the others)."""
JOB_OWN = ApiRule("job.own", ("analyst", "gp_admin", "auditor"), own="job")
"""One job: its owner's, and every job for GP admins and auditors."""
SCENARIOS_READ = ApiRule("scenarios.read", ("analyst", "gp_admin", "auditor"))
SESSION = ApiRule("session", ROLES)
"""Who the key belongs to."""
PUBLIC = PublicRule("public")

PAGE_HOME = PageRule("page.home", ROLES)
PAGE_ACCOUNT = PageRule("page.account", ("lp",), own="partner")
PAGE_CONSOLE = PageRule("page.console", ("gp_admin", "auditor"))
PAGE_CONSOLE_WRITE = PageRule("page.console.write", ("gp_admin",))
PAGE_EXPLORER = PageRule("page.explorer", ("analyst", "gp_admin", "auditor"))
PAGE_EXPLORER_RUN = PageRule("page.explorer.run", ("analyst", "gp_admin"))
PAGE_JOB = PageRule("page.job", ("analyst", "gp_admin", "auditor"), own="job")
