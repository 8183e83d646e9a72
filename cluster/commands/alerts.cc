// yzctl alerts [--watch] [--json]: the pending and firing alerts of the
// cluster's Prometheus (/api/v1/alerts). Exit status 0 when none fires
// (pending ones do not count), 1 when one fires or Prometheus cannot be
// asked, 2 on bad usage; with --watch, that of the last refresh.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/interrupt.h"
#include "cluster/prometheus_api.h"

namespace yz::cluster::commands {
namespace {

struct Frame {
  std::string text;
  int exit_code = 0;
};

Frame take_frame(const std::string& url, bool json) {
  std::string error;
  const std::vector<Alert> alerts = fetch_alerts(url, &error);
  if (!error.empty()) return {"yzctl: " + error + "\n", kExitFailure};
  bool firing = false;
  for (const Alert& a : alerts) firing = firing || a.state == "firing";
  return {json ? format_alerts_json(alerts) : format_alerts_table(alerts),
          firing ? kExitFailure : 0};
}

}  // namespace

int alerts(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--json", false}, {"--watch", false}}, "alerts");
  if (!args.error.empty()) return usage_error(args.error);
  if (!args.positional.empty())
    return usage_error("unexpected argument '" + args.positional[0] + "' for yzctl alerts");
  const ClusterDir dir = cluster_dir(args);
  int exit_code = 0;
  const auto cluster = load_cluster_with_prometheus(dir, &exit_code);
  if (!cluster) return exit_code;
  const bool json = args.has("--json");
  if (!args.has("--watch")) {
    const Frame frame = take_frame(cluster->prometheus_url, json);
    (frame.exit_code != 0 && frame.text.rfind("yzctl: ", 0) == 0 ? std::cerr : std::cout)
        << frame.text;
    return frame.exit_code;
  }
  // --watch: redraw every second until Ctrl-C, like status --watch.
  catch_interrupts();
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  int last = 0;
  while (!interrupted()) {
    const Frame frame = take_frame(cluster->prometheus_url, json);
    std::string text = frame.text;
    if (tty && !json)
      text = "\033[H\033[2J" + dir.shown + " alerts  (every 1s; Ctrl-C to stop)\n\n" + text;
    std::cout << text << (tty ? "" : "\n") << std::flush;
    last = frame.exit_code;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!interrupted() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return last;
}

}  // namespace yz::cluster::commands
