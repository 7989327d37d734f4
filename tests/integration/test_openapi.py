"""deploy/openapi.yaml against the running program, so the two cannot drift.

The document is checked on its own (OpenAPI 3.1 structure, every schema a
valid JSON Schema 2020-12, every example valid against its schema, response
objects closed with additionalProperties: false, the seed document's field
names), then real requests produce every status of every endpoint over
direct FastCGI and lighttpd, MariaDB stopped for the 503s and a foreign
REMOTE_ADDR for the status page's 403. Each answer must be documented for
its path, method and status; its Content-Type must be one of the documented
media types; its body must validate against the documented schema (with
$refs resolved into components); the documented required headers must be
there and valid, and Location, Allow, WWW-Authenticate and Retry-After must
not appear where the document does not promise them. A request the program
accepted (2xx) must itself be valid by the document. The last class checks
that every operation was exercised and every documented status produced,
bar an explicit allow-list.

Needs python3-yaml and python3-jsonschema (4.x, for Draft 2020-12).
"""

import copy
import json
import os
import re
import secrets
import time
import traceback
import unittest
import urllib.parse

import fcgi
import harness
from itbase import OMIT, Base, PrivateDatabase, for_each_front

try:
    import jsonschema
    import yaml
    from jsonschema import Draft202012Validator
except ImportError as e:    # the tests say so instead of the loader failing
    jsonschema = yaml = Draft202012Validator = None
    MISSING = "python3-yaml and python3-jsonschema >= 4 are needed: %s" % e
else:
    MISSING = None

DOC_PATH = os.path.join(harness.REPO, "deploy", "openapi.yaml")
PROD = "/api/control/production"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
           "trace")
# Headers whose presence means something: never sent where not documented.
SIGNIFICANT_HEADERS = ("location", "allow", "www-authenticate",
                       "retry-after")
HEALTH = "/api/control/health"
STATUS = "/api/control/status"

# Documented statuses no request of the suite can produce, and why. Every
# other documented status of every operation must be produced at least once.
UNPRODUCED_OK = {
    # The program answers 500 only on faults it cannot foresee (out of
    # memory, a database answer it does not understand); no request makes
    # one on purpose.
    "500": "an unforeseen fault",
}

# What create-production-record.md (the seed document) fixes for POST
# records: its field names and status codes are the contract.
SEED_REQUEST_FIELDS = {"sessionId", "workerId", "worker_name", "units",
                       "recordedAtUtc", "idempotencyKey", "clientEventId",
                       "auth0Id"}
SEED_PREVIEW_FIELDS = {"recordId", "sessionId", "workerId", "units"}
SEED_STATUSES = {"200", "201", "400", "401", "403", "404", "409", "500"}

# What the answers of the suite were: (front, template, METHOD, status);
# a 405 is recorded with method "*" (it belongs to the path).
OBSERVED = set()
RAN = set()         # ids of the exercising tests that ran in this process


# ---- the document ---------------------------------------------------------

def parse_media_type(value):
    """'text/plain; version=0.0.4; charset=UTF-8' -> ('text/plain',
    {'version': '0.0.4', 'charset': 'utf-8'}); None for None."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(";")]
    params = {}
    for p in parts[1:]:
        if not p:
            continue
        k, _, v = p.partition("=")
        k = k.strip().lower()
        v = v.strip().strip('"')
        params[k] = v.lower() if k == "charset" else v
    return parts[0].lower(), params


class Spec:
    """deploy/openapi.yaml, loaded once, with the look-ups the checks need."""

    _loaded = None

    @classmethod
    def get(cls):
        if cls._loaded is None:
            with open(DOC_PATH, encoding="utf-8") as f:
                cls._loaded = cls(yaml.safe_load(f))
        return cls._loaded

    def __init__(self, doc):
        self.doc = doc
        self.templates = []     # (compiled regex, template), literal first
        for t in doc.get("paths", {}):
            rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+",
                              re.escape(t)) + "$"
            self.templates.append((re.compile(rx), t))
        self.templates.sort(key=lambda p: p[1].count("{"))

    def deref(self, node):
        """Follow an OpenAPI $ref ('#/...') to the object it names."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError("only local $refs: %s" % ref)
            node = self.doc
            for token in ref[2:].split("/"):
                token = urllib.parse.unquote(token)
                token = token.replace("~1", "/").replace("~0", "~")
                node = node[token]
            seen += 1
            if seen > 20:
                raise ValueError("$ref loop at %s" % ref)
        return node

    def template(self, path):
        """The documented path template the request path falls under."""
        bare = path.split("?", 1)[0]
        for rx, t in self.templates:
            if rx.match(bare):
                return t
        return None

    def operations(self):
        """(template, METHOD, operation) for every documented operation."""
        for t, item in self.doc["paths"].items():
            item = self.deref(item)
            for m in METHODS:
                if m in item:
                    yield t, m.upper(), item[m]

    def methods(self, template):
        item = self.deref(self.doc["paths"][template])
        return {m.upper() for m in METHODS if m in item}

    def operation(self, template, method):
        item = self.deref(self.doc["paths"][template])
        return item.get(method.lower())

    def response(self, op, status):
        """The response object documented for status (or its NXX range)."""
        responses = op.get("responses", {})
        for key in (str(status), str(status)[0] + "XX", "default"):
            if key in responses:
                return self.deref(responses[key])
        return None

    def parameters(self, template, method):
        """The parameters in effect: the path item's, overridden by the
        operation's of the same name and place."""
        item = self.deref(self.doc["paths"][template])
        params = {}
        for p in item.get("parameters", []) + \
                self.operation(template, method).get("parameters", []):
            p = self.deref(p)
            params[(p["name"], p["in"])] = p
        return params

    def validator(self, schema):
        """A Draft 2020-12 validator of schema whose '#/components/...'
        $refs resolve into this document."""
        root = dict(schema) if isinstance(schema, dict) else {
            "allOf": [schema]}
        root.setdefault("components", self.doc.get("components", {}))
        return Draft202012Validator(root)

    def errors(self, schema, instance):
        """Messages of every way instance breaks schema ([] when valid)."""
        return ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "(root)",
                            e.message)
                for e in self.validator(schema).iter_errors(instance)]


