#!/bin/sh
# Renders a cesim HTML report in headless Chromium and checks that every chart rendered.
#
#   tests/report/check_report.sh REPORT.html SCREENSHOT.png EXPECTED_CHARTS
#
# The page contract (written by analysis/src/report.cpp): every chart is a
# <div class="chart" id="...">, embedded with Vega-Embed's SVG renderer; when all embeds have
# settled, <body> gets data-report-status="done", data-charts (number of div.chart),
# data-rendered (successful embeds) and data-errors (window errors, unhandled rejections,
# console.error calls, failed embeds), and <pre id="report-errors"> lists the error messages.
# Optionally <body data-page-height="H"> sets the screenshot height (default 6000 pixels).
#
# Fails (exit 1) unless: the HTML references nothing on http(s) (src, href, srcset, poster,
# action, data attributes, CSS url() and @import) and the page requests nothing from the
# network while it renders (Chromium's net log); status is done; data-charts, data-rendered
# and the number of div.chart all equal EXPECTED_CHARTS; data-errors is 0; every div.chart
# holds an <svg>; the screenshot is a PNG larger than 10 kB. Exit 2: bad usage or missing tools.
#
# Chromium: $CHROMIUM, else /usr/bin/chromium (scripts/install-deps --test installs it and
# python3). It runs as root without sandbox, with a fresh profile per run, and with every host
# name unresolvable, so a report that needs the network fails.
set -eu

me="check_report"
usage() {
  echo "usage: $0 REPORT.html SCREENSHOT.png EXPECTED_CHARTS" >&2
  exit 2
}
[ $# -eq 3 ] || usage
report=$1
screenshot=$2
expected=$3
case "$expected" in
  '' | *[!0-9]*) echo "$me: EXPECTED_CHARTS must be a number, not '$expected'" >&2; usage ;;
esac
[ -f "$report" ] || { echo "$me: no such file: $report" >&2; exit 2; }
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "$me: Chromium not found at $chromium (set CHROMIUM, or run scripts/install-deps --test)" >&2
  exit 2
fi
command -v python3 >/dev/null 2>&1 || {
  echo "$me: python3 not found (run scripts/install-deps --test)" >&2
  exit 2
}

abspath() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd)" "$1" ;;
  esac
}
report_abs=$(abspath "$report")
screenshot_abs=$(abspath "$screenshot")
# file:// URL: percent-encode what a path may hold but a URL may not.
url="file://$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$report_abs")"

