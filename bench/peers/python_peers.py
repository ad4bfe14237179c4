#!/usr/bin/env python3
"""Python peers of `skr bench`: CEL, Cedar and Rego evaluating the same
policy logic on the same claims, PyJWT verifying the same token, and a
hand-written Python evaluator.

`skr bench --peers-python` runs this script on its first workload and reads
the one JSON object it prints:

    {"python": VERSION, "peers": [{"name", "version", "what", "work", "ns",
     "p10", "p90", "min", "max", "rounds", "calls", "decision"}],
     "notes": [TEXT]}

"work" names the skr figure a peer is compared with: "eval" (claims already
parsed), "index_eval" (claims JSON parsed in the call) or "cold" (token
verified in the call). Times are nanoseconds per decision and include the
call from Python into each engine, because that is how a Python service
uses them. A peer whose package is missing is left out with a note.

The translations of the policy into CEL, Cedar and Rego keep the structure
(anyOf over authority entries, allOf and anyOf groups, the seven operators)
and the rules for missing claims. They do not reproduce every comparison
rule of skr: numeric strings in the claims never compare as numbers, and a
string "true" or "false" in the policy matches a boolean claim only in the
hand-written evaluator. The harness prints each peer's decision beside
skr's, so a difference shows.
"""

import argparse
import base64
import importlib.metadata
import json
import math
import platform
import sys
import time

OPERATORS = ("equals", "notequals", "less", "lessorequals", "greater",
             "greaterorequals", "exists")


# ---- timing ---------------------------------------------------------------

def measure(call, rounds, round_ns):
    """Time call() as the C harness does: calibrate the calls per round so a
    round lasts at least round_ns, run one warm-up round, then rounds timed
    rounds. Returns per-call statistics in nanoseconds."""
    calls = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(calls):
            call()
        elapsed = time.perf_counter_ns() - start
        if elapsed >= round_ns:
            break
        factor = min(100.0, round_ns / elapsed * 1.1) if elapsed > 0 else 100.0
        calls = max(calls + 1, math.ceil(calls * factor))
    for _ in range(calls):
        call()
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(calls):
            call()
        per_call.append((time.perf_counter_ns() - start) / calls)
    per_call.sort()

    def quantile(q):
        position = q * (len(per_call) - 1)
        below = int(position)
        if below + 1 >= len(per_call):
            return per_call[-1]
        return per_call[below] + (per_call[below + 1] - per_call[below]) * (position - below)

    return {"ns": quantile(0.5), "p10": quantile(0.1), "p90": quantile(0.9),
            "min": per_call[0], "max": per_call[-1], "rounds": rounds, "calls": calls}


def package_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


# ---- the policy, read once --------------------------------------------------

