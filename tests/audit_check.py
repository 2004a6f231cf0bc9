#!/usr/bin/python3
"""Checks an audit report (corridor report audit) as an auditor's tools would:
an HTML5 parser, an XML parser for every plot, the JSON reports of the same
ledger, and a real browser (headless Chromium) that renders it to a PNG and a
PDF without a console message. Used by tests/test_audit.c.

usage: audit_check.py CORRIDOR LEDGER REPORT.html PERIOD WORKDIR
"""
import json
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib

import html5lib

corridor, ledger, page, period, work = sys.argv[1:6]


def fail(msg):
    print("audit_check: " + msg)
    sys.exit(1)


def cli(*args):
    r = subprocess.run([corridor, *args, "--ledger", ledger, "--format", "json"],
                       capture_output=True, check=False)
    if r.returncode != 0:
        fail("%s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.decode()))
    return json.loads(r.stdout)


text = open(page, encoding="utf-8").read()

# 1. HTML5, parsed strictly: any parse error raises
try:
    doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
except Exception as e:  # html5lib.html5parser.ParseError
    fail("not well-formed HTML5: %s" % e)

# 2. nothing from anywhere: no URL but a fragment in any src/href, nothing that loads
for el in doc.iter():
    for attr, v in el.attrib.items():
        name = attr.split("}")[-1] if isinstance(attr, str) else attr[1]
        if name in ("src", "href", "action", "poster", "data", "srcset") and not v.startswith("#"):
            fail("<%s %s=%r>: a URL outside the page" % (el.tag, name, v))
for tag in ("img", "iframe", "object", "embed", "link", "video", "audio", "source"):
    if doc.find(".//" + tag) is not None:
        fail("a <%s> element" % tag)
for s in doc.iter("script"):
    if s.get("type") != "application/json":
        fail("a script that is not a data block")
if re.search(r"url\s*\(|@import|https?://(?!www\.w3\.org/2000/svg)", text):
    fail("a URL in the page: %s" % re.search(r"url\s*\(|@import|https?://\S+", text).group(0))

# 3. every plot is well-formed XML (SVG)
svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
if len(svgs) < 8:
    fail("only %d plots" % len(svgs))
for s in svgs:
    try:
        root = ET.fromstring(s)
    except ET.ParseError as e:
        fail("a plot is not XML: %s" % e)
    if root.find("{http://www.w3.org/2000/svg}title") is None:
        fail("a plot without an accessible title")

# a plot draws no more points than its pixels: a year of hourly readings
# becomes daily bands (docs/AUDITING.md "Large inputs")
for s in svgs:
    root = ET.fromstring(s)
    width = int(root.get("width"))
    for shape in root.iter():
        if shape.tag.split("}")[-1] in ("polyline", "polygon"):
            points = len(shape.get("points", "").split())
            if points > 2 * width:
                fail("a plot draws %d points on %d pixels" % (points, width))

# 4. the embedded figures are the JSON reports of the same ledger and period
block = doc.find(".//script[@id='corridor-data']")
if block is None:
    fail("no script#corridor-data")
data = json.loads(block.text)
end = data["last_day"]
if data["verification"]["result"] != "ok":
    fail("verification did not pass: %s" % data["verification"]["why"])
checks = [
    ("balances", ("report", "balances", "--as-of", end)),
    ("balances_monthly", ("report", "balances", "--period", period, "--monthly")),
    ("invoices", ("report", "invoices", "--as-of", end)),
    ("performance", ("report", "performance", "--period", period, "--monthly")),
]
for key, args in checks:
    if data[key] != cli(*args):
        fail("%s differs from corridor %s" % (key, " ".join(args)))
if not data["meters"]:
    fail("no meter reports")
for m in data["meters"]:
    full = cli("report", "meters", "--contract", m["contract"], "--period", m["period"])
    head = {k: v for k, v in full.items() if k != "intervals"}
    if {k: v for k, v in m.items() if k != "intervals"} != head:
        fail("meters of %s %s differ from report meters" % (m["contract"], m["period"]))
    if m["intervals"] != [i for i in full["intervals"] if i["status"] == "disputed"]:
        fail("the disputed intervals of %s %s differ" % (m["contract"], m["period"]))
    # the one-sided intervals: each inside a run of its side, every run's count theirs
    runs = [r for o in data["one_sided"] if (o["contract"], o["period"]) == (m["contract"], m["period"])
            for r in o["runs"]]
    lonely = [i for i in full["intervals"] if i["status"] in ("billing-only", "other-only")]
    if sum(r["intervals"] for r in runs) != len(lonely):
        fail("one-sided runs of %s %s count %d intervals, the report %d" %
             (m["contract"], m["period"], sum(r["intervals"] for r in runs), len(lonely)))
    for i in lonely:
        if not any(r["status"] == i["status"] and r["start"] <= i["start"] and i["end"] <= r["end"]
                   for r in runs):
            fail("one-sided interval %s of %s is in no run" % (i["start"], m["contract"]))
# every invoice and payment is named by its seq in the tables
for inv in data["invoice_list"]:
    if not re.search(r">%s(?: \(reversed\))?</td><td class=\"num\">%d<" %
                     (re.escape(inv["id"]), inv["seq"]), text):
        fail("invoice %s (seq %d) is not in the invoice table" % (inv["id"], inv["seq"]))
for t in data["trace"]:
    if ">%d</td>" % t["seq"] not in text:
        fail("trace seq %d is not in the page" % t["seq"])

# 5. a real browser: a screenshot, a PDF, and not one console message
CHROME = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--no-first-run", "--disable-default-apps", "--disable-extensions",
          "--disable-domain-reliability", "--no-pings",
          "--disable-client-side-phishing-detection", "--metrics-recording-only",
          "--user-data-dir=" + os.path.join(work, "chromium-profile"),
          "--enable-logging=stderr", "--v=0", "--hide-scrollbars", "--window-size=1000,3000"]


