#!/usr/bin/env python3
"""A repeatable hostile probe of `holdout serve` (issue 10's "Checks").

    python3 Scripts/ci/probe.py path/to/holdout [--json] [--only 1,5,6] [--keep]

Creates a temporary SQLite database, API keys for two tenants (A and B) and a webhook secret
through the CLI, starts `holdout serve` on a free loopback port (127.0.0.1 only) and runs
bounded hostile traffic in ten categories:

   1 unicode      canonically equivalent ids stay distinct; NFD variant names are refused
   2 timeseries   far-future timestamps are refused; the time series stays small and fast
   3 variants     at most 50 variants; tenant B's results stay fast while A runs heavy queries
   4 keys         purely numeric keys are refused; keyless creates keep working
   5 largebody    webhook bodies are not buffered before authentication; unknown tenants look
                  like bad signatures
   6 slowclient   slowloris sockets are closed within the idle timeout (+ slack)
   7 raterace     concurrent first assigns with different rates agree with the stored rate
   8 validation   bad inputs are 4xx naming the field, never 5xx
   9 posthoc      post-hoc auto-assign counts the historical conversions; results say what
                  they did not count
  10 shutdown     SIGTERM with slow sockets open and a query running exits within 5 s

Every request (and CLI import, and hostile socket) is counted as tried, and as handled when the
answer is what the contract says. The server's RSS is read from /proc/PID/status (VmRSS, VmHWM)
before, during and after the memory cases. The run fails (exit 1) on any 5xx, crash (the server
process gone; it is restarted so the later categories still run), hang (a request exceeding its
timeout), unbounded growth (RSS growth above 64 MiB in a memory case) or any other broken
contract; it prints a summary (with --json, one JSON object on stdout). Exit 2 means the probe
itself could not run (no binary, the server would not start).

Python 3 standard library only. The server is killed and the temporary directory removed on
every exit path (also on failure, SIGINT and SIGTERM); a watchdog bounds the whole run.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata

MiB = 1 << 20
HOST = "127.0.0.1"
NFC_CAFE = "caf\u00e9"
NFD_CAFE = "cafe\u0301"
GROWTH_LIMIT_KIB = 64 * 1024  # "unbounded growth": more than 64 MiB in a memory case
IDLE_TIMEOUT = 5  # seconds, passed as --idle-timeout when the binary has the flag
SLOW_DEADLINE = 12  # slow sockets must all be closed this long after they opened
WATCHDOG_SECONDS = 300  # the whole run, whatever happens
CATEGORIES = {
    1: "unicode",
    2: "timeseries",
    3: "variants",
    4: "keys",
    5: "largebody",
    6: "slowclient",
    7: "raterace",
    8: "validation",
    9: "posthoc",
    10: "shutdown",
}
ORDER = [1, 2, 3, 5, 6, 7, 8, 9, 4, 10]  # shutdown last; numeric keys late (they break keyless creates today)


class Abort(BaseException):
    """The watchdog or a signal: not an OSError, so no handler below swallows it."""


def log(message):
    print(f"[probe {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def unit_interval(profile_id, key, salt=""):
    """Seed 001's rule: first 8 bytes of SHA256("profile:key:salt"), big-endian, over 2^64."""
    digest = hashlib.sha256(f"{profile_id}:{key}:{salt}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def expected_variant(profile_id, key, salt, variants):
    u = unit_interval(profile_id, key, salt)
    if len(variants) == 2:
        return variants[1]["name"] if u < variants[1]["weight"] else variants[0]["name"]
    cumulative = 0.0
    for v in variants:
        cumulative += v["weight"]
        if u < cumulative:
            return v["name"]
    return variants[-1]["name"]


def self_check_assignment_rule():
    """The Python rule against spec/assignment-vectors.json, when the file is there."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "spec", "assignment-vectors.json")
    if not os.path.exists(path):
        return True
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)["vectors"]
    for v in vectors:
        got = expected_variant(v["profile_id"], v["experiment_key"], v["salt"], v["variants"])
        if got != v["variant"] or unit_interval(v["profile_id"], v["experiment_key"], v["salt"]) != v["u"]:
            log(f"assignment rule disagrees with spec vector {v}")
            return False
    return True


def read_status(pid):
    """VmRSS and VmHWM in KiB, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value = line.split(":", 1)
            out[name] = int(value.split()[0])
    return out


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Result:
    def __init__(self, status=None, data=b"", elapsed=0.0, error=None, headers=None):
        self.status = status
        self.data = data
        self.elapsed = elapsed
        self.error = error  # None, "timeout", "closed", "too_large"
        self.headers = headers or {}
        self._json = None

    @property
    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.data.decode("utf-8")) if self.data else {}
            except (ValueError, UnicodeDecodeError):
                self._json = {}
        return self._json

    @property
    def err(self):
        e = self.json.get("error") if isinstance(self.json, dict) else None
        return e if isinstance(e, dict) else {}

    def describe(self):
        if self.error:
            return f"{self.error} after {self.elapsed:.1f}s"
        e = self.err
        if e:
            return f"{self.status} {e.get('code')} field={e.get('field')!r}: {str(e.get('message'))[:120]}"
        return f"{self.status} {self.data[:160]!r}"