def lower_keys(node):
    """Member names of the policy match without case; fold them once."""
    if isinstance(node, dict):
        return {key.lower(): lower_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [lower_keys(item) for item in node]
    return node


def claim_condition(condition):
    """Returns (path segments, operator, value) of a claim condition, short
    or long form."""
    path = condition["claim"].split(".")
    if "condition" in condition:
        return path, condition["condition"].lower(), condition["value"]
    for op in OPERATORS:
        if op in condition:
            return path, op, condition[op]
    raise ValueError("claim condition without an operator: %r" % condition)


def group_of(node):
    """Returns ("all" or "any", items) of an entry or a group."""
    if "allof" in node:
        return "all", node["allof"]
    return "any", node["anyof"]


def authority_variants(authority):
    """Return the issuer spellings an authority matches in the
    translations: as written, and with one trailing '/' added or removed.
    The translations do not fold the case of the scheme and host."""
    bare = authority[:-1] if authority.endswith("/") else authority
    return [bare, bare + "/"]


# ---- hand-written Python evaluator -----------------------------------------

def numeric(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            json_value = json.loads(value)
        except ValueError:
            return None
        if isinstance(json_value, (int, float)) and not isinstance(json_value, bool) \
                and value.strip() == value and not value.startswith("+"):
            return json_value
    return None


def boolean(value):
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    return None


_MISSING = object()


def lookup(claims, path):
    node = claims
    for segment in path:
        if not isinstance(node, dict) or segment not in node:
            return _MISSING
        node = node[segment]
    return node


def equality(claim, expected):
    """1 equal, 0 not equal, None when the pair is not comparable."""
    is_num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if is_num(claim) or is_num(expected):
        a, b = numeric(claim), numeric(expected)
        return None if a is None or b is None else int(a == b)
    if isinstance(claim, bool) or isinstance(expected, bool):
        a, b = boolean(claim), boolean(expected)
        return None if a is None or b is None else int(a == b)
    if isinstance(claim, str) and isinstance(expected, str):
        return int(claim == expected)
    return None


def holds(condition, claims):
    if "claim" not in condition:
        kind, items = group_of(condition)
        if kind == "all":
            return all(holds(item, claims) for item in items)
        return any(holds(item, claims) for item in items)
    path, op, expected = claim_condition(condition)
    value = lookup(claims, path)
    if op == "exists":
        want = boolean(expected)
        return (value is not _MISSING) == (True if want is None else want)
    if value is _MISSING:
        return False
    if op == "equals":
        return equality(value, expected) == 1
    if op == "notequals":
        return equality(value, expected) == 0
    a, b = numeric(value), numeric(expected)
    if a is None or b is None:
        return False
    return {"less": a < b, "lessorequals": a <= b, "greater": a > b,
            "greaterorequals": a >= b}[op]


def issuer_matches(authority, issuer):
    return issuer in authority_variants(authority) or \
        authority_variants(authority)[0].lower() == authority_variants(issuer)[0].lower()


def decide(policy, claims, issuer):
    for entry in policy["anyof"]:
        if issuer_matches(entry["authority"], issuer) and holds(entry, claims):
            return True
    return False


# ---- CEL ------------------------------------------------------------------

def cel_string(text):
    return json.dumps(text)


def cel_access(path):
    return "claims" + "".join("[%s]" % cel_string(segment) for segment in path)


def cel_present(path):
    """Return a CEL test that each segment is present and each parent is a map."""
    parts = []
    for i, segment in enumerate(path):
        parent = cel_access(path[:i])
        if i > 0:
            parts.append("type(%s) == map" % parent)
        parts.append("%s in %s" % (cel_string(segment), parent))
    return " && ".join(parts)


def cel_literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value))
    return cel_string(value)


def cel_condition(condition):
    if "claim" not in condition:
        kind, items = group_of(condition)
        joiner = " && " if kind == "all" else " || "
        return "(" + joiner.join(cel_condition(item) for item in items) + ")"
    path, op, expected = claim_condition(condition)
    present = cel_present(path)
    value = cel_access(path)
    if op == "exists":
        return "(%s)" % present if boolean(expected) is not False else "!(%s)" % present
    if isinstance(expected, bool):
        test = {"equals": "type(%s) == bool && %s == %s",
                "notequals": "type(%s) == bool && %s != %s"}.get(op)
        return "(%s && %s)" % (present, test % (value, value, cel_literal(expected))) \
            if test else "false"
    if isinstance(expected, str) and numeric(expected) is None:
        test = {"equals": "type(%s) == string && %s == %s",
                "notequals": "type(%s) == string && %s != %s"}.get(op)
        return "(%s && %s)" % (present, test % (value, value, cel_literal(expected))) \
            if test else "false"
    number = numeric(expected)
    is_number = "(type(%s) == int || type(%s) == double)" % (value, value)
    symbol = {"equals": "==", "notequals": "!=", "less": "<", "lessorequals": "<=",
              "greater": ">", "greaterorequals": ">="}[op]
    return "(%s && %s && double(%s) %s %s)" % (present, is_number, value, symbol,
                                               cel_literal(number))


