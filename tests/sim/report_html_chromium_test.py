#!/usr/bin/env python3
"""yzsim report --html renders in headless Chromium.

Runs incident-15 with the fault and without, writes each report, has
Chromium (Debian's chromium, installed by scripts/setup) take a screenshot
and dump the DOM after the page's script ran, and checks what is on the
page: the three sections, a lane per process, edges without a DHT listener
in the faulted run and none in the fixed one, and the sequence diagram
around the first violation. No network: the page fetches nothing and
Chromium gets a private profile in a temporary directory, removed after.

usage: report_html_chromium_test.py YZSIM SOURCE_DIR
"""

import html.parser
import os
import shutil
import struct
import subprocess
import sys
import tempfile

PROCESSES = 19
WIDTH, HEIGHT = 1280, 2400


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def find_chromium():
    override = os.environ.get("CHROMIUM")
    if override:
        if not os.access(override, os.X_OK):
            fail("CHROMIUM=%s is not an executable" % override)
        return override
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    fail("chromium is not installed: this test needs headless Chromium to render the report "
         "(run scripts/setup, which installs the Debian package chromium)")


class Dom(html.parser.HTMLParser):
    """The elements of the dumped DOM: tag, attributes, and the text inside."""

    def __init__(self):
        super().__init__()
        self.elements = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("input", "meta", "br", "img", "link", "line", "circle", "rect", "path",
                       "polyline"):
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs), "text": ""})

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element["text"] += data

    def classes(self, element):
        return (element["attrs"].get("class") or "").split()

    def with_class(self, *names):
        return [e for e in self.elements if all(n in self.classes(e) for n in names)]

    def by_id(self, ident):
        found = [e for e in self.elements if e["attrs"].get("id") == ident]
        return found[0] if found else None


