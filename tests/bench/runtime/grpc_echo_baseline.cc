// The floor the yz runtime is measured against: a bare gRPC server of the
// same PeerLink.Connect bidi stream, on the same callback API and the same
// server settings as roles/runtime, that answers every Frame it reads and
// does nothing else.
//
//   grpc_echo_baseline --serve --port-file F [--reply-file R]
//       Serves on 127.0.0.1 (an ephemeral port, written to F) until SIGTERM.
//       Without --reply-file every frame is echoed back unchanged ("echo");
//       with it every frame is answered with the serialized Frame in R, its
//       request_id set to the request's ("canned": same bytes on the wire as
//       a real find_node answer).
//   grpc_echo_baseline [--sequential N] [--pipelined N] [--window W] [--blocks N]
//       Starts itself twice as a server (echo, and canned with a synthetic
//       20-peer find_node_response), measures both, interleaved, with the
//       client in link_bench.h, and prints one JSON object.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "tests/bench/runtime/link_bench.h"
#include "tests/integration/harness.h"
#include "yz/v1/peer.grpc.pb.h"

namespace yz::bench {
namespace {

// One stream: reads continuously, queues one answer per frame read and
// writes them in order (one write in flight, as gRPC requires), like
// roles/runtime/transport.cc's Stream but without the hop to an io thread.
class EchoReactor final : public grpc::ServerBidiReactor<v1::Frame, v1::Frame> {
 public:
  explicit EchoReactor(const v1::Frame* canned) : canned_(canned) {
    StartSendInitialMetadata();
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    std::lock_guard lock(mu_);
    if (!ok) {
      read_done_ = true;
      if (!writing_) FinishLocked();
      return;
    }
    if (canned_ != nullptr) {
      queue_.push_back(*canned_);
      queue_.back().set_request_id(in_.request_id());
    } else {
      queue_.push_back(std::move(in_));
    }
    if (!writing_) {
      writing_ = true;
      StartWrite(&queue_.front());
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    queue_.pop_front();
    if (!ok) queue_.clear();
    if (ok && !queue_.empty()) {
      StartWrite(&queue_.front());
      return;
    }
    writing_ = false;
    if (!ok || read_done_ || cancelled_) FinishLocked();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    if (!writing_) FinishLocked();
  }

  void OnDone() override { delete this; }

 private:
  void FinishLocked() {
    if (finished_) return;
    finished_ = true;
    Finish(grpc::Status::OK);
  }

  const v1::Frame* canned_;
  std::mutex mu_;
  v1::Frame in_;
  std::deque<v1::Frame> queue_;
  bool writing_ = false;
  bool read_done_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
};

class EchoService final : public v1::PeerLink::CallbackService {
 public:
  explicit EchoService(const v1::Frame* canned) : canned_(canned) {}
  grpc::ServerBidiReactor<v1::Frame, v1::Frame>* Connect(grpc::CallbackServerContext*) override {
    return new EchoReactor(canned_);
  }

 private:
  const v1::Frame* canned_;
};

int Serve(const std::string& port_file, const std::string& reply_file) {
  // Blocked before gRPC starts its threads, so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  v1::Frame canned;
  const bool use_canned = !reply_file.empty();
  if (use_canned) {
    std::ifstream in(reply_file, std::ios::binary);
    if (!canned.ParseFromIstream(&in)) {
      std::cerr << "grpc_echo_baseline: cannot parse a Frame from " << reply_file << "\n";
      return 2;
    }
  }
  EchoService service(use_canned ? &canned : nullptr);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  // The settings roles/runtime/process_main.cc uses.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(1 << 20);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "grpc_echo_baseline: cannot listen\n";
    return 2;
  }
  const std::string temp = port_file + ".tmp";
  std::ofstream(temp) << port << "\n";
  std::rename(temp.c_str(), port_file.c_str());

  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  return 0;
}

int Measure(const LinkOptions& options) {
  const std::string dir = integration::make_temp_dir("yz-echo-baseline");
  const std::string self = "/proc/self/exe";
  char path[4096];
  const ssize_t n = readlink(self.c_str(), path, sizeof path - 1);
  if (n <= 0) return 2;
  const std::string binary(path, static_cast<std::size_t>(n));

  const std::string reply_file = dir + "/synthetic-find-node-response.bin";
  {
    std::ofstream out(reply_file, std::ios::binary);
    SyntheticFindNodeResponse(20).SerializeToOstream(&out);
  }
  EchoServer echo(binary, "", dir);
  EchoServer canned(binary, reply_file, dir);
  for (const EchoServer* server : {&echo, &canned}) {
    if (!server->error().empty()) {
      std::cerr << "grpc_echo_baseline: " << server->error() << "\n";
      return 1;
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const MemoryFigures echo_idle = ReadMemory(echo.pid());
  const MemoryFigures canned_idle = ReadMemory(canned.pid());
  FrameClient echo_client(echo.address());
  FrameClient canned_client(canned.address());
  const std::vector<LinkFigures> figures =
      MeasureInterleaved({{"echo", &echo_client, EchoProtocol(), echo.pid()},
                          {"canned", &canned_client, EchoProtocol(), canned.pid()}},
                         options);
  std::cout << "{\"machine\":" << MachineJson() << ",\"echo\":{\"idle_memory\":" << Json(echo_idle)
            << ",\"loaded_memory\":" << Json(ReadMemory(echo.pid()))
            << ",\"link\":" << Json(figures[0])
            << "},\"canned_synthetic_20_peers\":{\"idle_memory\":" << Json(canned_idle)
            << ",\"loaded_memory\":" << Json(ReadMemory(canned.pid()))
            << ",\"link\":" << Json(figures[1]) << "}}\n";
  echo_client.Close();
  canned_client.Close();
  return figures[0].error.empty() && figures[1].error.empty() ? 0 : 1;
}

}  // namespace
}  // namespace yz::bench

int main(int argc, char** argv) {
  bool serve = false;
  std::string port_file, reply_file;
  yz::bench::LinkOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--serve") {
      serve = true;
    } else if (arg == "--port-file") {
      port_file = value();
    } else if (arg == "--reply-file") {
      reply_file = value();
    } else if (arg == "--warmup") {
      options.warmup = std::stoi(value());
    } else if (arg == "--sequential") {
      options.sequential = std::stoi(value());
    } else if (arg == "--pipelined") {
      options.pipelined = std::stoi(value());
    } else if (arg == "--window") {
      options.window = std::stoi(value());
    } else if (arg == "--blocks") {
      options.blocks = std::stoi(value());
    } else {
      std::cerr << "usage: grpc_echo_baseline [--serve --port-file F [--reply-file R]] "
                   "[--warmup N] [--sequential N] [--pipelined N] [--window W] [--blocks N]\n";
      return 2;
    }
  }
  if (serve) {
    if (port_file.empty()) {
      std::cerr << "--serve needs --port-file\n";
      return 2;
    }
    return yz::bench::Serve(port_file, reply_file);
  }
  return yz::bench::Measure(options);
}