def cel_expression(policy):
    entries = []
    for entry in policy["anyof"]:
        issuers = "[" + ", ".join(cel_string(a) for a in authority_variants(entry["authority"])) + "]"
        entries.append("(issuer in %s && %s)" % (issuers, cel_condition(entry)))
    return " || ".join(entries)


def run_cel(args, policy, claims, issuer, report, expected):
    from cel_expr_python import cel  # noqa: imported here so a missing package is a note
    env = cel.NewEnv(variables={"claims": cel.Type.DYN, "issuer": cel.Type.STRING})
    expression = env.compile(cel_expression(policy))
    activation = env.Activation({"claims": claims, "issuer": issuer})
    decision = expression.eval(activation).value()
    stats = measure(lambda: expression.eval(activation), args.rounds, args.round_ns)
    add_peer(report, "CEL (cel-expr-python)", package_version("cel-expr-python"), "eval",
             "evaluate only: the policy translated to one CEL expression, compiled once; "
             "each decision evaluates it on an activation built once from the parsed claims",
             stats, decision, expected)


# ---- Cedar ----------------------------------------------------------------

def cedar_access(path):
    return "context.claims" + "".join("[%s]" % json.dumps(segment) for segment in path)


def cedar_present(path):
    parts = []
    for i, segment in enumerate(path):
        parts.append("%s has %s" % (cedar_access(path[:i]), json.dumps(segment)))
    return " && ".join(parts)


def cedar_condition(condition):
    if "claim" not in condition:
        kind, items = group_of(condition)
        joiner = " && " if kind == "all" else " || "
        return "(" + joiner.join(cedar_condition(item) for item in items) + ")"
    path, op, expected = claim_condition(condition)
    present = cedar_present(path)
    if op == "exists":
        return "(%s)" % present if boolean(expected) is not False else "!(%s)" % present
    if isinstance(expected, float) and not expected.is_integer():
        raise ValueError("Cedar has no decimal numbers for %r" % expected)
    literal = json.dumps(int(expected) if isinstance(expected, float) else expected)
    symbol = {"equals": "==", "notequals": "!=", "less": "<", "lessorequals": "<=",
              "greater": ">", "greaterorequals": ">="}[op]
    return "(%s && %s %s %s)" % (present, cedar_access(path), symbol, literal)


def cedar_policy(policy):
    entries = []
    for entry in policy["anyof"]:
        issuers = " || ".join("context.issuer == %s" % json.dumps(a)
                              for a in authority_variants(entry["authority"]))
        entries.append("((%s) && %s)" % (issuers, cedar_condition(entry)))
    return "permit(principal, action, resource) when { %s };" % " || ".join(entries)


def cedar_context_value(value):
    """Cedar numbers are 64-bit integers; other numbers become strings so the
    rest of the claims still load."""
    if isinstance(value, dict):
        return {key: cedar_context_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cedar_context_value(item) for item in value]
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return ""
    return value


def run_cedar(args, policy, claims, issuer, report, expected):
    import cedarpy
    policies = cedarpy.PolicySet.from_str(cedar_policy(policy))
    entities = cedarpy.Entities.from_json_str("[]")
    request = {"principal": 'Workload::"w"', "action": 'Action::"release"',
               "resource": 'Key::"k"',
               "context": {"claims": cedar_context_value(claims), "issuer": issuer}}
    result = cedarpy.is_authorized(request, policies, entities)
    decision = result.decision == cedarpy.Decision.Allow
    stats = measure(lambda: cedarpy.is_authorized(request, policies, entities), args.rounds,
                    args.round_ns)
    add_peer(report, "Cedar (cedarpy)", package_version("cedarpy"), "eval",
             "evaluate only: the policy translated to one Cedar permit, parsed once "
             "(PolicySet); each decision passes the claims as the request context, which "
             "cedarpy converts on every call",
             stats, decision, expected)


# ---- Rego -----------------------------------------------------------------

