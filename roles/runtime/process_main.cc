#include "roles/runtime/process_main.h"

#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

#include "roles/core/dht_member.h"
#include "roles/delay/delay_rules_file.h"
#include "roles/make_process.h"
#include "roles/metrics/known_series.h"
#include "roles/metrics/process_metrics.h"
#include "roles/metrics/registry.h"
#include "roles/runtime/asio_env.h"
#include "roles/runtime/build_info.h"
#include "roles/runtime/core_gate.h"
#include "roles/runtime/data_dir.h"
#include "roles/runtime/data_service.h"
#include "roles/runtime/endpoints.h"
#include "roles/runtime/flags.h"
#include "roles/runtime/grpc_credentials.h"
#include "roles/runtime/http_server.h"
#include "roles/runtime/key_store.h"
#include "roles/runtime/logger.h"
#include "roles/runtime/os_random.h"
#include "roles/runtime/peer_status.h"
#include "roles/runtime/transport.h"

namespace yz::runtime {
namespace {

constexpr std::size_t kMaxFrameBytes = 1 << 20;  // 1 MiB

std::string program_name(core::Role role) { return "yz-" + std::string(core::role_name(role)); }

int fail(core::Role role, const std::string& message) {
  std::cerr << program_name(role) << ": " << message << "\n";
  return 2;
}

// "127.0.0.1:0" with the port the server got -> "127.0.0.1:43121".
std::string with_port(const std::string& host_port, int port) {
  const auto colon = host_port.rfind(':');
  return host_port.substr(0, colon) + ":" + std::to_string(port);
}

// gRPC's own log lines go to stderr as usual, except while the server binds
// its port: then they are held, so that a failure there reads as the one
// line `fail` prints, and are written out afterwards only if it succeeded.
std::mutex grpc_log_mu;
std::string* grpc_log_held = nullptr;

void grpc_log(gpr_log_func_args* args) {
  const std::string line = "grpc " + std::string(gpr_log_severity_string(args->severity)) + " " +
                           args->file + ":" + std::to_string(args->line) + "] " + args->message +
                           "\n";
  std::lock_guard lock(grpc_log_mu);
  if (grpc_log_held != nullptr) {
    *grpc_log_held += line;
  } else {
    std::cerr << line;
  }
}

// The OS's reason in gRPC's error text, e.g. os_error:"Address already in
// use" -> "address already in use"; "" when there is none.
std::string os_error_in(const std::string& grpc_text) {
  const std::string key = "os_error:\"";
  const auto start = grpc_text.find(key);
  if (start == std::string::npos) return {};
  const auto end = grpc_text.find('"', start + key.size());
  std::string reason = grpc_text.substr(start + key.size(), end - start - key.size());
  if (!reason.empty())
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  return reason;
}

std::string local_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// Frame refusals are driven by whoever connects: per reason, the first in a
// window is logged, the rest only counted, and one line at the window's end
// says how many were left out, so a flood shows in the log without
// flooding it.
class ThrottledRefusalLog {
 public:
  static constexpr std::chrono::seconds kWindow{10};

  ThrottledRefusalLog(boost::asio::io_context& io, Logger& logger) : io_(io), logger_(logger) {}

  void refused(core::LinkId link, std::string_view reason, const std::string& problem,
               const std::string& remote) {
    const std::string key(reason);
    auto [it, first] = windows_.try_emplace(key);
    if (!first) {
      ++it->second.suppressed;
      return;
    }
    logger_.log(core::LogLevel::kWarn, "frame_refused",
                {{"link", std::to_string(link)},
                 {"reason", key},
                 {"problem", problem},
                 {"remote", remote}});
    it->second.timer = std::make_unique<boost::asio::steady_timer>(io_, kWindow);
    it->second.timer->async_wait([this, key](const boost::system::error_code& error) {
      if (error) return;
      auto window = windows_.find(key);
      if (window == windows_.end()) return;
      const std::uint64_t suppressed = window->second.suppressed;
      // The timer may go inside its own handler: Asio has let go of it.
      windows_.erase(window);
      if (suppressed == 0) return;
      logger_.log(core::LogLevel::kWarn, "frame_refused",
                  {{"reason", key},
                   {"suppressed", std::to_string(suppressed)},
                   {"message",
                    "... and " + std::to_string(suppressed) + " more like it in the last 10 s"}});
    });
  }

