"""The pages over HTTP against the real server: sessions, CSRF, CSP, region limits, audit."""

from __future__ import annotations

import re

import httpx
import pytest

from serving.access.audit import AuditLog
from serving.results.store import ResultsStore
from serving.use_cases import Scope, disposition_history, list_warnings
from tests.serving.conftest import DECEMBER, Deployment
from tests.serving.pages.conftest import csrf_of, login

PAGES = ["/pages/", "/pages/model", f"/pages/?period={DECEMBER}", "/pages/sampling"]


def an_enterprise(deployment: Deployment, inside: bool = True) -> str:
    """A published enterprise inside (or outside) the region-limited key's county."""
    results = ResultsStore(deployment.database_url)
    run = results.published_run(DECEMBER)
    rows = results.result_page(run.run_id, None, 1000)
    results.engine.dispose()
    return next(r.uscc for r in rows
                if (r.region_code or "").startswith(deployment.region) == inside)


def test_every_page_without_a_session_redirects_to_the_login(deployment: Deployment,
                                                             pages: httpx.Client) -> None:
    uscc = an_enterprise(deployment)
    for path in [*PAGES, f"/pages/enterprises/{uscc}", f"/pages/enterprises/{uscc}/repair",
                 f"/pages/cells?period={DECEMBER}&region=41&industry=C", "/pages/sampling",
                 "/pages/sampling/draws/unknown"]:
        response = pages.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/pages/login"
    assert pages.get("/").headers["location"] == "/pages/"
    htmx = pages.get("/pages/", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"] == "/pages/login"


def test_the_session_cookie_is_httponly_samesite_and_ends_at_logout(
        deployment: Deployment, pages: httpx.Client) -> None:
    response = login(pages, deployment.keys["regulator"])
    assert response.status_code == 303 and response.headers["location"] == "/pages/"
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith("ecr_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=" in cookie
    session = pages.cookies["ecr_session"]
    page = pages.get("/pages/")
    assert page.status_code == 200 and "ecr_" not in page.url.query.decode()
    assert deployment.keys["regulator"] not in page.text
    out = pages.post("/pages/logout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/pages/login"
    with httpx.Client(base_url=deployment.url, cookies={"ecr_session": session}) as replay:
        assert replay.get("/pages/").status_code == 303  # the old cookie no longer works


def test_forms_need_the_session_csrf_token(deployment: Deployment,
                                           regulator: httpx.Client) -> None:
    uscc = an_enterprise(deployment)
    assert regulator.post("/pages/search", data={"q": uscc}).status_code == 403
    assert regulator.post("/pages/search", data={"q": uscc, "csrf": "x" * 43}).status_code == 403
    assert regulator.post("/pages/logout", data={"next": "/pages/"}).status_code == 403
    token = csrf_of(regulator.get("/pages/").text)
    found = regulator.post("/pages/search", data={"q": uscc, "csrf": token})
    assert found.status_code == 200 and f"/pages/enterprises/{uscc}" in found.text
    with httpx.Client(base_url=deployment.url) as fresh:  # the login form's own token
        assert fresh.post("/pages/login", data={"key": deployment.keys["regulator"],
                                                "csrf": "forged"}).status_code == 403


@pytest.mark.parametrize("kind", ["sampling", "admin", "expired", "revoked", "unknown",
                                  "malformed"])
def test_only_live_regulator_keys_log_in(deployment: Deployment, pages: httpx.Client,
                                         kind: str) -> None:
    response = login(pages, deployment.keys[kind])
    assert response.status_code in (401, 403)
    assert "ecr_session" not in pages.cookies
    assert 'role="alert"' in response.text


def test_pages_carry_a_strict_csp_and_no_result_data_in_urls(
        deployment: Deployment, regulator: httpx.Client) -> None:
    uscc = an_enterprise(deployment)
    for path in [*PAGES, f"/pages/enterprises/{uscc}", "/pages/login"]:
        response = regulator.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "unsafe" not in policy
        assert "<script>" not in response.text and " style=" not in response.text
        for link in re.findall(r'(?:href|hx-get|hx-post|src)="([^"]+)"', response.text):
            assert "score=" not in link and "name=" not in link and "q=" not in link, link
    vendor = regulator.get("/assets/vendor/echarts.min.js")
    assert vendor.status_code == 200 and "max-age" in vendor.headers["cache-control"]


def test_the_region_limit_applies_to_pages(deployment: Deployment) -> None:
    outside, inside = an_enterprise(deployment, False), an_enterprise(deployment, True)
    with httpx.Client(base_url=deployment.url, timeout=60) as county:
        assert login(county, deployment.keys["regulator_region"]).status_code == 303
        assert county.get(f"/pages/enterprises/{outside}").status_code == 404
        assert county.get(f"/pages/enterprises/{outside}/repair").status_code == 404
        assert county.get(f"/pages/enterprises/{inside}").status_code == 200
        token = csrf_of(county.get("/pages/").text)
        found = county.post("/pages/search", data={"q": outside, "csrf": token})
        assert outside not in found.text


def test_bad_input_answers_4xx_pages(regulator: httpx.Client) -> None:
    assert regulator.get("/pages/?period=2025-13-01").status_code == 422
    assert regulator.get("/pages/?period=2020-01-31").status_code == 404
    assert regulator.get("/pages/?status=lost").status_code == 422
    assert regulator.get("/pages/enterprises/91410100MA00000000").status_code == 404
    assert regulator.get("/pages/sampling/draws/nothing-like-it").status_code == 404
    assert regulator.get("/pages/sampling/draws/bad!id").status_code == 422
    assert regulator.get("/pages/cells?period=2025-12-31&region=x&industry=C"
                         ).status_code == 422
    token = csrf_of(regulator.get("/pages/").text)
    assert regulator.post("/pages/search", data={"q": "x", "csrf": token}).status_code == 422
    assert regulator.post("/pages/search", content=b"{}", headers={
        "content-type": "application/json"}).status_code == 415


def test_every_page_view_is_audited(deployment: Deployment, regulator: httpx.Client,
                                    pages: httpx.Client) -> None:
    uscc = an_enterprise(deployment)
    assert regulator.get(f"/pages/enterprises/{uscc}").status_code == 200
    assert pages.get(f"/pages/enterprises/{uscc}").status_code == 303  # no session
    log = AuditLog(ResultsStore(deployment.database_url).engine)
    entries = [stored.entry for stored in log.tail(500)]
    views = [e for e in entries if e.route == "/pages/enterprises/{uscc}"
             and e.parameters["path"].get("uscc") == uscc]
    assert [e.status for e in views[-2:]] == [200, 303]
    views = views[:-1]  # the regulator's
    assert views and views[-1].key_id and views[-1].role == "regulator"
    assert views[-1].status == 200 and views[-1].rows >= 1
    refused = [e for e in entries
               if e.parameters.get("outcome") == "unauthenticated: no session"]
    assert refused and all(e.key_id is None and e.status in (303, 204) for e in refused)
    assert log.verify().ok


def test_the_language_switch_stays_on_this_site(regulator: httpx.Client) -> None:
    token = csrf_of(regulator.get("/pages/").text)
    for target in ("https://evil.example/", "//evil.example/pages/", "/v1/model", None):
        data = {"csrf": token, "lang": "en", **({"next": target} if target else {})}
        moved = regulator.post("/pages/language", data=data)
        assert moved.status_code == 303 and moved.headers["location"] == "/pages/"
    assert regulator.post("/pages/language", data={"csrf": token, "lang": "fr"}
                          ).status_code == 422
    moved = regulator.post("/pages/language", data={"csrf": token, "lang": "en",
                                                    "next": "/pages/model"})
    assert moved.headers["location"] == "/pages/model"
    english = regulator.get("/pages/model")
    assert '<html lang="en">' in english.text and "Model in service" in english.text


def test_draws_on_the_pages_keep_to_the_region(deployment: Deployment,
                                               regulator: httpx.Client) -> None:
    made = httpx.post(f"{deployment.url}/v1/sampling/draws", timeout=600,
                      json={"period": DECEMBER.isoformat(), "task": "GEN",
                            "seed": "pages http test"}, headers=deployment.headers("sampling"))
    assert made.status_code == 201, made.text
    drawn = made.json()
    page = regulator.get(f"/pages/sampling/draws/{drawn['draw_id']}")
    assert page.status_code == 200 and page.text.count('class="uscc"') == drawn["targets"]
    assert drawn["draw_id"] in regulator.get(f"/pages/sampling?period={DECEMBER}").text
    target = drawn["items"][0]["uscc"]
    assert drawn["draw_id"] in regulator.get(f"/pages/enterprises/{target}").text
    with httpx.Client(base_url=deployment.url, timeout=60) as county:
        assert login(county, deployment.keys["regulator_region"]).status_code == 303
        assert county.get(f"/pages/sampling/draws/{drawn['draw_id']}").status_code == 404
        assert drawn["draw_id"] not in county.get(f"/pages/sampling?period={DECEMBER}").text
        inside = [t["uscc"] for t in drawn["items"]
                  if t["region_code"].startswith(deployment.region)]
        if inside:  # a province-wide draw is not the county's to read
            assert drawn["draw_id"] not in county.get(f"/pages/enterprises/{inside[0]}").text


# -- warning dispositions (处置) recorded on the pages ---------------------------------------

def a_warning(deployment: Deployment, inside: bool = True) -> tuple[str, str]:
    """(warning id, uscc) of a December warning inside (or outside) the county key's region."""
    results = ResultsStore(deployment.database_url)
    county = {v.warning_id for v in list_warnings(results, DECEMBER, Scope(deployment.region))}
    found = [v for v in list_warnings(results, DECEMBER, Scope())
             if (v.warning_id in county) == inside]
    results.engine.dispose()
    assert found, f"no December warning {'inside' if inside else 'outside'} the county"
    return found[-1].warning_id, found[-1].warning.uscc


def dispositions_of(deployment: Deployment, warning_id: str) -> list:
    results = ResultsStore(deployment.database_url)
    try:
        return disposition_history(results, warning_id, Scope())
    finally:
        results.engine.dispose()


def key_id_of(key: str) -> str:
    return key.split("_")[1]


def test_a_regulator_records_a_disposition_on_the_enterprise_page(
        deployment: Deployment, regulator: httpx.Client) -> None:
    warning_id, uscc = a_warning(deployment)
    before = len(dispositions_of(deployment, warning_id))
    page = regulator.get(f"/pages/enterprises/{uscc}")
    assert page.status_code == 200
    form = re.search(rf'<form method="post" action="/pages/warnings/{warning_id}/dispositions"'
                     rf'.*?</form>', page.text, re.S)
    assert form, "no disposition form for the warning on the enterprise page"
    assert 'name="csrf"' in form.group(0) and 'name="note"' in form.group(0)
    back = f"/pages/enterprises/{uscc}#warnings"
    answer = regulator.post(f"/pages/warnings/{warning_id}/dispositions", data={
        "csrf": csrf_of(form.group(0)), "status": "in_progress", "action_taken": "约谈负责人",
        "department": "食品经营监管科", "note": "限期十日整改", "next": back})
    assert answer.status_code == 303 and answer.headers["location"] == back

    recorded = dispositions_of(deployment, warning_id)
    assert len(recorded) == before + 1
    latest = recorded[-1]
    assert (latest.status, latest.action_taken, latest.department, latest.note) == (
        "in_progress", "约谈负责人", "食品经营监管科", "限期十日整改")
    assert latest.key_id == key_id_of(deployment.keys["regulator"])
    api = httpx.get(f"{deployment.url}/v1/warnings", params={"period": str(DECEMBER)},
                    headers=deployment.headers("regulator"), timeout=60).json()
    [shown] = [w for w in api["items"] if w["warning_id"] == warning_id]
    assert shown["disposition"]["action_taken"] == "约谈负责人"  # the API sees the same record

    row = re.search(rf'<tr id="warning-{warning_id}">.*?</tr>',
                    regulator.get(f"/pages/enterprises/{uscc}").text, re.S)
    assert row and "处置中" in row.group(0) and "约谈负责人" in row.group(0)
    assert "食品经营监管科" in row.group(0)
    history = regulator.get(f"/pages/warnings/{warning_id}")
    assert history.status_code == 200 and "限期十日整改" in history.text
    assert 'id="dispositions-table"' in history.text
    listed = regulator.get(f"/pages/?period={DECEMBER}&status=in_progress")
    row = re.search(rf'<tr><td><a href="/pages/enterprises/{uscc}".*?</tr>', listed.text, re.S)
    assert row and "处置中" in row.group(0)  # the warnings list shows it, with a link to it
    assert f'href="/pages/warnings/{warning_id}"' in row.group(0)

    token = csrf_of(history.text)  # the warning page's own form, without a next
    plain = regulator.post(f"/pages/warnings/{warning_id}/dispositions",
                           data={"csrf": token, "status": "resolved", "action_taken": "",
                                 "department": " ", "note": ""})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/pages/warnings/{warning_id}"
    latest = dispositions_of(deployment, warning_id)[-1]
    assert (latest.status, latest.action_taken, latest.department, latest.note) == (
        "resolved", None, None, None)  # blank fields are recorded as not given
    regulator.post("/pages/language", data={"csrf": token, "lang": "en",
                                            "next": f"/pages/warnings/{warning_id}"})
    english = regulator.get(f"/pages/warnings/{warning_id}")
    assert "Record a disposition" in english.text and ">resolved<" in english.text
    regulator.post("/pages/language", data={"csrf": token, "lang": "zh"})


def test_a_disposition_needs_the_session_csrf_token(deployment: Deployment,
                                                    regulator: httpx.Client) -> None:
    warning_id, _ = a_warning(deployment)
    before = len(dispositions_of(deployment, warning_id))
    path = f"/pages/warnings/{warning_id}/dispositions"
    for data in ({"status": "resolved"}, {"status": "resolved", "csrf": "x" * 43}):
        refused = regulator.post(path, data=data)
        assert refused.status_code == 403 and 'role="alert"' in refused.text
    with httpx.Client(base_url=deployment.url) as stranger:  # no session: to the login
        token = csrf_of(regulator.get("/pages/").text)
        moved = stranger.post(path, data={"csrf": token, "status": "resolved"})
        assert moved.status_code == 303 and moved.headers["location"] == "/pages/login"
    assert len(dispositions_of(deployment, warning_id)) == before


def test_a_warning_outside_the_region_is_not_found(deployment: Deployment) -> None:
    outside, _ = a_warning(deployment, inside=False)
    inside, _ = a_warning(deployment, inside=True)
    before = len(dispositions_of(deployment, outside))
    with httpx.Client(base_url=deployment.url, timeout=60) as county:
        assert login(county, deployment.keys["regulator_region"]).status_code == 303
        token = csrf_of(county.get("/pages/").text)
        assert county.get(f"/pages/warnings/{outside}").status_code == 404
        unknown = f"{outside[:9]}91410100MA00000000"  # no such warning anywhere
        for status in ("resolved", "lost"):  # a wrong status does not disclose it either
            refused = county.post(f"/pages/warnings/{outside}/dispositions",
                                  data={"csrf": token, "status": status})
            nothing = county.post(f"/pages/warnings/{unknown}/dispositions",
                                  data={"csrf": token, "status": status})
            assert refused.status_code == nothing.status_code == 404
            assert refused.text.replace(outside, "…") == nothing.text.replace(unknown, "…")
        assert county.get(f"/pages/warnings/{inside}").status_code == 200
    assert len(dispositions_of(deployment, outside)) == before


def test_an_invalid_disposition_answers_4xx_with_its_message(deployment: Deployment,
                                                             regulator: httpx.Client) -> None:
    warning_id, _ = a_warning(deployment)
    before = len(dispositions_of(deployment, warning_id))
    token = csrf_of(regulator.get(f"/pages/warnings/{warning_id}").text)
    path = f"/pages/warnings/{warning_id}/dispositions"
    wrong = regulator.post(path, data={"csrf": token, "status": "lost",
                                       "department": "稽查局", "note": "核查中"})
    assert wrong.status_code == 422
    alert = re.search(r'<p class="alert" role="alert" id="disposition-failure">(.*?)</p>',
                      wrong.text, re.S)
    assert alert and "处置未保存" in alert.group(1)
    assert "status: expected one of open, in_progress, resolved, dismissed" in alert.group(1)
    assert 'value="稽查局"' in wrong.text and "核查中</textarea>" in wrong.text  # kept
    for data, field in (({"status": ""}, "status"),
                        ({"status": "open", "action_taken": "约" * 201}, "action_taken"),
                        ({"status": "open", "department": "局" * 121}, "department")):
        answer = regulator.post(path, data={"csrf": token, **data})
        assert answer.status_code == 422 and f"{field}: expected" in answer.text, field
    malformed = regulator.post("/pages/warnings/2025-12-31-x/dispositions",
                               data={"csrf": token, "status": "open"})
    assert malformed.status_code == 422 and 'role="alert"' in malformed.text
    unknown = regulator.post("/pages/warnings/20200131-91410100MA00000000/dispositions",
                             data={"csrf": token, "status": "open"})
    assert unknown.status_code == 404
    assert regulator.post(path, content=b'{"status": "open"}', headers={
        "content-type": "application/json"}).status_code == 415
    assert len(dispositions_of(deployment, warning_id)) == before


def test_a_disposition_is_audited(deployment: Deployment, regulator: httpx.Client) -> None:
    warning_id, _ = a_warning(deployment)
    token = csrf_of(regulator.get(f"/pages/warnings/{warning_id}").text)
    path = f"/pages/warnings/{warning_id}/dispositions"
    assert regulator.post(path, data={"csrf": token, "status": "dismissed",
                                      "note": "误报"}).status_code == 303
    assert regulator.post(path, data={"status": "dismissed"}).status_code == 403
    log = AuditLog(ResultsStore(deployment.database_url).engine)
    entries = [stored.entry for stored in log.tail(200)
               if stored.entry.route == "/pages/warnings/{warning_id}/dispositions"
               and stored.entry.parameters["path"].get("warning_id") == warning_id]
    written, refused = entries[-2], entries[-1]
    assert written.method == "POST" and written.status == 303 and written.rows == 1
    assert written.key_id == key_id_of(deployment.keys["regulator"])
    assert written.role == "regulator"
    assert written.parameters["permission"] == "write_dispositions"
    assert "误报" not in str(written.parameters)  # no form body in the log
    assert refused.status == 403 and refused.rows == 0
    assert refused.parameters["outcome"] == "csrf token missing or wrong"
    assert log.verify().ok
