"""The end of `make demo`: start the service, create a sampling key and a regulator key, make
one call with each (a page of classifications; one enterprise's explanation), log in to the
regulator pages with the regulator key and open that enterprise's page, print the answers,
the pages' address and how to log in, and stop the server. The same calls with curl are in
the README.

    .venv/bin/python scripts/demo_service.py --store data/demo/store \\
        --database-url sqlite:///data/demo/results.db --period 2025-12-31
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def ecr(*arguments: str, env: dict[str, str]) -> str:
    found = subprocess.run([sys.executable, "-m", "ecr_cli", *arguments], env=env, cwd=ROOT,
                           check=True, capture_output=True, text=True)
    return found.stdout.strip().splitlines()[-1]


def open_page(url: str, key: str, uscc: str) -> str:
    """Log in to the pages with ``key`` through the login form and return the title of the
    enterprise's page."""
    with httpx.Client(base_url=url, timeout=120) as browser:
        form = browser.get("/pages/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if token is None:
            raise SystemExit("the login page carries no CSRF token")
        login = browser.post("/pages/login", data={"csrf": token.group(1), "key": key})
        if login.status_code != 303:
            raise SystemExit(f"logging in to the pages answered {login.status_code}")
        page = browser.get(f"/pages/enterprises/{uscc}")
        page.raise_for_status()
        title = re.search(r"<title>([^<]*)</title>", page.text)
        return html.unescape(title.group(1)) if title else "(untitled)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--period", required=True)
    parser.add_argument("--secret-file", default="data/demo/service.secret")
    args = parser.parse_args()
    env = {**os.environ, "ECR_STORE": args.store, "ECR_DATABASE_URL": args.database_url,
           "ECR_SECRET_FILE": args.secret_file}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "ecr_cli", "serve", "--port", str(port),
                               "--workers", "1"], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 300
        while True:
            if server.poll() is not None:
                raise SystemExit(f"ecr serve exited with {server.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("ecr serve did not become ready")
            time.sleep(0.5)
        sampling = ecr("keys", "create", "--role", "sampling", "--name", "demo sampling module",
                       env=env)
        regulator = ecr("keys", "create", "--role", "regulator", "--name", "demo regulator",
                        env=env)
        page = httpx.get(f"{url}/v1/classifications", timeout=60,
                         params={"period": args.period, "class": "D", "limit": 3},
                         headers={"Authorization": f"Bearer {sampling}"})
        page.raise_for_status()
        print(f"\nGET /v1/classifications?period={args.period}&class=D&limit=3 "
              "(sampling key):")
        for item in page.json()["items"]:
            print(f"  {item['uscc']}  {item['final_score']:7.1f}  "
                  f"{item['risk_class']['label']} {item['risk_class']['zh']}  "
                  f"rules: {', '.join(item['fired_rules']) or '-'}")
        uscc = page.json()["items"][0]["uscc"]
        explained = httpx.get(f"{url}/v1/enterprises/{uscc}/explanation", timeout=60,
                              params={"period": args.period, "top": 5},
                              headers={"Authorization": f"Bearer {regulator}"})
        explained.raise_for_status()
        body = explained.json()
        print(f"\nGET /v1/enterprises/{uscc}/explanation?period={args.period}&top=5 "
              "(regulator key):")
        print(f"  base {body['base_points']:.1f} points")
        for line in [*body["features"], *body["rules"]]:
            print(f"  {line['points']:+8.1f}  {line['zh']}")
        print(f"  = {body['final_score']:.1f} → {body['risk_class']['label']} "
              f"{body['risk_class']['zh']}")
        print("\nfirst line of the answer as sent:", json.dumps(body, ensure_ascii=False)[:160])
        title = open_page(url, regulator, uscc)
        print(f"\nRegulator pages (same service): {url}/pages/ — logged in with the regulator "
              f"key, opened /pages/enterprises/{uscc}: {title}")
        print("To look yourself: `make serve`, open http://127.0.0.1:8000/pages/ in a browser "
              "and log in with a regulator key:")
        print(f"  {regulator}")
        print("  (or make one: .venv/bin/ecr keys create --role regulator --name 'your name' "
              "with the same ECR_* settings; sampling and admin keys cannot log in)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)


if __name__ == "__main__":
    main()
