"""Google's OAuth 2.0 token endpoint and Sheets API v4 (the parts orgpulse reads), for tests.

Token endpoint (`POST /token`, form body): the JWT bearer grant of a service account, checked
like Google checks it: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, an RS256
assertion whose signature verifies with the public key of a key the double issued (`kid`), `iss`
a known service account, `aud` this endpoint's URL, a Sheets scope, `iat` within 5 minutes of
now and `exp - iat` at most an hour. Failures answer HTTP 400 with Google's
`{"error": "invalid_grant", "error_description": ...}` (a deleted, disabled or expired key is
"Invalid JWT Signature.", as Google says); a disabled service account is `invalid_client`.

Sheets API (base URL = the double's URL; Bearer token from the endpoint above):
- GET /v4/spreadsheets/{id}?fields=...            -> tabs (`properties`) and `merges`
- GET /v4/spreadsheets/{id}/values/{range}        -> `{"range", "majorDimension", "values"}`
  with `valueRenderOption` FORMATTED_VALUE (default: numbers and booleans as the sheet shows
  them) or UNFORMATTED_VALUE; trailing empty cells and rows are left out, merged areas carry
  their value in the top-left cell only (as Google does). Ranges: a tab's title (quoted or
  not), `Title!A1:C9`, `A1:C9` (first tab), or a named range.
- Errors in Google's shape: 401 UNAUTHENTICATED (missing, unknown or expired token), 403
  PERMISSION_DENIED (not shared with the token's service account), 404 NOT_FOUND (no such
  spreadsheet), 400 INVALID_ARGUMENT ("Unable to parse range: ...").

Control API (JSON):
- GET  /__control/health
- POST /__control/service-accounts          {"email"} -> the key file's JSON (a fresh RSA key)
- POST /__control/service-accounts/state    {"email", "state": "active"|"disabled"} or
                                            {"email", "key_id", "key_state": "active"|"disabled"|"deleted"|"expired"}
- PUT  /__control/spreadsheets/{id}         {"sheets": [{"title", "rows", "merges": ["C2:C4"]}],
                                            "named_ranges": {"name": "Title!A1:F20"}, "shared_with": [email]}
- DELETE /__control/spreadsheets/{id}
- POST /__control/share                     {"spreadsheet_id", "email", "shared": true|false}
- POST /__control/faults                    {"kind": "ratelimit"|"http_error"|"slow"|"drop_response",
                                            "route": "token"|"sheets"|null, "count": K or null (until cleared),
                                            "retry_after" (ratelimit, seconds), "status" (http_error),
                                            "delay_seconds" (slow)}
- POST /__control/faults/clear
- GET  /__control/requests                  -> [{"method", "path", "query", "route", "status"}]
- POST /__control/reset                     -> requests, faults and issued tokens cleared

Run standalone:  python -m tests.support.google_double --port 4700
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .httpserver import BackgroundServer, QuietHandler

CONTROL_PREFIX = "/__control/"
TOKEN_PATH = "/token"
SHEETS_PREFIX = "/v4/spreadsheets/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SHEETS_SCOPES = {
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive",
}
CLOCK_SKEW_SECONDS = 300
MAX_ASSERTION_LIFETIME = 3600
TOKEN_LIFETIME_SECONDS = 3599
PROJECT_ID = "orgpulse-test"

INVALID_SIGNATURE = "Invalid JWT Signature."
BAD_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class ServiceAccountKey:
    key_id: str
    private_pem: str
    public_key: rsa.RSAPublicKey
    state: str = "active"  # active | disabled | deleted | expired


@dataclass
class ServiceAccount:
    email: str
    keys: dict[str, ServiceAccountKey] = field(default_factory=dict)
    state: str = "active"  # active | disabled

    def key_file(self, key_id: str | None = None) -> dict:
        """The JSON Google Cloud downloads for a key (the newest when none is named)."""
        key = self.keys[key_id] if key_id else list(self.keys.values())[-1]
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": key.key_id,
            "private_key": key.private_pem,
            "client_email": self.email,
            "client_id": str(abs(hash(self.email)) % 10**21),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        }


@dataclass
class Sheet:
    title: str
    rows: list[list[Any]]
    merges: list[dict] = field(default_factory=list)  # GridRange dicts
    sheet_id: int = 0


@dataclass
class Spreadsheet:
    sheets: list[Sheet]
    named_ranges: dict[str, str] = field(default_factory=dict)  # name -> "Title!A1:B2"
    shared_with: set[str] = field(default_factory=set)


@dataclass
class Fault:
    kind: str  # ratelimit | http_error | slow | drop_response
    remaining: int | None
    route: str | None = None  # token | sheets | None (both)
    retry_after: int | None = 1
    status: int = 503
    delay_seconds: float = 0.0

    def applies(self, route: str) -> bool:
        live = self.remaining is None or self.remaining > 0
        return live and self.route in (None, route)

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


@dataclass
class Answer:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def google_error(status: int, google_status: str, message: str, reason: str | None = None) -> Answer:
    error: dict[str, Any] = {"code": status, "message": message, "status": google_status}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return Answer(status, {"error": error})


# ---- A1 notation ---------------------------------------------------------------------------

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def column_index(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + (ord(char) - ord("A") + 1)
    return number - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def split_range(text: str) -> tuple[str | None, str]:
    """`'It''s'!A1:B2` -> ("It's", "A1:B2"); `Accounts` -> ("Accounts", ""); `A1:B2` -> (None, "A1:B2")."""
    if text.startswith("'"):
        title, index = "", 1
        while index < len(text):
            if text[index] == "'":
                if text[index + 1 : index + 2] == "'":
                    title += "'"
                    index += 2
                    continue
                rest = text[index + 1 :]
                return title, rest[1:] if rest.startswith("!") else rest
            title += text[index]
            index += 1
        raise ValueError(f"Unable to parse range: {text}")
    if "!" in text:
        title, cells = text.split("!", 1)
        return title, cells
    return None, text


def parse_cells(cells: str) -> tuple[int, int, int | None, int | None]:
    """`B3:D` -> (row 2, col 1, end row None (open), end col 4 exclusive); "" -> the whole grid."""
    if not cells:
        return 0, 0, None, None
    start, colon, end = cells.partition(":")
    start_match, end_match = _CELL.match(start), _CELL.match(end or start)
    if not start_match or not end_match or not (start_match.group(1) or start_match.group(2)):
        raise ValueError(cells)
    if len(start_match.group(1)) > 3 or len(end_match.group(1)) > 3:
        raise ValueError(cells)  # columns end at ZZZ; a longer word is no cell
    if not colon and not (start_match.group(1) and start_match.group(2)):
        raise ValueError(cells)  # one cell needs its column and row ("B3")
    row0 = int(start_match.group(2)) - 1 if start_match.group(2) else 0
    col0 = column_index(start_match.group(1)) if start_match.group(1) else 0
    row1 = int(end_match.group(2)) if end_match.group(2) else None
    col1 = column_index(end_match.group(1)) + 1 if end_match.group(1) else None
    return row0, col0, row1, col1


def grid_range(a1: str, sheet_id: int = 0) -> dict:
    """"C2:C4" -> a GridRange (0-based, end exclusive), as spreadsheets.get answers merges."""
    row0, col0, row1, col1 = parse_cells(a1)
    return {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": row1 or row0 + 1,
            "startColumnIndex": col0, "endColumnIndex": col1 or col0 + 1}


def quote_title(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"


def formatted(value: Any) -> Any:
    """A cell as FORMATTED_VALUE shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Google leaves out trailing empty cells of each row and trailing empty rows."""
    trimmed = []
    for row in rows:
        row = list(row)
        while row and row[-1] in (None, ""):
            row.pop()
        trimmed.append(row)
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


class GoogleDouble:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accounts: dict[str, ServiceAccount] = {}
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (email, expires at)
        self.faults: list[Fault] = []
        self.requests: list[dict] = []
        self.token_lifetime = TOKEN_LIFETIME_SECONDS
        self.url = ""

    # ---- Python API (the control API calls these) ----------------------------------------
    @property
    def token_url(self) -> str:
        return f"{self.url}{TOKEN_PATH}"

    def add_service_account(self, email: str) -> ServiceAccount:
        """A service account with one fresh 2048-bit RSA key (its JSON via `key_file()`)."""
        with self._lock:
            account = self.accounts.setdefault(email, ServiceAccount(email))
        self.add_key(email)
        return account

    def add_key(self, email: str) -> ServiceAccountKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        key = ServiceAccountKey(secrets.token_hex(20), pem, private.public_key())
        with self._lock:
            self.accounts[email].keys[key.key_id] = key
        return key

    def set_key_state(self, email: str, key_id: str | None, state: str) -> None:
        if state not in ("active", "disabled", "deleted", "expired"):
            raise ValueError(f"unknown key state {state!r}")
        with self._lock:
            account = self.accounts[email]
            for key in account.keys.values() if key_id is None else [account.keys[key_id]]:
                key.state = state

    def set_account_state(self, email: str, state: str) -> None:
        if state not in ("active", "disabled"):
            raise ValueError(f"unknown account state {state!r}")
        with self._lock:
            self.accounts[email].state = state

    def put_spreadsheet(self, spreadsheet_id: str, sheets: list[dict], *, shared_with=(), named_ranges=None) -> None:
        """`sheets`: [{"title", "rows", "merges": ["C2:C4", ...]}], first tab first."""
        built = []
        for index, spec in enumerate(sheets):
            sheet_id = 0 if index == 0 else 1000 + index
            merges = [grid_range(m, sheet_id) if isinstance(m, str) else m for m in spec.get("merges", [])]
            built.append(Sheet(spec["title"], [list(r) for r in spec.get("rows", [])], merges, sheet_id))
        with self._lock:
            self.spreadsheets[spreadsheet_id] = Spreadsheet(built, dict(named_ranges or {}), set(shared_with))

    def set_rows(self, spreadsheet_id: str, rows: list[list[Any]], title: str | None = None) -> None:
        """Replaces the cells of one tab (the first by default), as a person editing the sheet."""
        with self._lock:
            spreadsheet = self.spreadsheets[spreadsheet_id]
            sheet = spreadsheet.sheets[0] if title is None else next(s for s in spreadsheet.sheets if s.title == title)
            sheet.rows = [list(r) for r in rows]

    def share(self, spreadsheet_id: str, email: str, shared: bool = True) -> None:
        with self._lock:
            shared_with = self.spreadsheets[spreadsheet_id].shared_with
            shared_with.add(email) if shared else shared_with.discard(email)

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        with self._lock:
            self.spreadsheets.pop(spreadsheet_id, None)

    def add_fault(self, kind: str, count: int | None = 1, route: str | None = None, **options) -> None:
        if kind not in ("ratelimit", "http_error", "slow", "drop_response"):
            raise ValueError(f"unknown fault kind {kind!r}")
        if route not in (None, "token", "sheets"):
            raise ValueError(f"unknown route {route!r}")
        with self._lock:
            self.faults.append(Fault(kind, count, route, **options))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self.tokens.clear()

    def request_log(self, route: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self.requests if route in (None, r["route"])]

    # ---- Token endpoint --------------------------------------------------------------------
    def token(self, body: bytes) -> Answer:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != JWT_BEARER:
            return self._oauth_error("unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", ""))
        parts = form.get("assertion", "").split(".")
        if len(parts) != 3:
            return self._oauth_error("invalid_request", "Invalid JWT: not a JWS compact serialization")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except ValueError:
            return self._oauth_error("invalid_request", "Invalid JWT: cannot decode")
        if header.get("alg") != "RS256":
            return self._oauth_error("invalid_grant", f"Invalid JWT: unsupported algorithm {header.get('alg')}")
        with self._lock:
            account = self.accounts.get(claims.get("iss", ""))
            key = account.keys.get(header.get("kid", "")) if account else None
            # Without `kid` Google tries the account's keys.
            candidates = [key] if key else (list(account.keys.values()) if account and "kid" not in header else [])
        if account is None:
            return self._oauth_error("invalid_grant", "Invalid grant: account not found")
        verified = None
        for candidate in candidates:
            try:
                candidate.public_key.verify(
                    signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
                )
                verified = candidate
                break
            except InvalidSignature:
                continue
        if verified is None or verified.state != "active":
            return self._oauth_error("invalid_grant", INVALID_SIGNATURE)
        if account.state != "active":
            return self._oauth_error("invalid_client", "The OAuth client was disabled.", status=401)
        if claims.get("aud") != self.token_url:
            return self._oauth_error("invalid_grant", f"Invalid JWT: audience {claims.get('aud')!r} is not {self.token_url}")
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or abs(iat - now) > CLOCK_SKEW_SECONDS \
                or exp <= now or exp - iat > MAX_ASSERTION_LIFETIME:
            return self._oauth_error("invalid_grant", BAD_TIMEFRAME)
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes & SHEETS_SCOPES:
            return self._oauth_error("invalid_scope", f"Invalid OAuth scope or ID token audience provided: {claims.get('scope')!r}")
        token = f"ya29.double-{secrets.token_urlsafe(24)}"
        with self._lock:
            self.tokens[token] = (account.email, now + self.token_lifetime)
        return Answer(200, {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"})

    @staticmethod
    def _oauth_error(error: str, description: str, status: int = 400) -> Answer:
        return Answer(status, {"error": error, "error_description": description})

    # ---- Sheets API ------------------------------------------------------------------------
    def sheets(self, path: str, headers, query: dict[str, str]) -> Answer:
        authorization = headers.get("Authorization", "")
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            holder = self.tokens.get(token)
        if holder is None or holder[1] <= time.time():
            return google_error(
                401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential.",
            )
        email = holder[0]
        rest = path[len(SHEETS_PREFIX):]
        spreadsheet_id, _, tail = rest.partition("/")
        with self._lock:
            spreadsheet = self.spreadsheets.get(spreadsheet_id)
            if spreadsheet is None:
                return google_error(404, "NOT_FOUND", "Requested entity was not found.")
            if email not in spreadsheet.shared_with:
                return google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
            if not tail:
                return Answer(200, {"sheets": [
                    {"properties": {"sheetId": s.sheet_id, "title": s.title, "index": i, "sheetType": "GRID",
                                    "gridProperties": {"rowCount": max(1000, len(s.rows)),
                                                       "columnCount": max(26, max(map(len, s.rows), default=0))}},
                     **({"merges": s.merges} if s.merges else {})}
                    for i, s in enumerate(spreadsheet.sheets)
                ]})
            if not tail.startswith("values/"):
                return google_error(404, "NOT_FOUND", f"Method not found: {tail}")
            return self._values(spreadsheet, unquote(tail[len("values/"):]), query)

    def _values(self, spreadsheet: Spreadsheet, requested: str, query: dict[str, str]) -> Answer:
        text = spreadsheet.named_ranges.get(requested, requested)
        titles = [s.title for s in spreadsheet.sheets]
        try:
            title, cells = split_range(text)
            if title is None and text in titles:
                title, cells = text, ""  # a tab's title alone: the whole tab
            sheet = spreadsheet.sheets[0] if title is None else next(
                (s for s in spreadsheet.sheets if s.title == title), None)
            if sheet is None:
                raise ValueError(requested)
            row0, col0, row1, col1 = parse_cells(cells)
        except ValueError:
            return google_error(400, "INVALID_ARGUMENT", f"Unable to parse range: {requested}")
        unformatted = query.get("valueRenderOption") == "UNFORMATTED_VALUE"
        rows = [
            [value if unformatted and not isinstance(value, str) and value is not None else formatted(value)
             for value in row[col0:col1]]
            for row in sheet.rows[row0:row1]
        ]
        grid_rows = max(1000, len(sheet.rows))
        grid_cols = max(26, max(map(len, sheet.rows), default=0))
        answered = (f"{quote_title(sheet.title)}!{column_letters(col0)}{row0 + 1}:"
                    f"{column_letters((col1 or grid_cols) - 1)}{row1 or grid_rows}")
        payload: dict[str, Any] = {"range": answered, "majorDimension": "ROWS"}
        values = _trim(rows)
        if values:
            payload["values"] = values
        return Answer(200, payload)

    # ---- Faults and dispatch ---------------------------------------------------------------
    def _fault(self, route: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.applies(route):
                    fault.consume()
                    return fault
        return None

    def handle(self, method: str, path: str, headers, body: bytes, query: dict[str, str]) -> Answer:
        route = "token" if path == TOKEN_PATH else "sheets" if path.startswith(SHEETS_PREFIX) else "other"
        answer = self._dispatch(route, method, path, headers, body, query)
        with self._lock:
            self.requests.append({"method": method, "path": path, "query": query, "route": route,
                                  "status": None if answer.drop else answer.status})
        return answer

    def _dispatch(self, route, method, path, headers, body, query) -> Answer:
        if route == "other":
            return google_error(404, "NOT_FOUND", f"no such endpoint {method} {path}")
        fault = self._fault(route)
        if fault is not None:
            if fault.kind == "drop_response":
                return Answer(0, None, drop=True)
            if fault.kind == "slow":
                time.sleep(fault.delay_seconds)
            elif fault.kind == "ratelimit":
                headers_out = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                if route == "token":
                    return Answer(429, {"error": "rate_limit_exceeded", "error_description": "Rate limit exceeded"},
                                  headers_out)
                answer = google_error(429, "RESOURCE_EXHAUSTED",
                                      "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                                      "minute per user' of service 'sheets.googleapis.com'.", "RATE_LIMIT_EXCEEDED")
                answer.headers = headers_out
                return answer
            elif fault.kind == "http_error":
                if route == "token":
                    return Answer(fault.status, {"error": "internal_failure", "error_description": "Backend Error"})
                return google_error(fault.status, "UNAVAILABLE" if fault.status == 503 else "INTERNAL",
                                    "The service is currently unavailable.")
        if route == "token":
            if method != "POST":
                return Answer(405, {"error": "invalid_request", "error_description": "POST only"})
            return self.token(body)
        if method != "GET":
            return google_error(405, "INVALID_ARGUMENT", f"{method} is not supported here")
        return self.sheets(path, headers, query)

    # ---- Control API -----------------------------------------------------------------------
    def control(self, method: str, path: str, body: bytes, query: dict[str, str]) -> tuple[int, Any]:
        try:
            data = json.loads(body) if body else {}
            name = path[len(CONTROL_PREFIX):]
            if method == "GET" and name == "health":
                return 200, {"ok": True}
            if method == "GET" and name == "requests":
                return 200, self.request_log(query.get("route"))
            if method == "POST" and name == "service-accounts":
                account = self.add_service_account(data["email"])
                return 200, account.key_file()
            if method == "POST" and name == "service-accounts/state":
                if "key_state" in data:
                    self.set_key_state(data["email"], data.get("key_id"), data["key_state"])
                else:
                    self.set_account_state(data["email"], data["state"])
            elif name.startswith("spreadsheets/") and method == "PUT":
                self.put_spreadsheet(name.split("/", 1)[1], data.get("sheets", []),
                                     shared_with=data.get("shared_with", []), named_ranges=data.get("named_ranges"))
            elif name.startswith("spreadsheets/") and method == "DELETE":
                self.delete_spreadsheet(name.split("/", 1)[1])
            elif method == "POST" and name == "share":
                self.share(data["spreadsheet_id"], data["email"], data.get("shared", True))
            elif method == "POST" and name == "faults":
                options = {k: data[k] for k in ("retry_after", "status", "delay_seconds") if k in data}
                self.add_fault(data["kind"], data.get("count", 1), data.get("route"), **options)
            elif method == "POST" and name == "faults/clear":
                self.clear_faults()
            elif method == "POST" and name == "reset":
                self.reset()
            else:
                return 404, {"ok": False, "error": f"no control endpoint {method} {path}"}
            return 200, {"ok": True}
        except (ValueError, TypeError, KeyError, StopIteration) as error:
            return 400, {"ok": False, "error": f"{type(error).__name__}: {error}"}

    def serve(self, port: int = 0, host: str = "127.0.0.1") -> BackgroundServer:
        double = self

        class Handler(QuietHandler):
            def _route(self) -> None:
                body = self.read_body()
                path = self.path_only
                if path.startswith(CONTROL_PREFIX):
                    self.send_json(*double.control(self.command, path, body, self.query))
                    return
                answer = double.handle(self.command, path, self.headers, body, self.query)
                if answer.drop:
                    self.drop_connection()
                else:
                    self.send_json(answer.status, answer.payload, answer.headers,
                                   "application/json; charset=UTF-8")

            do_GET = do_POST = do_PUT = do_DELETE = _route

        server = BackgroundServer(Handler, host, port).start()
        self.url = server.url
        return server

    def environment(self) -> dict[str, str]:
        """What points orgpulse's Google client at this double."""
        return {"GOOGLE_OAUTH_TOKEN_URL": self.token_url, "GOOGLE_SHEETS_API_URL": self.url,
                # Endpoint overrides may point at local doubles only with this switch.
                "ORGPULSE_ALLOW_LOCAL_ENDPOINTS": "1"}


def sign_assertion(key_file: dict, audience: str, *, scope: str = "https://www.googleapis.com/auth/spreadsheets.readonly",
                   issued_at: int | None = None, lifetime: int = 3600, kid: str | None = None) -> str:
    """An RS256 JWT bearer assertion made from a key file, as a Google client library makes it."""
    private = serialization.load_pem_private_key(key_file["private_key"].encode(), password=None)
    now = int(time.time()) if issued_at is None else issued_at
    header = {"alg": "RS256", "typ": "JWT", "kid": kid or key_file["private_key_id"]}
    claims = {"iss": key_file["client_email"], "scope": scope, "aud": audience, "iat": now, "exp": now + lifetime}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Google token endpoint and Sheets API double until interrupted.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    args = parser.parse_args(argv)
    double = GoogleDouble()
    server = double.serve(args.port, args.host)
    print(f"Google double on {server.url} (token endpoint {double.token_url})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
