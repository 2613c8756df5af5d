"""Lets moto answer the AWS SDK for Rust's CloudWatch calls.

aws-sdk-cloudwatch speaks Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/
operation/<Operation>`, `smithy-protocol: rpc-v2-cbor`); moto 5.2 speaks only CloudWatch's older
query protocol. This WSGI middleware turns a CBOR request into the query request botocore would
send for the same operation (botocore's own serializer and the service model), lets moto answer,
and turns moto's XML answer back into CBOR with botocore's parser. Errors become the protocol's
`{"__type", "message"}` body. Only CloudWatch takes this path; every other request goes to moto
untouched. The CBOR codec below covers what these messages use (RFC 8949: integers, strings,
bytes, arrays, maps, tag 1 timestamps, floats, booleans, null, indefinite lengths).
"""

from __future__ import annotations

import datetime
import io
import re
import struct
from urllib.parse import urlencode

import botocore.parsers
import botocore.serialize
import botocore.session

OPERATION = re.compile(r"/service/GraniteServiceVersion20100801/operation/(\w+)")
_MODEL = None


def _model():
    global _MODEL
    if _MODEL is None:
        _MODEL = botocore.session.get_session().get_service_model("cloudwatch")
    return _MODEL


# ---- CBOR ------------------------------------------------------------------------------------

def decode(data: bytes):
    value, _ = _decode(data, 0)
    return value


def _length(data: bytes, position: int, info: int) -> tuple[int | None, int]:
    if info < 24:
        return info, position
    if info == 31:
        return None, position  # indefinite
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return int.from_bytes(data[position:position + size], "big"), position + size


def _decode(data: bytes, position: int):
    initial = data[position]
    major, info = initial >> 5, initial & 0x1F
    position += 1
    if major == 7:
        if info == 20:
            return False, position
        if info == 21:
            return True, position
        if info in (22, 23):
            return None, position
        if info == 25:
            return struct.unpack(">e", data[position:position + 2])[0], position + 2
        if info == 26:
            return struct.unpack(">f", data[position:position + 4])[0], position + 4
        if info == 27:
            return struct.unpack(">d", data[position:position + 8])[0], position + 8
        raise ValueError(f"CBOR simple value {info} not supported")
    length, position = _length(data, position, info)
    if major == 0:
        return length, position
    if major == 1:
        return -1 - length, position
    if major in (2, 3):
        if length is None:
            chunks = []
            while data[position] != 0xFF:
                chunk, position = _decode(data, position)
                chunks.append(chunk)
            joined = (b"" if major == 2 else "").join(chunks)
            return joined, position + 1
        raw = data[position:position + length]
        return (raw if major == 2 else raw.decode("utf-8")), position + length
    if major == 4:
        items = []
        while (length is None and data[position] != 0xFF) or (length is not None and len(items) < length):
            item, position = _decode(data, position)
            items.append(item)
        return items, position + (1 if length is None else 0)
    if major == 5:
        result, count = {}, 0
        while (length is None and data[position] != 0xFF) or (length is not None and count < length):
            key, position = _decode(data, position)
            result[key], position = _decode(data, position)
            count += 1
        return result, position + (1 if length is None else 0)
    if major == 6:
        value, position = _decode(data, position)
        if length == 1:  # epoch-based date/time
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc), position
        return value, position
    raise ValueError(f"CBOR major type {major} not supported")


def _head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    raise ValueError("too long")


def encode(value) -> bytes:
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return b"\xc1" + encode(value.timestamp())
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if v is not None]
        return _head(5, len(items)) + b"".join(encode(k) + encode(v) for k, v in items)
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


# ---- the bridge ------------------------------------------------------------------------------

class CborBridge:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        match = OPERATION.fullmatch(environ.get("PATH_INFO", ""))
        if not match:
            return self.app(environ, start_response)
        operation = _model().operation_model(match.group(1))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        params = decode(body) if body else {}
        request = botocore.serialize.create_serializer("query").serialize_to_request(params or {}, operation)
        form = urlencode(request["body"]).encode()
        inner = dict(environ)
        inner.update({"PATH_INFO": "/", "REQUEST_METHOD": "POST", "QUERY_STRING": "",
                      "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(form)),
                      "wsgi.input": io.BytesIO(form)})
        inner.pop("HTTP_SMITHY_PROTOCOL", None)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            return lambda chunk: None

        xml = b"".join(self.app(inner, capture))
        code = int(captured["status"].split()[0])
        parsed = botocore.parsers.create_parser("query").parse(
            {"body": xml, "headers": {}, "status_code": code}, operation.output_shape)
        parsed.pop("ResponseMetadata", None)
        if code >= 300:
            error = parsed.get("Error", {})
            payload = {"__type": error.get("Code", "InternalFailure"), "message": error.get("Message", "")}
        else:
            payload = parsed
        out = encode(payload)
        start_response(captured["status"], [("Content-Type", "application/cbor"),
                                            ("smithy-protocol", "rpc-v2-cbor"),
                                            ("Content-Length", str(len(out)))])
        return [out]