class RegoModule:
    """Builds a Rego module: one rule per authority entry and per nested
    group, and one per `exists: false`."""

    def __init__(self):
        self.rules = []
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return "%s_%d" % (prefix, self.count)

    @staticmethod
    def access(path):
        return "input.claims" + "".join("[%s]" % json.dumps(segment) for segment in path)

    def literal(self, condition, body):
        """Appends the body lines of one condition of an allOf."""
        if "claim" not in condition:
            body.append(self.group(condition))
            return
        path, op, expected = claim_condition(condition)
        value = self.access(path)
        if op == "exists":
            if boolean(expected) is False:
                present = self.name("present")
                self.rules.append("%s if {\n  _ = %s\n}" % (present, value))
                body.append("not %s" % present)
            else:
                body.append("_ = %s" % value)
            return
        variable = self.name("v")
        body.append("%s := %s" % (variable, value))
        if isinstance(expected, bool):
            body.append("is_boolean(%s)" % variable)
        elif isinstance(expected, str) and numeric(expected) is None:
            body.append("is_string(%s)" % variable)
        else:
            body.append("is_number(%s)" % variable)
            expected = numeric(expected)
        symbol = {"equals": "==", "notequals": "!=", "less": "<", "lessorequals": "<=",
                  "greater": ">", "greaterorequals": ">="}[op]
        body.append("%s %s %s" % (variable, symbol, json.dumps(expected)))

    def group(self, node):
        """Returns the name of a rule that holds when the group holds."""
        kind, items = group_of(node)
        rule = self.name("group")
        if kind == "all":
            body = []
            for item in items:
                self.literal(item, body)
            self.rules.append("%s if {\n  %s\n}" % (rule, "\n  ".join(body)))
        else:
            for item in items:
                body = []
                self.literal(item, body)
                self.rules.append("%s if {\n  %s\n}" % (rule, "\n  ".join(body)))
        return rule

    def policy(self, policy):
        for entry in policy["anyof"]:
            issuers = ", ".join(json.dumps(a) for a in authority_variants(entry["authority"]))
            self.rules.append("allow if {\n  input.issuer in {%s}\n  %s\n}"
                              % (issuers, self.group(entry)))
        return "package skr\n\nimport rego.v1\n\ndefault allow := false\n\n" + \
            "\n\n".join(self.rules) + "\n"


def run_rego(args, policy, claims, issuer, report, expected):
    import regopy
    rego = regopy.Interpreter()
    rego.add_module("skr", RegoModule().policy(policy))
    bundle = rego.build("data.skr.allow")
    rego.set_input(regopy.Input({"claims": claims, "issuer": issuer}))
    output = rego.query_bundle(bundle)
    decision = json.loads(str(output))["expressions"][0] is True

    def call():
        rego.query_bundle(bundle)

    stats = measure(call, args.rounds, args.round_ns)
    add_peer(report, "Rego (regopy)", package_version("regopy"), "eval",
             "evaluate only: the policy translated to a Rego module, compiled once into a "
             "bundle; the input is set once and each decision queries data.skr.allow",
             stats, decision, expected)


# ---- PyJWT ----------------------------------------------------------------