def check_answer(method, path, r):
    """Everything wrong with answer r to METHOD path, by the document (a
    list of strings; empty when the answer is documented exactly)."""
    spec = Spec.get()
    problems = []
    template = spec.template(path)
    if template is None:
        # An unknown path: the program's 404 still uses the error shape.
        if r.status != 404:
            return ["%s is no documented path, yet answered %s"
                    % (path, r.status)]
        return check_body(spec, {"application/json; charset=utf-8": {
            "schema": {"$ref": "#/components/schemas/Error"}}}, r)
    if r.status == 405:
        allowed = spec.methods(template)
        if method.upper() in allowed:
            problems.append("405 for %s, which the document says %s serves"
                            % (method, template))
        got = {m.strip() for m in (r.header("allow") or "").split(",")
               if m.strip()}
        if got != allowed:
            problems.append("Allow %r, the document has %s for %s" % (
                r.header("allow"), sorted(allowed), template))
        for m in sorted(allowed):
            resp = spec.response(spec.operation(template, m), 405)
            if resp is None:
                problems.append("405 is not documented for %s %s"
                                % (m, template))
            else:
                problems += check_response(spec, resp, r)
        return problems
    op = spec.operation(template, method)
    if op is None:
        return ["%s %s is not documented (answered %s)" % (
            method, template, r.status)]
    resp = spec.response(op, r.status)
    if resp is None:
        return ["%s is not documented for %s %s" % (r.status, method,
                                                     template)]
    return check_response(spec, resp, r)


def check_request(method, path, content_type, body):
    """An accepted request (2xx) against the document: its JSON body and
    its documented query parameters must be valid, or the document refuses
    what the program accepts. A list of problems, as check_answer's."""
    spec = Spec.get()
    template = spec.template(path)
    op = spec.operation(template, method)
    problems = []
    query = urllib.parse.parse_qs(path.partition("?")[2],
                                  keep_blank_values=True)
    for (name, place), p in spec.parameters(template, method).items():
        if place != "query" or name not in query:
            continue
        value = query[name][0]
        if p["schema"].get("type") == "integer" and value.isdigit():
            value = int(value)
        problems += ["query %s=%r: %s" % (name, value, e)
                     for e in spec.errors(p["schema"], value)]
    if not body or "requestBody" not in op:
        return problems
    content = spec.deref(op["requestBody"])["content"]
    got = parse_media_type(content_type)
    for key, media in content.items():
        if got is not None and parse_media_type(key)[0] == got[0]:
            break
    else:
        return problems + ["accepted a %r body, documented %s" % (
            content_type, sorted(content))]
    instance = json.loads(body.decode("utf-8"))
    return problems + ["request %s" % e
                       for e in spec.errors(media["schema"], instance)]


def check_response(spec, resp, r):
    """Headers and body of r against one documented response object."""
    problems = []
    documented = {}
    for name, h in resp.get("headers", {}).items():
        documented[name.lower()] = spec.deref(h)
    for name, h in documented.items():
        value = r.header(name)
        if value is None:
            if h.get("required"):
                problems.append("%s without its %s header" % (r.status,
                                                              name))
            continue
        if "schema" in h:
            problems += ["header %s %r: %s" % (name, value, e)
                         for e in spec.errors(h["schema"], value)]
    for name in SIGNIFICANT_HEADERS:
        if r.header(name) is not None and name not in documented:
            problems.append("%s carries %s: %r, which the document does "
                            "not promise" % (r.status, name,
                                             r.header(name)))
    return problems + check_body(spec, resp.get("content"), r)


def check_body(spec, content, r):
    """r's Content-Type and body against a documented content map."""
    if not content:
        return [] if not r.body else ["%s has a body, documented none"
                                      % r.status]
    got = parse_media_type(r.header("content-type"))
    for key, media in content.items():
        if parse_media_type(key) == got:
            break
    else:
        return ["Content-Type %r is none of %s" % (
            r.header("content-type"), sorted(content))]
    try:
        text = r.body.decode("utf-8")
        instance = json.loads(text) if got[0].endswith("json") else text
    except (UnicodeDecodeError, ValueError) as e:
        return ["%s body is not %s: %s" % (r.status, key, e)]
    if "schema" not in media:
        return []
    return ["body %s" % e for e in spec.errors(media["schema"], instance)]


