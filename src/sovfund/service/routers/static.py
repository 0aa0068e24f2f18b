"""Static files, all served from here (no CDN): the pages' CSS and scripts, and
plotly.js from the installed plotly package (the same file the reports inline)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from sovfund.service.errors import NotFoundError
from sovfund.service.rules import PUBLIC

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}


@cache
def files() -> dict[str, Path]:
    """Every file that may be served, by name: nothing else can be asked for."""
    folder = Path(str(resources.files("sovfund.service") / "static"))
    found = {p.name: p for p in folder.iterdir() if p.suffix in TYPES}
    plotly = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    found["plotly.min.js"] = plotly
    return found


@router.get("/static/{name}", dependencies=[Depends(PUBLIC)])
def static(name: Annotated[str, PathParam(max_length=100)]) -> FileResponse:
    path = files().get(name)
    if path is None:
        raise NotFoundError()
    return FileResponse(
        path,
        media_type=TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )
