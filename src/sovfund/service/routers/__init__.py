"""The service's routers, one per resource; each route declares its rule
(:mod:`sovfund.service.rules`)."""