def http_request(port, method, path, body=None, headers=None, timeout=10.0, max_body=256 * MiB, conn=None):
    """One HTTP/1.1 request. `timeout` bounds the whole exchange; `max_body` bounds what is read."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    start = time.monotonic()
    hdrs = {"Connection": "close"} if own else {}
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        chunks, total = [], 0
        while True:
            if time.monotonic() - start > timeout:
                return Result(resp.status, b"".join(chunks), time.monotonic() - start, "timeout")
            chunk = resp.read(256 * 1024)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_body:
                conn.close()
                return Result(resp.status, b"".join(chunks), time.monotonic() - start, "too_large")
        elapsed = time.monotonic() - start
        if elapsed > timeout:
            return Result(resp.status, b"".join(chunks), elapsed, "timeout")
        return Result(resp.status, b"".join(chunks), elapsed, None, dict(resp.getheaders()))
    except (socket.timeout, TimeoutError):
        conn.close()
        return Result(None, b"", time.monotonic() - start, "timeout")
    except (OSError, http.client.HTTPException):
        conn.close()
        return Result(None, b"", time.monotonic() - start, "closed")
    finally:
        if own:
            conn.close()


def raw_http(port, method, path, body, headers, timeout, barrier):
    """One request on a raw socket: everything but the body's last byte is sent, then all callers
    meet at `barrier` and send their last byte together (so the requests race for real)."""
    start = time.monotonic()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Connection: close", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    try:
        s = socket.create_connection((HOST, port), timeout=timeout)
    except OSError:
        return Result(None, b"", time.monotonic() - start, "closed")
    try:
        s.sendall(data[:-1])
        try:
            barrier.wait(10)
        except threading.BrokenBarrierError:
            pass
        start = time.monotonic()
        s.sendall(data[-1:])
        chunks = []
        while True:
            if time.monotonic() - start > timeout:
                return Result(None, b"", time.monotonic() - start, "timeout")
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    except (socket.timeout, TimeoutError):
        return Result(None, b"", time.monotonic() - start, "timeout")
    except OSError:
        return Result(None, b"", time.monotonic() - start, "closed")
    finally:
        s.close()
    raw = b"".join(chunks)
    head, _, payload = raw.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    if not m:
        return Result(None, b"", time.monotonic() - start, "closed")
    if re.search(rb"(?i)transfer-encoding:\s*chunked", head):
        out, rest = b"", payload
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        payload = out
    return Result(int(m.group(1)), payload, time.monotonic() - start, None)


# Expectations: each takes a Result and returns None when the contract holds, else what is wrong.


def ok(*statuses):
    statuses = statuses or (200,)

    def check(r):
        return None if r.status in statuses else f"expected {'/'.join(map(str, statuses))}, got {r.describe()}"

    return check


def field_error(field, statuses=(400,), match="last", allow_413_without_field=False):
    """A 4xx whose error.field names `field`. Indexes are ignored (`exposures[3].profile_id` is
    `exposures.profile_id`); then `match` is "last" (the last dotted part is `field`), "exact"
    (the whole path is `field`) or "prefix" (the path starts with `field`)."""

    def check(r):
        if r.status == 413 and allow_413_without_field:
            return None
        if r.status not in statuses:
            return f"expected {'/'.join(map(str, statuses))} naming {field}, got {r.describe()}"
        got = r.err.get("field") or ""
        path = re.sub(r"\[\d*\]", "", got)
        if (match == "exact" and path == field) or (match == "prefix" and path.startswith(field)) or (match == "last" and path.split(".")[-1] == field):
            return None
        return f"{r.status} but field is {got!r}, not {field!r} ({str(r.err.get('message'))[:100]})"

    return check


def any_4xx(r):
    return None if r.status is not None and 400 <= r.status < 500 else f"expected a 4xx, got {r.describe()}"


class Server:
    def __init__(self, binary, db, workdir, idle_timeout):
        self.binary, self.db, self.workdir, self.idle_timeout = binary, db, workdir, idle_timeout
        self.proc = None
        self.port = None
        self.starts = 0
        self.log_path = os.path.join(workdir, "server.log")

    def start(self):
        self.port = free_port()
        args = [self.binary, "serve", "--database", self.db, "--host", HOST, "--port", str(self.port), "--log-level", "warning"]
        if self.idle_timeout:
            args += ["--idle-timeout", str(IDLE_TIMEOUT)]
        self.starts += 1
        with open(self.log_path, "a") as logf:
            logf.write(f"--- start {self.starts}: {' '.join(args)}\n")
            logf.flush()
            # No Swift backtracer: a trap then ends the process at once (with its "Fatal error"
            # line) instead of after ~15 s of symbolication, which would look like a hang.
            env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, start_new_session=True, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"holdout serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            r = http_request(self.port, "GET", "/healthz", timeout=2)
            if r.status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("holdout serve did not answer /healthz within 60 s")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss(self):
        return read_status(self.proc.pid) if self.alive() else None

    def log_tail(self, lines=6):
        """The last lines of the current run's log, the "Fatal error" line first when there is one."""
        try:
            with open(self.log_path, errors="replace") as f:
                current = f.read().rsplit("--- start ", 1)[-1].splitlines()[1:]
        except OSError:
            return ""
        fatal = [line for line in current if "Fatal error" in line or "Crash" in line]
        tail = current[-lines:]
        return "\n".join(([fatal[0]] if fatal and fatal[0] not in tail else []) + tail)

    def crash_line(self):
        tail = self.log_tail().splitlines()
        fatal = [line for line in tail if "Fatal error" in line]
        return (fatal or tail or [""])[0][:300]

    def kill(self):
        """SIGKILL the server (our child, by pid) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


class Probe:
    def __init__(self, binary, workdir, only):
        self.binary = binary
        self.workdir = workdir
        self.db = os.path.join(workdir, "probe.sqlite")
        self.only = only
        self.lock = threading.Lock()
        self.tried = {c: 0 for c in CATEGORIES}
        self.handled = {c: 0 for c in CATEGORIES}
        self.failures = {}  # (category, kind, check) -> {"count", "detail"}
        self.checks = {c: [] for c in CATEGORIES}  # (name, passed, detail)
        self.crashes = []
        self.rss = {}
        self.notes = []
        self.server = None
        self.current = 1
        self.exp = {}  # key -> experiment JSON

    # --- bookkeeping

    def fail(self, cat, kind, check, detail=""):
        with self.lock:
            entry = self.failures.setdefault((cat, kind, check), {"count": 0, "detail": detail})
            entry["count"] += 1

    def check(self, cat, name, passed, detail=""):
        """A contract about the whole category (not one request)."""
        with self.lock:
            self.checks[cat].append((name, bool(passed), detail))
        if not passed:
            kind = "growth" if name.startswith("rss") else ("hang" if "hang" in name else "contract")
            self.fail(cat, kind, name, detail)
        log(f"  [{CATEGORIES[cat]}] {'ok  ' if passed else 'FAIL'} {name}{': ' + detail if detail else ''}")
        return passed

    def count(self, cat, handled):
        with self.lock:
            self.tried[cat] += 1
            if handled:
                self.handled[cat] += 1

    def server_survives(self, wait=1.0):
        """False when the server process is gone (or goes within `wait` seconds: a crash closes
        the connection a moment before the process is reaped)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not self.server.alive():
                return False
            time.sleep(0.05)
        return self.server.alive()

    def ensure_server(self, cat, context):
        """Records a crash when the server is gone, and restarts it on the same database."""
        if self.server.alive():
            return True
        code = self.server.proc.returncode
        tail = self.server.log_tail()
        self.crashes.append({"category": CATEGORIES[cat], "context": context, "returncode": code, "line": self.server.crash_line(), "log": tail})
        self.fail(cat, "crash", f"server died ({context})", f"exit {code}: {self.server.crash_line()}")
        log(f"  [{CATEGORIES[cat]}] CRASH: server exited {code} during {context}; restarting\n{tail}")
        self.server.start()
        return False

    def req(self, cat, label, method, path, body=None, key=None, headers=None, timeout=10.0, expect=None, max_body=256 * MiB, conn=None,
            allow_closed=False, barrier=None):
        hdrs = dict(headers or {})
        if key:
            hdrs["Authorization"] = f"Bearer {key}"
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if barrier is not None:
            r = raw_http(self.server.port, method, path, body, hdrs, timeout, barrier)
        else:
            r = http_request(self.server.port, method, path, body=body, headers=hdrs, timeout=timeout, max_body=max_body, conn=conn)
        handled = False
        if r.error == "timeout" and not self.server.alive():
            self.ensure_server(cat, label)
        elif r.error == "timeout":
            self.fail(cat, "hang", label, f"no answer within {timeout:.0f}s")
        elif r.error == "closed" and not self.server_survives():
            self.ensure_server(cat, label)
        elif r.error == "closed" and allow_closed:
            handled = True
        elif r.error == "closed":
            self.fail(cat, "contract", label, "connection closed without an answer")
        elif r.status is not None and r.status >= 500:
            self.fail(cat, "5xx", label, r.describe())
        elif r.error == "too_large":
            self.fail(cat, "contract", label, f"response body over {max_body} bytes (stopped reading after {len(r.data)} bytes, {r.elapsed:.1f}s)")
        else:
            problem = (expect or ok(200, 201))(r)
            if problem:
                self.fail(cat, "contract", label, problem)
            else:
                handled = True
        self.count(cat, handled)
        return r

    def cli(self, cat, label, args, expect_success=True, timeout=60):
        """A CLI call against the probe's database; counted like a request."""
        try:
            p = subprocess.run([self.binary] + args + ["--database", self.db], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.fail(cat, "hang", label, f"CLI did not finish within {timeout}s")
            self.count(cat, False)
            return None
        handled = (p.returncode == 0) == expect_success
        if p.returncode < 0 or p.returncode >= 128:
            self.fail(cat, "crash", label, f"CLI exit {p.returncode}: {p.stderr.strip()[-200:]}")
            handled = False
        elif not handled:
            self.fail(cat, "contract", label, f"exit {p.returncode} (expected {'0' if expect_success else 'non-zero'}): {(p.stderr or p.stdout).strip()[-200:]}")
        self.count(cat, handled)
        return p

    def setup_cli(self, args):
        p = subprocess.run([self.binary] + args + ["--database", self.db], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise RuntimeError(f"holdout {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return p.stdout

    def create(self, cat, key, label=None, tenant_key=None, expect=None, **fields):
        body = {"key": key, "name": f"probe {key}"}
        body.update(fields)
        r = self.req(cat, label or f"create {key}", "POST", "/api/experiments", body, key=tenant_key or self.key_a, expect=expect or ok(201))
        if r.status == 201:
            self.exp[key] = r.json
        return r

    def sign(self, body, secret=None, tenant=None, t=None):
        t = int(time.time()) if t is None else t
        mac = hmac.new((secret or self.secret).encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return {"X-Holdout-Tenant": tenant or "tenant-a", "X-Holdout-Signature": f"t={t},v1={mac}"}

    def rss_now(self):
        s = self.server.rss()
        return s or {"VmRSS": 0, "VmHWM": 0}

    # --- run

    def run(self):
        if not self_check_assignment_rule():
            raise RuntimeError("the probe's assignment rule does not reproduce spec/assignment-vectors.json")
        helptext = subprocess.run([self.binary, "serve", "--help"], capture_output=True, text=True, timeout=60).stdout
        self.idle_flag = "--idle-timeout" in helptext
        if not self.idle_flag:
            self.notes.append("holdout serve has no --idle-timeout flag: started without it; the slow-client check counts as failed")
        log(f"binary {self.binary}; --idle-timeout {'supported' if self.idle_flag else 'NOT supported'}")
        self.key_a = self.setup_cli(["keys", "create", "--tenant", "tenant-a", "--scope", "write", "--json"])
        self.key_a = json.loads(self.key_a)["key"]
        self.key_b = json.loads(self.setup_cli(["keys", "create", "--tenant", "tenant-b", "--scope", "write", "--json"]))["key"]
        self.secret = "probe-webhook-secret-" + secrets.token_hex(8)
        self.setup_cli(["webhooks", "set-secret", "--tenant", "tenant-a", "--secret", self.secret])
        self.server = Server(self.binary, self.db, self.workdir, self.idle_flag)
        self.server.start()
        s = self.rss_now()
        self.rss["start_kib"] = s.get("VmRSS")
        log(f"server pid {self.server.proc.pid} on port {self.server.port}, RSS {s.get('VmRSS')} KiB")
        if not self.idle_flag:
            self.check(6, "--idle-timeout flag exists", False, "holdout serve --help does not list it")
        for cat in ORDER:
            if self.only and cat not in self.only:
                continue
            if cat == 10 and self.only is None and time.monotonic() - self.t0 > WATCHDOG_SECONDS - 30:
                self.check(cat, "ran within the time budget", False, "skipped: not enough time left")
                continue
            log(f"category {cat} ({CATEGORIES[cat]})")
            self.current = cat
            if cat == 10:
                self.record_end_rss()
            started = time.monotonic()
            try:
                getattr(self, f"cat{cat}")(cat)
            except Exception as error:  # a probe bug must not hide the other categories
                self.check(cat, "category ran to the end", False, f"{type(error).__name__}: {error}")
            if cat != 10:
                self.ensure_server(cat, f"category {CATEGORIES[cat]}")
            log(f"category {cat} done in {time.monotonic() - started:.1f}s")
        self.record_end_rss()

    def record_end_rss(self):
        s = self.server.rss()
        if s:
            self.rss["end_kib"], self.rss["vmhwm_kib"] = s.get("VmRSS"), s.get("VmHWM")

    # --- 1. Unicode identity

    def cat1(self, cat):
        r = self.create(cat, "unicode", variants=[{"name": "ctl", "weight": 0.5}, {"name": NFC_CAFE, "weight": 0.5}])
        if r.status != 201:
            return
        r = self.req(cat, "assign NFC and NFD ids", "POST", "/api/experiments/unicode/assign", {"profile_ids": [NFC_CAFE, NFD_CAFE]}, key=self.key_a)
        self.check(cat, "assign [NFC, NFD] profile ids -> assigned 2", r.json.get("assigned") == 2 if r.status == 200 else False, f"got {r.describe()}")
        # Members in both variants, so an NFD group next to the NFC one is two groups in SQL.
        r = self.req(cat, "assign 60 more", "POST", "/api/experiments/unicode/assign", {"profile_ids": [f"u_{i}" for i in range(60)]}, key=self.key_a)
        self.check(cat, "both variants have members", r.status == 200 and (r.json.get("counts") or {}).get(NFC_CAFE, 0) > 0, r.describe())
        now = time.time()
        r = self.req(
            cat, "exposure with NFD variant", "POST", "/api/experiments/unicode/exposures",
            {"exposures": [{"profile_id": NFC_CAFE, "exposure_ts": iso(now), "variant": NFD_CAFE}]}, key=self.key_a, expect=field_error("variant"))
        path = os.path.join(self.workdir, "nfd-assignments.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"profile_id,group\nnfd_user_1,{NFD_CAFE}\n")
        assert unicodedata.normalize("NFC", NFD_CAFE) == NFC_CAFE and NFD_CAFE != NFC_CAFE
        self.cli(cat, "import assignments with an NFD group (every row rejected -> non-zero exit)",
                 ["import", "assignments", "--experiment", "unicode", "--file", path], expect_success=False)
        time.sleep(1.2)  # the server's experiment cache
        for what, path in (("results (itt)", "results"), ("results (exposure)", "results?mode=exposure"), ("time-series", "time-series"), ("quality", "quality")):
            crashes = len(self.crashes)
            r = self.req(cat, f"{what} after the NFD import", "GET", f"/api/experiments/unicode/{path}", key=self.key_a, timeout=15, expect=ok(200))
            self.check(cat, f"server alive after {what}", len(self.crashes) == crashes and self.server.alive(),
                       r.describe() if len(self.crashes) == crashes else f"crashed: {self.crashes[-1]['line']}")

    # --- 2. Time series bound

    def cat2(self, cat):
        ts_field = field_error("conversion_ts")
        # The far-future outcome goes to an experiment whose series is never read: if the server
        # accepts it (today), reading that series would take minutes and gigabytes of this host.
        if self.create(cat, "ts-far", conversion_window_days=0).status == 201:
            self.req(cat, "assign ts-far", "POST", "/api/experiments/ts-far/assign", {"profile_ids": ["far_1"]}, key=self.key_a)
            for ts in ("9999-12-31T00:00:00Z", "2200-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z"):
                self.req(cat, f"outcome at {ts} -> 400 conversion_ts", "POST", "/api/experiments/ts-far/outcomes",
                         {"outcomes": [{"profile_id": "far_1", "conversion_ts": ts, "event_id": f"far-{ts}"}]}, key=self.key_a, expect=ts_field)
            self.req(cat, "exposure at 9999 -> 400 exposure_ts", "POST", "/api/experiments/ts-far/exposures",
                     {"exposures": [{"profile_id": "far_1", "exposure_ts": "9999-12-31T00:00:00Z"}]}, key=self.key_a, expect=field_error("exposure_ts"))
            self.req(cat, "touchpoint at 9999 -> 400 ts", "POST", "/api/touchpoints",
                     {"touchpoints": [{"profile_id": "far_1", "channel": "probe-far", "ts": "9999-12-31T00:00:00Z"}]}, key=self.key_a, expect=field_error("ts"))
        # A series whose last conversion is 2199 (still accepted): bounded by the experiment's dates.
        if self.create(cat, "ts-bound", conversion_window_days=0, start_at="2026-03-01T00:00:00Z", end_at="2026-03-31T23:59:59Z").status == 201:
            self.req(cat, "assign ts-bound", "POST", "/api/experiments/ts-bound/assign", {"profile_ids": ["b_1", "b_2"]}, key=self.key_a)
            self.req(cat, "outcome at 2199-12-31", "POST", "/api/experiments/ts-bound/outcomes",
                     {"outcomes": [{"profile_id": "b_1", "conversion_ts": "2199-12-31T00:00:00Z"}]}, key=self.key_a, expect=ok(200, 400))
            before = self.rss_now()["VmRSS"]
            r = self.req(cat, "time-series within 5 s and under 2 MB", "GET", "/api/experiments/ts-bound/time-series", key=self.key_a, timeout=5, max_body=2 * MiB)
            self.rss["timeseries"] = {"status": r.status, "error": r.error, "bytes_read": len(r.data), "seconds": round(r.elapsed, 2),
                                      "points": len(r.json.get("data", [])) if r.error is None else None,
                                      "rss_growth_kib": self.rss_now()["VmRSS"] - before}

    # --- 3. Variants limit and tenant isolation under load

    def cat3(self, cat):
        w51 = 1 / 51
        self.create(cat, "many51", label="create with 51 variants -> 400 variants",
                    variants=[{"name": f"v{i:02d}", "weight": w51} for i in range(51)], expect=field_error("variants", match="prefix"))
        if self.create(cat, "many50", variants=[{"name": f"v{i:02d}", "weight": 0.02} for i in range(50)]).status != 201:
            return
        profiles = [f"m_{i:05d}" for i in range(3000)]
        self.req(cat, "assign 3000 (50 variants)", "POST", "/api/experiments/many50/assign", {"profile_ids": profiles}, key=self.key_a, timeout=60)
        t = time.time() + 2
        self.req(cat, "exposures 3000", "POST", "/api/experiments/many50/exposures",
                 {"exposures": [{"profile_id": p, "exposure_ts": iso(t), "message_id": f"m{i}"} for i, p in enumerate(profiles)]}, key=self.key_a, timeout=60)
        self.req(cat, "outcomes 600", "POST", "/api/experiments/many50/outcomes",
                 {"outcomes": [{"profile_id": p, "conversion_ts": iso(t + 60), "value": 10} for p in profiles[::5]]}, key=self.key_a, timeout=60)
        # Tenant B's small experiment.
        if self.create(cat, "small-b", tenant_key=self.key_b).status != 201:
            return
        small = [f"s_{i:04d}" for i in range(200)]
        self.req(cat, "B assign 200", "POST", "/api/experiments/small-b/assign", {"profile_ids": small}, key=self.key_b)
        self.req(cat, "B outcomes 40", "POST", "/api/experiments/small-b/outcomes",
                 {"outcomes": [{"profile_id": p, "conversion_ts": iso(t + 60)} for p in small[::5]]}, key=self.key_b)
        self.req(cat, "B results (warm-up)", "GET", "/api/experiments/small-b/results", key=self.key_b, timeout=10)
        self.req(cat, "A cannot see B's experiment (404)", "GET", "/api/experiments/small-b", key=self.key_a, expect=ok(404))
        stop = time.monotonic() + 10
        a_latencies, b_latencies = [], []

        def a_loop():
            while time.monotonic() < stop:
                r = self.req(cat, "A exposure-mode results under load", "GET", "/api/experiments/many50/results?mode=exposure", key=self.key_a, timeout=30, expect=ok(200))
                a_latencies.append(r.elapsed)
                if r.error == "closed":
                    return
                time.sleep(0.02)

        def b_loop():
            while time.monotonic() < stop:
                r = self.req(cat, "B results while A is busy", "GET", "/api/experiments/small-b/results", key=self.key_b, timeout=5, expect=ok(200))
                b_latencies.append(r.elapsed if r.error is None else max(r.elapsed, 5.0))
                time.sleep(0.1)

        threads = [threading.Thread(target=a_loop, daemon=True) for _ in range(3)] + [threading.Thread(target=b_loop, daemon=True)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        b = sorted(b_latencies)
        p95 = b[min(len(b) - 1, int(0.95 * len(b)))] if b else float("inf")
        a_med = sorted(a_latencies)[len(a_latencies) // 2] if a_latencies else float("nan")
        self.rss["tenant_b_p95_s"] = round(p95, 3)
        self.check(cat, "tenant B results p95 < 2 s while A runs exposure-mode results", p95 < 2.0,
                   f"B p95 {p95:.2f}s over {len(b)} calls; A {len(a_latencies)} calls, median {a_med:.2f}s")

    # --- 4. Numeric-key squatting

    def cat4(self, cat):
        for k in ("0045", "-1", "1e3", "4" * 30):
            self.req(cat, f"B creates key {k!r} (201 or 4xx, never 5xx)", "POST", "/api/experiments", {"key": k, "name": f"odd {k}"}, key=self.key_b, expect=any_or_201)
        r = self.req(cat, "A keyless create (learn the last id)", "POST", "/api/experiments", {"name": "probe keyless 1"}, key=self.key_a, expect=ok(201))
        if r.status != 201:
            return
        # Keys just ahead of the ids: if B may take them, B's own creates use the ids before them
        # and the next keyless create's id (the default key) is one B already took.
        last = int(r.json["id"])
        keys = [str(last + 2), str(last + 3), str(last + 4)]
        for k in keys:
            self.req(cat, "B creates a purely numeric key -> 400 key", "POST", "/api/experiments", {"key": k, "name": f"squat {k}"},
                     key=self.key_b, expect=field_error("key", match="exact"))
        for i in range(2):
            r = self.req(cat, "A keyless create after the squat attempt -> 201", "POST", "/api/experiments", {"name": f"probe keyless {i + 2}"}, key=self.key_a, expect=ok(201))
        self.check(cat, f"keyless create works after B tried keys {', '.join(keys)}", r.status == 201, r.describe())
        # A key taken by another tenant: 409, never 5xx.
        self.create(cat, "keyed-a")
        self.req(cat, "B reuses A's key -> 409", "POST", "/api/experiments", {"key": "keyed-a", "name": "x"}, key=self.key_b, expect=ok(409))

    # --- 5. Large bodies before authentication

    def cat5(self, cat):
        declared = 8388508
        before = self.rss_now()
        self.rss["largebody_before_kib"] = before["VmRSS"]
        sampler = RSSSampler(self.server.proc.pid)
        sampler.start()
        send_deadline = time.monotonic() + 20
        results = {}

        def hostile(i, tenant):
            t = int(time.time())
            head = (f"POST /webhooks/conversion HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {declared}\r\nX-Holdout-Tenant: {tenant}\r\n"
                    f"X-Holdout-Signature: t={t},v1={secrets.token_hex(32)}\r\n\r\n").encode()
            outcome = {"sock": None, "sent": 0, "state": "open"}
            results[i] = outcome
            try:
                s = socket.create_connection((HOST, self.server.port), timeout=5)
            except OSError as e:
                outcome["state"] = f"connect failed: {e}"
                return
            outcome["sock"] = s
            try:
                s.sendall(head)
                s.settimeout(1.5)
                chunk = b"x" * (256 * 1024)
                target = declared - 1  # the last byte is held back
                while outcome["sent"] < target and time.monotonic() < send_deadline:
                    outcome["sent"] += s.send(chunk[: min(len(chunk), target - outcome["sent"])])
            except (socket.timeout, TimeoutError):
                outcome["state"] = "open"  # the server stopped reading: fine if it answers or closes
            except OSError:
                outcome["state"] = "closed"

        threads = [threading.Thread(target=hostile, args=(i, "tenant-a"), daemon=True) for i in range(100)]
        threads += [threading.Thread(target=hostile, args=(100 + i, "no-such-tenant"), daemon=True) for i in range(20)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        sent_total = sum(o["sent"] for o in results.values())
        during = self.rss_now()
        # A normal request while they are open.
        self.req(cat, "healthz while 120 large bodies are held open", "GET", "/healthz", timeout=5, expect=ok(200))
        # Each must be answered (401/413) or closed, within the idle timeout plus slack.
        deadline = time.monotonic() + SLOW_DEADLINE
        pending = {i: o for i, o in results.items() if o["sock"] is not None}
        answers = {}
        while pending and time.monotonic() < deadline:
            for i, o in list(pending.items()):
                s = o["sock"]
                try:
                    s.settimeout(0.0)
                    data = s.recv(4096)
                    answers[i] = data.split(b"\r\n", 1)[0].decode(errors="replace") if data else "closed"
                    del pending[i]
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    answers[i] = "closed"
                    del pending[i]
            time.sleep(0.2)
        peak = sampler.stop()
        for i, o in results.items():
            if o["sock"] is None:
                self.count(cat, False)
                self.fail(cat, "contract", "large-body connection refused", o["state"])
                continue
            a = answers.get(i)
            m = re.match(r"HTTP/1\.[01] (\d{3})", a or "")
            if m and int(m.group(1)) >= 500:
                self.count(cat, False)
                self.fail(cat, "5xx", "large-body webhook", a)
            elif (m and int(m.group(1)) in (401, 413)) or a == "closed":
                self.count(cat, True)
            else:
                self.count(cat, False)
                self.fail(cat, "contract", "large-body webhook answered 401/413 or closed in time",
                          f"still open after {SLOW_DEADLINE}s with no answer" if a is None else f"answered {a!r}")
            try:
                o["sock"].close()
            except OSError:
                pass
        time.sleep(1.5)
        after = self.rss_now()
        growth = max(peak, during["VmRSS"]) - before["VmRSS"]
        self.rss.update(largebody_peak_kib=max(peak, during["VmRSS"]), largebody_after_kib=after["VmRSS"], largebody_sent_mib=round(sent_total / MiB, 1))
        self.check(cat, "rss growth < 64 MiB while 120 large bodies are open", growth < GROWTH_LIMIT_KIB,
                   f"RSS {before['VmRSS'] // 1024} -> peak {max(peak, during['VmRSS']) // 1024} MiB (+{growth // 1024} MiB), "
                   f"{sent_total / MiB:.0f} MiB of bodies sent; {after['VmRSS'] // 1024} MiB after they closed")
        self.check(cat, "rss after the large bodies closed < start + 64 MiB", after["VmRSS"] - before["VmRSS"] < GROWTH_LIMIT_KIB,
                   f"{(after['VmRSS'] - before['VmRSS']) // 1024:+d} MiB")
        # An unknown tenant answers exactly like a bad signature.
        body = json.dumps({"experiment_id": "unicode", "profile_id": "p1", "converted_at": iso(time.time())}).encode()
        bad = self.req(cat, "webhook with a bad signature -> 401", "POST", "/webhooks/conversion", body,
                       headers=self.sign(body, secret="not-the-secret-0123456789"), expect=ok(401))
        ghost = self.req(cat, "webhook for an unknown tenant -> 401", "POST", "/webhooks/conversion", body,
                         headers=self.sign(body, secret="not-the-secret-0123456789", tenant="no-such-tenant"), expect=ok(401))
        self.check(cat, "unknown tenant answers like a bad signature (status, code)",
                   (bad.status, bad.err.get("code")) == (ghost.status, ghost.err.get("code")),
                   f"bad signature: {bad.status} {bad.err.get('code')}; unknown tenant: {ghost.status} {ghost.err.get('code')} ({ghost.err.get('message')})")
        for path in ("/webhooks/message-sent", "/webhooks/conversion"):
            b = json.dumps({"experiment_id": "unicode", "profile_id": "p1", "sent_at": iso(time.time()), "converted_at": iso(time.time())}).encode()
            self.req(cat, "stale signature -> 401", "POST", path, b, headers=self.sign(b, t=int(time.time()) - 3600), expect=ok(401))
            self.req(cat, "no signature header -> 401", "POST", path, b, headers={"X-Holdout-Tenant": "tenant-a"}, expect=ok(401))

    # --- 6. Slow clients

    def cat6(self, cat):
        before = self.rss_now()
        sampler = RSSSampler(self.server.proc.pid)
        sampler.start()
        socks, closed_at = [], {}
        connect_start = time.monotonic()
        for i in range(200):
            try:
                s = socket.create_connection((HOST, self.server.port), timeout=5)
                s.sendall(b"POST /webhooks/conversion HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                s.setblocking(False)
                socks.append(s)
            except OSError as e:
                self.fail(cat, "contract", "slow socket could connect", str(e))
                socks.append(None)
        opened_all = time.monotonic()
        opened = opened_all  # the deadline runs from the last socket opened
        normal_done = False
        next_byte = opened_all + 2
        deadline = opened + SLOW_DEADLINE
        while time.monotonic() < deadline and len(closed_at) < len(socks):
            now = time.monotonic()
            for i, s in enumerate(socks):
                if s is None or i in closed_at:
                    continue
                try:
                    if s.recv(4096) == b"":
                        closed_at[i] = now - opened
                        continue
                    closed_at[i] = now - opened  # an answer (408/400) ends it too
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    closed_at[i] = now - opened
                    continue
                if now >= next_byte and i not in closed_at:
                    try:
                        s.send(b"a")
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        closed_at[i] = now - opened
            if now >= next_byte:
                next_byte = now + 2
            if not normal_done and now - opened_all > 2:
                normal_done = True
                self.req(cat, "a normal request while 200 slow sockets are open", "GET", "/api/experiments/small-b/results"
                         if "small-b" in self.exp else "/healthz", key=self.key_b, timeout=5, expect=ok(200))
            time.sleep(0.2)
        peak = sampler.stop()
        during = self.rss_now()
        for i, s in enumerate(socks):
            self.count(cat, i in closed_at)
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        still_open = sum(1 for i, s in enumerate(socks) if s is not None and i not in closed_at)
        if still_open:
            self.fail(cat, "contract", "slow socket closed by the server in time", f"{still_open} of {len(socks)} still open after {SLOW_DEADLINE}s")
        times = sorted(v for v in closed_at.values())
        self.check(cat, f"all 200 slow sockets closed within {SLOW_DEADLINE} s (idle timeout {IDLE_TIMEOUT} s + slack)", still_open == 0,
                   f"opened in {opened_all - connect_start:.1f}s; {len(closed_at)} closed" + (f" (after {times[0]:.1f}-{times[-1]:.1f}s)" if times else "") + f", {still_open} still open")
        peak = max(peak, during["VmRSS"])
        self.rss.update(slowclient_before_kib=before["VmRSS"], slowclient_peak_kib=peak)
        self.check(cat, "rss growth < 64 MiB with 200 slow sockets", peak - before["VmRSS"] < GROWTH_LIMIT_KIB,
                   f"{before['VmRSS'] // 1024} -> peak {peak // 1024} MiB")

    # --- 7. First-assign rate race

    def cat7(self, cat):
        """Rounds on fresh experiments (the race is timing-dependent), until one shows a profile
        stored under another rate than the experiment's, or all four rounds agree."""
        summary = []
        for round_ in range(1, 5):
            found = self.race_round(cat, f"race-{round_}", summary)
            if found is None or found:
                break
        self.rss["race"] = summary
        bad = [r for r in summary if r["disagree"] or r["not_stored"]]
        ignored = [r for r in summary if any(abs(x - r["stored_rate"]) > 1e-12 for x in r["rates_accepted"])]
        self.check(cat, "a first assign whose treatment_rate lost the race is a 409, not a 200", not ignored and bool(summary),
                   "; ".join(f"{r['key']}: stored rate {r['stored_rate']}, but calls at {[x for x in r['rates_accepted'] if abs(x - r['stored_rate']) > 1e-12]} got 200"
                             for r in ignored))
        self.check(cat, "every stored assignment agrees with the stored treatment_rate", not bad and bool(summary),
                   "; ".join(f"{r['key']}: stored rate {r['stored_rate']}, calls accepted at {r['rates_accepted']} (others 409), "
                             f"{r['disagree']} of {r['profiles']} profiles disagree, {r['not_stored']} not stored" for r in summary))

    def race_round(self, cat, key, summary):
        if self.create(cat, key).status != 201:
            return None
        batches = [[f"{key}_{k}_{i:03d}" for i in range(375)] for k in range(8)]
        rates = [round(0.1 * (k + 1), 1) for k in range(8)]
        barrier = threading.Barrier(8)
        answers = [None] * 8

        def first(k):
            answers[k] = self.req(cat, "concurrent first assign (200 or 409)", "POST", f"/api/experiments/{key}/assign",
                                  {"profile_ids": batches[k], "treatment_rate": rates[k]}, key=self.key_a, timeout=30, expect=ok(200, 409), barrier=barrier)

        threads = [threading.Thread(target=first, args=(k,), daemon=True) for k in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        time.sleep(1.2)  # the server's experiment cache
        r = self.req(cat, "read the race experiment", "GET", f"/api/experiments/{key}", key=self.key_a)
        if r.status != 200:
            return None
        variants, salt = r.json["variants"], r.json.get("salt", "")
        accepted = [k for k in range(8) if answers[k] is not None and answers[k].status == 200]
        profiles = [p for k in accepted for p in batches[k]]
        # Each profile's stored variant, from a one-profile assign without a rate (which changes
        # nothing for a profile already assigned; `new` says when it was not).
        mismatches, fresh = [], []
        lock = threading.Lock()
        queue = list(profiles)

        def verify():
            conn = http.client.HTTPConnection(HOST, self.server.port, timeout=10)
            while True:
                with lock:
                    if not queue:
                        break
                    p = queue.pop()
                a = self.req(cat, "one-profile assign to read the stored variant", "POST", f"/api/experiments/{key}/assign", {"profile_ids": [p]},
                             key=self.key_a, expect=ok(200), conn=conn)
                if a.status != 200:
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, self.server.port, timeout=10)
                    continue
                got = [v for v, n in a.json.get("counts", {}).items() if n == 1]
                want = expected_variant(p, key, salt, variants)
                with lock:
                    if a.json.get("new", 0):
                        fresh.append(p)
                    if got != [want]:
                        mismatches.append((p, got, want))
            conn.close()

        workers = [threading.Thread(target=verify, daemon=True) for _ in range(8)]
        for th in workers:
            th.start()
        for th in workers:
            th.join(120)
        stored = variants[1]["weight"]
        summary.append({"key": key, "stored_rate": stored, "rates_accepted": [rates[k] for k in accepted],
                        "profiles": len(profiles), "disagree": len(mismatches), "not_stored": len(fresh)})
        log(f"  [raterace] {summary[-1]}")
        return bool(mismatches or fresh or any(abs(rates[k] - stored) > 1e-12 for k in accepted))

    # --- 8. Validation gaps

    def cat8(self, cat):
        if self.create(cat, "val").status != 201:
            return
        self.req(cat, "assign val", "POST", "/api/experiments/val/assign", {"profile_ids": ["v1", "v2"]}, key=self.key_a)
        eid = self.exp["val"]["id"]
        now = iso(time.time())
        big = "p" * MiB
        A = self.key_a
        cases = []  # (label, method, path, body, expect, headers)
        for pid, name in (("", "empty"), (big, "1 MiB")):
            # A 1 MiB item may also be a 413 (a route whose body limit is below 8 MiB, e.g. one webhook event).
            limit = {"statuses": (400, 413), "allow_413_without_field": True} if pid else {}
            cases += [
                (f"exposures {name} profile_id", "POST", "/api/experiments/val/exposures", {"exposures": [{"profile_id": pid, "exposure_ts": now}]}, field_error("profile_id", **limit), None),
                (f"outcomes {name} profile_id", "POST", "/api/experiments/val/outcomes", {"outcomes": [{"profile_id": pid, "conversion_ts": now}]}, field_error("profile_id", **limit), None),
                (f"touchpoints {name} profile_id", "POST", "/api/touchpoints", {"touchpoints": [{"profile_id": pid, "channel": "probe-validation", "ts": now}]}, field_error("profile_id", **limit), None),
                (f"assign {name} profile_id", "POST", "/api/experiments/val/assign", {"profile_ids": [pid]}, field_error("profile_ids", **limit), None),
            ]
            for hook, tsname in (("message-sent", "sent_at"), ("conversion", "converted_at")):
                body = json.dumps({"experiment_id": eid, "profile_id": pid, tsname: now}).encode()
                cases.append((f"webhook {hook} {name} profile_id", "POST", f"/webhooks/{hook}", body, field_error("profile_id", match="exact", **limit), "sign"))
        cases += [
            ("touchpoints empty channel", "POST", "/api/touchpoints", {"touchpoints": [{"profile_id": "v1", "channel": "", "ts": now}]}, field_error("channel"), None),
            ("exposure_ts offset +99:99", "POST", "/api/experiments/val/exposures", {"exposures": [{"profile_id": "v1", "exposure_ts": "2026-03-05T10:30:00+99:99"}]}, field_error("exposure_ts"), None),
            ("conversion_ts offset +99:99", "POST", "/api/experiments/val/outcomes", {"outcomes": [{"profile_id": "v1", "conversion_ts": "2026-03-05T10:30:00+99:99"}]}, field_error("conversion_ts"), None),
            ("touchpoint ts offset +99:99", "POST", "/api/touchpoints", {"touchpoints": [{"profile_id": "v1", "channel": "probe-validation", "ts": "2026-03-05T10:30:00+99:99"}]}, field_error("ts"), None),
            ("create start_at offset +99:99", "POST", "/api/experiments", {"key": "val-tz", "name": "x", "start_at": "2026-03-01T00:00:00+99:99"}, field_error("start_at", match="exact"), None),
            ("create conversion_window_days 1.5", "POST", "/api/experiments", {"key": "val-w", "name": "x", "conversion_window_days": 1.5}, field_error("conversion_window_days", match="exact"), None),
            ("create conversion_window_days -1", "POST", "/api/experiments", {"key": "val-w2", "name": "x", "conversion_window_days": -1}, field_error("conversion_window_days", match="exact"), None),
            ("create treatment_rate 1e-320", "POST", "/api/experiments", {"key": "val-r", "name": "x", "treatment_rate": 1e-320}, field_error("treatment_rate", match="exact"), None),
            ("create treatment_rate 1e999", "POST", "/api/experiments", b'{"key": "val-r2", "name": "x", "treatment_rate": 1e999}', any_4xx, None),
            ("power-analysis power 0.01", "POST", "/api/experiments/power-analysis", {"baseline_rate": 0.05, "mde": 0.01, "power": 0.01}, field_error("power", match="exact"), None),
            ("power-analysis power 0.025", "POST", "/api/experiments/power-analysis", {"baseline_rate": 0.05, "mde": 0.01, "power": 0.025}, field_error("power", match="exact"), None),
            ("malformed JSON (create)", "POST", "/api/experiments", b'{"name": "x",', any_4xx, None),
            ("malformed JSON (exposures)", "POST", "/api/experiments/val/exposures", b'{"exposures": [{]}', any_4xx, None),
            ("malformed JSON (signed webhook)", "POST", "/webhooks/conversion", b'{"experiment_id": 1,', any_4xx, "sign"),
            ("empty body (assign)", "POST", "/api/experiments/val/assign", b"", any_4xx, None),
            ("invalid UTF-8 body", "POST", "/api/experiments", b'{"key": "val-u", "name": "\xff\xfe"}', any_4xx, None),
            ("deeply nested JSON (100k levels)", "POST", "/api/experiments", b'{"name": ' + b"[" * 100000 + b"]" * 100000 + b"}", any_4xx, None),
            ("wrong type: name 123", "POST", "/api/experiments", {"key": "val-t", "name": 123}, field_error("name", match="exact"), None),
            ("wrong type: variants string", "POST", "/api/experiments", {"key": "val-t2", "name": "x", "variants": "a,b"}, field_error("variants", match="prefix"), None),
            ("wrong type: profile_ids string", "POST", "/api/experiments/val/assign", {"profile_ids": "v1"}, field_error("profile_ids", match="exact"), None),
            ("wrong type: exposures object", "POST", "/api/experiments/val/exposures", {"exposures": {"profile_id": "v1"}}, field_error("exposures", match="exact"), None),
            ("wrong type: outcome value object", "POST", "/api/experiments/val/outcomes", {"outcomes": [{"profile_id": "v1", "conversion_ts": now, "value": {}}]}, field_error("value"), None),
            ("wrong type: PATCH status 5", "PATCH", "/api/experiments/val", {"status": 5}, field_error("status", match="exact"), None),
            ("unknown field on create", "POST", "/api/experiments", {"key": "val-x", "name": "x", "colour": "red"}, field_error("colour", match="exact"), None),
            ("unknown field on PATCH", "PATCH", "/api/experiments/val", {"colour": "red"}, field_error("colour", match="exact"), None),
            ("bad query: alpha=abc", "GET", "/api/experiments/val/results?alpha=abc", None, field_error("alpha", match="exact"), None),
            ("bad query: mode=x", "GET", "/api/experiments/val/results?mode=x", None, field_error("mode", match="exact"), None),
            ("bad query: freq=Y", "GET", "/api/experiments/val/time-series?freq=Y", None, field_error("freq", match="exact"), None),
            ("bad query: status=x", "GET", "/api/experiments?status=x", None, field_error("status", match="exact"), None),
            ("profile_ids 10,001 items", "POST", "/api/experiments/val/assign", {"profile_ids": [f"h{i}" for i in range(10001)]}, field_error("profile_ids", statuses=(400, 413), match="exact", allow_413_without_field=True), None),
            ("profile_ids 300,000 items", "POST", "/api/experiments/val/assign", {"profile_ids": ["h"] * 300000}, field_error("profile_ids", statuses=(400, 413), match="exact", allow_413_without_field=True), None),
            ("exposures 10,001 items", "POST", "/api/experiments/val/exposures", {"exposures": [{"profile_id": f"h{i}", "exposure_ts": now} for i in range(10001)]}, field_error("exposures", statuses=(400, 413), match="exact", allow_413_without_field=True), None),
            ("outcomes 10,001 items", "POST", "/api/experiments/val/outcomes", {"outcomes": [{"profile_id": f"h{i}", "conversion_ts": now} for i in range(10001)]}, field_error("outcomes", statuses=(400, 413), match="exact", allow_413_without_field=True), None),
            ("touchpoints 10,001 items", "POST", "/api/touchpoints", {"touchpoints": [{"profile_id": f"h{i}", "channel": "probe-validation", "ts": now} for i in range(10001)]}, field_error("touchpoints", statuses=(400, 413), match="exact", allow_413_without_field=True), None),
            ("body over 8 MiB -> 413", "POST", "/api/experiments/val/exposures", b'{"exposures": [], "pad": "' + b"x" * (9 * MiB) + b'"}', ok(413), None),
            ("no API key -> 401", "GET", "/api/experiments", None, ok(401), "nokey"),
            ("unknown API key -> 401", "GET", "/api/experiments", None, ok(401), "badkey"),
        ]
        for label, method, path, body, expect, mode in cases:
            headers, key = None, A
            if isinstance(body, dict):
                body = json.dumps(body, ensure_ascii=False).encode()
            if mode == "sign":
                headers, key = self.sign(body), None
            elif mode == "nokey":
                key = None
            elif mode == "badkey":
                key = "hk_" + "0" * 40
            self.req(cat, label, method, path, body, key=key, headers=headers, timeout=20, expect=expect, allow_closed=label.startswith("body over"))
            if not self.server.alive():
                self.ensure_server(cat, label)

    # --- 9. Post-hoc analysis

    def cat9(self, cat):
        if self.create(cat, "posthoc", channel="email", start_at="2026-03-01T00:00:00Z", end_at="2026-03-31T23:59:59Z", conversion_key="purchase").status != 201:
            return
        profiles = [f"ph_{i:04d}" for i in range(2000)]
        self.req(cat, "touchpoints 2,000 on 2026-03-02", "POST", "/api/touchpoints",
                 {"touchpoints": [{"profile_id": p, "channel": "email", "ts": "2026-03-02T09:00:00Z", "campaign_id": "posthoc"} for p in profiles]}, key=self.key_a, timeout=30)
        r = self.req(cat, "auto-assign March at 0.5", "POST", "/api/experiments/posthoc/auto-assign",
                     {"channel": "email", "start_date": "2026-03-01T00:00:00Z", "end_date": "2026-03-31T23:59:59Z", "treatment_rate": 0.5}, key=self.key_a, timeout=60)
        self.check(cat, "auto-assign assigns the 2,000 profiles", r.json.get("assigned") == 2000 if r.status == 200 else False, r.describe())
        self.req(cat, "outcomes 200 on 2026-03-05", "POST", "/api/experiments/posthoc/outcomes",
                 {"outcomes": [{"profile_id": p, "conversion_ts": "2026-03-05T12:00:00Z", "value": 20} for p in profiles[:200]]}, key=self.key_a, timeout=30)
        r = self.req(cat, "results (post-hoc)", "GET", "/api/experiments/posthoc/results", key=self.key_a, timeout=30)
        if r.status != 200:
            return
        arms = r.json.get("arms") or [r.json.get("control", {}), r.json.get("treatment", {})]
        conversions = sum(a.get("conversions", 0) for a in arms)
        self.check(cat, "the arms' conversions sum to 200", conversions == 200,
                   f"{conversions} (insufficient_data={r.json.get('insufficient_data')}, reason={r.json.get('reason')!r})")
        onc = r.json.get("outcomes_not_counted")
        wanted = {"before_assignment", "after_window", "unassigned_profile", "outside_experiment_dates"}
        self.check(cat, "results carry outcomes_not_counted with the four counts", isinstance(onc, dict) and wanted <= set(onc),
                   f"outcomes_not_counted={onc!r}")
        r = self.req(cat, "results (post-hoc, exposure mode)", "GET", "/api/experiments/posthoc/results?mode=exposure", key=self.key_a, timeout=30)
        if r.status == 200:
            self.check(cat, "exposure mode also says what it did not count", isinstance(r.json.get("outcomes_not_counted"), dict)
                       or isinstance(r.json.get("exposures_not_counted"), dict), f"keys: {sorted(r.json)[:40]}")

    # --- 10. Shutdown

    def cat10(self, cat):
        socks = []
        for _ in range(50):
            try:
                s = socket.create_connection((HOST, self.server.port), timeout=5)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                socks.append(s)
            except OSError:
                pass
        query = {}

        targets = ["/api/experiments/many50/results?mode=exposure", "/api/experiments/many50/results?mode=exposure",
                   "/api/experiments/ts-bound/time-series", "/api/experiments/posthoc/results"]

        def long_query(i):
            query[i] = http_request(self.server.port, "GET", targets[i], headers={"Authorization": f"Bearer {self.key_a}"}, timeout=30)

        threads = [threading.Thread(target=long_query, args=(i,), daemon=True) for i in range(len(targets))]
        for th in threads:
            th.start()
        time.sleep(0.3)
        pid = self.server.proc.pid
        sent = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        try:
            code = self.server.proc.wait(timeout=5)
            took = time.monotonic() - sent
            passed = True
        except subprocess.TimeoutExpired:
            code, took, passed = None, time.monotonic() - sent, False
            self.server.kill()
        self.count(cat, passed)
        self.check(cat, "SIGTERM with 50 slow sockets and a query running: exit within 5 s", passed,
                   f"exited {code} after {took:.1f}s" if passed else "still running after 5 s (killed)")
        for th in threads:
            th.join(10)
        for r in query.values():
            fine = r.error == "closed" or r.status in (200, 404, 503)
            self.count(cat, fine)
            if not fine:
                self.fail(cat, "5xx" if (r.status or 0) >= 500 else "contract", "query in flight at SIGTERM (200, 503 or closed)", r.describe())
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    # --- summary

    def summary(self, elapsed):
        cats = {}
        for c, name in CATEGORIES.items():
            fails = [
                {"kind": kind, "check": check, "count": v["count"], "detail": v["detail"]}
                for (cc, kind, check), v in sorted(self.failures.items(), key=lambda kv: (kv[0][1], kv[0][2]))
                if cc == c
            ]
            cats[f"{c}-{name}"] = {
                "tried": self.tried[c], "handled": self.handled[c],
                "checks_passed": sum(1 for _, p, _ in self.checks[c] if p),
                "checks_failed": sum(1 for _, p, _ in self.checks[c] if not p),
                "failures": fails,
            }
        by_kind = {}
        for (_, kind, _), v in self.failures.items():
            by_kind[kind] = by_kind.get(kind, 0) + v["count"]
        return {
            "binary": self.binary,
            "idle_timeout_flag": getattr(self, "idle_flag", None),
            "duration_s": round(elapsed, 1),
            "requests": {"tried": sum(self.tried.values()), "handled": sum(self.handled.values())},
            "failures_by_kind": by_kind,
            "categories": cats,
            "rss": self.rss,
            "crashes": self.crashes,
            "server_starts": self.server.starts if self.server else 0,
            "notes": self.notes,
            "ok": not self.failures,
        }


def any_or_201(r):
    return None if r.status is not None and (r.status == 201 or 400 <= r.status < 500) else f"expected 201 or a 4xx, got {r.describe()}"


class RSSSampler:
    """Samples a process's VmRSS every 50 ms; stop() returns the peak (KiB)."""

    def __init__(self, pid):
        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def start(self):
        self.thread.start()

    def loop(self):
        while self.running:
            s = read_status(self.pid)
            if s:
                self.peak = max(self.peak, s.get("VmRSS", 0))
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.thread.join(2)
        return self.peak


def print_text(summary):
    out = []
    r = summary["requests"]
    out.append(f"holdout probe: {r['tried']} requests tried, {r['handled']} handled as the contract says, in {summary['duration_s']} s")
    out.append(f"binary {summary['binary']}; --idle-timeout: {'yes' if summary['idle_timeout_flag'] else 'no'}; server starts: {summary['server_starts']}")
    for name, c in summary["categories"].items():
        status = "ok" if not c["failures"] else "FAIL"
        out.append(f"  {name:<14} {status:<4} tried {c['tried']:>5}  handled {c['handled']:>5}  checks {c['checks_passed']} ok / {c['checks_failed']} failed")
        for f in c["failures"]:
            times = f" x{f['count']}" if f["count"] > 1 else ""
            out.append(f"      [{f['kind']}]{times} {f['check']}: {f['detail']}")
    rss = summary["rss"]

    def mib(k):
        v = rss.get(k)
        return f"{v / 1024:.0f} MiB" if isinstance(v, (int, float)) else "-"

    out.append(f"RSS: start {mib('start_kib')}; large bodies {mib('largebody_before_kib')} -> peak {mib('largebody_peak_kib')} -> after {mib('largebody_after_kib')}; "
               f"slow clients {mib('slowclient_before_kib')} -> peak {mib('slowclient_peak_kib')}; end {mib('end_kib')}; VmHWM {mib('vmhwm_kib')}")
    if summary["failures_by_kind"]:
        out.append("failures by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["failures_by_kind"].items())))
    for c in summary["crashes"]:
        out.append(f"crash in {c['category']} ({c['context']}), exit {c['returncode']}: {c['line']}")
    for n in summary["notes"]:
        out.append(f"note: {n}")
    out.append("RESULT: " + ("PASS" if summary["ok"] else "FAIL"))
    print("\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="path to the holdout executable")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--only", help="comma-separated category numbers or names (debugging)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"{binary} is not an executable", file=sys.stderr)
        return 2
    only = None
    if args.only:
        names = {v: k for k, v in CATEGORIES.items()}
        only = {int(x) if x.isdigit() else names[x] for x in args.only.split(",")}

    # Enough descriptors for 120 + 200 hostile sockets, for us and the server (our child).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 4096) if hard != resource.RLIM_INFINITY else 4096
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    workdir = tempfile.mkdtemp(prefix="holdout-probe.")
    probe = Probe(binary, workdir, only)
    probe.t0 = time.monotonic()

    def on_signal(signum, _frame):
        raise Abort(f"signal {signum}")

    def on_watchdog(_signum, _frame):
        raise Abort(f"the probe ran longer than {WATCHDOG_SECONDS} s")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_watchdog)
    signal.alarm(WATCHDOG_SECONDS)
    code = 1
    try:
        probe.run()
        signal.alarm(0)
        summary = probe.summary(time.monotonic() - probe.t0)
        code = 0 if summary["ok"] else 1
    except (Exception, Abort) as error:
        signal.alarm(0)
        setup_failed = probe.server is None or probe.server.proc is None
        log(f"probe aborted: {type(error).__name__}: {error}")
        probe.check(probe.current, "probe ran to the end", False, f"{type(error).__name__}: {error}")
        summary = probe.summary(time.monotonic() - probe.t0)
        summary["aborted"] = f"{type(error).__name__}: {error}"
        code = 2 if setup_failed else 1
    finally:
        if probe.server is not None:
            probe.server.kill()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print_text(summary)
    return code


if __name__ == "__main__":
    sys.exit(main())
