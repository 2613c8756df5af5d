"""Slack Web API double: accepts what Slack accepts, rejects what Slack rejects (with Slack's
error answers), records every accepted message and uploaded file, and injects failures.

Web API (base URL `http://127.0.0.1:PORT/api/`, so slack_sdk's WebClient(base_url=...) and any
client with a configurable base URL talk to it):
- chat.postMessage: JSON body (token only in `Authorization: Bearer`) or form body (token in the
  header or a `token` field). Checks the token (not_authed / invalid_auth / token_revoked),
  scopes (missing_scope), the channel (channel_not_found; a public channel the bot is not in
  needs chat:write.public, else not_in_channel; is_archived), the payload against Block Kit's
  documented limits (invalid_blocks with Slack's "[ERROR] ... [json-pointer:...]" messages,
  invalid_blocks_format, no_text, msg_too_long, msg_blocks_too_long) and `metadata`
  (invalid_metadata_format / invalid_metadata_schema). Failures are HTTP 200 with
  {"ok": false, "error": ...}; rate limits are HTTP 429 with `Retry-After` (seconds) and
  {"ok": false, "error": "ratelimited"}, per channel at about one message per second.
- conversations.history (GET or POST): newest first, `limit`/`cursor`/`oldest`/`latest`/
  `inclusive`; `metadata` only with include_all_metadata=true; needs channels:history
  (groups:history for private channels) and membership, like Slack.
- files.getUploadURLExternal (form only) -> upload_url on this server; POST or PUT the bytes
  (raw or multipart) to it; files.completeUploadExternal shares them into channel_id.
- auth.test: the bot's user_id, bot_id and app_id (and, as on every answer, the token's
  scopes in the `x-oauth-scopes` header).
- users.conversations: the conversations the bot is a member of, by `types` (each needs its
  read scope: channels:read, groups:read, im:read, mpim:read), `limit` (1-999), `cursor`.
- conversations.info: one conversation, with `is_member` (a private channel the bot is not in
  is channel_not_found).

Control API (JSON):
- GET  /__control/health
- GET  /__control/messages[?channel=C123]  -> accepted messages, oldest first, with ts, channel,
                                             text, blocks, metadata, thread_ts
- POST /__control/messages     body {"channel", "text", "metadata"?, "blocks"?, "bot_id"?,
                               "app_id"?} -> seeds a message as if posted earlier (e.g. a
                               previous delivery; another app's with its own bot_id/app_id)
- GET  /__control/files        -> completed uploads: id, filename, title, channel_id, length,
                                  sha256, base64 content
- GET  /__control/counters     -> {"<method>": {"calls", "ok", "errors": {error: n}}}
- POST /__control/settings     body: any of {"token", "scopes": [...], "channels": [{"id",
                               "name", "is_private", "is_member", "is_archived"}],
                               "rate_limit_per_second": number or null, "rate_limit_burst",
                               "text_limit", "blocks_text_limit", "token_revoked": bool}
- POST /__control/faults       body: {"kind": "ratelimit" | "error" | "http_error" | "slow" |
                               "drop_response", "count": K or null (until cleared),
                               "method"?, "channel"?, "retry_after" (ratelimit), "error"
                               (error), "status" (http_error), "delay_seconds" (slow)}
- POST /__control/faults/clear
- POST /__control/reset        -> messages, files, counters, faults and rate-limit state cleared

Run standalone:  python -m tests.support.slack_sink --port 4600 --token xoxb-test \
                     --channel C0000000001:general --channel C0000000002:secret:private
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from .httpserver import BackgroundServer, QuietHandler

CONTROL_PREFIX = "/__control/"
API_PREFIX = "/api/"
UPLOAD_PREFIX = "/upload/v1/"

BOT_USER_ID = "U0ORGPULSE"
BOT_ID = "B0ORGPULSE"
# Slack puts the posting app's bot_id and app_id on every message a bot posts, and auth.test
# names both: orgpulse matches its own deliveries in the history by them.
APP_ID = "A0ORGPULSE"
TEAM_ID = "T0ORGPULSE"
DEFAULT_TOKEN = "xoxb-0000000000-orgpulse-test-token"
# The scopes orgpulse documents (terraform/README.md): post, read history for the exactly-once
# look-up, list the app's channels for the membership check. No chat:write.public: the app must
# be a member of every channel it posts to.
DEFAULT_SCOPES = ("chat:write", "channels:history", "groups:history", "channels:read", "groups:read", "files:write")

# users.conversations / conversations.info: the read scope each conversation type needs
# (docs.slack.dev, users.conversations: "types ... public_channel, private_channel, mpim, im").
TYPE_SCOPES = {"public_channel": "channels:read", "private_channel": "groups:read", "im": "im:read", "mpim": "mpim:read"}

# Documented limits (docs.slack.dev, Block Kit reference and chat.postMessage):
MAX_BLOCKS = 50  # "You can include up to 50 blocks in each message"
SECTION_FIELD_MAX_CHARS = 2000  # section block: "Maximum length for the text in each item is 2000"
TABLE_MAX_ROWS = 100  # table block: "Maximum 100 rows"
TABLE_MAX_CELLS = 20  # table block: "Each row object is an array with a max of 20 table cells"
# chat.postMessage: text is truncated past 40,000 characters per the docs, but Slack's SDK
# maintainers report msg_too_long for long text today; the sink rejects, which is the safe side.
TEXT_LIMIT = 40_000
# Undocumented: Slack answers msg_blocks_too_long when the text inside blocks adds up to about
# 13,000 characters, although each block is within its own limit.
BLOCKS_TEXT_LIMIT = 13_000

TEXT_OBJECT_TYPES = ("plain_text", "mrkdwn")


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False


@dataclass
class Fault:
    kind: str  # ratelimit | error | http_error | slow | drop_response
    remaining: int | None
    method: str | None = None
    channel: str | None = None
    retry_after: int = 1
    error: str = "internal_error"
    status: int = 503
    delay_seconds: float = 0.0

    def applies(self, method: str, channel: str | None) -> bool:
        live = self.remaining is None or self.remaining > 0
        return live and self.method in (None, method) and self.channel in (None, channel)

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


@dataclass
class Response:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection instead of answering (the reply is "lost")
    content_type: str = "application/json; charset=utf-8"


class ChannelRateLimiter:
    """A token bucket per channel: `rate` messages per second, bursts of `burst`."""

    def __init__(self, rate: float | None, burst: int):
        self.rate = rate
        self.burst = max(1, burst)
        self._buckets: dict[str, tuple[float, float]] = {}

    def retry_after(self, channel: str) -> int | None:
        """None if the message may go now (and takes a token), else seconds to wait."""
        if not self.rate:
            return None
        now = time.monotonic()
        tokens, updated = self._buckets.get(channel, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
        if tokens >= 1:
            self._buckets[channel] = (tokens - 1, now)
            return None
        self._buckets[channel] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / self.rate))


class SlackApiError(Exception):
    """An ok:false answer."""

    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.extra = extra


# ---------------------------------------------------------------------------------------------
# Block Kit validation
# ---------------------------------------------------------------------------------------------


def _walk_text_objects(value: Any, pointer: str):
    """Yields (pointer, object) for every text object inside a block."""
    if isinstance(value, dict):
        if value.get("type") in TEXT_OBJECT_TYPES:
            yield pointer, value
        for key, child in value.items():
            yield from _walk_text_objects(child, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk_text_objects(child, f"{pointer}/{index}")


def _plain_text_required(block: Mapping, key: str, pointer: str) -> list[str]:
    text = block.get(key)
    if isinstance(text, dict) and text.get("type") != "plain_text":
        return [f"[ERROR] must be plain_text, mrkdwn is not allowed here [json-pointer:{pointer}/{key}/type]"]
    return []


def _checks_beyond_slack_sdk(block: Mapping, pointer: str) -> list[str]:
    """Documented rules that slack_sdk's models do not enforce."""
    errors = []
    for where, text_object in _walk_text_objects(block, pointer):
        text = text_object.get("text")
        if not isinstance(text, str) or not text:
            # Text objects: "Minimum length for this field is 1".
            errors.append(f"[ERROR] must be more than 0 characters [json-pointer:{where}/text]")
        if text_object.get("type") == "mrkdwn" and "emoji" in text_object:
            # `emoji` exists only on plain_text objects.
            errors.append(f"[ERROR] unsupported property: emoji [json-pointer:{where}/emoji]")
    kind = block.get("type")
    if kind == "header":
        errors += _plain_text_required(block, "text", pointer)
    elif kind == "image":
        errors += _plain_text_required(block, "title", pointer)
    elif kind == "section":
        for index, item in enumerate(block.get("fields") or []):
            if isinstance(item, dict) and len(item.get("text") or "") > SECTION_FIELD_MAX_CHARS:
                errors.append(
                    f"[ERROR] must be less than {SECTION_FIELD_MAX_CHARS + 1} characters "
                    f"[json-pointer:{pointer}/fields/{index}/text]"
                )
    elif kind == "context":
        for index, element in enumerate(block.get("elements") or []):
            if not isinstance(element, dict) or element.get("type") not in (*TEXT_OBJECT_TYPES, "image"):
                errors.append(
                    f"[ERROR] context elements must be text objects or images [json-pointer:{pointer}/elements/{index}]"
                )
    elif kind == "actions":
        for index, element in enumerate(block.get("elements") or []):
            if isinstance(element, dict) and element.get("type") == "button":
                errors += _plain_text_required(element, "text", f"{pointer}/elements/{index}")
    elif kind == "table":
        rows = block.get("rows") or []
        if len(rows) > TABLE_MAX_ROWS:
            errors.append(f"[ERROR] no more than {TABLE_MAX_ROWS} items allowed [json-pointer:{pointer}/rows]")
        for index, row in enumerate(rows):
            if isinstance(row, list) and len(row) > TABLE_MAX_CELLS:
                errors.append(
                    f"[ERROR] no more than {TABLE_MAX_CELLS} items allowed [json-pointer:{pointer}/rows/{index}]"
                )
    return errors


