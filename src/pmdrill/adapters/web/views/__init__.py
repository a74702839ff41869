"""One view module per area; ``ROUTES`` is the app's whole route table (the security matrix walks it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from pmdrill.adapters.web.views import api, cases, coach, experiments, frameworks, metrics, mock, schema, sql

ROUTES: list[BaseRoute] = [*api.ROUTES, *coach.ROUTES, *sql.ROUTES, *schema.ROUTES, *cases.ROUTES,
                           *metrics.ROUTES, *frameworks.ROUTES, *experiments.ROUTES, *mock.ROUTES]
