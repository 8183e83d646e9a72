#!/usr/bin/python3
"""Silent streams: how much memory a yz process spends on streams that
never say a word, and how long it takes to close them (issue 13, item 1).

For each target (default: the bootstrap over Bootstrap.Connect, then the
middle DHT node over PeerLink.Connect) it opens --streams calls (10,000)
spread over --channels separate HTTP/2 connections (20), sends nothing on
any of them, and meanwhile samples the target's VmRSS (/proc/PID/status)
every 0.2 s. It waits up to --wait seconds for the target to end every
stream, recording when each one ended and with what status, then cancels
whatever is left, waits --release seconds and reads VmRSS once more.
/metrics is read before and after: yz_limited_total,
yz_handshake_rejected_total and the other refusal counters are reported as
deltas, with the peak of yz_links.

    /usr/bin/python3 tests/bench/silent_streams.py --cluster-dir /tmp/c \
        [--targets bootstrap,node] [--streams 10000] [--channels 20] \
        [--wait 60] [--out report.json]

JSON on stdout (and in --out), a summary on stderr.
"""

import argparse
import asyncio
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
import wire_common as wc  # noqa: E402


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


async def open_channels(address, count):
    import grpc

    channels = []
    for i in range(count):
        # A local subchannel pool and a distinct argument: one TCP
        # connection per channel rather than one shared by all.
        channel = grpc.aio.insecure_channel(
            address,
            options=[
                ("grpc.use_local_subchannel_pool", 1),
                ("yz.bench.channel", i),
                ("grpc.max_receive_message_length", 64 << 20),
            ],
        )
        await asyncio.wait_for(channel.channel_ready(), 15)
        channels.append(channel)
    return channels


async def hold_stream(call, opened_at, ends, index):
    """Reads until the server ends the stream; records when and how."""
    import grpc

    try:
        while True:
            message = await call.read()
            if message is grpc.aio.EOF:
                break
        code = await call.code()
        details = await call.details()
    except asyncio.CancelledError:
        raise
    except grpc.aio.AioRpcError as error:
        code, details = error.code(), error.details()
    except Exception as error:  # a bug here must show in the report, not vanish
        code, details = f"client error {type(error).__name__}", str(error)
    ends[index] = (time.monotonic(), opened_at, wc.status_key(code, details))