def walk_schemas(spec, visit):
    """Call visit(schema, where) on every schema object of the document:
    components.schemas and those of parameters, headers and media types."""
    doc = spec.doc

    def media_map(content, where):
        for k, media in (content or {}).items():
            if "schema" in media:
                visit(media["schema"], "%s %s" % (where, k))

    for name, s in doc.get("components", {}).get("schemas", {}).items():
        visit(s, "components.schemas.%s" % name)
    comps = doc.get("components", {})
    for name, p in comps.get("parameters", {}).items():
        if "schema" in p:
            visit(p["schema"], "components.parameters.%s" % name)
    for name, h in comps.get("headers", {}).items():
        if "schema" in h:
            visit(h["schema"], "components.headers.%s" % name)
    for name, resp in comps.get("responses", {}).items():
        media_map(resp.get("content"), "components.responses.%s" % name)
    for t, m, op in spec.operations():
        where = "%s %s" % (m, t)
        for p in op.get("parameters", []):
            if "schema" in p:
                visit(p["schema"], "%s parameter %s" % (where, p["name"]))
        if "requestBody" in op:
            media_map(spec.deref(op["requestBody"]).get("content"),
                      where + " request")
        for status, resp in op.get("responses", {}).items():
            if "$ref" not in resp:
                media_map(resp.get("content"), "%s %s" % (where, status))
                for hn, h in resp.get("headers", {}).items():
                    if "schema" in h:
                        visit(h["schema"], "%s %s header %s" % (
                            where, status, hn))


def subschemas(schema):
    """The schema and every schema nested in it (not through $ref)."""
    if not isinstance(schema, dict):
        return
    yield schema
    for key in ("properties", "patternProperties", "$defs",
                "dependentSchemas"):
        for sub in schema.get(key, {}).values():
            yield from subschemas(sub)
    for key in ("items", "additionalProperties", "not", "if", "then",
                "else", "contains", "propertyNames",
                "unevaluatedProperties", "unevaluatedItems"):
        yield from subschemas(schema.get(key))
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for sub in schema.get(key, []):
            yield from subschemas(sub)


class _NeedsLibraries:
    def setUp(self):
        if MISSING:
            self.skipTest(MISSING)
        super().setUp()


# ---- the document on its own --------------------------------------------