def chrome(target, *args):
    r = subprocess.run(CHROME + list(args) + ["file://" + os.path.abspath(target)],
                       capture_output=True, timeout=180, check=False)
    console = [l for l in r.stderr.decode(errors="replace").splitlines() if ":CONSOLE" in l]
    return r.returncode, console


def png_colours(path):
    """Distinct colours of a non-interlaced 8-bit RGB(A) PNG (every 7th row)."""
    b = open(path, "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s is not a PNG" % path)
    at, idat, w = 8, b"", 0
    while at < len(b):
        n, kind = struct.unpack(">I4s", b[at:at + 8])
        body = b[at + 8:at + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, lace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or lace:
                fail("unexpected PNG format")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + n
    raw, stride, prev, colours = zlib.decompress(idat), w * bpp, bytearray(w * bpp), set()
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + prev[i]) & 255
            elif f == 3:
                line[i] = (line[i] + (a + prev[i]) // 2) & 255
            elif f == 4:
                p = a + prev[i] - c
                pa, pb, pc = abs(p - a), abs(p - prev[i]), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else prev[i] if pb <= pc else c)) & 255
        if y % 7 == 0:
            for x in range(0, stride, bpp):
                colours.add(bytes(line[x:x + 3]))
        prev = line
    return w, h, len(colours)


# the check can fail: a page that loads something is reported on the console
bad = os.path.join(work, "loads.html")
open(bad, "w").write("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
                     "content=\"default-src 'none'\"><title>t</title></head><body>"
                     "<img src=\"https://example.invalid/x.png\"></body></html>")
_, console = chrome(bad, "--screenshot=" + os.path.join(work, "loads.png"))
if not console:
    fail("chromium reported nothing for a page that loads an image: the console check is blind")

png, pdf = os.path.join(work, "audit.png"), os.path.join(work, "audit.pdf")
rc, console = chrome(page, "--screenshot=" + png)
if rc != 0 or console:
    fail("screenshot: exit %d, console: %s" % (rc, console))
rc, console = chrome(page, "--no-pdf-header-footer", "--print-to-pdf=" + pdf)
if rc != 0 or console:
    fail("PDF: exit %d, console: %s" % (rc, console))
w, h, n = png_colours(png)
if w < 900 or h < 2000 or n < 12:
    fail("the screenshot is %dx%d with %d colours: blank?" % (w, h, n))
p = open(pdf, "rb").read()
pages = len(re.findall(rb"/Type\s*/Page\b", p))
if not p.startswith(b"%PDF-") or len(p) < 50000 or pages < 4:
    fail("the PDF is %d bytes, %d pages" % (len(p), pages))
print("audit_check: %d plots, %d meter reports, screenshot %dx%d with %d colours, PDF %d pages "
      "(%d bytes)" % (len(svgs), len(data["meters"]), w, h, n, pages, len(p)))