def check_png(path):
    if not os.path.exists(path):
        fail("chromium wrote no screenshot " + path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(path + " is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    if (width, height) != (WIDTH, HEIGHT):
        fail("screenshot is %dx%d, expected %dx%d" % (width, height, WIDTH, HEIGHT))
    # A blank page of this size compresses to a few kilobytes.
    if len(data) < 40000:
        fail("screenshot is only %d bytes: the page looks empty" % len(data))
    return len(data)


def run(cmd, env=None):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    if result.returncode != 0:
        fail("%s exited %d:\n%s%s" % (" ".join(cmd), result.returncode, result.stdout,
                                      result.stderr))
    return result.stdout


def chromium_args(chromium, profile):
    # Headless, no sandbox (containers), no GPU, a private profile, and
    # nothing that would reach the network on its own.
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--hide-scrollbars", "--window-size=%d,%d" % (WIDTH, HEIGHT)]


def chromium_env(tmp):
    # Chromium writes nothing outside the temporary directory: HOME and the
    # XDG directories point into it too.
    env = dict(os.environ)
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env[key] = os.path.join(tmp, "home")
    return env


def dump_dom(chromium, tmp, name, url):
    dom = Dom()
    dom.feed(run(chromium_args(chromium, os.path.join(tmp, "profile-" + name)) +
                 ["--dump-dom", url], env=chromium_env(tmp)))
    return dom


def render(chromium, tmp, name, html_path):
    url = "file://" + html_path
    png = os.path.join(tmp, name + ".png")
    run(chromium_args(chromium, os.path.join(tmp, "profile-" + name + "-1")) +
        ["--screenshot=" + png, url], env=chromium_env(tmp))
    size = check_png(png)
    return dump_dom(chromium, tmp, name + "-2", url), size


def check_common(dom, name):
    for ident in ("summary", "swimlanes", "link-graph", "sequence", "moment", "moments"):
        if dom.by_id(ident) is None:
            fail("%s: no #%s in the page" % (name, ident))
    lanes = dom.with_class("lane")
    if len(lanes) != PROCESSES:
        fail("%s: %d .lane elements, expected one per process (%d)" % (name, len(lanes),
                                                                     PROCESSES))
    names = sorted(e["attrs"].get("data-process") for e in lanes)
    if len(set(names)) != PROCESSES or "dht-node-15" not in names or "bootstrap" not in names:
        fail("%s: the lanes are not one per process: %s" % (name, names))
    if len(dom.with_class("node")) != PROCESSES:
        fail("%s: the link graph has %d nodes" % (name, len(dom.with_class("node"))))
    # The script ran: it built the edges and wrote the stats and the time.
    stats = dom.by_id("graph-stats")
    if stats is None or "peer links" not in stats["text"]:
        fail("%s: #graph-stats is empty: did the page's script run?" % name)
    if "t = " not in (dom.by_id("graph-time") or {"text": ""})["text"]:
        fail("%s: #graph-time is empty: did the page's script run?" % name)
    peer_edges = [e for e in dom.with_class("edge") if "control" not in dom.classes(e)]
    if not peer_edges:
        fail("%s: the link graph has no peer link edges" % name)
    return peer_edges


def main():
    if len(sys.argv) != 3:
        fail("usage: report_html_chromium_test.py YZSIM SOURCE_DIR")
    yzsim, source = sys.argv[1], sys.argv[2]
    scenario = os.path.join(source, "sim", "scenarios", "incident-15.textproto")
    chromium = find_chromium()
    tmp = tempfile.mkdtemp(prefix="yz-report-html-")
    try:
        results = {}
        for name, flags in (("faulted", ["--fault", "early_return_race"]), ("fixed", [])):
            record = os.path.join(tmp, name + ".json")
            page = os.path.join(tmp, name + ".html")
            run([yzsim, "run", scenario] + flags + ["--record", record])
            run([yzsim, "report", record, "--html", page])
            dom, png_size = render(chromium, tmp, name, page)
            edges = check_common(dom, name)
            results[name] = (dom, edges, png_size, os.path.getsize(page))

        dom, edges, png_size, html_size = results["faulted"]
        deaf = dom.with_class("edge", "no-listener")
        if not deaf:
            fail("faulted: no .edge.no-listener at the first violation")
        violation = dom.by_id("violation-line")
        if violation is None:
            fail("faulted: the sequence diagram has no #violation-line")
        step = violation["attrs"].get("data-step")
        if dom.by_id("link-graph")["attrs"].get("data-step") != step:
            fail("faulted: the link graph does not open at the first violation (step %s)" % step)
        messages = dom.with_class("msg")
        dropped = dom.with_class("msg", "dropped")
        if len(messages) < 20 or not dropped:
            fail("faulted: the sequence diagram has %d messages, %d dropped" %
                 (len(messages), len(dropped)))
        print("faulted: %d-byte page, %d-byte screenshot, %d peer edges (%d without a listener), "
              "%d messages around step %s (%d dropped)" %
              (html_size, png_size, len(edges), len(deaf), len(messages), step, len(dropped)))

        # The moment can be picked: at step 0 nothing runs and there are no links.
        start = dump_dom(chromium, tmp, "faulted-step-0",
                         "file://" + os.path.join(tmp, "faulted.html") + "#step=0")
        if start.by_id("link-graph")["attrs"].get("data-step") != "0" or start.with_class("edge"):
            fail("faulted: #step=0 does not show the empty network")
        if "0 peer links" not in start.by_id("graph-stats")["text"]:
            fail("faulted: #step=0 stats say " + start.by_id("graph-stats")["text"])

        dom, edges, png_size, html_size = results["fixed"]
        if dom.with_class("edge", "no-listener"):
            fail("fixed: %d .edge.no-listener, expected none" %
                 len(dom.with_class("edge", "no-listener")))
        if dom.by_id("violation-line") is not None or dom.with_class("msg", "dropped"):
            fail("fixed: a violation or a dropped message in the sequence diagram")
        print("fixed: %d-byte page, %d-byte screenshot, %d peer edges, none without a listener" %
              (html_size, png_size, len(edges)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