class OpenApiDocument(_NeedsLibraries, unittest.TestCase):
    """deploy/openapi.yaml is a well-formed OpenAPI 3.1 document that says
    what the contract says."""

    maxDiff = 4000

    def setUp(self):
        super().setUp()
        self.spec = Spec.get()
        self.doc = self.spec.doc

    def test_structure(self):
        doc, spec = self.doc, self.spec
        self.assertRegex(doc.get("openapi", ""), r"^3\.1\.\d+$")
        self.assertTrue(doc["info"].get("title"))
        self.assertTrue(doc["info"].get("version"))
        self.assertEqual(doc.get("jsonSchemaDialect"),
                         "https://json-schema.org/draft/2020-12/schema")
        schemes = doc["components"]["securitySchemes"]
        self.assertEqual(schemes["bearerAuth"], dict(
            schemes["bearerAuth"], type="http", scheme="bearer",
            bearerFormat="JWT"))
        self.assertEqual(doc["security"], [{"bearerAuth": []}])
        op_ids = []
        for t, m, op in spec.operations():
            where = "%s %s" % (m, t)
            self.assertTrue(t.startswith("/"), where)
            op_ids.append(op.get("operationId"))
            # Path parameters: each {name} declared, required, and back.
            names = set(re.findall(r"\{([^}]+)\}", t))
            declared = {n for (n, place) in spec.parameters(t, m)
                        if place == "path"}
            self.assertEqual(names, declared, where)
            for (n, place), p in spec.parameters(t, m).items():
                self.assertIn(place, ("path", "query", "header", "cookie"))
                self.assertIn("schema", p, "%s parameter %s" % (where, n))
                if place == "path":
                    self.assertIs(p.get("required"), True, where)
            for status, resp in op["responses"].items():
                self.assertRegex(status, r"^[1-5][0-9][0-9]$", where)
                resp = spec.deref(resp)
                self.assertTrue(resp.get("description"),
                                "%s %s has no description" % (where, status))
                for key in resp.get("content", {}):
                    self.assertIsNotNone(
                        re.match(r"^[a-z]+/[a-z0-9.+-]+(; ?[a-z0-9.-]+="
                                 r"[a-z0-9.-]+)*$", key),
                        "%s %s media type %r" % (where, status, key))
            for req in op.get("security", doc["security"]):
                for scheme in req:
                    self.assertIn(scheme, schemes, where)
        self.assertEqual(len(op_ids), len(set(op_ids)), "operationIds")
        self.assertNotIn(None, op_ids, "every operation has an id")

    def test_every_ref_resolves(self):
        refs = []

        def find(node):
            if isinstance(node, dict):
                if isinstance(node.get("$ref"), str):
                    refs.append(node["$ref"])
                for v in node.values():
                    find(v)
            elif isinstance(node, list):
                for v in node:
                    find(v)
        find(self.doc)
        self.assertTrue(refs)
        for ref in refs:
            with self.subTest(ref=ref):
                self.assertTrue(ref.startswith("#/components/"), ref)
                self.spec.deref({"$ref": ref})

    def test_endpoints_and_statuses(self):
        """The operations and statuses of the seed document, CONTRACT 8
        and the design of the session endpoints; the headers each status
        promises."""
        want = {
            ("POST", PROD + "/records"):
                "200 201 400 401 403 404 405 409 413 500 503",
            ("GET", PROD + "/records/{recordId}"):
                "200 401 403 404 405 500 503",
            ("POST", PROD + "/sessions"):
                "200 201 400 401 405 409 413 500 503",
            ("GET", PROD + "/sessions/{sessionId}"):
                "200 401 403 404 405 500 503",
            ("POST", PROD + "/sessions/{sessionId}/close"):
                "200 401 403 404 405 500 503",
            ("GET", PROD + "/sessions/{sessionId}/records"):
                "200 400 401 403 404 405 500 503",
            ("GET", HEALTH): "200 405 500 503",
            ("GET", STATUS): "200 400 403 405 500",
        }
        got = {(m, t): " ".join(sorted(op["responses"]))
               for t, m, op in self.spec.operations()}
        self.assertEqual(got, want)
        self.assertLessEqual(SEED_STATUSES, set(
            got[("POST", PROD + "/records")].split()))
        for t, m, op in self.spec.operations():
            public = op.get("security") == []
            self.assertEqual(public, t in (HEALTH, STATUS),
                             "%s %s: only health and status go without "
                             "a token" % (m, t))
            for status, resp in op["responses"].items():
                resp = self.spec.deref(resp)
                headers = {k.lower(): self.spec.deref(v)
                           for k, v in resp.get("headers", {}).items()}
                need = {"201": "location", "401": "www-authenticate",
                        "405": "allow", "503": "retry-after"}.get(status)
                where = "%s %s %s" % (m, t, status)
                if need:
                    self.assertIn(need, headers, where)
                    self.assertIs(headers[need].get("required"), True, where)
                media = set(resp.get("content", {}))
                if status == "200" and t == STATUS:
                    self.assertEqual(media, {
                        "application/json; charset=utf-8",
                        "text/plain; version=0.0.4; charset=utf-8"}, where)
                else:
                    self.assertEqual(media,
                                     {"application/json; charset=utf-8"},
                                     where)

    def test_seed_field_names(self):
        schemas = self.doc["components"]["schemas"]
        self.assertEqual(set(schemas["CreateRecordRequest"]["properties"]),
                         SEED_REQUEST_FIELDS)
        self.assertEqual(set(schemas["RecordPreview"]["properties"]),
                         SEED_PREVIEW_FIELDS)
        data = schemas["RecordCreatedResponse"]["properties"]["data"]
        self.assertEqual(set(data["properties"]),
                         {"payloadPreview", "idempotent"})
        self.assertEqual(set(schemas["Error"]["properties"]),
                         {"status", "message", "error"})
        self.assertIn("worker_name", schemas["Record"]["properties"])
        self.assertEqual(schemas["RecordId"]["pattern"],
                         r"^rec_[0-9a-f]{16}$")
        self.assertEqual(schemas["SessionId"]["pattern"], r"^[0-9a-f]{24}$")
        self.assertEqual(schemas["UtcTime"]["pattern"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        for name in ("Error", "Session", "Record", "RecordPreview",
                     "Status"):
            self.assertIn(name, schemas)
        op = self.spec.operation(PROD + "/records", "POST")
        body = op["requestBody"]["content"]["application/json"]
        seed = body["examples"]["seed"]["value"]
        self.assertEqual(seed, {
            "sessionId": "6507f1e3c9d8e2a4b1f9c3d5", "workerId": "JS0315",
            "worker_name": "John Smith", "units": 5,
            "recordedAtUtc": "2025-10-19T14:30:00.000Z",
            "idempotencyKey": "mobile-app-key-timestamp-123456",
            "clientEventId": "evt_1234567890abcdef",
            "auth0Id": "user_123456789"})

    def test_schemas_are_json_schema_2020_12(self):
        seen = []

        def visit(schema, where):
            seen.append(where)
            try:
                Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as e:
                self.fail("%s: %s" % (where, e.message))
            # Every $ref must resolve: validating anything exercises them.
            self.spec.validator(schema).is_valid(None)
        walk_schemas(self.spec, visit)
        self.assertGreater(len(seen), 20)

    def test_response_objects_are_closed(self):
        """Each object of an answer has additionalProperties: false, so a
        stray field fails the checks of the answers."""
        comps = self.doc["components"]["schemas"]
        roots = set()

        def visit(schema, where):
            # Answers only: requests may carry fields the program ignores,
            # and components.schemas are reached through the answers' $refs.
            if " request" in where or "parameter" in where or \
                    where.startswith("components.schemas."):
                return
            roots.add(json.dumps(schema, sort_keys=True))
        walk_schemas(self.spec, visit)
        todo = [json.loads(s) for s in roots]
        done = set()
        while todo:
            s = todo.pop()
            if isinstance(s, dict) and "$ref" in s:
                name = s["$ref"].rsplit("/", 1)[1]
                if name in ("CreateRecordRequest", "OpenSessionRequest"):
                    continue
                if name not in done:
                    done.add(name)
                    todo.append(comps[name])
            for sub in subschemas(s):
                if sub is not s and "$ref" in sub:
                    todo.append({"$ref": sub["$ref"]})
                if "properties" in sub and sub.get("type") == "object":
                    self.assertIs(sub.get("additionalProperties"), False,
                                  "open object: %s" % sorted(
                                      sub["properties"]))
        self.assertLessEqual({"Error", "Session", "SessionChange", "Record",
                              "RecordPreview", "Status"}, done)

    def test_examples_are_valid(self):
        spec = self.spec
        checked = [0]

        def check(schema, value, where):
            checked[0] += 1
            errs = spec.errors(schema, value)
            self.assertEqual(errs, [], "example of %s" % where)

        def visit(schema, where):
            for sub in subschemas(schema):
                for i, ex in enumerate(sub.get("examples", [])):
                    check(sub, ex, "%s examples[%d]" % (where, i))
                if "default" in sub:
                    check(sub, sub["default"], where + " default")

        walk_schemas(spec, visit)

        def media_examples(content, where):
            for k, media in (content or {}).items():
                if "example" in media:
                    check(media["schema"], media["example"],
                          "%s %s" % (where, k))
                for n, ex in media.get("examples", {}).items():
                    check(media["schema"], spec.deref(ex)["value"],
                          "%s %s %s" % (where, k, n))
        comps = self.doc["components"]
        for group in ("parameters", "headers"):
            for name, p in comps.get(group, {}).items():
                if "example" in p:
                    check(p["schema"], p["example"],
                          "components.%s.%s" % (group, name))
        for name, resp in comps.get("responses", {}).items():
            media_examples(resp.get("content"), "components.responses."
                           + name)
        for t, m, op in spec.operations():
            for p in op.get("parameters", []):
                if "example" in p:
                    check(p["schema"], p["example"], "%s %s %s" % (
                        m, t, p["name"]))
            if "requestBody" in op:
                media_examples(spec.deref(op["requestBody"]).get("content"),
                               "%s %s request" % (m, t))
            for status, resp in op["responses"].items():
                if "$ref" not in resp:
                    media_examples(resp.get("content"),
                                   "%s %s %s" % (m, t, status))
        self.assertGreater(checked[0], 30)

    def test_stray_and_missing_fields_fail(self):
        """The schemas have teeth: a stray field, a missing one, a bad id
        or time in an otherwise good answer fails."""
        spec = self.spec
        op = spec.operation(PROD + "/records", "POST")
        media = spec.response(op, 201)["content"][
            "application/json; charset=utf-8"]
        good = media["example"]
        self.assertEqual(spec.errors(media["schema"], good), [])
        bad = []
        b = copy.deepcopy(good)
        b["extra"] = 1
        bad.append(b)
        b = copy.deepcopy(good)
        b["data"]["payloadPreview"]["note"] = "x"
        bad.append(b)
        b = copy.deepcopy(good)
        del b["data"]["idempotent"]
        bad.append(b)
        b = copy.deepcopy(good)
        b["data"]["payloadPreview"]["recordId"] = "rec_1234567890ABCDEF"
        bad.append(b)
        b = copy.deepcopy(good)
        b["data"]["payloadPreview"]["units"] = 2.5
        bad.append(b)
        for b in bad:
            self.assertNotEqual(spec.errors(media["schema"], b), [], b)
        rec = {"$ref": "#/components/schemas/Record"}
        example = spec.response(spec.operation(
            PROD + "/records/{recordId}", "GET"), 200)["content"][
            "application/json; charset=utf-8"]["example"]["data"]
        self.assertEqual(spec.errors(rec, example), [])
        for field, value in (("recordedAtUtc", "2025-10-19T14:30:00Z"),
                             ("createdAtUtc", "2025-10-19T14:30:00.000+00:00"),
                             ("sessionId", "6507F1E3C9D8E2A4B1F9C3D5"),
                             ("workerName", "x")):
            self.assertNotEqual(spec.errors(rec, dict(example,
                                                      **{field: value})),
                                [], field)

    def test_answer_checks_catch_drift(self):
        """check_answer itself: made-up answers that break the document in
        each way it checks are caught; a faithful one passes."""
        rid = "rec_0123456789abcdef"
        path = PROD + "/records"
        body = json.dumps({"status": "success", "data": {
            "payloadPreview": {"recordId": rid, "sessionId": "a" * 24,
                               "workerId": "JS0315", "units": 5},
            "idempotent": False}}).encode()
        err = json.dumps({"status": "error", "message": "Method Not "
                          "Allowed", "error": "no"}).encode()
        ct = {"content-type": "application/json; charset=utf-8"}

        def answer(status, body, **headers):
            return fcgi.Response(status, dict(ct, **{
                k.replace("_", "-").lower(): v for k, v in headers.items()}),
                body)
        loc = path + "/" + rid
        self.assertEqual(check_answer("POST", path, answer(
            201, body, location=loc)), [])
        drifts = {
            "201 without Location": ("POST", path, answer(201, body)),
            "200 with Location": ("POST", path, answer(
                200, body.replace(b"false", b"true"), location=loc)),
            "bad Location": ("POST", path, answer(201, body,
                                                  location="/x")),
            "undocumented status": ("POST", path, answer(202, body,
                                                         location=loc)),
            "undocumented method": ("PUT", path + "/" + rid, answer(
                200, body)),
            "no charset": ("POST", path, fcgi.Response(
                201, {"content-type": "application/json",
                      "location": loc}, body)),
            "another media type": ("POST", path, fcgi.Response(
                201, {"content-type": "text/plain; charset=utf-8",
                      "location": loc}, body)),
            "stray field": ("POST", path, answer(
                201, body.replace(b'"units"', b'"x":1,"units"'),
                location=loc)),
            "not JSON": ("POST", path, answer(201, b"{", location=loc)),
            "405 with a wrong Allow": ("GET", path, answer(
                405, err, allow="GET, POST")),
            "405 without Allow": ("GET", path, answer(405, err)),
            "405 for a served method": ("POST", path, answer(
                405, err, allow="POST")),
            "401 without WWW-Authenticate": ("POST", path, answer(
                401, err)),
            "401 with another challenge": ("POST", path, answer(
                401, err, www_authenticate="Basic")),
            "503 without Retry-After": ("GET", HEALTH, answer(
                503, err)),
            "Retry-After where not promised": ("POST", path, answer(
                400, err, retry_after="1")),
            "unknown path not 404": ("GET", "/api/x", answer(200, body)),
        }
        for name, (method, p, r) in drifts.items():
            with self.subTest(drift=name):
                self.assertNotEqual(check_answer(method, p, r), [], name)

    def test_request_checks_catch_drift(self):
        """check_request: what the program accepted must be valid by the
        document; made-up accepted requests it would refuse are caught."""
        path = PROD + "/records"
        good = {"sessionId": "A" * 24, "workerId": "JS0315",
                "worker_name": "John Smith", "units": 5.0,
                "recordedAtUtc": "2025-10-19T14:30:00.123456789+00:00",
                "clientEventId": "evt_1"}

        def enc(b):
            return json.dumps(b).encode()
        ct = "application/json; charset=utf-8"
        self.assertEqual(check_request("POST", path, ct, enc(good)), [])
        self.assertEqual(check_request(
            "GET", PROD + "/sessions/%s/records?limit=500&after=rec_%s"
            % ("a" * 24, "0" * 16), None, b""), [])
        drifts = {
            "a required field missing": ("POST", path, ct, enc(
                {k: v for k, v in good.items() if k != "clientEventId"})),
            "units out of range": ("POST", path, ct, enc(dict(good,
                                                              units=0))),
            "another media type": ("POST", path, "text/plain", enc(good)),
            "limit out of range": ("GET", PROD + "/sessions/%s/records?"
                                   "limit=501" % ("a" * 24), None, b""),
            "unknown format": ("GET", STATUS + "?format=xml", None, b""),
        }
        for name, args in drifts.items():
            with self.subTest(drift=name):
                self.assertNotEqual(check_request(*args), [], name)


# ---- real requests -------------------------------------------------------

_DEFAULT = object()


class _Exercise(_NeedsLibraries, Base):
    """Requests whose answers are checked against the document."""

    def setUp(self):
        super().setUp()
        RAN.add(self.id())
        self.setup_user()

    def call(self, method, path, expect, body=None, token=_DEFAULT,
             content_type=_DEFAULT, headers=None, front=None,
             remote_addr=_DEFAULT):
        """Send a request, check the answer against the document and that
        its status is expect; returns the answer."""
        front = front or self.front
        hdrs = {}
        if token is _DEFAULT:
            token = self.tok
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = harness.json_compact(body).encode("utf-8")
        if content_type is _DEFAULT:
            content_type = "application/json" if body is not None else None
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        body = body or b""
        if remote_addr is _DEFAULT:
            r = front.request(method, path, body, hdrs)
        else:
            # Only the direct FastCGI client can claim another address.
            params = fcgi.cgi_params(method, path, hdrs)
            if remote_addr is None:
                params.pop("REMOTE_ADDR", None)
            else:
                params["REMOTE_ADDR"] = remote_addr
            r = fcgi.request(front.address, params, body)
        problems = check_answer(method, path, r)
        if 200 <= r.status < 300:
            problems += check_request(method, path, content_type, body)
        self.assertEqual(problems, [], "%s %s -> %r" % (method, path, r))
        self.assertEqual(r.status, expect, "%s %s -> %r" % (method, path, r))
        template = Spec.get().template(path)
        OBSERVED.add((getattr(front, "name", "?"), template,
                      "*" if r.status == 405 else method, r.status))
        return r

    def new_record(self, sid=None, **over):
        """A stored record of sid (default self.sid): its recordId."""
        b = self.body(sessionId=sid or self.sid, **over)
        r = self.call("POST", PROD + "/records", 201, b)
        return r.json()["data"]["payloadPreview"]["recordId"]


class _OpenApiEndpoints(_Exercise):
    """Every status of every endpoint a request can produce."""

    def test_create_record(self):
        path = PROD + "/records"
        b = self.body(idempotencyKey="oapi-" + secrets.token_hex(6))
        r = self.call("POST", path, 201, b)
        rid = r.json()["data"]["payloadPreview"]["recordId"]
        self.assertEqual(r.header("location"), path + "/" + rid)
        r = self.call("POST", path, 200, b)
        self.assertIs(r.json()["data"]["idempotent"], True)
        self.call("POST", path, 409, dict(b, units=9))
        self.call("POST", path, 400, self.body(units=0))
        self.call("POST", path, 400, self.body(), content_type="text/plain")
        self.call("POST", path, 400, b"[1]")
        self.call("POST", path, 401, self.body(), token=None)
        self.call("POST", path, 401, self.body(), token=self.tok[:-4] + "AAAA")
        self.call("POST", path, 403, self.body(auth0Id=self.user + "x"))
        self.call("POST", path, 403, self.body(),
                  token=self.H.token(self.new_user()))
        self.call("POST", path, 404, self.body(sessionId="0" * 24))
        self.call("POST", path, 413, self.body(pad="x" * 20000))
        self.call("GET", path, 405)
        self.call("DELETE", path, 405)
        self.H.close_session(self.sid)
        self.call("POST", path, 409, self.body())
        self.call("POST", path, 200, b)     # a replay after the close

    def test_open_session(self):
        path = PROD + "/sessions"
        ceid = "oapi-open-" + secrets.token_hex(6)
        r = self.call("POST", path, 201, {"label": "Line 3",
                                          "clientEventId": ceid})
        sid = r.json()["data"]["sessionId"]
        self.assertEqual(r.header("location"), path + "/" + sid)
        self.assertIs(r.json()["data"]["idempotent"], False)
        r = self.call("POST", path, 200, {"label": "Line 3",
                                          "clientEventId": ceid})
        self.assertEqual(r.json()["data"]["sessionId"], sid)
        self.assertIs(r.json()["data"]["idempotent"], True)
        self.call("POST", path, 409, {"label": "Line 4",
                                      "clientEventId": ceid})
        self.call("POST", path, 409, {"clientEventId": ceid})
        r = self.call("POST", path, 201, b"", content_type=None)
        self.assertIsNone(r.json()["data"]["label"])
        self.call("POST", path, 201, {"label": ""})
        self.call("POST", path, 400, {"label": None})
        self.call("POST", path, 400, {"clientEventId": "has space"})
        self.call("POST", path, 400, b"{}", content_type="text/plain")
        self.call("POST", path, 400, b"{")
        self.call("POST", path, 401, {}, token=None)
        self.call("POST", path, 401, {}, token="not.a.token")
        self.call("POST", path, 413, {"label": "x", "pad": "x" * 20000})
        self.call("GET", path, 405)

    def test_close_session(self):
        path = PROD + "/sessions/%s/close" % self.sid
        self.new_record()
        self.call("POST", path, 401, token=None)
        self.call("POST", path, 403, token=self.H.token(self.new_user()))
        r = self.call("POST", path, 200)
        d = r.json()["data"]
        self.assertEqual((d["status"], d["idempotent"], d["recordCount"],
                          d["totalUnits"]), ("closed", False, 1, 5))
        r = self.call("POST", path, 200, b"ignored", content_type="text/plain")
        self.assertIs(r.json()["data"]["idempotent"], True)
        self.call("POST", PROD + "/sessions/%s/close" % ("f" * 24), 404)
        self.call("POST", PROD + "/sessions/not-an-id/close", 404)
        self.call("GET", path, 405)

    def test_get_session(self):
        path = PROD + "/sessions/" + self.sid
        r = self.call("GET", path, 200)
        self.assertIsNone(r.json()["data"]["closedAtUtc"])
        self.call("GET", PROD + "/sessions/" + self.sid.upper(), 200)
        self.call("GET", path, 401, token=None)
        self.call("GET", path, 401, token=self.H.token(self.user, ttl=-600))
        self.call("GET", path, 403, token=self.H.token(self.new_user()))
        self.call("GET", PROD + "/sessions/" + "e" * 24, 404)
        self.call("GET", PROD + "/sessions/xyz", 404)
        self.H.close_session(self.sid)
        r = self.call("GET", path, 200)
        self.assertEqual(r.json()["data"]["status"], "closed")
        self.call("POST", path, 405)
        self.call("DELETE", path, 405)

    def test_list_records(self):
        path = PROD + "/sessions/%s/records" % self.sid
        r = self.call("GET", path, 200)
        self.assertEqual(r.json()["data"], {"records": [], "next": None})
        rids = [self.new_record(idempotencyKey=k)
                for k in ("oapi-" + secrets.token_hex(6), OMIT, OMIT)]
        r = self.call("GET", path + "?limit=2", 200)
        page = r.json()["data"]
        self.assertEqual([x["recordId"] for x in page["records"]], rids[:2])
        self.assertEqual(page["next"], rids[1])
        r = self.call("GET", path + "?limit=2&after=" + page["next"], 200)
        self.assertEqual(r.json()["data"]["next"], None)
        self.call("GET", path + "?limit=0", 400)
        self.call("GET", path + "?limit=501", 400)
        self.call("GET", path + "?limit=ten", 400)
        self.call("GET", path + "?after=rec_nothex", 400)
        other = self.H.open_session(self.user)
        elsewhere = self.new_record(sid=other)
        self.call("GET", path + "?after=" + elsewhere, 400)
        self.call("GET", path, 401, token=None)
        self.call("GET", path, 403, token=self.H.token(self.new_user()))
        self.call("GET", PROD + "/sessions/%s/records" % ("d" * 24), 404)
        self.call("POST", path, 405)

    def test_get_record(self):
        rid = self.new_record()
        path = PROD + "/records/" + rid
        r = self.call("GET", path, 200)
        self.assertEqual(r.json()["data"]["worker_name"], "John Smith")
        self.call("GET", path, 401, token=None)
        self.call("GET", path, 403, token=self.H.token(self.new_user()))
        self.call("GET", PROD + "/records/rec_" + "0" * 16, 404)
        self.call("GET", PROD + "/records/rec_XYZ", 404)
        self.call("POST", path, 405)

    def test_health(self):
        r = self.call("GET", HEALTH, 200, token=None)
        self.assertEqual(r.json()["data"], {"database": "up"})
        self.call("POST", HEALTH, 405, token=None)

    def test_status(self):
        r = self.call("GET", STATUS, 200, token=None)
        self.assertEqual(parse_media_type(r.header("content-type"))[0],
                         "application/json")
        r = self.call("GET", STATUS + "?format=json", 200, token=None)
        self.assertEqual(parse_media_type(r.header("content-type"))[0],
                         "application/json")
        r = self.call("GET", STATUS + "?format=prometheus", 200, token=None)
        self.assertEqual(parse_media_type(r.header("content-type"))[0],
                         "text/plain")
        self.call("GET", STATUS + "?format=xml", 400, token=None)
        self.call("POST", STATUS, 405, token=None)

    def test_unknown_path(self):
        self.call("GET", "/api/control/nowhere", 404)
        self.call("GET", PROD + "/sessions/%s/nothing" % self.sid, 404)


for_each_front(globals(), _OpenApiEndpoints, fronts=("direct", "lighttpd"))


class OpenApiStatusAddress(_Exercise):
    """The status page's 403: only the direct client sets REMOTE_ADDR."""

    front_name = "direct"

    def test_status_403(self):
        self.call("GET", STATUS, 403, token=None, remote_addr="192.0.2.7")
        self.call("GET", STATUS, 403, token=None, remote_addr="2001:db8::7")
        self.call("GET", STATUS, 403, token=None, remote_addr=None)
        self.call("GET", STATUS, 200, token=None, remote_addr="::1")
        self.call("GET", STATUS, 200, token=None,
                  remote_addr="::ffff:127.0.0.1")


class OpenApiOutage(PrivateDatabase, _Exercise):
    """MariaDB stopped (the class's own, itbase.PrivateDatabase): health
    and every endpoint that reads the database answer 503 with
    Retry-After; status still answers. MariaDB is started again and the
    test waits until the program has reconnected."""

    front_name = "direct"

    def test_503(self):
        rid = self.new_record()
        for f in (self.H.direct, self.H.web):
            self.call("GET", HEALTH, 200, token=None, front=f)
        self.H.db_stop()
        try:
            for f in (self.H.direct, self.H.web):
                t0 = time.time()
                r = self.call("GET", HEALTH, 503, token=None, front=f)
                self.assertLess(time.time() - t0, 5)
                self.assertEqual(r.json()["error"], "database down")
            self.call("GET", STATUS, 200, token=None)
            self.call("POST", PROD + "/records", 503, self.body())
            self.call("POST", PROD + "/sessions", 503, {})
            self.call("GET", PROD + "/sessions/" + self.sid, 503)
            self.call("POST", PROD + "/sessions/%s/close" % self.sid, 503)
            self.call("GET", PROD + "/sessions/%s/records" % self.sid, 503)
            self.call("GET", PROD + "/records/" + rid, 503)
        finally:
            self.H.db_start()
        self.wait_healthy()

    def wait_healthy(self):
        """Health answers 200 again on both fronts, several times over (a
        process per request, each meeting its dead connection)."""
        for f in (self.H.direct, self.H.web):
            deadline = time.time() + 30
            good = 0
            while good < 8 and time.time() < deadline:
                r = f.request("GET", HEALTH)
                good = good + 1 if r.status == 200 else 0
                if r.status != 200:
                    time.sleep(0.2)
            self.assertEqual(good, 8, "%s healthy again" % f.name)


# ---- the document was exercised whole -------------------------------------

EXERCISING = ("OpenApiEndpoints_direct", "OpenApiStatusAddress",
              "OpenApiOutage")


class OpenApiZCoverage(_NeedsLibraries, unittest.TestCase):
    """Runs last in this module (by name): every operation was exercised
    and every documented status was produced. Exercising tests that did not
    run (a -k filter) are run here first."""

    @classmethod
    def exercise_all(cls):
        failed = []
        for name in EXERCISING:
            klass = globals()[name]
            cases = [klass(m) for m in
                     unittest.TestLoader().getTestCaseNames(klass)]
            cases = [c for c in cases if c.id() not in RAN]
            if not cases:
                continue
            # A case run on its own misses its class fixture (the private
            # MariaDB of OpenApiOutage): set it up here.
            try:
                klass.setUpClass()
            except Exception:  # noqa: BLE001 - reported with the rest
                failed.append("%s.setUpClass:\n%s" % (
                    name, traceback.format_exc()))
                continue
            try:
                for case in cases:
                    result = unittest.TestResult()
                    case.run(result)
                    for _, tb in result.failures + result.errors:
                        failed.append("%s:\n%s" % (case.id(), tb))
            finally:
                klass.tearDownClass()
        return failed

    def setUp(self):
        super().setUp()
        self.failed = self.exercise_all()
        self.spec = Spec.get()

    def test_exercising_tests_run_here_passed(self):
        """The exercising tests this class ran itself (under a -k filter)
        passed: a failure is not lost when the coverage is complete
        anyway."""
        self.assertEqual(self.failed, [], "\n".join(self.failed))

    def test_every_operation_exercised(self):
        done = {(t, m) for (_, t, m, _) in OBSERVED}
        missing = [(m, t) for t, m, _ in self.spec.operations()
                   if (t, m) not in done]
        self.assertFalse(missing, "operations no request reached: %s%s" % (
            ", ".join("%s %s" % x for x in missing),
            "; failed exercising tests:\n" + "\n".join(self.failed)
            if self.failed else ""))

    def test_every_documented_status_produced(self):
        produced = {(t, m, str(s)) for (_, t, m, s) in OBSERVED}
        missing = []
        for t, m, op in self.spec.operations():
            for status in op["responses"]:
                if status in UNPRODUCED_OK:
                    continue
                if (t, m, status) in produced or (
                        status == "405" and (t, "*", "405") in produced):
                    continue
                missing.append("%s %s %s" % (m, t, status))
        self.assertFalse(missing, "documented, never produced:\n  %s%s" % (
            "\n  ".join(missing),
            "; failed exercising tests:\n" + "\n".join(self.failed)
            if self.failed else ""))
