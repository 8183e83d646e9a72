#!/usr/bin/python3
"""Hello flood: how many bytes a yz process writes to its log when
--streams streams (2,000) each open with a dht_peer_hello it must refuse
(issue 13, item 5), and how it ends them.

Modes (--modes, default all three, each measured on its own):
  keyless  the hello names a fresh random id but carries no public key or
           nonce: refused at once (missing_proof);
  noproof  a valid identity: a fresh Ed25519 key, its id (SHA-256 of the key,
           first 20 bytes) and a 16-byte nonce; the target answers
           dht_peer_connected and we never send dht_peer_proof, so the
           stream waits for the target's handshake timeout;
  nochain  the same, then a valid dht_peer_proof (our signature of the
           target's nonce) without a membership chain: refused as
           not_a_member.

For each mode: the target's log size (yzctl writes DIR/NAME/log; --log FILE
for any other) and /metrics before; all streams opened at once over
--channels connections; then it waits until the target has ended every
stream (or --wait), and then --settle seconds more (11 by default: a
rate-limited logger writes its "... and N more like it" line when its
10 s window ends), and reads the log again. Reported: bytes and lines the
log grew by, lines by level and event, how the streams ended, and the
counter deltas.

    /usr/bin/python3 tests/bench/hello_flood.py --cluster-dir /tmp/c \
        [--target node] [--streams 2000] [--modes keyless,noproof,nochain] \
        [--out report.json]
"""

import argparse
import asyncio
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
import wire_common as wc  # noqa: E402


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


class Peer:
    """A fresh identity: an Ed25519 key of python3-cryptography, or none."""

    def __init__(self, keyed):
        self.key = None
        if keyed:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ed25519

            self.key = ed25519.Ed25519PrivateKey.generate()
            self.public_key = self.key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            self.node_id = wc.node_id_for_key(self.public_key)
        else:
            self.public_key = b""
            self.node_id = wc.random_node_id()
        self.nonce = os.urandom(16) if keyed else b""

    def hello(self, messages, index):
        frame = messages.Frame()
        hello = frame.dht_peer_hello
        hello.peer_id = self.node_id
        if self.key is not None:
            hello.public_key = self.public_key
            hello.nonce = self.nonce
        hello.metadata.role = messages.ROLE_NODE
        hello.metadata.address = "127.0.0.1:1"
        hello.metadata.protocol_version = 1
        hello.metadata.build_id = "hello-flood"
        hello.metadata.name = f"hello-flood-{index}"
        return frame

    def proof(self, messages, connected):
        frame = messages.Frame()
        frame.dht_peer_proof.signature = self.key.sign(
            wc.handshake_message("D", connected.nonce, self.node_id, connected.node_id)
        )
        return frame


async def one_stream(channel, method, messages, mode, index, outcome):
    import grpc

    call = channel.stream_stream(
        method,
        request_serializer=messages.Frame.SerializeToString,
        response_deserializer=messages.Frame.FromString,
    )()
    peer = Peer(keyed=mode != "keyless")
    received = []
    try:
        await call.write(peer.hello(messages, index))
        while True:
            frame = await call.read()
            if frame is grpc.aio.EOF:
                break
            kind = frame.WhichOneof("body") or "?"
            received.append(kind)
            if kind == "dht_peer_connected" and mode == "nochain":
                await call.write(peer.proof(messages, frame.dht_peer_connected))
        code, details = await call.code(), await call.details()
    except asyncio.CancelledError:
        raise
    except grpc.aio.AioRpcError as error:
        code, details = error.code(), error.details()
    except Exception as error:  # a bug here must show in the report, not vanish
        code, details = f"client error {type(error).__name__}", str(error)
    outcome[index] = (time.monotonic(), wc.status_key(code, details), ",".join(received))