work=$(mktemp -d "${TMPDIR:-/tmp}/check_report.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' HUP INT TERM

start=$(date +%s)
failed=0
fail() {
  echo "$me: FAIL: $*" >&2
  failed=1
}

# -- 1. offline: the HTML itself must not reference the network.
python3 - "$report_abs" >"$work/offline.txt" <<'PY' || fail "$report references the network:
$(cat "$work/offline.txt")"
import re, sys
from html.parser import HTMLParser

remote = re.compile(r"^\s*(https?:)?//", re.I)
css_remote = re.compile(r"(url\(\s*['\"]?\s*|@import\s+['\"])(https?:)?//", re.I)

class Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        self.in_style = tag == "style"
        for name, value in attrs:
            value = value or ""
            if name in ("src", "href", "poster", "action", "data", "xlink:href") and remote.match(value):
                self.problems.append(f"<{tag} {name}=\"{value}\">")
            elif name == "srcset" and any(remote.match(part) for part in value.split(",")):
                self.problems.append(f"<{tag} srcset=\"{value}\">")
            elif name == "style" and css_remote.search(value):
                self.problems.append(f"<{tag} style=\"{value}\">")

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style and css_remote.search(data):
            self.problems.append("<style> with " + css_remote.search(data).group(0) + "...")

parser = Links()
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    parser.feed(f.read())
parser.close()
for problem in parser.problems:
    print("  " + problem[:200])
sys.exit(1 if parser.problems else 0)
PY

# -- 2. render and dump the DOM once the embeds have settled (virtual time runs ahead).
flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --virtual-time-budget=30000"
run_chromium() {  # profile-dir log-file args...
  profile=$1
  log=$2
  shift 2
  mkdir -p "$profile"
  # shellcheck disable=SC2086  # $flags is a list of words
  timeout -k 10 75 "$chromium" $flags --user-data-dir="$profile" \
    '--host-resolver-rules=MAP * ~NOTFOUND' "$@" 2>"$log"
}
show_log() {
  echo "$me: Chromium's messages:" >&2
  grep -v -e 'dbus' -e 'unexpected operator' "$1" | tail -n 20 >&2 || true
}

if ! run_chromium "$work/profile-dom" "$work/dom.log" --log-net-log="$work/net.json" \
  --dump-dom "$url" >"$work/dom.html"; then
  fail "Chromium could not load $report (--dump-dom)"
  show_log "$work/dom.log"
fi

# Requests the page made (Chromium's own, with initiator "not an origin", are ignored; they
# fail anyway since no host name resolves).
python3 - "$work/net.json" >"$work/net.txt" <<'PY' || fail "$report requested from the network:
$(cat "$work/net.txt")"
import json, sys

try:
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        text = f.read().rstrip()
    try:
        log = json.loads(text)
    except ValueError:  # not closed: Chromium stopped before finishing the file
        log = json.loads(text.rstrip(",") + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
except (OSError, ValueError, KeyError) as e:
    print(f"check_report: warning: cannot read Chromium's net log ({e}); requests not checked",
          file=sys.stderr)
    sys.exit(0)
urls = set()
for event in log.get("events", []):
    params = event.get("params") or {}
    url = params.get("url", "")
    if (url and event.get("type") == start_job and params.get("initiator") != "not an origin"
            and not url.startswith(("file:", "data:", "blob:", "about:"))):
        urls.add(url)
for url in sorted(urls):
    print("  " + url[:200])
sys.exit(1 if urls else 0)
PY

python3 - "$work/dom.html" "$expected" >"$work/dom.txt" 2>&1 <<'PY' || failed=1
import sys
from html.parser import HTMLParser

class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.body = None
        self.charts = []          # [id, has_svg]
        self.divs = []            # stack: index into charts, or None
        self.errors_text = None
        self.in_errors = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body" and self.body is None:
            self.body = a
        elif tag == "div":
            if "chart" in (a.get("class") or "").split():
                self.charts.append([a.get("id") or "(no id)", False])
                self.divs.append(len(self.charts) - 1)
            else:
                self.divs.append(None)
        elif tag == "svg":
            for index in reversed(self.divs):
                if index is not None:
                    self.charts[index][1] = True
                    break
        elif tag == "pre" and a.get("id") == "report-errors":
            self.in_errors = True
            self.errors_text = ""

    def handle_endtag(self, tag):
        if tag == "div" and self.divs:
            self.divs.pop()
        elif tag == "pre":
            self.in_errors = False

    def handle_data(self, data):
        if self.in_errors:
            self.errors_text += data

with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    dom = f.read()
expected = int(sys.argv[2])
p = Dom()
p.feed(dom)
p.close()
body = p.body or {}
status = body.get("data-report-status")
charts, rendered, errors = (body.get("data-" + k) for k in ("charts", "rendered", "errors"))
problems = []
if not dom.strip():
    problems.append("Chromium returned no DOM")
elif status != "done":
    problems.append(f"the page never finished: data-report-status={status!r} (expected 'done' "
                    "within 30 s of virtual time)")
for name, value in (("data-charts", charts), ("data-rendered", rendered)):
    if value != str(expected):
        problems.append(f"{name}={value!r}, expected {expected}")
if len(p.charts) != expected:
    problems.append(f"{len(p.charts)} div.chart in the page, expected {expected}")
if errors != "0":
    problems.append(f"data-errors={errors!r}, expected 0")
missing = [chart_id for chart_id, has_svg in p.charts if not has_svg]
if missing:
    problems.append("no <svg> in div.chart " + ", ".join("#" + m for m in missing))
if p.errors_text and p.errors_text.strip():
    problems.append("errors reported by the page (pre#report-errors):\n" +
                    "\n".join("    " + line for line in p.errors_text.strip().splitlines()[:40]))
for problem in problems:
    print("FAIL: " + problem)
height = 6000
try:
    height = min(max(int(body.get("data-page-height", height)), 600), 16384)
except ValueError:
    pass
print(f"SUMMARY {rendered} {charts} {errors} {height}")
sys.exit(1 if problems else 0)
PY
grep '^FAIL: ' "$work/dom.txt" | sed "s/^FAIL: /$me: FAIL: /" >&2 || true
grep -v -e '^FAIL: ' -e '^SUMMARY ' -e '^    ' "$work/dom.txt" >&2 || true
grep '^    ' "$work/dom.txt" >&2 || true
summary=$(grep '^SUMMARY ' "$work/dom.txt" || echo "SUMMARY ? ? ? 6000")
# shellcheck disable=SC2086  # split the summary into fields
set -- $summary
rendered=$2 charts=$3 errors=$4 height=$5

# -- 3. screenshot of the whole report.
rm -f "$screenshot_abs"
if ! run_chromium "$work/profile-shot" "$work/shot.log" --hide-scrollbars \
  --window-size="1280,$height" --screenshot="$screenshot_abs" "$url" >/dev/null; then
  fail "Chromium could not take the screenshot"
  show_log "$work/shot.log"
fi
if [ ! -f "$screenshot_abs" ]; then
  fail "no screenshot written to $screenshot"
else
  bytes=$(wc -c <"$screenshot_abs" | tr -d ' ')
  magic=$(od -An -tx1 -N8 "$screenshot_abs" | tr -d ' \n')
  [ "$magic" = "89504e470d0a1a0a" ] || fail "$screenshot is not a PNG"
  [ "$bytes" -gt 10240 ] || fail "$screenshot has only $bytes bytes (a blank page?)"
fi

elapsed=$(($(date +%s) - start))
if [ "$failed" -ne 0 ]; then
  echo "$me: FAILED: $report ($rendered of $charts charts rendered, $errors errors; expected $expected charts)" >&2
  exit 1
fi
echo "$me: OK: $report: $rendered/$expected charts rendered as SVG, 0 errors, no network references; screenshot $screenshot (1280x$height, $((bytes / 1024)) kB); ${elapsed} s"
