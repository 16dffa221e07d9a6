"""The regulator pages: thin routes that call the same use cases as the API and hand their
typed results to a view model and a template. No result data travels in a URL beyond ids
(USCC, period, region and industry codes, an opaque cursor); searches are posted forms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from serving.access.keys import Unauthenticated
from serving.access.roles import Permission, allows
from serving.access.sessions import new_token
from serving.api.state import ServiceState
from serving.pages import views
from serving.pages.i18n import LANGUAGES, translate
from serving.pages.render import render
from serving.pages.session import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    PAGES_PERMISSION,
    SESSION_COOKIE,
    LoginRequired,
    PageCaller,
    PageRefused,
    checked_form,
    form_of,
    language_of,
    page_caller,
    same_token,
    sessions,
)
from serving.sampling.catalogue import catalogue
from serving.use_cases import (
    DISPOSITION_STATUSES,
    TEXT_LIMITS,
    InvalidRequest,
    NotFound,
    classification_page,
    enterprise_record,
    explain_published,
    period_region_risk,
    published_periods,
    record_disposition,
    search_enterprises,
    warning_record,
)
from serving.use_cases.draws import list_draws
from serving.use_cases.enterprise_draws import enterprise_draws
from serving.use_cases.facts import enterprise_facts, rule_bases
from serving.use_cases.model_card import model_card
from serving.use_cases.overview import (
    HIGH_RISK_RULE,
    class_shares,
    enterprise_warnings,
    warning_list,
)
from serving.use_cases.repair import repair_guidance
from serving.use_cases.sampling_effect import draw_progress, sampling_effect

HOME = "/pages/"
LOGIN = "/pages/login"


class PageRoute(APIRoute):
    """Answers the pages' refusals as pages: no session → the login page (htmx: an
    ``HX-Redirect``), an unknown enterprise or period → 404, bad input → 422, a refusal with
    its own status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                if request.headers.get("hx-request"):
                    return Response(status_code=204, headers={"HX-Redirect": LOGIN})
                return RedirectResponse(LOGIN, status_code=303)
            except NotFound as error:
                return _error(request, 404, "not_found", str(error))
            except (InvalidRequest, RequestValidationError) as error:
                return _error(request, 422, "invalid", _message(error))
            except PageRefused as error:
                return _error(request, error.status, "invalid", error.message, error.headers)

        return route


router = APIRouter(prefix="/pages", route_class=PageRoute, include_in_schema=False)
Caller = Annotated[PageCaller, Depends(page_caller(PAGES_PERMISSION))]
USCC = Annotated[str, Path(pattern="^[0-9A-Za-z]{18}$")]
WarningId = Annotated[str, Path(max_length=40, pattern=r"^\d{8}-[0-9A-Z]{18}$")]
DISPOSITION_FIELDS = ("status", "action_taken", "department", "note")


def _state(request: Request) -> ServiceState:
    return request.app.state.service


def _message(error: Exception) -> str:
    if isinstance(error, RequestValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                         for e in error.errors())
    return str(error)


def _error(request: Request, status: int, title: str, detail: str,
           headers: dict[str, str] | None = None) -> Response:
    return render(request, "error.html", language_of(request), status, headers,
                  title=title, detail=detail, caller=None)


def _safe_next(target: str | None, default: str = HOME) -> str:
    """A page of this service to go back to (never another site), else ``default``."""
    if target and target.startswith("/pages/") and "//" not in target and "\\" not in target:
        return target
    return default


def _periods(state: ServiceState) -> list[dt.date]:
    periods = published_periods(state.results)
    if not periods:
        raise NotFound("no classification is published yet")
    return periods


def _period(state: ServiceState, period: dt.date | None) -> tuple[dt.date, list[dt.date]]:
    periods = _periods(state)
    chosen = period or periods[-1]
    if chosen not in periods:
        raise NotFound(f"no classification is published for {chosen}")
    return chosen, periods


def _cookie(request: Request, response: Response, name: str, value: str,
            max_age: int | None) -> None:
    secure = (request.app.state.service.settings.secure_cookies
              or request.url.scheme == "https")
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=secure)