def validate_blocks(blocks: list) -> list[str]:
    """Slack-style error messages for a `blocks` array; empty when Slack would accept it."""
    errors = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    block_ids: set[str] = set()
    tables = 0
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.append(f"[ERROR] missing required field: type [json-pointer:{pointer}]")
            continue
        try:
            # slack_sdk's Block Kit models carry the documented limits (header text 150, section
            # text 3000, 10 fields, 10 context elements, block_id 255, button text 75, ...).
            # to_dict() validates the block and every element inside it.
            model = Block.parse(dict(block))
            if model is None:
                errors.append(f"[ERROR] unsupported type: {block['type']} [json-pointer:{pointer}/type]")
                continue
            model.to_dict()
        except SlackObjectFormationError as error:
            errors.append(f"[ERROR] {error} [json-pointer:{pointer}]")
        except (TypeError, KeyError, ValueError, AttributeError) as error:
            errors.append(f"[ERROR] invalid {block['type']} block: {error} [json-pointer:{pointer}]")
        errors += _checks_beyond_slack_sdk(block, pointer)
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                errors.append(f"[ERROR] duplicate block_id: {block_id} [json-pointer:{pointer}/block_id]")
            block_ids.add(block_id)
        if block["type"] == "table":
            tables += 1
            if tables == 2:
                # Table block docs: only one table is allowed per message.
                errors.append(f"[ERROR] only one table block is allowed per message [json-pointer:{pointer}]")
    return errors