async def flood(target, args, messages, mode):
    import grpc

    method = wc.method_for(target, args.service)
    log(f"== {mode}: {args.streams} hellos (batch {args.batch or 'all'}) to {target.name} ({target.role}) "
        f"{target.listen} {method}")
    state_before = wc.machine_state()
    metrics_before = wc.scrape(target.http)
    log_before = wc.log_size(target.log)
    channels = [
        grpc.aio.insecure_channel(
            target.listen,
            options=[("grpc.use_local_subchannel_pool", 1), ("yz.bench.channel", i)],
        )
        for i in range(args.channels)
    ]
    for channel in channels:
        await asyncio.wait_for(channel.channel_ready(), 15)
    outcome = {}
    t0 = time.monotonic()
    # In waves of --batch (0: all at once), each wave once the target has
    # ended the previous one, so a cap on open links does not refuse most
    # streams before they are heard.
    batch = args.batch if args.batch > 0 else args.streams
    deadline = t0 + args.wait
    tasks = []
    for first in range(0, args.streams, batch):
        last = min(args.streams, first + batch)
        tasks += [
            asyncio.create_task(
                one_stream(channels[i % len(channels)], method, messages, mode, i, outcome)
            )
            for i in range(first, last)
        ]
        while len(outcome) < last and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    t_done = time.monotonic()
    ended = len(outcome)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for channel in channels:
        await channel.close()
    log(f"  {ended}/{args.streams} ended by the target after {t_done - t0:.2f} s; "
        f"settling {args.settle} s for the log")
    await asyncio.sleep(args.settle)
    log_after = wc.log_size(target.log)
    metrics_after = wc.scrape(target.http)
    grown = wc.log_tail(target.log, log_before)
    statuses, frames = {}, {}
    for _, status, received in outcome.values():
        statuses[status] = statuses.get(status, 0) + 1
        frames[received or "-"] = frames.get(received or "-", 0) + 1
    closes = [end - t0 for end, _, _ in outcome.values()]
    lines = grown.count("\n")
    growth = (log_after - log_before) if log_after is not None and log_before is not None else None
    report = {
        "mode": mode,
        "target": target.as_json(),
        "method": method,
        "streams": args.streams,
        "batch": args.batch,
        "channels": args.channels,
        "machine_before": state_before,
        "machine_after": wc.machine_state(),
        "ended_by_target": ended,
        "still_open_at_end_of_wait": args.streams - ended,
        "all_ended_after_seconds": round(max(closes), 3)
        if closes and ended == args.streams
        else None,
        "end_seconds_since_first_open": wc.percentiles(closes),
        "end_statuses": dict(sorted(statuses.items(), key=lambda kv: -kv[1])),
        "frames_received": dict(sorted(frames.items(), key=lambda kv: -kv[1])),
        "settle_seconds": args.settle,
        "log_file": target.log,
        "log_bytes": growth,
        "log_lines": lines,
        "log_bytes_per_stream": round(growth / args.streams, 1) if growth is not None else None,
        "log_lines_by_event": wc.count_events(grown),
        "metric_deltas": wc.family_deltas(metrics_before, metrics_after),
    }
    log(f"  {mode}: log +{growth} bytes, {lines} lines "
        f"({report['log_bytes_per_stream']} B/stream); {report['log_lines_by_event']}; "
        f"statuses {report['end_statuses']}; counters {report['metric_deltas']}; "
        f"load {report['machine_after']['loadavg']}")
    return report


async def main_async(args):
    messages = wc.load_messages()
    [target] = wc.resolve_targets(args, [args.target])
    if not target.log:
        log("no log file for the target (--log FILE): log growth is not measured")
    reports = []
    for mode in [m for m in args.modes.split(",") if m]:
        if mode not in ("keyless", "noproof", "nochain"):
            sys.exit(f"unknown mode {mode}")
        reports.append(await flood(target, args, messages, mode))
    return reports


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wc.add_target_flags(parser)
    parser.add_argument(
        "--target", default="node", help="process name in the cluster; `node`: the middle DHT node"
    )
    parser.add_argument(
        "--service", choices=["auto", "bootstrap", "peer"], default="auto",
        help="auto: Bootstrap.Connect for the bootstrap, PeerLink.Connect otherwise",
    )
    parser.add_argument("--modes", default="keyless,noproof,nochain")
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument(
        "--batch", type=int, default=0,
        help="open the streams in waves of this many, each once the last has ended (0: all at once)",
    )
    parser.add_argument(
        "--wait", type=float, default=60, help="seconds to wait for the target to end them all"
    )
    parser.add_argument(
        "--settle", type=float, default=11, help="seconds after that before reading the log"
    )
    parser.add_argument("--out", help="also write the JSON report here")
    args = parser.parse_args()
    reports = asyncio.run(main_async(args))
    wc.write_report({"tool": "hello_flood", "runs": reports}, args.out)


if __name__ == "__main__":
    main()