# -- login, logout, language -------------------------------------------------------------

@router.get("/login")
def login_form(request: Request) -> Response:
    token = new_token()
    response = render(request, "login.html", language_of(request), csrf=token, failure=None,
                      caller=None)
    _cookie(request, response, LOGIN_CSRF_COOKIE, token, 600)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    state = _state(request)
    fields = await form_of(request)
    audit = request.state.audit
    audit.permission = "login"
    language = language_of(request)
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), fields.get("csrf")):
        audit.outcome = "csrf token missing or wrong"
        return _login_again(request, language, "login_expired", 403)
    now = dt.datetime.now(dt.UTC)
    try:
        key = state.keys.authenticate(fields.get("key", "").strip(), now)
    except Unauthenticated as error:
        audit.outcome = f"unauthenticated: {error.reason}"
        return _login_again(request, language, "login_failed", 401)
    audit.key_id, audit.role = key.key_id, key.role.value
    if not allows(key.role, PAGES_PERMISSION):
        audit.outcome = "forbidden"
        return _login_again(request, language, "login_role", 403)
    session_id, _ = sessions(request).start(key.key_id, now)
    sessions(request).purge(now)
    response = RedirectResponse(HOME, status_code=303)
    settings = state.settings
    _cookie(request, response, SESSION_COOKIE, session_id, settings.page_session_hours * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


def _login_again(request: Request, language: str, failure: str, status: int) -> Response:
    token = new_token()
    response = render(request, "login.html", language, status, csrf=token, failure=failure,
                      caller=None)
    _cookie(request, response, LOGIN_CSRF_COOKIE, token, 600)
    return response


@router.post("/logout")
def logout(request: Request,
           posted: tuple[PageCaller, dict[str, str]] = Depends(checked_form(PAGES_PERMISSION))
           ) -> Response:
    sessions(request).end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def language(request: Request,
             posted: tuple[PageCaller, dict[str, str]] = Depends(checked_form(PAGES_PERMISSION))
             ) -> Response:
    _, fields = posted
    chosen = fields.get("lang")
    if chosen not in LANGUAGES:
        raise InvalidRequest(f"lang: expected one of {', '.join(LANGUAGES)}, found {chosen!r}")
    response = RedirectResponse(_safe_next(fields.get("next")), status_code=303)
    _cookie(request, response, LANGUAGE_COOKIE, chosen, 365 * 86400)
    return response


# -- overview ------------------------------------------------------------------------------

@router.get("/")
def overview(request: Request, caller: Caller, period: dt.date | None = None,
             severity: Annotated[int | None, Query(ge=1, le=4)] = None,
             status: Annotated[str | None, Query(max_length=20)] = None,
             offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    state = _state(request)
    chosen, periods = _period(state, period)
    language = caller.language
    shares = class_shares(state.results, chosen, caller.scope)
    rows = views.share_rows(shares, state.profile, language)
    cells = period_region_risk(state.results, chosen, caller.scope, "prefecture")
    heat = views.heat_map(cells, language)
    warnings = warning_list(state.results, chosen, caller.scope, severity, status or None,
                            offset=offset)
    request.state.audit.rows = len(cells) + len(warnings.items)
    link = f"/pages/cells?period={chosen.isoformat()}&region={{region}}&industry={{industry}}"
    return render(request, "overview.html", language, caller=caller, period=chosen,
                  periods=list(reversed(periods)), shares=shares, share_rows=rows,
                  shares_chart=views.shares_chart(rows), heat=heat,
                  heat_chart=heat.chart(link), high_risk_rule=HIGH_RISK_RULE,
                  warnings=warnings, filter_severity=severity, filter_status=status,
                  statuses=DISPOSITION_STATUSES, can_dispose=_can_dispose(caller))


@router.post("/search")
def search(request: Request,
           posted: tuple[PageCaller, dict[str, str]] = Depends(
               checked_form(Permission.SEARCH_ENTERPRISES))) -> Response:
    caller, fields = posted
    state = _state(request)
    text = fields.get("q", "")
    found = search_enterprises(state.results, state.features.directory, text, caller.scope,
                               20)
    request.state.audit.rows = len(found)
    template = "_search_results.html" if request.headers.get("hx-request") else "search.html"
    return render(request, template, caller.language, caller=caller, matches=found, q=text)


@router.get("/cells")
def cell(request: Request, caller: Caller, period: dt.date,
         region: Annotated[str, Query(pattern=r"^\d{2,6}$")],
         industry: Annotated[str, Query(pattern="^[A-T]([0-9]{2})?$")],
         cursor: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    state = _state(request)
    chosen, _ = _period(state, period)
    page = classification_page(state.results, chosen, caller.scope, region=region,
                               industry=industry, cursor=cursor, limit=50)
    request.state.audit.rows = len(page.items)
    colours = {level: style.colour
               for level, style in zip("ABCD", state.profile.levels, strict=True)}
    return render(request, "cell.html", caller.language, caller=caller, period=chosen,
                  region=region, industry=industry, page=page, colours=colours)


# -- one enterprise ------------------------------------------------------------------------

@router.get("/enterprises/{uscc}")
def enterprise(request: Request, uscc: USCC,
               caller: PageCaller = Depends(page_caller(Permission.READ_EXPLANATIONS))
               ) -> Response:
    state = _state(request)
    language = caller.language
    record = enterprise_record(state.results, uscc, caller.scope)
    latest = record.latest.result
    features = state.features.current
    explained = explain_published(state.results, state.store.pinned(), state.model_of_version,
                                  uscc, latest.period, caller.scope, features)
    loaded, _ = state.model_of_version(latest.model_version)
    facts = enterprise_facts(features, state.features.directory, latest.uscc,
                             min(latest.period, features.data_end), caller.scope)
    warnings = enterprise_warnings(state.results, latest.uscc,
                                   [e.result.period for e in record.history[-12:]],
                                   caller.scope)
    draws = (enterprise_draws(state.results, state.store, latest.uscc, caller.scope)
             if allows(caller.key.role, Permission.READ_DRAWS) else [])
    flow = views.waterfall(explained.explanation, language,
                           rule_bases(loaded, explained.explanation))
    level = "ABCD".index(latest.risk_level)
    style = state.profile.levels[level]
    request.state.audit.rows = len(record.history)
    return render(
        request, "enterprise.html", language, caller=caller, record=record, latest=latest,
        facts=facts, flow=flow, flow_chart=flow.chart(), style=style,
        gauge=views.gauge(state.profile, latest.final_score, language),
        bands=views.bands(state.profile, language),
        history=views.history(record, state.profile, facts.inspections, language),
        warnings=warnings, explained=explained, draws=draws, can_dispose=_can_dispose(caller),
        statuses=DISPOSITION_STATUSES, limits=TEXT_LIMITS)


@router.get("/enterprises/{uscc}/repair")
def repair(request: Request, uscc: USCC,
           caller: PageCaller = Depends(page_caller(Permission.READ_EXPLANATIONS))
           ) -> Response:
    state = _state(request)
    record = enterprise_record(state.results, uscc, caller.scope)
    latest = record.latest.result
    loaded, _ = state.model_of_version(latest.model_version)
    features = state.features.current
    guidance = repair_guidance(features, loaded, state.profile, latest.uscc,
                               min(latest.period, features.data_end), caller.scope,
                               state.settings.repair_facts)
    request.state.audit.rows = 1
    return render(request, "_repair.html", caller.language, caller=caller, guidance=guidance)


# -- warnings and what was done about them (处置) -------------------------------------------

def _can_dispose(caller: PageCaller) -> bool:
    return allows(caller.key.role, Permission.WRITE_DISPOSITIONS)


@router.get("/warnings/{warning_id}")
def warning(request: Request, warning_id: WarningId,
            caller: PageCaller = Depends(page_caller(Permission.READ_WARNINGS))) -> Response:
    return _warning_page(request, caller, warning_id)


def _warning_page(request: Request, caller: PageCaller, warning_id: str, status: int = 200,
                  failure: str | None = None,
                  entered: dict[str, str] | None = None) -> Response:
    record = warning_record(_state(request).results, warning_id, caller.scope)
    request.state.audit.rows = 1 + len(record.history)
    return render(request, "warning.html", caller.language, status, caller=caller,
                  record=record, w=record.view, can_dispose=_can_dispose(caller),
                  statuses=DISPOSITION_STATUSES, limits=TEXT_LIMITS, failure=failure,
                  entered=entered or {})


@router.post("/warnings/{warning_id}/dispositions")
def dispose(request: Request, warning_id: WarningId,
            posted: tuple[PageCaller, dict[str, str]] = Depends(
                checked_form(Permission.WRITE_DISPOSITIONS))) -> Response:
    """Record what was done about a warning, as ``PATCH /v1/warnings/{id}`` does; a refused
    form comes back on the warning's page with the message and what was typed."""
    caller, fields = posted
    entered = {name: fields.get(name, "").strip() for name in DISPOSITION_FIELDS}
    try:
        record_disposition(_state(request).results, warning_id, caller.scope,
                           status=entered["status"],
                           action_taken=entered["action_taken"] or None,
                           department=entered["department"] or None,
                           note=entered["note"] or None, key_id=caller.key.key_id)
    except InvalidRequest as error:
        return _warning_page(request, caller, warning_id, 422, str(error), entered)
    request.state.audit.rows = 1
    return RedirectResponse(_safe_next(fields.get("next"), f"/pages/warnings/{warning_id}"),
                            status_code=303)


# -- the model -----------------------------------------------------------------------------

@router.get("/model")
def model(request: Request,
          caller: PageCaller = Depends(page_caller(Permission.READ_MODEL))) -> Response:
    state = _state(request)
    served = state.models.current.loaded
    card = model_card(state.registry, served)
    language = caller.language
    bands = views.bands(state.profile, language)
    classes = views.bar_chart([f"{b.label} {b.name}" for b in bands],
                              [100 * (c.outcome_rate or 0) for c in card.classes],
                              [b.colour for b in bands])
    dimensions = views.bar_chart([views.dimension_name(d[0], language)
                                  for d in card.dimensions], [d[3] for d in card.dimensions])
    return render(request, "model.html", language, caller=caller, card=card, bands=bands,
                  classes_chart=classes, dimensions_chart=dimensions,
                  dimension_name=views.dimension_name, profile=state.profile,
                  metric_names=translate)


# -- spot-check draws (双随机) ---------------------------------------------------------------

@router.get("/sampling")
def sampling(request: Request,
             caller: PageCaller = Depends(page_caller(Permission.READ_DRAWS)),
             period: dt.date | None = None) -> Response:
    state = _state(request)
    chosen, periods = _period(state, period)
    draws = list_draws(state.results, chosen, caller.scope)
    effect = sampling_effect(state.results, state.store, chosen, caller.scope)
    province = [row for row in effect if row.prefecture == "all"]
    bands = views.bands(state.profile, caller.language)
    chart = views.bar_chart([f"{b.label} {b.name}" for b in bands],
                            [100 * (r.rate or 0) for r in province], [b.colour for b in bands])
    request.state.audit.rows = len(draws)
    return render(request, "sampling.html", caller.language, caller=caller, period=chosen,
                  periods=list(reversed(periods)), draws=draws, effect=effect,
                  effect_chart=chart, bands={b.level: b for b in bands})


@router.get("/sampling/draws/{draw_id}")
def draw(request: Request, draw_id: Annotated[str, Path(max_length=40,
                                                        pattern="^[0-9A-Za-z_-]+$")],
         caller: PageCaller = Depends(page_caller(Permission.READ_DRAWS))) -> Response:
    state = _state(request)
    progress = draw_progress(state.results, state.store,
                             catalogue(state.settings.items_catalogue), draw_id, caller.scope)
    request.state.audit.rows = len(progress.targets)
    results = {t.uscc: t for t in progress.targets}
    return render(request, "draw.html", caller.language, caller=caller, progress=progress,
                  view=progress.draw, results=results,
                  bands={b.level: b for b in views.bands(state.profile, caller.language)})
