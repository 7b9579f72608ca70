#!/usr/bin/env python3
"""An independent relying party for Sleutel's OpenID provider, driven through headless Chromium.

The relying party is written on Authlib (an OIDC client library from PyPI, pinned in
Tools/setup.sh), not on Sleutel's code: discovery, the authorization request with PKCE S256,
state and nonce, the code exchange, and the ID token checks (ES256 signature via the JWKS, iss,
aud, nonce, at_hash, exp, iat) are Authlib's. Selenium drives Debian's chromium through
chromedriver, so Sleutel's login pages, its login.js and the card agent run as in a browser.

The person is played here too: this program starts `sleutel agent` for the login page's origin
and types the card's PIN when the agent asks for it (the page never sees the PIN), and computes
TOTP codes with oathtool.

Cases (each reported as {"ok": bool, ...} in one JSON object on standard output):
  prompt-none     prompt=none without a session answers error=login_required at the callback
  eid             login page -> eID button -> agent signs with the card (PIN) -> organisation choice
                  -> code -> tokens -> userinfo
  sso             a second client gets a code without a login page and without a second PIN
  password-totp   username + password -> TOTP code (oathtool) -> level 400 tokens
  step-up         a level-400 session asked for level 500 gets the eID step-up page -> level 500
  attacks         wrong verifier, code reuse, tampered nonce, unregistered redirect_uri, cross-site
                  POST to the login form, an agent asked by an origin it does not serve
  refresh         the refresh grant (Authlib) rotates the token; reusing a spent one revokes the family
  logout          a hintless logout request only asks; unregistered post_logout_redirect_uri refused;
                  RP-initiated logout with id_token_hint -> back to the client -> both clients get a
                  back-channel logout token (validated) -> prompt=none gives login_required
Exit status 0 when every case passed, 1 otherwise.
"""
import argparse
import base64
import http.server
import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

import requests  # noqa: E402
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LEVEL = "urn:be:fedict:iam:fas:Level"


def log(*parts):
    print("flow:", *parts, file=sys.stderr, flush=True)


class CaseFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CaseFailed(message)


# --- the relying party's own web server: the callback and a cross-site attacker page -----------

class RPServer:
    """The relying party's pages on its own loopback origin (a different origin from Sleutel's)."""

    def __init__(self, port, issuer):
        self.callbacks = queue.Queue()
        self.logout_tokens = queue.Queue()
        issuer_ = issuer

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, body, status=200):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                # Back-channel logout (Back-Channel Logout 1.0 §2.5): a form with logout_token.
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                if self.path in ("/backchannel", "/backchannel2"):
                    fields = urllib.parse.parse_qs(body)
                    outer.logout_tokens.put((self.path, fields.get("logout_token", [""])[0],
                                             self.headers.get("Content-Type", "")))
                    self.send_response(200)
                    self.send_header("Cache-Control", "no-store")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.reply("not found", 404)

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if path in ("/callback", "/callback2", "/logged-out"):
                    if path != "/logged-out":
                        outer.callbacks.put(self.path)
                    self.reply("<!doctype html><title>RP</title><p id=done>callback received</p>")
                elif path == "/cross-site-form":
                    # A page of another site posting to Sleutel's password form in the person's browser.
                    fields = urllib.parse.parse_qs(query)
                    interaction = fields.get("interaction", [""])[0]
                    csrf = fields.get("csrf", [""])[0]
                    self.reply(f"""<!doctype html><title>evil</title>
<form id=f method=post action="{issuer_}/login/password">
<input name=interaction value="{interaction}"><input name=csrf value="{csrf}">
<input name=username value="victim"><input name=password value="guess"></form>
<script>document.getElementById('f').submit()</script>""")
                elif path == "/ask-agent":
                    fields = urllib.parse.parse_qs(query)
                    agent = fields.get("agent", [""])[0]
                    nonce = base64.b64encode(os.urandom(32)).decode()
                    self.reply(f"""<!doctype html><title>evil</title><p id=result>pending</p>
<script>
fetch("{agent}/v1/web-eid/authenticate", {{method: "POST", headers: {{"Content-Type": "application/json"}},
  body: JSON.stringify({{challengeNonce: "{nonce}"}})}})
  .then(r => r.text().then(t => document.getElementById('result').textContent = 'answered ' + r.status + ' ' + t))
  .catch(e => document.getElementById('result').textContent = 'blocked ' + e);
</script>""")
                else:
                    self.reply("not found", 404)

        outer = self
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.origin = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take_callback(self, timeout=5):
        try:
            return self.callbacks.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self):
        while not self.callbacks.empty():
            self.callbacks.get_nowait()


