"""Alembic migrations of the books: ``env.py`` and ``versions/`` (shipped as package data).

Run through :func:`sovfund.books.store.migrate`, never with an ``alembic.ini``: the
connection comes from the caller. The triggers that make the database itself refuse
an unbalanced entry or an edit of the journal are written here, one set per dialect.
"""
