"""The service: the books and the simulations over HTTP, with roles (DESIGN.md, "The
service"). ``create_app(Settings(books=...))`` in :mod:`sovfund.service.app` makes the
FastAPI app that ``sovfund serve`` runs; docs/service.md says how it is used.

Nothing is imported here, so that ``sovfund users`` loads no web framework.
"""
