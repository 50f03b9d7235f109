"""Rendering the console's pages: Jinja2 templates in bot/web/templates, Vietnamese formats as filters."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.core.render import money

TEMPLATES = Path(__file__).resolve().parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)


def _day(value: date | datetime | None) -> str:
    return "" if value is None else f"{value:%d/%m/%Y}"


def _moment(value: datetime | None) -> str:
    return "" if value is None else f"{value:%d/%m/%Y %H:%M}"


environment.filters["day"] = _day
environment.filters["moment"] = _moment
environment.filters["money"] = money


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page (or an htmx fragment), with the signed-in staff member and the CSRF token when there is one."""
    session = getattr(request.state, "staff", None)
    context = {
        "request": request,
        "staff": session.account if session else None,
        "csrf_token": session.csrf_token if session else values.pop("csrf_token", ""),
        "path": request.url.path,
        **values,
    }
    return HTMLResponse(environment.get_template(template).render(context), status_code=status_code)