# --- the person: the card agent with the PIN, and oathtool ----------------------------------------

class Agent:
    """`sleutel agent` for the login page's origin; types the PIN each time it asks."""

    def __init__(self, binary, port, origin, reader, pin):
        self.pin = pin
        self.prompts = 0
        self.lines = []
        self.process = subprocess.Popen(
            [binary, "agent", "--port", str(port), "--origin", origin, "--reader", reader],
            stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        self.listening = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()
        if not self.listening.wait(20):
            raise RuntimeError("the card agent did not start: " + " | ".join(self.lines))

    def _watch(self):
        marker = "(empty declines): "
        text = ""
        while True:
            chunk = os.read(self.process.stderr.fileno(), 4096)
            if not chunk:
                return
            text += chunk.decode(errors="replace")
            # The PIN prompt ends without a newline: answer it as soon as it is written.
            while marker in text:
                before, text = text.split(marker, 1)
                self.prompts += 1
                self.process.stdin.write((self.pin + "\n").encode())
                self.process.stdin.flush()
                self.lines.append(before + marker + "[typed]")
            *done, text = text.split("\n")
            for line in done:
                self.lines.append(line)
                if "listening on" in line:
                    self.listening.set()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def totp(secret, not_before_step):
    """The current TOTP code (oathtool), waiting out the step the enrolment already used."""
    while int(time.time()) // 30 <= not_before_step:
        time.sleep(0.5)
    out = subprocess.run(["oathtool", "--totp", "-b", secret], capture_output=True, text=True, check=True)
    return out.stdout.strip()


# --- the relying party proper, on Authlib ---------------------------------------------------------

class RelyingParty:
    def __init__(self, issuer, client_id, redirect_uri):
        self.issuer = issuer
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.discovery = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
        expect(self.discovery["issuer"] == issuer, "discovery issuer differs: " + self.discovery["issuer"])
        self.jwks = JsonWebKey.import_key_set(requests.get(self.discovery["jwks_uri"], timeout=10).json())

    def session(self):
        return OAuth2Session(self.client_id, scope="openid profile", redirect_uri=self.redirect_uri,
                             code_challenge_method="S256", token_endpoint_auth_method="none")

    def start(self, **extra):
        """A new authorization request: (url, state, nonce, verifier, oauth session)."""
        oauth = self.session()
        verifier = generate_token(64)
        nonce = generate_token(24)
        url, state = oauth.create_authorization_url(self.discovery["authorization_endpoint"], code_verifier=verifier,
                                                    nonce=nonce, **extra)
        return url, state, nonce, verifier, oauth

    def finish(self, callback, state, nonce, verifier, oauth):
        """Code exchange, ID token validation, userinfo: the claims and userinfo."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
        expect("error" not in query, f"the callback carries an error: {query}")
        expect(query.get("state") == state, "state differs at the callback")
        token = oauth.fetch_token(self.discovery["token_endpoint"], authorization_response=self.issuer_relative(callback),
                                  code_verifier=verifier, state=state)
        claims = self.validate(token["id_token"], nonce, token["access_token"])
        self.latest = (token["id_token"], claims)
        userinfo = requests.get(self.discovery["userinfo_endpoint"], timeout=10,
                                headers={"Authorization": "Bearer " + token["access_token"]})
        expect(userinfo.status_code == 200, f"userinfo answered {userinfo.status_code}")
        info = userinfo.json()
        expect(info.get("sub") == claims["sub"], "userinfo sub differs from the ID token's")
        return claims, info, token

    def issuer_relative(self, callback):
        return callback if callback.startswith("http") else self.redirect_uri.rsplit("/", 1)[0] + callback

    def validate(self, id_token, nonce, access_token):
        claims = jwt.decode(id_token, self.jwks, claims_cls=CodeIDToken,
                            claims_options={"iss": {"essential": True, "value": self.issuer}},
                            claims_params={"nonce": nonce, "client_id": self.client_id, "access_token": access_token})
        claims.validate(leeway=5)
        expect(claims.header.get("alg") == "ES256", "ID token not ES256: " + str(claims.header))
        expect("at_hash" in claims, "ID token without at_hash")
        return dict(claims)


# --- the browser ----------------------------------------------------------------------------------

def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=nl-BE",
                     "--window-size=1000,1200", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "nl-BE,nl,en"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_callback(driver, rp_server, redirect_uri, seconds=40, choices=None, shots=None):
    """Waits for the browser at the callback; on the organisation choice page on the way, picks
    the first organisation and records the names offered in `choices`."""
    deadline = time.time() + seconds
    while True:
        WebDriverWait(driver, max(1, deadline - time.time())).until(
            lambda d: d.current_url.startswith(redirect_uri) or d.find_elements(By.CSS_SELECTOR, "button.organisation"))
        if driver.current_url.startswith(redirect_uri):
            rp_server.drain()
            return driver.current_url
        buttons = driver.find_elements(By.CSS_SELECTOR, "button.organisation")
        expect(choices is not None, "an unexpected organisation choice page")
        choices.extend(button.text for button in buttons)
        screenshot(driver, shots, "organisation-page")
        buttons[0].click()
        WebDriverWait(driver, 10).until(expected_conditions.staleness_of(buttons[0]))


def screenshot(driver, directory, name):
    if directory:
        driver.save_screenshot(os.path.join(directory, name + ".png"))


def eid_login(driver, agent, step_up=False):
    """On Sleutel's login page: press the eID button; the agent asks the PIN (typed by Agent)."""
    WebDriverWait(driver, 10).until(expected_conditions.element_to_be_clickable((By.ID, "eid-button")))
    expect(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl", "the login page is not Dutch")
    if step_up:
        notice = driver.find_element(By.CSS_SELECTOR, "p.notice").text
        expect("400" in notice, "the step-up page does not name the current level: " + notice)
    before = agent.prompts
    driver.find_element(By.ID, "eid-button").click()
    return before


# --- the cases ------------------------------------------------------------------------------------

def run(args):
    report = {}
    rp_server = RPServer(args.rp_port, args.issuer)
    one = RelyingParty(args.issuer, args.client_one, rp_server.origin + "/callback")
    two = RelyingParty(args.issuer, args.client_two, rp_server.origin + "/callback2")
    agent = Agent(args.sleutel, args.agent_port, args.issuer, args.reader, args.pin)
    shots = args.screenshots
    current = {}

    def case(name, body):
        log("case", name)
        started = time.time()
        try:
            detail = body() or {}
            report[name] = {"ok": True, "seconds": round(time.time() - started, 2), **detail}
        except Exception as error:  # noqa: BLE001 - every failure becomes the case's report
            report[name] = {"ok": False, "error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
                            "trace": traceback.format_exc(limit=4)[-1200:], "agent": agent.lines[-6:]}
            driver = current.get("driver")
            if driver:
                try:
                    report[name]["url"] = driver.current_url
                    report[name]["page"] = driver.find_element(By.TAG_NAME, "body").text[:600]
                    screenshot(driver, shots, "failed-" + name)
                except Exception:  # noqa: BLE001
                    pass
            log("case", name, "failed:", error)

    try:
        driver = current["driver"] = browser()
        try:
            def prompt_none():
                url, state, *_ = one.start(prompt="none")
                driver.get(url)
                callback = wait_callback(driver, rp_server, one.redirect_uri)
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
                expect(query.get("error") == "login_required", f"prompt=none without a session gave {query}")
                expect(query.get("state") == state, "state lost on the error redirect")
                return {"error": query["error"]}
            case("prompt-none", prompt_none)

            def eid():
                url, state, nonce, verifier, oauth = one.start()
                driver.get(url)
                screenshot(driver, shots, "login-page")
                before = eid_login(driver, agent)
                choices = []
                callback = wait_callback(driver, rp_server, one.redirect_uri, choices=choices, shots=shots)
                expect(agent.prompts == before + 1, f"the agent asked the PIN {agent.prompts - before} times")
                claims, info, token = one.finish(callback, state, nonce, verifier, oauth)
                expect(claims["acr"] == LEVEL + "500", "acr " + claims["acr"])
                expect("auth_time" in claims, "no auth_time")
                expect(len(choices) >= 2, f"the organisation choice offered {choices}")
                expect(claims.get("vo_orgcode") and claims["vo_orgcode"] in choices[0].replace(".", ""), "the chosen organisation is not in the token")
                report["_first_sub"] = claims["sub"]
                return {"acr": claims["acr"], "amr": claims.get("amr"), "given_name": info.get("given_name"),
                        "expires_in": token.get("expires_in"), "organisations": choices, "vo_orgcode": claims["vo_orgcode"],
                        "vo_orgnaam": claims.get("vo_orgnaam")}
            case("eid", eid)

            def sso():
                prompts = agent.prompts
                url, state, nonce, verifier, oauth = two.start()
                driver.get(url)
                callback = wait_callback(driver, rp_server, two.redirect_uri, seconds=10)
                claims, _, _ = two.finish(callback, state, nonce, verifier, oauth)
                expect(agent.prompts == prompts, "single sign-on asked the PIN again")
                expect(claims["acr"] == LEVEL + "500", "acr " + claims["acr"])
                expect(claims["sub"] != report.get("_first_sub"), "the second client got the same sub (not pairwise)")
                expect(claims.get("vo_orgcode") == report.get("eid", {}).get("vo_orgcode"), "the second client got another organisation")
                return {"acr": claims["acr"], "pinPrompts": agent.prompts - prompts, "vo_orgcode": claims.get("vo_orgcode")}
            case("sso", sso)

            def attacks():
                found = {}
                # Code reuse and a wrong verifier, on fresh codes through the live session.
                url, state, nonce, verifier, oauth = one.start()
                driver.get(url)
                callback = wait_callback(driver, rp_server, one.redirect_uri, seconds=10)
                code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
                token_endpoint = one.discovery["token_endpoint"]
                wrong = requests.post(token_endpoint, timeout=10, data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": one.redirect_uri,
                    "client_id": one.client_id, "code_verifier": generate_token(64)})
                expect(wrong.status_code == 400 and wrong.json().get("error") == "invalid_grant",
                       f"a wrong code_verifier gave {wrong.status_code} {wrong.text}")
                found["wrongVerifier"] = wrong.json()["error"]
                url, state, nonce, verifier, oauth = one.start()
                driver.get(url)
                callback = wait_callback(driver, rp_server, one.redirect_uri, seconds=10)
                claims, _, token = one.finish(callback, state, nonce, verifier, oauth)
                code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
                again = requests.post(token_endpoint, timeout=10, data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": one.redirect_uri,
                    "client_id": one.client_id, "code_verifier": verifier})
                expect(again.status_code == 400 and again.json().get("error") == "invalid_grant",
                       f"a reused code gave {again.status_code} {again.text}")
                found["codeReuse"] = again.json()["error"]
                # The ID token is bound to the request's nonce: another nonce fails Authlib's check.
                try:
                    one.validate(token["id_token"], nonce + "x", token["access_token"])
                    raise CaseFailed("an ID token validated against another nonce")
                except CaseFailed:
                    raise
                except Exception as error:  # noqa: BLE001
                    found["tamperedNonce"] = type(error).__name__
                # An unregistered redirect URI: an error page at Sleutel, never a redirect there.
                bad = requests.get(one.discovery["authorization_endpoint"], timeout=10, allow_redirects=False, params={
                    "client_id": one.client_id, "redirect_uri": "http://127.0.0.1:1/evil", "response_type": "code",
                    "scope": "openid", "code_challenge": "A" * 43, "code_challenge_method": "S256"})
                expect(bad.status_code == 400 and "location" not in bad.headers,
                       f"unregistered redirect_uri gave {bad.status_code} {bad.headers.get('location')}")
                found["unregisteredRedirect"] = bad.status_code
                # A cross-site POST to the login form, from the person's own browser (cookies and all).
                url, *_ = one.start(prompt="login")
                driver.get(url)
                WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.ID, "username")))
                interaction = driver.find_element(By.NAME, "interaction").get_attribute("value")
                csrf = driver.find_element(By.NAME, "csrf").get_attribute("value")
                driver.get(rp_server.origin + "/cross-site-form?" + urllib.parse.urlencode(
                    {"interaction": interaction, "csrf": csrf}))
                WebDriverWait(driver, 10).until(lambda d: d.current_url.startswith(args.issuer + "/login/password"))
                body = driver.find_element(By.TAG_NAME, "body").text
                expect("victim" not in body and "role" not in body.lower(), "the cross-site form was answered with a form")
                expect(driver.find_elements(By.CSS_SELECTOR, "[role=alert]"), "the cross-site POST did not get the error page")
                found["crossSitePost"] = body.splitlines()[0] if body else ""
                # An agent asked by an origin it does not serve: the browser gets no answer it may read.
                prompts = agent.prompts
                driver.get(rp_server.origin + "/ask-agent?" + urllib.parse.urlencode({"agent": args.agent_url}))
                WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "result").text != "pending")
                result = driver.find_element(By.ID, "result").text
                expect(result.startswith("blocked"), "the agent answered a foreign origin: " + result)
                direct = requests.post(args.agent_url + "/v1/web-eid/authenticate", timeout=10,
                                       headers={"Origin": rp_server.origin, "Content-Type": "application/json"},
                                       data=json.dumps({"challengeNonce": base64.b64encode(os.urandom(32)).decode()}))
                expect(direct.status_code == 403 and "access-control-allow-origin" not in direct.headers,
                       f"the agent answered {direct.status_code} to a foreign origin")
                expect(agent.prompts == prompts, "a foreign origin reached the PIN prompt")
                found["foreignOriginAtAgent"] = direct.status_code
                return found
            case("attacks", attacks)

            def refresh():
                url, state, nonce, verifier, oauth = one.start()
                driver.get(url)
                callback = wait_callback(driver, rp_server, one.redirect_uri, seconds=10)
                _, _, token = one.finish(callback, state, nonce, verifier, oauth)
                first = token.get("refresh_token")
                expect(first, "no refresh_token in the token response")
                endpoint = one.discovery["token_endpoint"]
                expect("refresh_token" in one.discovery.get("grant_types_supported", []), "discovery lacks the refresh_token grant")
                rotated = oauth.refresh_token(endpoint, refresh_token=first)  # Authlib's refresh grant
                claims = one.validate(rotated["id_token"], nonce, rotated["access_token"])
                expect(rotated["refresh_token"] != first, "the refresh token was not rotated")
                info = requests.get(one.discovery["userinfo_endpoint"], timeout=10,
                                    headers={"Authorization": "Bearer " + rotated["access_token"]})
                expect(info.status_code == 200, f"userinfo with the refreshed token: {info.status_code}")
                # Reuse of the spent token: refused, and the whole family with it.
                reuse = requests.post(endpoint, timeout=10, data={
                    "grant_type": "refresh_token", "refresh_token": first, "client_id": one.client_id})
                expect(reuse.status_code == 400 and reuse.json().get("error") == "invalid_grant",
                       f"a reused refresh token gave {reuse.status_code} {reuse.text}")
                after = requests.post(endpoint, timeout=10, data={
                    "grant_type": "refresh_token", "refresh_token": rotated["refresh_token"], "client_id": one.client_id})
                expect(after.status_code == 400, f"the family's newest token still worked after the reuse: {after.status_code}")
                revoked = requests.get(one.discovery["userinfo_endpoint"], timeout=10,
                                       headers={"Authorization": "Bearer " + rotated["access_token"]})
                expect(revoked.status_code == 401, f"the family's access token still worked after the reuse: {revoked.status_code}")
                return {"rotated": True, "reuse": reuse.json()["error"], "familyRevoked": True, "acr": claims["acr"]}
            case("refresh", refresh)

            def logout():
                found = {}
                end_session = one.discovery["end_session_endpoint"]
                expect(one.discovery.get("backchannel_logout_supported") is True, "discovery does not offer back-channel logout")
                # Without the session's id_token_hint nobody is logged out unasked: a confirmation page.
                driver.get(end_session)
                WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.ID, "logout-confirm")))
                screenshot(driver, shots, "logout-confirm-page")
                url, state, nonce, verifier, oauth = two.start(prompt="none")
                driver.get(url)
                callback = wait_callback(driver, rp_server, two.redirect_uri, seconds=10)
                expect("code=" in callback, "a logout request without hint ended the session: " + callback)
                two.finish(callback, state, nonce, verifier, oauth)
                found["withoutHint"] = "confirmation page"
                # An unregistered post_logout_redirect_uri: an error page, no redirect.
                bad = requests.get(end_session, timeout=10, allow_redirects=False, params={
                    "client_id": one.client_id, "post_logout_redirect_uri": "http://127.0.0.1:1/evil"})
                expect(bad.status_code == 400 and "location" not in bad.headers,
                       f"an unregistered post_logout_redirect_uri gave {bad.status_code} {bad.headers.get('location')}")
                found["unregisteredPostLogout"] = bad.status_code
                # RP-initiated logout with the hint: straight back to the client, state kept.
                hint, one_claims = one.latest
                _, two_claims = two.latest
                rp_server.drain()
                driver.get(end_session + "?" + urllib.parse.urlencode({
                    "id_token_hint": hint, "post_logout_redirect_uri": rp_server.origin + "/logged-out", "state": "bye-42"}))
                WebDriverWait(driver, 10).until(lambda d: d.current_url.startswith(rp_server.origin + "/logged-out"))
                expect("state=bye-42" in driver.current_url, "state lost on the way back: " + driver.current_url)
                # Back-channel: both clients of the session get a logout token; Authlib checks the signature.
                tokens = {}
                deadline = time.time() + 15
                while len(tokens) < 2 and time.time() < deadline:
                    try:
                        path, token, content_type = rp_server.logout_tokens.get(timeout=max(0.1, deadline - time.time()))
                    except queue.Empty:
                        break
                    expect(content_type.startswith("application/x-www-form-urlencoded"), "logout POST content type " + content_type)
                    tokens[path] = token
                expect(set(tokens) == {"/backchannel", "/backchannel2"}, f"logout tokens arrived for {sorted(tokens)}")
                for path, relying, id_claims in (("/backchannel", one, one_claims), ("/backchannel2", two, two_claims)):
                    claims = jwt.decode(tokens[path], relying.jwks, claims_options={
                        "iss": {"essential": True, "value": relying.issuer}, "aud": {"essential": True, "value": relying.client_id},
                        "iat": {"essential": True}, "jti": {"essential": True}})
                    claims.validate(leeway=5)
                    expect(claims.header.get("typ") == "logout+jwt", "logout token typ " + str(claims.header.get("typ")))
                    expect("http://schemas.openid.net/event/backchannel-logout" in claims.get("events", {}), "no logout event")
                    expect("nonce" not in claims, "a logout token with a nonce")
                    expect(claims.get("sid") == id_claims.get("sid"), "logout token sid differs from the ID token's")
                    expect(claims.get("sub") == id_claims.get("sub"), "logout token sub differs from the ID token's")
                found["backChannelTokens"] = len(tokens)
                # The session is gone: prompt=none answers login_required again.
                url, state, *_ = one.start(prompt="none")
                driver.get(url)
                callback = wait_callback(driver, rp_server, one.redirect_uri, seconds=10)
                expect("error=login_required" in callback, "after logout prompt=none gave " + callback)
                found["afterLogout"] = "login_required"
                return found
            case("logout", logout)
        finally:
            driver.quit()

        if args.username:
            driver = current["driver"] = browser()
            try:
                def password_totp():
                    url, state, nonce, verifier, oauth = one.start()
                    driver.get(url)
                    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.ID, "username")))
                    driver.find_element(By.ID, "username").send_keys(args.username)
                    driver.find_element(By.ID, "password").send_keys(args.password)
                    driver.find_element(By.ID, "password").submit()
                    WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.ID, "code")))
                    screenshot(driver, shots, "code-page")
                    code = driver.find_element(By.ID, "code")
                    code.send_keys(totp(args.totp_secret, args.totp_used_step))
                    code.submit()
                    callback = wait_callback(driver, rp_server, one.redirect_uri, choices=[])
                    claims, _, _ = one.finish(callback, state, nonce, verifier, oauth)
                    expect(claims["acr"] == LEVEL + "400", "acr " + claims["acr"])
                    return {"acr": claims["acr"], "amr": claims.get("amr")}
                case("password-totp", password_totp)

                def step_up():
                    url, state, nonce, verifier, oauth = one.start(acr_values=LEVEL + "500")
                    driver.get(url)
                    before = eid_login(driver, agent, step_up=True)
                    screenshot(driver, shots, "step-up-page")
                    callback = wait_callback(driver, rp_server, one.redirect_uri, choices=[])
                    expect(agent.prompts == before + 1, "the step-up did not ask the PIN once")
                    claims, _, _ = one.finish(callback, state, nonce, verifier, oauth)
                    expect(claims["acr"] == LEVEL + "500", "acr after the step-up " + claims["acr"])
                    return {"acr": claims["acr"]}
                case("step-up", step_up)
            finally:
                driver.quit()
    finally:
        agent.stop()
    report.pop("_first_sub", None)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--sleutel", required=True, help="the sleutel binary (for `sleutel agent`)")
    parser.add_argument("--agent-port", type=int, required=True)
    parser.add_argument("--reader", required=True)
    parser.add_argument("--pin", required=True)
    parser.add_argument("--rp-port", type=int, required=True)
    parser.add_argument("--client-one", default="rp-one")
    parser.add_argument("--client-two", default="rp-two")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--totp-secret")
    parser.add_argument("--totp-used-step", type=int, default=0)
    parser.add_argument("--screenshots", help="folder for PNGs of the pages")
    args = parser.parse_args()
    args.agent_url = f"http://127.0.0.1:{args.agent_port}"
    report = run(args)
    print(json.dumps(report, indent=1, sort_keys=True))
    sys.exit(0 if report and all(case["ok"] for case in report.values()) else 1)


if __name__ == "__main__":
    main()