def blocks_text_length(value: Any) -> int:
    """Characters of text inside blocks, the quantity behind msg_blocks_too_long."""
    if isinstance(value, dict):
        return sum(
            len(child) if key == "text" and isinstance(child, str) else blocks_text_length(child)
            for key, child in value.items()
        )
    if isinstance(value, list):
        return sum(blocks_text_length(child) for child in value)
    return 0


# ---------------------------------------------------------------------------------------------
# The sink
# ---------------------------------------------------------------------------------------------


class SlackSink:
    """State and Web API methods; thread-safe. Serve it over HTTP with `serve()`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        channels: list[Channel] | None = None,
        scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
        rate_limit_per_second: float | None = 1.0,
        rate_limit_burst: int = 3,
    ):
        self._lock = threading.Lock()
        self.token = token
        self.token_revoked = False
        self.scopes = set(scopes)
        self.channels: dict[str, Channel] = {channel.id: channel for channel in channels or []}
        self.text_limit = TEXT_LIMIT
        self.blocks_text_limit = BLOCKS_TEXT_LIMIT
        self._rate_limiter = ChannelRateLimiter(rate_limit_per_second, rate_limit_burst)
        self._faults: list[Fault] = []
        self._messages: list[dict] = []
        self._uploads: dict[str, dict] = {}
        self._counters: dict[str, dict] = {}
        self._last_ts = 0
        self._next_file = 1
        self.url: str | None = None  # set by serve()
        self.api_url: str | None = None  # the Web API base URL, ending in /api/

    # -- configuration -------------------------------------------------------------------------

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, member: bool = True, archived: bool = False
    ) -> Channel:
        channel = Channel(channel_id, name, private, member, archived)
        with self._lock:
            self.channels[channel_id] = channel
        return channel

    def configure(self, **settings: Any) -> None:
        with self._lock:
            for name, value in settings.items():
                if name == "channels":
                    self.channels = {c["id"]: Channel(**c) for c in value}
                elif name == "scopes":
                    self.scopes = set(value)
                elif name in ("token", "token_revoked", "text_limit", "blocks_text_limit"):
                    setattr(self, name, value)
                elif name == "rate_limit_per_second":
                    self._rate_limiter = ChannelRateLimiter(value, self._rate_limiter.burst)
                elif name == "rate_limit_burst":
                    self._rate_limiter = ChannelRateLimiter(self._rate_limiter.rate, int(value))
                else:
                    raise ValueError(f"unknown setting {name!r}")

    def inject(self, kind: str, count: int | None = 1, **options: Any) -> None:
        """Queues a fault; see the module docstring for kinds and options."""
        if kind not in ("ratelimit", "error", "http_error", "slow", "drop_response"):
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._faults.append(Fault(kind, count, **options))

    def rate_limit_next(self, count: int = 1, retry_after: int = 1, **where: Any) -> None:
        self.inject("ratelimit", count, retry_after=retry_after, **where)

    def fail_next(self, error: str, count: int | None = 1, **where: Any) -> None:
        self.inject("error", count, error=error, **where)

    def drop_next_response(self, count: int = 1, method: str = "chat.postMessage") -> None:
        self.inject("drop_response", count, method=method)

    def slow_down(self, delay_seconds: float, count: int | None = None, **where: Any) -> None:
        self.inject("slow", count, delay_seconds=delay_seconds, **where)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self._messages.clear()
            self._uploads.clear()
            self._counters.clear()
            self._rate_limiter = ChannelRateLimiter(self._rate_limiter.rate, self._rate_limiter.burst)

    # -- reading what happened -------------------------------------------------------------------

    def messages(self, channel: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(m) for m in self._messages if channel in (None, m["channel"])]

    def files(self) -> list[dict]:
        with self._lock:
            return [dict(f) for f in self._uploads.values() if f.get("completed")]

    def counters(self) -> dict[str, dict]:
        with self._lock:
            return json.loads(json.dumps(self._counters))

    def seed_message(
        self, channel: str, text: str, metadata: Mapping | None = None, blocks: list | None = None,
        bot_id: str | None = None, app_id: str | None = None,
    ) -> dict:
        """Records a message as if it had been posted before the test (e.g. a delivery by an
        earlier run), so that conversations.history returns it. `bot_id`/`app_id` default to
        orgpulse's own; another app's message (a forged delivery) names its own."""
        with self._lock:
            return self._record_message(channel, {"text": text, "metadata": metadata, "blocks": blocks,
                                                  "bot_id": bot_id, "app_id": app_id})

    # -- HTTP-independent request handling ---------------------------------------------------------

    def handle_api(
        self, method: str, http_method: str, headers: Mapping[str, str], body: bytes, query: Mapping[str, str]
    ) -> Response:
        try:
            params, content_type = _parse_params(http_method, headers, body, query)
            parse_error = None
        except SlackApiError as error:
            params, content_type, parse_error = dict(query), "", error
        channel = params.get("channel") or params.get("channel_id")
        delay = 0.0
        drop = False
        with self._lock:
            counter = self._counters.setdefault(method, {"calls": 0, "ok": 0, "errors": {}})
            counter["calls"] += 1
            for fault in self._faults:
                if fault.kind == "slow" and fault.applies(method, channel):
                    fault.consume()
                    delay += fault.delay_seconds
        if delay:
            time.sleep(delay)
        with self._lock:
            try:
                if parse_error:
                    raise parse_error
                self._authenticate(headers, params, content_type)
                injected = self._injected_failure(method, channel)
                if injected:
                    self._count_error(method, injected.payload.get("error") or f"http_{injected.status}")
                    return injected
                payload = self._dispatch(method, params, headers)
                if isinstance(payload, Response):  # rate limited
                    self._count_error(method, "ratelimited")
                    return payload
                for fault in self._faults:
                    if fault.kind == "drop_response" and fault.applies(method, channel):
                        fault.consume()
                        drop = True
                        break
                if content_type == "application/json" and "charset" not in headers.get("Content-Type", ""):
                    # Slack accepts a JSON body without charset but warns about it.
                    payload["warning"] = "missing_charset"
                    payload.setdefault("response_metadata", {})["warnings"] = ["missing_charset"]
                self._counters[method]["ok"] += 1
                # Slack names the token's scopes in a header on Web API answers (auth.test's
                # is the documented way to read them).
                return Response(200, payload, headers={"x-oauth-scopes": ",".join(sorted(self.scopes))}, drop=drop)
            except SlackApiError as error:
                self._count_error(method, error.error)
                return Response(200, {"ok": False, "error": error.error, **error.extra})

    def handle_upload(self, file_id: str, headers: Mapping[str, str], body: bytes) -> Response:
        """The upload URL issued by files.getUploadURLExternal (raw bytes or multipart)."""
        content = body
        if headers.get("Content-Type", "").startswith("multipart/form-data"):
            fields = _parse_multipart(headers["Content-Type"], body)
            content = next((value for value in fields.values() if isinstance(value, bytes)), b"")
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return Response(404, "Not Found", content_type="text/plain")
            upload["content"] = content
            upload["uploaded"] = True
        return Response(200, f"OK - {len(content)}", content_type="text/plain")

    def _count_error(self, method: str, error: str) -> None:
        errors = self._counters[method]["errors"]
        errors[error] = errors.get(error, 0) + 1

    def _authenticate(self, headers: Mapping[str, str], params: Mapping, content_type: str) -> None:
        authorization = headers.get("Authorization", "")
        token = authorization[len("Bearer ") :] if authorization.startswith("Bearer ") else None
        if token is None and content_type != "application/json":
            # Form bodies may carry the token as a field; JSON bodies must use the header.
            token = params.get("token")
        if not token:
            raise SlackApiError("not_authed")
        if token != self.token:
            raise SlackApiError("invalid_auth")
        if self.token_revoked:
            raise SlackApiError("token_revoked")

    def _injected_failure(self, method: str, channel: str | None) -> Response | None:
        self._faults = [fault for fault in self._faults if fault.remaining != 0]
        for fault in self._faults:
            if fault.kind in ("ratelimit", "error", "http_error") and fault.applies(method, channel):
                fault.consume()
                if fault.kind == "ratelimit":
                    return _ratelimited(fault.retry_after)
                if fault.kind == "error":
                    return Response(200, {"ok": False, "error": fault.error})
                return Response(fault.status, {"ok": False, "error": "internal_error"})
        return None

    def _require_scope(self, *needed: str) -> None:
        if not any(scope in self.scopes for scope in needed):
            raise SlackApiError("missing_scope", needed=needed[0], provided=",".join(sorted(self.scopes)))

    def _dispatch(self, method: str, params: dict, headers: Mapping[str, str]) -> dict | Response:
        handlers = {
            "chat.postMessage": self._post_message,
            "conversations.history": self._history,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "auth.test": self._auth_test,
            "users.conversations": self._users_conversations,
            "conversations.info": self._conversations_info,
        }
        if method not in handlers:
            raise SlackApiError("unknown_method")
        return handlers[method](params, headers)

    def _resolve_channel(self, reference: Any) -> Channel:
        if not isinstance(reference, str) or not reference:
            raise SlackApiError("channel_not_found")
        channel = self.channels.get(reference) or next(
            (c for c in self.channels.values() if c.name == reference.lstrip("#")), None
        )
        # A private channel the bot is not in is invisible to it: Slack says channel_not_found.
        if channel is None or (channel.is_private and not channel.is_member):
            raise SlackApiError("channel_not_found")
        return channel

    def _post_message(self, params: dict, headers: Mapping[str, str]) -> dict | Response:
        self._require_scope("chat:write")
        channel = self._resolve_channel(params.get("channel"))
        if channel.is_archived:
            raise SlackApiError("is_archived")
        if not channel.is_member and "chat:write.public" not in self.scopes:
            raise SlackApiError("not_in_channel")
        text = params.get("text") or ""
        blocks = _json_param(params, "blocks", "invalid_blocks_format")
        attachments = _json_param(params, "attachments", "invalid_attachments")
        metadata = _json_param(params, "metadata", "invalid_metadata_format")
        if not text and not blocks and not attachments:
            raise SlackApiError("no_text")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise SlackApiError("invalid_blocks_format")
            errors = validate_blocks(blocks)
            if errors:
                raise SlackApiError("invalid_blocks", errors=errors, response_metadata={"messages": errors})
            if blocks_text_length(blocks) > self.blocks_text_limit:
                raise SlackApiError("msg_blocks_too_long")
        if len(text) > self.text_limit:
            raise SlackApiError("msg_too_long")
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise SlackApiError("invalid_metadata_format")
            if not isinstance(metadata.get("event_type"), str) or not isinstance(metadata.get("event_payload"), dict):
                raise SlackApiError("invalid_metadata_schema")
        retry_after = self._rate_limiter.retry_after(channel.id)
        if retry_after is not None:
            return _ratelimited(retry_after)
        message = self._record_message(
            channel.id,
            {
                "text": text,
                "blocks": blocks,
                "attachments": attachments,
                "metadata": metadata,
                "thread_ts": params.get("thread_ts"),
            },
        )
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": _as_slack_message(message, True)}

    def _record_message(self, channel: str, fields: Mapping) -> dict:
        now = time.time_ns() // 1000
        self._last_ts = max(now, self._last_ts + 1)  # ts is unique per channel in Slack
        ts = f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"
        message = {"channel": channel, "ts": ts, "has_text_fallback": bool(fields.get("text"))}
        message.update({key: value for key, value in fields.items() if value is not None})
        self._messages.append(message)
        return message

    def _history(self, params: dict, headers: Mapping[str, str]) -> dict:
        channel = self._resolve_channel(params.get("channel"))
        self._require_scope("groups:history" if channel.is_private else "channels:history")
        if not channel.is_member:
            # A bot can read history only of conversations it is a member of.
            raise SlackApiError("not_in_channel")
        include_metadata = _flag(params.get("include_all_metadata"))
        inclusive = _flag(params.get("inclusive"))
        oldest = float(params.get("oldest") or 0)
        latest = float(params["latest"]) if params.get("latest") else None
        limit = min(max(int(params.get("limit") or 100), 1), 999)
        try:
            offset = int(base64.b64decode(params["cursor"]).decode()) if params.get("cursor") else 0
        except ValueError:
            raise SlackApiError("invalid_cursor") from None

        def in_window(ts: float) -> bool:
            after = ts >= oldest if inclusive else ts > oldest
            before = latest is None or (ts <= latest if inclusive else ts < latest)
            return after and before

        matching = [m for m in reversed(self._messages) if m["channel"] == channel.id and in_window(float(m["ts"]))]
        page = matching[offset : offset + limit]
        more = offset + limit < len(matching)
        return {
            "ok": True,
            "messages": [_as_slack_message(m, include_metadata) for m in page],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {
                "next_cursor": base64.b64encode(str(offset + limit).encode()).decode() if more else ""
            },
        }

    def _get_upload_url(self, params: dict, headers: Mapping[str, str]) -> dict:
        self._require_scope("files:write")
        if headers.get("Content-Type", "").startswith("application/json"):
            # Observed behaviour: this method reads form fields only; JSON earns invalid_arguments.
            raise SlackApiError("invalid_arguments")
        filename, length = params.get("filename"), params.get("length")
        if not filename or not str(length or "").isdigit():
            raise SlackApiError("invalid_arguments")
        file_id = f"F{self._next_file:010d}"
        self._next_file += 1
        self._uploads[file_id] = {
            "id": file_id,
            "filename": filename,
            "length": int(length),
            "alt_txt": params.get("alt_txt"),
            "uploaded": False,
            "completed": False,
        }
        host = headers.get("Host", "127.0.0.1")
        return {"ok": True, "upload_url": f"http://{host}{UPLOAD_PREFIX}{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict, headers: Mapping[str, str]) -> dict:
        self._require_scope("files:write")
        files = _json_param(params, "files", "invalid_arguments")
        if not isinstance(files, list) or not files:
            raise SlackApiError("invalid_arguments")
        channel_id = params.get("channel_id")
        if channel_id:
            channel = self._resolve_channel(channel_id)
            if not channel.is_member and "chat:write.public" not in self.scopes:
                raise SlackApiError("not_in_channel")
        completed = []
        for entry in files:
            upload = self._uploads.get(entry.get("id") if isinstance(entry, dict) else None)
            # The method can be called once per upload, after the bytes were sent.
            if upload is None or not upload["uploaded"] or upload["completed"]:
                raise SlackApiError("file_not_found")
            content = upload["content"]
            upload.update(
                completed=True,
                title=entry.get("title") or upload["filename"],
                channel_id=channel_id,
                initial_comment=params.get("initial_comment"),
                thread_ts=params.get("thread_ts"),
                size=len(content),
                mimetype=_sniff_mimetype(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content_base64=base64.b64encode(content).decode(),
            )
            completed.append({"id": upload["id"], "title": upload["title"]})
        return {"ok": True, "files": completed}

    def _users_conversations(self, params: dict, headers: Mapping[str, str]) -> dict:
        """The conversations the token's user (the bot) is a member of: `types` (default
        public_channel), `limit` 1-999 (default 100), `cursor`; each type needs its read scope."""
        types = [t.strip() for t in str(params.get("types") or "public_channel").split(",") if t.strip()]
        if any(t not in TYPE_SCOPES for t in types):
            raise SlackApiError("invalid_types")
        for conversation_type in types:
            self._require_scope(TYPE_SCOPES[conversation_type])
        try:
            limit = int(params.get("limit") or 100)
        except ValueError:
            raise SlackApiError("invalid_limit") from None
        if not 1 <= limit <= 999:
            raise SlackApiError("invalid_limit")
        try:
            offset = int(base64.b64decode(params["cursor"]).decode()) if params.get("cursor") else 0
        except ValueError:
            raise SlackApiError("invalid_cursor") from None
        matching = [
            c for c in self.channels.values() if c.is_member and _conversation_type(c) in types
        ]
        if _flag(params.get("exclude_archived")):
            matching = [c for c in matching if not c.is_archived]
        page = matching[offset : offset + limit]
        more = offset + limit < len(matching)
        return {
            "ok": True,
            "channels": [_conversation(c) for c in page],
            "response_metadata": {
                "next_cursor": base64.b64encode(str(offset + limit).encode()).decode() if more else ""
            },
        }

    def _conversations_info(self, params: dict, headers: Mapping[str, str]) -> dict:
        channel = self._resolve_channel(params.get("channel"))
        self._require_scope(TYPE_SCOPES[_conversation_type(channel)])
        return {"ok": True, "channel": _conversation(channel)}

    def _auth_test(self, params: dict, headers: Mapping[str, str]) -> dict:
        return {
            "ok": True,
            "url": "https://orgpulse-test.slack.com/",
            "team": "orgpulse test",
            "user": "orgpulse",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
        }

    # -- HTTP ----------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: bytes, query: Mapping[str, str]) -> tuple[int, Any]:
        name = path[len(CONTROL_PREFIX) :].strip("/")
        try:
            payload = json.loads(body) if body else {}
            if method == "GET" and name == "health":
                return 200, {"ok": True, "channels": len(self.channels)}
            if method == "GET" and name == "messages":
                return 200, self.messages(query.get("channel"))
            if method == "GET" and name == "files":
                return 200, self.files()
            if method == "GET" and name == "counters":
                return 200, self.counters()
            if method == "POST" and name == "messages":
                return 200, self.seed_message(
                    payload["channel"], payload.get("text", ""), payload.get("metadata"), payload.get("blocks"),
                    payload.get("bot_id"), payload.get("app_id"),
                )
            if method == "POST" and name == "settings":
                self.configure(**payload)
            elif method == "POST" and name == "faults":
                spec = dict(payload)
                self.inject(spec.pop("kind"), spec.pop("count", 1), **spec)
            elif method == "POST" and name == "faults/clear":
                self.clear_faults()
            elif method == "POST" and name == "reset":
                self.reset()
            else:
                return 404, {"ok": False, "error": f"no control endpoint {method} {path}"}
            return 200, {"ok": True}
        except (ValueError, TypeError, KeyError) as error:
            return 400, {"ok": False, "error": str(error)}

    def serve(self, port: int = 0, host: str = "127.0.0.1") -> BackgroundServer:
        sink = self

        class Handler(QuietHandler):
            def _route(self) -> None:
                body = self.read_body()
                path = self.path_only
                if path.startswith(CONTROL_PREFIX):
                    self.send_json(*sink.control(self.command, path, body, self.query))
                    return
                if path.startswith(API_PREFIX):
                    response = sink.handle_api(path[len(API_PREFIX) :], self.command, self.headers, body, self.query)
                elif path.startswith(UPLOAD_PREFIX) and self.command in ("POST", "PUT"):
                    response = sink.handle_upload(path[len(UPLOAD_PREFIX) :], self.headers, body)
                else:
                    response = Response(404, {"ok": False, "error": "unknown_method"})
                if response.drop:
                    self.drop_connection()
                elif isinstance(response.payload, str):
                    data = response.payload.encode()
                    self.send_response(response.status)
                    self.send_header("Content-Type", response.content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    self.send_json(response.status, response.payload, response.headers, response.content_type)

            do_GET = do_POST = do_PUT = _route

        server = BackgroundServer(Handler, host, port).start()
        self.url = server.url
        self.api_url = f"{server.url}{API_PREFIX}"
        return server


def _conversation_type(channel: Channel) -> str:
    if channel.id.startswith("D"):
        return "im"
    return "private_channel" if channel.is_private else "public_channel"


def _conversation(channel: Channel) -> dict:
    """A conversation object as users.conversations and conversations.info return it."""
    kind = _conversation_type(channel)
    conversation = {
        "id": channel.id,
        "is_channel": kind == "public_channel",
        "is_group": False,
        "is_im": kind == "im",
        "is_mpim": False,
        "is_private": kind != "public_channel",
        "is_archived": channel.is_archived,
        "is_member": channel.is_member,
    }
    if kind != "im":
        conversation["name"] = channel.name
    return conversation


def _ratelimited(retry_after: int) -> Response:
    return Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _json_param(params: Mapping, name: str, error: str) -> Any:
    """Form bodies carry structured arguments as JSON strings; JSON bodies carry them as is."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackApiError(error) from None
    return value


