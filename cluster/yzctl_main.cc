// yzctl: launch, watch and break a local yz cluster. Each command lives in
// cluster/commands/; this file only dispatches.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"

namespace {

constexpr char kUsage[] =
    "Usage: yzctl COMMAND [flags]    (every command takes --dir DIR, default .yz/cluster)\n"
    "\n"
    "  up [--nodes 15] [--bridges 2] [--fault NAME]... [--base-port P] [--time-scale X]\n"
    "     [--supervise] [--prometheus [--rules DIR]] [--alertmanager] [--tls]\n"
    "     [--bin-dir DIR] [--ready-timeout 10s] [--delay-rules FILE] [--role-flag NAME=VALUE]...\n"
    "                      start bootstrap, genesis, bridges and nodes, each once what it\n"
    "                      needs is ready; nodes join one at a time; --tls: mutual TLS on\n"
    "                      every gRPC port, from a throwaway CA in DIR/tls/; --prometheus:\n"
    "                      Prometheus first, with the alert rules, scraping every second;\n"
    "                      --alertmanager: Alertmanager too, notifying\n"
    "                      DIR/alertmanager/notifications.jsonl; --role-flag: a role flag\n"
    "                      for every process, after the scaled timings (k=4,\n"
    "                      republish-interval=5s), kept for restarts and add-node\n"
    "  up --scenario FILE [--seed N] [--time-scale X] [--fault NAME]... [--no-scenario-faults]\n"
    "     [--delay-rules FILE] [--record RUN.json] [--interval 50ms]\n"
    "                      start exactly the simulator scenario's processes, at the start\n"
    "                      times, with the faults, timings, crashes and restarts `yzsim run\n"
    "                      --seed N` draws (virtual time t at wall t/X after the bootstrap is\n"
    "                      ready); stays in the foreground for the scenario's duration, then\n"
    "                      exits 0 leaving the cluster running (yzctl status, yzctl down).\n"
    "                      Ctrl-C stops everything it started. --record writes RUN.json\n"
    "                      (yzsim report RUN.json --html out.html draws it)\n"
    "  record --out RUN.json [--duration 30s] [--interval 250ms]\n"
    "                      sample every process's /status and /health into RUN.json, the\n"
    "                      format yzsim run --record writes (until Ctrl-C without --duration)\n"
    "  status [--json] [--watch]\n"
    "                      every process's /health and join state; exit 0 only when all\n"
    "                      are healthy and every DHT member is joined\n"
    "  wait --healthy [--timeout 60s]\n"
    "                      exit 0 once all are healthy and joined, 1 at the timeout\n"
    "  kill NAME [--signal TERM]   signal a process like a crash (--supervise restarts it)\n"
    "  stop NAME [--grace 5s]      SIGTERM, SIGKILL after the grace period; stays down\n"
    "  start NAME                  start it again: same flags, same data dir\n"
    "  restart NAME                stop, start, wait until it answers\n"
    "  add-node [COUNT]            start COUNT more DHT nodes (default 1)\n"
    "  put KEY VALUE [--via NAME] [--timeout 10s] [--json]\n"
    "                      store VALUE under KEY in the DHT through NAME (default: the first\n"
    "                      joined node); acknowledged once 3 holders stored it; prints the\n"
    "                      holders and the time taken. Exit 1 when not acknowledged\n"
    "  get KEY [--via NAME] [--timeout 10s] [--json]\n"
    "                      find KEY's value; prints it, the members it came from and the\n"
    "                      time taken. Exit 1 when not found. A VALUE starting with '-'\n"
    "                      goes after --: yzctl put KEY -- -5\n"
    "  logs NAME [-f]              its log (-f follows it)\n"
    "  metrics NAME                its /metrics\n"
    "  query 'PROMQL' [--json]     ask the cluster's Prometheus (up --prometheus)\n"
    "  alerts [--watch] [--json]   its pending and firing alerts; exit 1 while one fires\n"
    "  down [--clean] [--grace 5s] stop everything by pid; --clean removes DIR\n"
    "\n"
    "Durations take a unit: 500ms, 10s, 2m. --time-scale X divides every timing of the\n"
    "roles by X (10 makes a 30 s health check 3 s). Each process lives in DIR/NAME/\n"
    "(log, pid, ports.json, node_id); the cluster's record is DIR/cluster.json.\n"
    "Exit status: 0 done, 1 failed, not healthy or an alert firing, 2 bad usage.\n";

}  // namespace

int main(int argc, char** argv) {
  using Command = int (*)(const std::vector<std::string>&);
  namespace c = yz::cluster::commands;
  const std::map<std::string, Command> commands = {
      {"up", c::up},
      {"down", c::down},
      {"status", c::status},
      {"wait", c::wait},
      {"kill", c::kill},
      {"stop", c::stop},
      {"start", c::start},
      {"restart", c::restart},
      {"add-node", c::add_node},
      {"logs", c::logs},
      {"metrics", c::metrics},
      {"query", c::query},
      {"alerts", c::alerts},
      {"supervise", c::supervise},
      {"alert-receiver", c::alert_receiver},
      {"record", c::record},
      {"put", c::put},
      {"get", c::get},
  };
  if (argc < 2) {
    std::cerr << kUsage;
    return c::kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    std::cout << kUsage;
    return 0;
  }
  const auto it = commands.find(name);
  if (it == commands.end()) {
    return c::usage_error("unknown command '" + name + "' (see yzctl help)");
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
  }
  // `up --scenario FILE` runs a simulator scenario: a mode of its own.
  if (name == "up") {
    for (const std::string& arg : args)
      if (arg == "--scenario" || arg.starts_with("--scenario=")) return c::up_scenario(args);
  }
  return it->second(args);
}