def trust_key(trust, issuer, kid):
    """Return the trust store's public key for issuer and kid, built from n/e
    or from the certificate in x5c."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    def b64url(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    for authority, jwks in trust.items():
        if authority.rstrip("/").lower() != issuer.rstrip("/").lower():
            continue
        for jwk in jwks.get("keys", []):
            if kid is not None and jwk.get("kid") != kid:
                continue
            if "n" in jwk and "e" in jwk:
                return rsa.RSAPublicNumbers(int.from_bytes(b64url(jwk["e"]), "big"),
                                            int.from_bytes(b64url(jwk["n"]), "big")).public_key()
            if jwk.get("x5c"):
                certificate = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))
                return certificate.public_key()
    raise ValueError("no key for issuer %s and kid %s in the trust store" % (issuer, kid))


def run_pyjwt(args, policy, claims, issuer, report, expected):
    import jwt
    with open(args.token) as f:
        token = f.read().strip()
    with open(args.trust) as f:
        trust = json.load(f)
    header = jwt.get_unverified_header(token)
    key = trust_key(trust, issuer, header.get("kid"))
    options = {"verify_exp": False, "verify_nbf": False, "verify_iat": False,
               "verify_aud": False, "verify_iss": False}

    def call():
        verified = jwt.decode(token, key, algorithms=["RS256"], options=options)
        exp, nbf = verified.get("exp"), verified.get("nbf")
        if exp is None or args.now >= exp or (nbf is not None and args.now < nbf):
            return False
        return decide(policy, verified, verified["iss"])

    decision = call()
    stats = measure(call, args.rounds, args.round_ns)
    add_peer(report, "PyJWT + hand-written Python", package_version("PyJWT"), "cold",
             "verify and evaluate: jwt.decode with RS256 and a key object built once (through "
             "the cryptography package), exp and nbf checked against --now, then the "
             "hand-written Python evaluator",
             stats, decision, expected)


# ---- main -----------------------------------------------------------------

def add_peer(report, name, version, work, what, stats, decision, expected):
    peer = {"name": name, "version": version, "work": work, "what": what,
            "decision": "release" if decision else "deny"}
    peer.update(stats)
    report["peers"].append(peer)
    if expected is not None and bool(decision) != expected:
        report["notes"].append("%s decides %s where the hand-written evaluator decides %s; "
                               "its translation does not cover this policy"
                               % (name, peer["decision"], "release" if expected else "deny"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", required=True, help="the policy as JSON")
    parser.add_argument("--claims", required=True, help="the claims JSON (the token's payload)")
    parser.add_argument("--issuer", required=True, help="the issuer to decide for")
    parser.add_argument("--token", help="the compact token, for PyJWT")
    parser.add_argument("--trust", help="the trust store, for PyJWT")
    parser.add_argument("--now", type=int, default=int(time.time()),
                        help="the time of the lifetime check, seconds since the epoch")
    parser.add_argument("--rounds", type=int, default=11, help="timed rounds per figure")
    parser.add_argument("--round-ms", type=float, default=20.0,
                        help="minimum duration of one round in milliseconds")
    args = parser.parse_args()
    args.round_ns = args.round_ms * 1e6

    with open(args.policy, encoding="utf-8-sig") as f:
        policy = lower_keys(json.load(f))
    with open(args.claims, encoding="utf-8") as f:
        claims_text = f.read()
    claims = json.loads(claims_text)

    report = {"python": platform.python_version(), "peers": [], "notes": []}
    expected = decide(policy, claims, args.issuer)
    stats = measure(lambda: decide(policy, claims, args.issuer), args.rounds, args.round_ns)
    add_peer(report, "hand-written Python", platform.python_version(), "eval",
             "evaluate only: the same walk as the hand-written C peer, in pure Python, on "
             "claims parsed once with the json module", stats, expected, None)
    stats = measure(lambda: decide(policy, json.loads(claims_text), args.issuer), args.rounds,
                    args.round_ns)
    add_peer(report, "hand-written Python, parse", platform.python_version(), "index_eval",
             "parse the claims JSON with the json module, then evaluate as above",
             stats, expected, None)

    runs = [("CEL", run_cel), ("Cedar", run_cedar), ("Rego", run_rego)]
    if args.token and args.trust:
        runs.append(("PyJWT", run_pyjwt))
    else:
        report["notes"].append("PyJWT skipped: it needs --token and --trust")
    for name, run in runs:
        try:
            run(args, policy, claims, args.issuer, report, expected)
        except ImportError as error:
            report["notes"].append("%s skipped: %s is not installed (pip install "
                                   "cel-expr-python cedarpy regopy pyjwt cryptography)"
                                   % (name, error.name))
        except Exception as error:  # a peer that fails is reported, not fatal
            report["notes"].append("%s failed: %s: %s" % (name, type(error).__name__, error))

    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