async def measure(target, args, messages):
    import grpc

    method = wc.method_for(target, args.service)
    log(f"== {target.name} ({target.role}) {target.listen} {method}: "
        f"{args.streams} silent streams over {args.channels} connections")
    state_before = wc.machine_state()
    metrics_before = wc.scrape(target.http)
    log_before = wc.log_size(target.log)
    cpu_before = wc.cpu_seconds(target.pid)
    rss_idle = wc.proc_status(target.pid, "VmRSS")
    sampler = wc.RssSampler(target.pid).start()

    channels = await open_channels(target.listen, args.channels)
    ends = {}
    calls, tasks = [], []
    links_peak = {}

    async def watch_links():
        while True:
            page = wc.scrape(target.http)
            for key, value in page.items():
                if key.startswith("yz_links{") or key.startswith("yz_bootstrap_members"):
                    links_peak[key] = max(links_peak.get(key, 0), value)
            await asyncio.sleep(args.metrics_interval)

    watcher = asyncio.create_task(watch_links())
    t0 = time.monotonic()
    for i in range(args.streams):
        multicallable = channels[i % len(channels)].stream_stream(
            method,
            request_serializer=messages.Frame.SerializeToString,
            response_deserializer=messages.Frame.FromString,
        )
        call = multicallable()  # no request iterator: we never write
        calls.append(call)
        tasks.append(asyncio.create_task(hold_stream(call, time.monotonic(), ends, i)))
        if i % 200 == 199:
            await asyncio.sleep(0)  # let the calls start
    t_opened = time.monotonic()
    log(f"  {args.streams} calls started in {t_opened - t0:.2f} s; "
        f"VmRSS {rss_idle} -> {wc.proc_status(target.pid, 'VmRSS')} KiB")

    # Until the server has ended every stream, or --wait.
    deadline = t0 + args.wait
    next_report = t0 + 5
    while len(ends) < args.streams and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if time.monotonic() >= next_report:
            next_report += 5
            log(f"  t={time.monotonic() - t0:5.1f}s  ended by the server: {len(ends)}"
                f"  VmRSS {wc.proc_status(target.pid, 'VmRSS')} KiB")
    t_wait_end = time.monotonic()
    still_open = args.streams - len(ends)
    rss_at_end_of_wait = wc.proc_status(target.pid, "VmRSS")
    peak_held = sampler.peak()

    # Whatever is left: we cancel it (not counted as closed by the server).
    server_ended = dict(ends)
    for call in calls:
        call.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    for channel in channels:
        await channel.close()
    await asyncio.sleep(args.release)
    sampler.stop()
    rss_after_release = wc.proc_status(target.pid, "VmRSS")
    metrics_after = wc.scrape(target.http)
    log_after = wc.log_size(target.log)
    cpu_after = wc.cpu_seconds(target.pid)

    closes = [end - t0 for end, _, _ in server_ended.values()]
    lifetimes = [end - opened for end, opened, _ in server_ended.values()]
    statuses = {}
    for _, _, key in server_ended.values():
        statuses[key] = statuses.get(key, 0) + 1
    all_closed_after = max(closes) if still_open == 0 and closes else None
    report = {
        "target": target.as_json(),
        "method": method,
        "streams": args.streams,
        "channels": args.channels,
        "wait_seconds": args.wait,
        "machine_before": state_before,
        "machine_after": wc.machine_state(),
        "open_seconds": round(t_opened - t0, 3),
        "vm_rss_kib": {
            "idle_before": rss_idle,
            "peak_while_held": peak_held,
            "at_end_of_wait": rss_at_end_of_wait,
            "after_release": rss_after_release,
            "growth_peak_minus_idle": (peak_held - rss_idle)
            if peak_held and rss_idle
            else None,
        },
        "vm_hwm_kib": wc.proc_status(target.pid, "VmHWM"),
        "server_cpu_seconds": round(cpu_after - cpu_before, 3)
        if cpu_after is not None and cpu_before is not None
        else None,
        "ended_by_server": len(server_ended),
        "still_open_at_end_of_wait": still_open,
        "all_closed_after_seconds": round(all_closed_after, 3)
        if all_closed_after is not None
        else None,
        "close_seconds_since_first_open": wc.percentiles(closes),
        "stream_lifetime_seconds": wc.percentiles(lifetimes),
        "end_statuses": dict(sorted(statuses.items(), key=lambda kv: -kv[1])),
        "metric_deltas": wc.family_deltas(metrics_before, metrics_after),
        "links_gauge_peak": dict(sorted(links_peak.items())),
        "log_bytes": (log_after - log_before)
        if log_after is not None and log_before is not None
        else None,
        "rss_samples_kib": [
            [round(t - t0, 2), kib] for t, kib in sampler.samples[:: max(1, len(sampler.samples) // 200)]
        ],
    }
    mib = lambda kib: f"{kib / 1024:.1f}" if kib else "?"  # noqa: E731
    log(f"  {target.name}: VmRSS idle {mib(rss_idle)} MiB, peak {mib(peak_held)} MiB, "
        f"after release {mib(rss_after_release)} MiB; ended by the server "
        f"{len(server_ended)}/{args.streams}"
        + (f", all after {all_closed_after:.2f} s" if all_closed_after is not None
           else f", {still_open} still open after {t_wait_end - t0:.1f} s")
        + f"; statuses {report['end_statuses']}; counters {report['metric_deltas']}; "
        f"load {report['machine_after']['loadavg']}")
    return report


async def main_async(args):
    messages = wc.load_messages()
    targets = wc.resolve_targets(args, [t for t in args.targets.split(",") if t])
    reports = []
    for i, target in enumerate(targets):
        if i:
            await asyncio.sleep(args.release)
        reports.append(await measure(target, args, messages))
    return reports


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wc.add_target_flags(parser)
    parser.add_argument(
        "--targets",
        default="bootstrap,node",
        help="comma-separated process names of the cluster; `node` is the middle "
        "DHT node (default bootstrap,node)",
    )
    parser.add_argument(
        "--service",
        choices=["auto", "bootstrap", "peer"],
        default="auto",
        help="which Connect: auto is Bootstrap.Connect for the bootstrap, "
        "PeerLink.Connect for the others",
    )
    parser.add_argument("--streams", type=int, default=10000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument(
        "--wait", type=float, default=60, help="seconds to wait for the server to end them all"
    )
    parser.add_argument(
        "--release", type=float, default=5, help="seconds after cancelling before the last VmRSS"
    )
    parser.add_argument("--metrics-interval", type=float, default=2)
    parser.add_argument("--out", help="also write the JSON report here")
    args = parser.parse_args()
    reports = asyncio.run(main_async(args))
    wc.write_report({"tool": "silent_streams", "runs": reports}, args.out)


if __name__ == "__main__":
    main()
