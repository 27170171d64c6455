#!/usr/bin/env python3
"""A minimal OTLP/HTTP trace receiver that writes every span it receives as a JSON line.

Usage: otlp-receiver.py OUTPUT_FILE PORT_FILE

Listens on 127.0.0.1 on a free port, writes the port to PORT_FILE once it listens, and
decodes each POST /v1/traces body (ExportTraceServiceRequest, protobuf, optionally gzip)
with the independent opentelemetry-proto package (scripts/setup.sh installs it). Each span
becomes one line of OUTPUT_FILE:
{"service", "name", "kind", "trace_id", "span_id", "parent_span_id", "attributes",
 "links": [{"trace_id", "span_id"}], "status"}. Runs until SIGTERM or SIGINT.
"""
import gzip
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

LOCK = threading.Lock()


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def attributes(key_values):
    return {kv.key: value(kv.value) for kv in key_values}


def spans(request):
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "service": resource.get("service.name"),
                    "name": span.name,
                    "kind": Span.SpanKind.Name(span.kind),
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "attributes": attributes(span.attributes),
                    "links": [{"trace_id": link.trace_id.hex(), "span_id": link.span_id.hex()} for link in span.links],
                    "status": Status.StatusCode.Name(span.status.code),
                }


class Handler(BaseHTTPRequestHandler):
    output = None

    def do_POST(self):
        if self.path.rstrip("/") != "/v1/traces":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        try:
            request.ParseFromString(body)
        except Exception as error:  # an undecodable request is the exporter's bug: say so
            self.send_error(400, str(error))
            return
        lines = "".join(json.dumps(span, sort_keys=True) + "\n" for span in spans(request))
        with LOCK, open(self.output, "a", encoding="utf-8") as file:
            file.write(lines)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format, *args):
        pass


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    Handler.output = sys.argv[1]
    open(Handler.output, "a").close()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A parent may have blocked these signals; this process must still stop on them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    temporary = sys.argv[2] + ".tmp"
    with open(temporary, "w") as file:
        file.write(str(server.server_address[1]))
    os.replace(temporary, sys.argv[2])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
