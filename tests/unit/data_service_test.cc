// The Data service (roles/runtime/data_service.h) on a real gRPC server,
// without a DHT behind it: what it refuses before the core is asked, and
// how a call's deadline becomes the core's budget. The answers from a real
// DHT are tested on real processes (tests/cluster/yzctl_data_test.cc).
#include "roles/runtime/data_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "roles/runtime/core_gate.h"
#include "roles/runtime/data_limits.h"

namespace yz::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

TEST(DataLimitsTest, NamesEachProblem) {
  EXPECT_EQ(key_problem("k"), "");
  EXPECT_EQ(key_problem("ключ/🔑"), "");
  EXPECT_EQ(key_problem(std::string(256, 'k')), "");
  EXPECT_EQ(key_problem(""), "key is empty");
  EXPECT_EQ(key_problem(std::string(257, 'k')), "key is 257 bytes; the limit is 256");
  EXPECT_EQ(key_problem(std::string("ab\xc3", 3)), "key is not valid UTF-8 (at byte 2)");
  EXPECT_EQ(key_problem(std::string("\xed\xa0\x80", 3)), "key is not valid UTF-8 (at byte 0)");
  EXPECT_EQ(value_problem(""), "");
  EXPECT_EQ(value_problem(std::string(kMaxValueBytes, 'v')), "");
  EXPECT_EQ(value_problem(std::string(kMaxValueBytes + 1, 'v')),
            "value is 65537 bytes; the limit is 65536");
  EXPECT_EQ(value_problem("12345", 4), "value is 5 bytes; the limit is 4");
}

TEST(DataServiceTest, BudgetFollowsTheDeadline) {
  const auto now = system_clock::now();
  EXPECT_EQ(call_budget(system_clock::time_point::max(), now), kDefaultCallBudget);
  EXPECT_EQ(call_budget(now + seconds(1), now), 950 * core::kMillisecond);
  EXPECT_EQ(call_budget(now + seconds(10), now), 9800 * core::kMillisecond);
  EXPECT_EQ(call_budget(now + seconds(3600), now), kMaxCallBudget);
  EXPECT_LE(call_budget(now, now), 0);
  EXPECT_LE(call_budget(now - seconds(1), now), 0);
}

// A server with the Data service and a core that has no DHT member yet.
class DataServiceServer : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ && port > 0);
    io_thread_ = std::thread([this] { io_.run(); });
    stub_ = v1::Data::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                  grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown(system_clock::now() + milliseconds(500));
    work_.reset();
    io_.stop();
    io_thread_.join();
  }

  grpc::Status put(const std::string& key, const std::string& value) {
    grpc::ClientContext context;
    context.set_deadline(system_clock::now() + seconds(10));
    v1::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    v1::PutResponse response;
    return stub_->Put(&context, request, &response);
  }
  grpc::Status get(const std::string& key) {
    grpc::ClientContext context;
    context.set_deadline(system_clock::now() + seconds(10));
    v1::GetRequest request;
    request.set_key(key);
    v1::GetResponse response;
    return stub_->Get(&context, request, &response);
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  CoreGate gate_{io_};
  DataService service_{gate_, [] { return static_cast<core::DhtMember*>(nullptr); }};
  std::unique_ptr<grpc::Server> server_;
  std::thread io_thread_;
  std::unique_ptr<v1::Data::Stub> stub_;
};

TEST_F(DataServiceServer, RefusesBadInputNamingTheProblem) {
  grpc::Status s = put("", "v");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "key is empty");
  s = get(std::string(300, 'k'));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "key is 300 bytes; the limit is 256");
}

TEST_F(DataServiceServer, NotAMemberIsUnavailable) {
  for (const grpc::Status& s : {put("k", "v"), get("k")}) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(s.error_message().rfind("not joined", 0), 0u) << s.error_message();
  }
}

// Calls that wait for the core when the client gives up: each is answered
// once (CANCELLED or DEADLINE_EXCEEDED), and the core's later turn finds
// them finished and touches nothing.
TEST_F(DataServiceServer, ClientsThatGiveUpWhileTheCoreIsBusy) {
  std::vector<grpc::Status> statuses;
  {
    auto busy = gate_.lock();  // the core is busy: every call is posted
    std::vector<std::thread> clients;
    std::mutex mu;
    for (int i = 0; i < 8; ++i) {
      clients.emplace_back([&, i] {
        grpc::ClientContext context;
        context.set_deadline(system_clock::now() + milliseconds(50));
        v1::GetRequest request;
        request.set_key("k" + std::to_string(i));
        v1::GetResponse response;
        const grpc::Status s = stub_->Get(&context, request, &response);
        std::lock_guard lock(mu);
        statuses.push_back(s);
      });
    }
    for (auto& c : clients) c.join();
  }
  ASSERT_EQ(statuses.size(), 8u);
  for (const grpc::Status& s : statuses)
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  // The core runs the calls it was handed, long after; the service still
  // answers new ones.
  EXPECT_EQ(get("k").error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace yz::runtime