 private:
  struct Window {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::uint64_t suppressed = 0;
  };
  boost::asio::io_context& io_;
  Logger& logger_;
  std::map<std::string, Window> windows_;
};

}  // namespace

int run_role_process(core::Role role, int argc, char** argv) {
  const FlagsParse parsed = parse_flags(role, std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.output.empty()) std::cout << parsed.output;
  if (!parsed.flags) return parsed.error.empty() ? parsed.exit_code : fail(role, parsed.error);
  const RuntimeFlags& flags = *parsed.flags;

  // Checked before anything else is touched; --check-config fails on it too.
  std::shared_ptr<const core::DelayRules> delay_rules;
  if (!flags.delay_rules_file.empty()) {
    roles::DelayRulesLoad rules =
        roles::load_delay_rules_file(flags.delay_rules_file, flags.delay_rules_time_scale);
    if (!rules.rules) return fail(role, rules.error);
    delay_rules = std::make_shared<const core::DelayRules>(std::move(*rules.rules));
  }

  if (std::string error = prepare_data_dir(flags.data_dir); !error.empty())
    return fail(role, error);
  const auto loaded = load_or_create_identity(flags.data_dir, os_random_fill);
  if (!loaded.ok()) return fail(role, std::string(loaded.status().message()));
  const std::shared_ptr<const core::Identity>& identity = *loaded;
  const auto node_id = &identity->node_id();
  if (flags.check_config) {
    std::cout << program_name(role) << ": configuration ok\n";
    return 0;
  }

  boost::asio::io_context io;
  metrics::Registry registry;
  metrics::AddProcessMetrics(registry);
  // version="<version>+<commit>": the same build id `register` carries.
  metrics::AddBuildInfo(registry, std::string(build_id()), std::string(core::role_name(role)));
  Logger logger(flags.name, role, flags.log_level, flags.log_format);

  // The transport's refusals, at 0 from the first scrape like the core's.
  metrics::KnownSeries refused_frames(
      metrics::BuildCounter()
          .Name("yz_dht_messages_dropped_total")
          .Help("Frames dropped, by reason (no_handler: no DHT listener on the link)")
          .Register(registry),
      "reason", kRefusedFrameReasons);

  ThrottledRefusalLog refusal_log(io, logger);
  std::unique_ptr<core::Process> process;
  Transport transport(
      io,
      Transport::Events{
          [&](core::LinkId link) { process->on_link_accepted(link); },
          [&](core::LinkId link) { process->on_link_opened(link); },
          [&](core::LinkId link, std::string_view reason) {
            process->on_link_closed(link, reason);
          },
          [&](core::LinkId link, core::Message&& message) {
            process->on_frame(link, std::move(message));
          },
          [&](core::LinkId link, std::string_view reason, const std::string& problem) {
            refused_frames[reason].Increment();
            refusal_log.refused(link, reason, problem, transport.remote_address(link));
          }},
      flags.bootstrap, kMaxFrameBytes, channel_credentials(flags.tls));

  // gRPC server: the role's link service, health and reflection.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(flags.listen, server_credentials(flags.tls), &grpc_port);
  // Without this, gRPC shares a port that is already in use instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(Transport::kGrpcReceiveCapBytes));
  builder.RegisterService(role == core::Role::kBootstrap ? &transport.bootstrap_service()
                                                         : &transport.peer_link_service());
  // Every DHT member serves the client API (Data.Put, Data.Get); the
  // bootstrap holds no data. `process` is read under the gate, which is
  // held while it is set.
  DataService data_service(transport.gate(), [&]() -> core::DhtMember* {
    return process ? dynamic_cast<core::DhtMember*>(&process->role()) : nullptr;
  });
  if (role != core::Role::kBootstrap) builder.RegisterService(&data_service);
  gpr_set_log_function(grpc_log);
  std::string grpc_start_log;
  {
    std::lock_guard lock(grpc_log_mu);
    grpc_log_held = &grpc_start_log;
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  {
    std::lock_guard lock(grpc_log_mu);
    grpc_log_held = nullptr;
  }
  if (!server || grpc_port == 0) {
    const std::string reason = os_error_in(grpc_start_log);
    return fail(role, "--listen " + flags.listen + ": " +
                          (reason.empty() ? "cannot listen (address in use or invalid)" : reason));
  }
  std::cerr << grpc_start_log;
  const std::string listen_address = with_port(flags.listen, grpc_port);
  const std::string advertise_address =
      advertised_address(flags, static_cast<std::uint16_t>(grpc_port), local_hostname());

  core::ProcessConfig config;
  config.name = flags.name;
  config.role = role;
  config.node_id = *node_id;
  config.identity = identity;
  config.listen_address = advertise_address;
  config.bootstrap_address = role == core::Role::kBootstrap ? "" : flags.bootstrap;
  config.timing = flags.timing;
  config.faults = flags.faults;
  config.bridge_auth = flags.bridge_auth;
  config.genesis_auth = flags.genesis_auth;
  config.build_id = std::string(build_id());
  config.delay_rules = delay_rules;

  AsioEnv env(io, transport, logger, registry);
  {
    // A Data call may reach the core from a gRPC thread already.
    auto core = transport.gate().lock();
    process = roles::make_process(env, config);
  }

  HttpServer http(io, [&](const HttpRequest& request) {
    auto core = transport.gate().lock();
    return handle_endpoint(request, *process, registry, [&] {
      std::string fields = build_status_fields(config.build_id, config.protocol_version);
      if (std::string links = peer_status_json(*process); !links.empty()) fields += "," + links;
      return fields;
    });
  });
  if (std::string error = http.listen(flags.http); !error.empty()) {
    server->Shutdown();
    return fail(role, "--http " + error);
  }
  const std::string http_address = with_port(flags.http, http.port());
  if (std::string error = write_ports_file(flags.data_dir, listen_address, http_address,
                                           static_cast<int>(getpid()));
      !error.empty()) {
    server->Shutdown();
    return fail(role, error);
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  logger.log(core::LogLevel::kInfo, "listening",
             {{"grpc", listen_address},
              {"advertise", advertise_address},
              {"http", http_address},
              {"tls", flags.tls ? "mutual" : "off"},
              {"node_id", node_id->to_hex()},
              {"build_id", config.build_id},
              {"protocol_version", std::to_string(config.protocol_version)},
              {"data_dir", flags.data_dir}});

  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    auto core = transport.gate().lock();
    logger.log(core::LogLevel::kInfo, "stopping", {{"signal", std::to_string(signal)}});
    process->stop();  // closes every link from our side
    http.stop();
    io.stop();
  });

  transport.gate().post([&] { process->start(); });
  io.run();

  // The io thread is ours again: let in-flight streams end, then go.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  if (!transport.shutdown()) {
    logger.log(core::LogLevel::kWarn, "streams_outlived_shutdown",
               {{"open", std::to_string(transport.open_streams())}});
  }
  return 0;
}

}  // namespace yz::runtime