def _parse_params(
    http_method: str, headers: Mapping[str, str], body: bytes, query: Mapping[str, str]
) -> tuple[dict, str]:
    content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    params: dict = dict(query)
    if http_method == "GET" or not body:
        return params, content_type
    if content_type == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError:
            raise SlackApiError("invalid_json") from None
        if not isinstance(decoded, dict):
            raise SlackApiError("invalid_json")
        params.update(decoded)
    elif content_type == "multipart/form-data":
        params.update(
            {
                k: v.decode() if isinstance(v, bytes) else v
                for k, v in _parse_multipart(headers["Content-Type"], body).items()
            }
        )
    else:
        params.update({key: values[-1] for key, values in parse_qs(body.decode("utf-8")).items()})
    return params, content_type


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = part.get_payload(decode=True)
    return fields


def _sniff_mimetype(content: bytes) -> str:
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.lstrip().startswith(b"<svg") or b"<svg" in content[:200]:
        return "image/svg+xml"
    return "application/octet-stream"


def _as_slack_message(message: Mapping, include_metadata: bool) -> dict:
    """The message object Slack returns (chat.postMessage's `message`, history entries)."""
    result = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": message.get("bot_id") or BOT_ID,
        "app_id": message.get("app_id") or APP_ID,
        "text": message.get("text", ""),
        "ts": message["ts"],
    }
    for key in ("blocks", "attachments", "thread_ts"):
        if message.get(key) is not None:
            result[key] = message[key]
    if include_metadata and message.get("metadata") is not None:
        result["metadata"] = message["metadata"]
    return result


def _channel_arg(text: str) -> Channel:
    parts = text.split(":")
    return Channel(
        parts[0],
        parts[1] if len(parts) > 1 else parts[0].lower(),
        is_private="private" in parts[2:],
        is_member="outsider" not in parts[2:],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Slack Web API sink until interrupted.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--channel",
        type=_channel_arg,
        action="append",
        default=[],
        help="ID:name[:private][:outsider] (outsider: the bot is not a member)",
    )
    parser.add_argument("--rate-limit", type=float, default=1.0, help="messages per second per channel (0: off)")
    args = parser.parse_args(argv)
    sink = SlackSink(args.token, args.channel, rate_limit_per_second=args.rate_limit or None)
    server = sink.serve(args.port, args.host)
    print(f"Slack sink on {server.url}/api/ ({len(sink.channels)} channels)", flush=True)
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
