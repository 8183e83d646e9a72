#include "sim/story.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "sim/explore.h"

namespace yz::sim {
namespace {

using Fields = std::map<std::string, std::string>;

struct Log {
  std::string what;
  Fields fields;
};

struct Step {
  std::uint64_t n = 0;
  double t = 0;
  std::string process;
  std::string kind;  // start, timer, frame, accept, ...
  Fields fields;     // link, peer, type, req, ...
  std::uint64_t cause = 0;
  std::vector<Log> logs;

  const Log* log(const std::string& what) const {
    for (const auto& l : logs)
      if (l.what == what) return &l;
    return nullptr;
  }
  const Log* log(const std::string& what, const std::string& key, const std::string& value) const {
    for (const auto& l : logs)
      if (l.what == what) {
        auto it = l.fields.find(key);
        if (it != l.fields.end() && it->second == value) return &l;
      }
    return nullptr;
  }
  std::string field(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  }
  bool frame(const std::string& type) const { return kind == "frame" && field("type") == type; }
};

std::string field_of(const Log& log, const std::string& key) {
  auto it = log.fields.find(key);
  return it == log.fields.end() ? std::string() : it->second;
}

// "key=value" words; a word without '=' continues the previous value (an
// error text has spaces in it).
void parse_fields(std::istringstream& in, Fields& fields) {
  std::string word;
  std::string* last = nullptr;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos && eq > 0) {
      last = &fields[word.substr(0, eq)];
      *last = word.substr(eq + 1);
    } else if (last != nullptr) {
      *last += " " + word;
    }
  }
}

std::string seconds(double t) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f s", t);
  return buffer;
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

bool is_request(const std::string& type) {
  return type == "find_node" || type == "create_invitation_for_peer";
}

// A trace's steps as a graph: each step with its logs and the step that
// caused it, and the reverse edges (what each step caused).
class Graph {
 public:
  Graph(const TraceFile& trace, const RunResult& result) {
    for (const auto& node : result.nodes) {
      name_[node.node_id.substr(0, 8)] = node.name;
      short_[node.name] = node.node_id.substr(0, 8);
    }
    steps_.emplace_back();  // step 0: before the run, and the logs printed then
    for (const auto& text : trace.steps) {
      std::istringstream in(text);
      std::string word;
      if (text.starts_with(" ")) {
        Log log;
        std::string process;
        in >> word >> process >> log.what;
        parse_fields(in, log.fields);
        steps_.back().logs.push_back(std::move(log));
        continue;
      }
      Step step;
      in >> word;
      step.n = std::strtoull(word.c_str(), nullptr, 10);
      in >> word;
      if (word.starts_with("t=")) step.t = std::strtod(word.c_str() + 2, nullptr);
      in >> step.process >> step.kind;
      parse_fields(in, step.fields);
      step.cause = std::strtoull(step.field("cause").c_str(), nullptr, 10);
      // Step numbers run 1, 2, 3, ... in a trace; anything else is not one.
      if (step.n != steps_.size()) continue;
      steps_.push_back(std::move(step));
    }
    effects_.resize(steps_.size());
    for (const auto& step : steps_) {
      if (step.cause != 0 && step.cause < step.n) effects_[step.cause].push_back(step.n);
      for (const auto& log : step.logs)
        if (log.what == "request_timeout")
          timeouts_[{step.process, field_of(log, "req"), field_of(log, "peer")}].push_back(step.n);
    }
  }

  // The steps at which `process` timed out its request `req` to `peer`
  // (request ids start again at a restart, hence a list).
  const std::vector<std::uint64_t>* timeouts(const std::string& process, const std::string& req,
                                             const std::string& peer) const {
    auto it = timeouts_.find({process, req, peer});
    return it == timeouts_.end() ? nullptr : &it->second;
  }

  std::size_t size() const { return steps_.size(); }
  const Step& at(std::uint64_t n) const { return steps_[n]; }
  const std::vector<std::uint64_t>& effects(std::uint64_t n) const { return effects_[n]; }
  std::string name(const std::string& short_id) const {
    auto it = name_.find(short_id);
    return it == name_.end() ? short_id : it->second;
  }
  std::string short_id(const std::string& name) const {
    auto it = short_.find(name);
    return it == short_.end() ? name : it->second;
  }

 private:
  std::vector<Step> steps_;
  std::vector<std::vector<std::uint64_t>> effects_;
  std::map<std::string, std::string> name_;   // 8 hex digits -> process name
  std::map<std::string, std::string> short_;  // process name -> 8 hex digits
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::uint64_t>> timeouts_;
};

struct Chain {
  std::vector<std::string> links;
  std::vector<std::uint64_t> drops;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

class Teller {
 public:
  explicit Teller(const Graph& g) : g_(g) {}

  // Why the link a frame was lost on had no DHT listener: what the DHT of
  // the dropping node logged about the sender before the drop.
  std::vector<std::string> link_cause(const Step& drop, std::uint64_t* at = nullptr) const {
    const Log* dropped = drop.log("dropped_no_handler");
    const std::string sender_short = dropped ? field_of(*dropped, "peer") : std::string();
    const std::string node = drop.process;
    const std::string sender = g_.name(sender_short);
    for (std::uint64_t n = drop.n; n-- > 1;) {
      const Step& step = g_.at(n);
      if (step.process != node) continue;
      for (const auto& log : step.logs) {
        if (field_of(log, "peer") != sender_short) continue;
        if (at != nullptr) *at = n;
        if (log.what == "peer_already_in_routing_table")
          return {node + " accepted a link from " + sender,
                  sender + " was already in " + node + "'s routing table",
                  "the DHT returned early, no handler attached"};
        if (log.what == "attach_deferred")
          return {node + " accepted a link from " + sender,
                  node + " put off attaching the DHT listener by an asynchronous step"};
        if (log.what == "replacement_without_callback")
          return {node + "'s bucket for " + sender + " was full",
                  sender + " went to the replacement cache and on_node_added never fired",
                  "the link from " + sender + " never got a DHT listener"};
      }
    }
    return {};
  }

  // The timeout of the request delivered at `delivery`, at its sender: the
  // sender's timer step that logged request_timeout for its request id.
  std::optional<std::uint64_t> timeout_of(const Step& delivery) const {
    const auto* steps =
        g_.timeouts(delivery.field("peer"), delivery.field("req"), g_.short_id(delivery.process));
    if (steps == nullptr) return std::nullopt;
    // The first after the step that sent it (ids repeat after a restart).
    auto it = std::lower_bound(steps->begin(), steps->end(), delivery.cause);
    if (it == steps->end()) return std::nullopt;
    return *it;
  }

  // What one process did on behalf of one request it received at `root`:
  // the requests it sent for it (directly, or from the answers to those and
  // the timers it armed meanwhile), followed only along cause edges, so that
  // another lookup the same process runs at the same time stays out.
  struct Work {
    std::set<std::uint64_t> own;          // steps at the worker
    std::vector<std::uint64_t> requests;  // their deliveries elsewhere
    std::vector<std::uint64_t> replies;   // frames it sent to whoever asked
  };
  Work work_from(std::uint64_t root) const {
    Work w;
    const std::string worker = g_.at(root).process;
    const std::string asker = g_.at(root).field("peer");
    std::deque<std::uint64_t> todo{root};
    w.own.insert(root);
    std::set<std::uint64_t> requests;
    while (!todo.empty()) {
      const std::uint64_t s = todo.front();
      todo.pop_front();
      const bool at_worker = g_.at(s).process == worker;
      for (std::uint64_t e : g_.effects(s)) {
        const Step& step = g_.at(e);
        if (at_worker) {
          // Its timers: request timeouts, a lookup's budget; they go on
          // with the same work.
          if (step.process == worker && step.kind == "timer") {
            if (w.own.insert(e).second) todo.push_back(e);
          } else if (step.kind == "frame" && step.process != worker &&
                     step.field("peer") == worker && is_request(step.field("type"))) {
            if (requests.insert(e).second) todo.push_back(e);
          } else if (step.kind == "frame" && step.process == asker &&
                     step.field("peer") == worker) {
            w.replies.push_back(e);
          }
        } else if (step.kind == "frame" && step.process == worker &&
                   step.field("peer") == g_.at(s).process &&
                   step.field("req") == g_.at(s).field("req")) {
          if (w.own.insert(e).second) todo.push_back(e);
        }
      }
    }
    w.requests.assign(requests.begin(), requests.end());
    std::sort(w.replies.begin(), w.replies.end());
    return w;
  }

  // Why a bridge asked (at `asked`) to broker newcomer `newcomer` did not
  // bring an invitation in time: the requests of its lookup that were lost,
  // or answered only after their timeout.
  Chain brokering(std::uint64_t asked, const std::string& newcomer) const {
    Chain c;
    const Step& root = g_.at(asked);
    const std::string bridge = root.process;
    const Work w = work_from(asked);
    std::vector<std::uint64_t> dropped;
    std::optional<std::uint64_t> late;
    for (std::uint64_t r : w.requests) {
      const Step& req = g_.at(r);
      if (req.log("dropped_no_handler")) {
        dropped.push_back(r);
        continue;
      }
      // Answered, but after the asker stopped waiting: the network was slow.
      const auto timeout = timeout_of(req);
      if (!timeout || late) continue;
      for (std::uint64_t e : g_.effects(r))
        if (g_.at(e).process == bridge && g_.at(e).field("req") == req.field("req") && e > *timeout)
          late = r;
    }
    const std::string who = g_.name(newcomer);
    if (!dropped.empty()) {
      const Step& first = g_.at(dropped.front());
      const std::string type = first.field("type");
      std::vector<std::string> nodes;
      for (std::uint64_t d : dropped)
        if (g_.at(d).field("type") == type &&
            std::find(nodes.begin(), nodes.end(), g_.at(d).process) == nodes.end())
          nodes.push_back(g_.at(d).process);
      std::uint64_t cause_step = 0;
      c.links = link_cause(first, &cause_step);
      c.links.push_back(type + " from " + bridge + " dropped at " + list(nodes) + " (at " +
                        seconds(first.t) + ")");
      c.drops = dropped;
      c.first = cause_step != 0 ? cause_step : first.n;
      c.last = dropped.back();
      const auto timeout = timeout_of(first);
      std::string waited = bridge + "'s lookup for " + who;
      if (type == "find_node") {
        waited += nodes.size() == 1 ? " waited on it" : " waited on them";
        if (timeout)
          waited += " until its " + seconds(g_.at(*timeout).t - g_.at(first.cause).t) +
                    " timeout (at " + seconds(g_.at(*timeout).t) + ")";
      } else {
        waited = bridge + "'s request for an invitation got no answer";
      }
      c.links.push_back(waited);
      if (timeout) c.last = *timeout;
    } else if (late) {
      const Step& req = g_.at(*late);
      const auto timeout = timeout_of(req);
      c.links.push_back(bridge + "'s " + req.field("type") + " to " + req.process + " for " + who +
                        " was answered after its " +
                        seconds(g_.at(*timeout).t - g_.at(req.cause).t) +
                        " timeout: the answer was slow, not lost");
      c.first = *late;
      c.last = *timeout;
    } else if (!w.requests.empty()) {
      // Nothing lost, nothing timed out: the lookup was just slow. How many
      // it asked, the slowest round trip, and how long it took.
      double slowest = 0;
      for (std::uint64_t r : w.requests)
        for (std::uint64_t e : g_.effects(r))
          if (g_.at(e).process == bridge && g_.at(e).field("req") == g_.at(r).field("req"))
            slowest = std::max(slowest, g_.at(e).t - g_.at(g_.at(r).cause).t);
      std::optional<std::uint64_t> done;
      for (std::uint64_t n : w.own)
        if (g_.at(n).log("create_invitation_for_peer", "newcomer", newcomer) ||
            g_.at(n).log("onboarding_lookup_failed", "newcomer", newcomer)) {
          done = n;
          break;
        }
      std::string line = bridge + " lost no frame brokering " + who + ", but with round trips " +
                         "up to " + seconds(slowest) + " its lookup (" +
                         std::to_string(w.requests.size()) + " requests)";
      line += done ? " took " + seconds(g_.at(*done).t - root.t) : std::string(" dragged on");
      c.links.push_back(line + ": the network was slow");
      c.first = asked;
      c.last = done ? *done : asked;
    }
    return c;
  }

  // Why the bootstrap's onboarding of a newcomer failed at step `failed`.
  Chain onboarding(std::uint64_t failed) const {
    const Step& step = g_.at(failed);
    const Log* log = step.log("onboarding_failed");
    const std::string newcomer = log ? field_of(*log, "newcomer") : std::string();
    const std::string error = log ? field_of(*log, "error") : std::string();
    const std::string who = g_.name(newcomer);
    Chain c;
    if (step.kind == "timer" && step.log("bridge_timeout", "newcomer", newcomer)) {
      // The bootstrap stopped waiting: the step that armed its timer asked
      // a bridge, whose delivery of that ask starts the bridge's work.
      std::optional<std::uint64_t> asked;
      for (std::uint64_t e : g_.effects(step.cause))
        if (g_.at(e).frame("get_onboarding_peer")) {
          asked = e;
          if (g_.at(e).log("onboarding_requested", "newcomer", newcomer)) break;
        }
      if (asked) {
        c = brokering(*asked, newcomer);
        const std::string bridge = g_.at(*asked).process;
        std::string gave_up = "the bootstrap gave up on " + bridge + " after " +
                              seconds(step.t - g_.at(step.cause).t) + " (bridge_timeout)";
        const Work w = work_from(*asked);
        if (!w.replies.empty() && w.replies.front() > failed)
          gave_up += "; its answer came at " + seconds(g_.at(w.replies.front()).t) + ", too late";
        c.links.push_back(gave_up);
        if (c.first == 0) c.first = *asked;
      }
    } else if (step.kind == "frame" && step.cause != 0) {
      // A bridge answered: walk back from its answer to the ask it served.
      const std::string bridge = step.field("peer");
      std::uint64_t s = step.cause;
      for (int hops = 0; s != 0 && hops < 10000; ++hops) {
        const Step& at = g_.at(s);
        if (at.process == bridge && at.log("onboarding_requested", "newcomer", newcomer)) break;
        s = at.cause;
      }
      if (s != 0) {
        c = brokering(s, newcomer);
        const Step& answer = g_.at(step.cause);
        std::string told = bridge + " told the bootstrap it found no helper";
        if (answer.log("onboarding_lookup_failed"))
          told = bridge + "'s lookup for " + who + " failed";
        c.links.push_back(told);
        if (c.first == 0) c.first = s;
      }
    }
    std::string reason = error.starts_with("Onboarding failed: ") ? error.substr(19) : error;
    if (error.find("findNode timeout") != std::string::npos) {
      c.links.push_back(who + "'s onboarding timed out (findNode timeout)");
    } else if (error.find("did not answer within") != std::string::npos) {
      c.links.push_back(who + "'s onboarding timed out (" + reason + ")");
    } else {
      c.links.push_back(who + "'s onboarding failed (" +
                        (reason.empty() ? std::string("no reason given") : reason) + ")");
    }
    if (c.first == 0) c.first = failed;
    c.last = failed;
    return c;
  }

  // A frame refused on arrival (handshake_refused, frame_refused, ...) that
  // cost its sender the link: the last such refusal of a frame from one of
  // `senders` (short ids), how it closed the link, and how often the same
  // refusal came back.
  Chain refusal(const std::set<std::string>& senders) const {
    Chain c;
    std::optional<std::uint64_t> last;
    for (std::uint64_t n = g_.size(); n-- > 1;) {
      const Step& step = g_.at(n);
      if (step.kind != "frame" || !senders.contains(g_.short_id(step.field("peer")))) continue;
      for (const auto& log : step.logs)
        if (log.what.ends_with("refused") && log.fields.contains("reason")) last = n;
      if (last) break;
    }
    if (!last) return c;
    const Step& step = g_.at(*last);
    const std::string sender = step.field("peer");
    const std::string receiver = step.process;
    std::string what;
    for (const auto& log : step.logs)
      if (log.what.ends_with("refused") && log.fields.contains("reason")) what = log.what;
    const Log& refused = *step.log(what);
    const std::string reason = field_of(refused, "reason");
    const bool handshake = what == "handshake_refused";
    c.links.push_back(sender + " sent " + step.field("type") + " to " + receiver +
                      (step.cause != 0 ? " at " + seconds(g_.at(step.cause).t) : std::string()) +
                      (handshake ? ", before their handshake had completed" : ""));
    std::string line =
        receiver + " refused " + (handshake ? "the handshake" : "it") + " (" + reason + ")";
    c.last = *last;
    for (std::uint64_t e : g_.effects(*last))
      if (g_.at(e).kind == "closed" && g_.at(e).process == sender) {
        line += " and closed the link";
        c.last = e;
        break;
      }
    c.links.push_back(line);
    std::size_t times = 0;
    for (std::uint64_t n = 1; n < g_.size(); ++n) {
      const Step& other = g_.at(n);
      if (other.kind == "frame" && other.process == receiver && other.field("peer") == sender)
        if (const Log* log = other.log(what); log != nullptr && field_of(*log, "reason") == reason)
          ++times;
    }
    if (times > 1)
      c.links.push_back("it happened " + std::to_string(times) + " times: " + sender +
                        " never kept a link to " + receiver);
    c.first = step.cause != 0 ? step.cause : *last;
    return c;
  }

  // A handshake that did not finish in time at one of `processes` (short
  // ids): the last such, the slowest frame on its link (one way, up to the
  // timeout), and how often handshakes of that process timed out.
  Chain handshake_timeout(const std::set<std::string>& processes) const {
    Chain c;
    std::optional<std::uint64_t> last;
    const Log* log = nullptr;
    for (std::uint64_t n = g_.size(); n-- > 1 && !last;) {
      const Step& step = g_.at(n);
      if (!processes.contains(g_.short_id(step.process))) continue;
      for (const auto& l : step.logs)
        if (l.what == "handshake_timeout" && l.fields.contains("link")) {
          last = n;
          log = &l;
        }
    }
    if (!last) return c;
    const Step& step = g_.at(*last);
    const std::string link = field_of(*log, "link");
    const std::string peer = field_of(*log, "address");
    double slowest = 0;
    std::size_t frames = 0;
    for (std::uint64_t n = std::max<std::uint64_t>(step.cause, 1); n < *last; ++n) {
      const Step& at = g_.at(n);
      if (at.kind != "frame" || at.field("link") != link || at.cause == 0) continue;
      ++frames;
      slowest = std::max(slowest, at.t - g_.at(at.cause).t);
    }
    std::size_t times = 0;
    for (std::uint64_t n = 1; n < g_.size(); ++n)
      if (g_.at(n).process == step.process)
        for (const auto& l : g_.at(n).logs)
          if (l.what == "handshake_timeout" && l.fields.contains("link")) ++times;
    std::string line = step.process + "'s handshake with " + peer + " did not finish within " +
                       seconds(step.t - g_.at(step.cause).t);
    line += frames > 0
                ? ": " + std::to_string(frames) + " of its frames arrived, the slowest after " +
                      seconds(slowest) + " one way"
                : std::string(": not one of its frames arrived in that time");
    c.links.push_back(line);
    c.links.push_back(step.process + " closed the link (handshake_timeout)" +
                      (times > 1 ? ", as it did " + std::to_string(times) + " times" : ""));
    c.first = step.cause != 0 ? step.cause : *last;
    c.last = *last;
    return c;
  }

 private:
  const Graph& g_;
};

}  // namespace

Story tell_story(const TraceFile& trace, const RunResult& result, const std::string& wanted) {
  const Graph g(trace, result);
  const Teller teller(g);
  Story story;
  const auto kinds = failure_kinds(result);
  const std::string kind = !wanted.empty() ? wanted : kinds.empty() ? std::string() : kinds[0];
  const bool liveness = kind == "liveness" || kind == "unhealthy_at_end";
  std::set<std::string> unhealthy;  // short ids of the processes unhealthy at the end
  std::vector<std::string> unhealthy_names;
  for (const auto& node : result.nodes)
    if (!node.healthy) {
      unhealthy.insert(node.node_id.substr(0, 8));
      unhealthy_names.push_back(node.name);
    }
  auto finish = [&](const Chain& c) {
    story.links = c.links;
    story.first_step = c.first;
    story.last_step = c.last;
    story.last_time = c.last < g.size() ? g.at(c.last).t : 0;
    story.lost_frames = c.drops;
  };
  auto still_unhealthy = [&](const std::string& newcomer) {
    if (!liveness || !unhealthy.contains(newcomer)) return;
    std::string line = "after healing, " + g.name(newcomer);
    if (unhealthy_names.size() > 1)
      line += " (and " + std::to_string(unhealthy_names.size() - 1) + " more)";
    story.links.push_back(line + " never became healthy within the bound");
  };

  // The bootstrap's failed onboardings, in order.
  std::vector<std::uint64_t> failed;
  for (std::uint64_t n = 1; n < g.size(); ++n) {
    const Log* log = g.at(n).log("onboarding_failed");
    if (log != nullptr && log->fields.contains("newcomer")) failed.push_back(n);
  }
  auto newcomer_of = [&](std::uint64_t n) {
    return field_of(*g.at(n).log("onboarding_failed"), "newcomer");
  };

  // 1. A failed onboarding traced back to lost frames; for a liveness
  // failure, preferably one of a process that stayed unhealthy.
  std::optional<Chain> chosen;
  std::string chosen_newcomer;
  for (int pass = liveness ? 0 : 1; pass < 2 && !chosen; ++pass)
    for (std::uint64_t f : failed) {
      if (pass == 0 && !unhealthy.contains(newcomer_of(f))) continue;
      Chain c = teller.onboarding(f);
      if (c.drops.empty()) continue;
      chosen = std::move(c);
      chosen_newcomer = newcomer_of(f);
      break;
    }
  if (chosen) {
    finish(*chosen);
    story.lost_frame_caused_failure = true;
    still_unhealthy(chosen_newcomer);
    return story;
  }

  // 2. The first frame lost, and what it did to its sender.
  for (std::uint64_t n = 1; n < g.size(); ++n) {
    const Step& step = g.at(n);
    const Log* dropped = step.log("dropped_no_handler");
    if (dropped == nullptr) continue;
    Chain c;
    std::uint64_t cause_step = 0;
    c.links = teller.link_cause(step, &cause_step);
    const std::string sender = g.name(field_of(*dropped, "peer"));
    const std::string type = field_of(*dropped, "type");
    c.links.push_back(type + " from " + sender + " dropped at " + step.process + " (at " +
                      seconds(step.t) + ")");
    c.drops.push_back(n);
    c.first = cause_step != 0 ? cause_step : n;
    c.last = n;
    if (is_request(type))
      if (const auto timeout = teller.timeout_of(step)) {
        c.links.push_back(sender + "'s " + type + " to " + step.process +
                          " got no answer and timed out after " +
                          seconds(g.at(*timeout).t - g.at(step.cause).t));
        c.last = *timeout;
      }
    finish(c);
    return story;
  }

  // 3. Causes that lose no frame.
  for (std::uint64_t n = 1; n < g.size(); ++n) {
    const Step& step = g.at(n);
    for (const auto& log : step.logs) {
      const std::string peer = g.name(field_of(log, "peer"));
      std::vector<std::string>& out = story.links;
      if (log.what == "pong_unmatched") {
        out.push_back("a pong from " + peer + " reached " + step.process +
                      " on another connection manager than its ping left from");
        out.push_back(step.process + " could not match it and counted the ping as lost");
      } else if (log.what == "lookup_spinning") {
        out.push_back(step.process + "'s lookup for " + field_of(log, "target") +
                      " had no candidate left and nothing in flight");
        out.push_back("the loop only ends through its active-query count, so it spun forever");
      } else if (log.what == "replacement_without_callback") {
        out.push_back(step.process + "'s bucket for " + peer + " was full");
        out.push_back(peer + " went to the replacement cache and on_node_added never fired");
        out.push_back("the link from " + peer + " never got a DHT listener");
      } else if (log.what == "attach_deferred") {
        out.push_back(step.process + " accepted a link from " + peer);
        out.push_back(step.process + " put off attaching the DHT listener by an asynchronous step");
      } else {
        continue;
      }
      story.first_step = story.last_step = n;
      story.last_time = step.t;
      if (log.what == "pong_unmatched")
        for (std::uint64_t m = n + 1; m < g.size(); ++m)
          if (const Log* dead = g.at(m).log("link_dead")) {
            out.push_back(g.at(m).process + " closed its live link to " +
                          g.name(field_of(*dead, "peer")) + " as dead after " +
                          field_of(*dead, "unanswered_pings") + " unanswered pings");
            story.last_step = m;
            story.last_time = g.at(m).t;
            break;
          }
      return story;
    }
  }

  // 4. A liveness failure: an unhealthy process's last failed onboarding,
  // and a refused frame that cut an unhealthy process off.
  if (liveness) {
    const Chain refused = teller.refusal(unhealthy);
    for (auto it = failed.rbegin(); it != failed.rend(); ++it) {
      if (!unhealthy.contains(newcomer_of(*it))) continue;
      Chain c = teller.onboarding(*it);
      if (c.links.size() == 1 && !refused.links.empty()) {
        // The onboarding failed for want of something the refusal explains.
        std::vector<std::string> links = refused.links;
        links.push_back(c.links.back());
        c.links = std::move(links);
        c.first = refused.first;
      }
      finish(c);
      still_unhealthy(newcomer_of(*it));
      return story;
    }
    Chain slow = refused.links.empty() ? teller.handshake_timeout(unhealthy) : refused;
    if (!slow.links.empty()) {
      finish(slow);
      std::string line = "after healing, " + unhealthy_names.front();
      if (unhealthy_names.size() > 1)
        line += " (and " + std::to_string(unhealthy_names.size() - 1) + " more)";
      story.links.push_back(line + " never became healthy within the bound");
      return story;
    }
  }

  for (const auto& v : result.invariant_violations)
    if (story.links.empty()) {
      story.links.push_back(v.invariant + " broke on " + v.node + " at step " +
                            std::to_string(v.step));
      story.first_step = story.last_step = v.step;
    }
  if (story.links.empty() && result.liveness.checked && !result.liveness.converged)
    story.links.emplace_back("after healing, not every process became healthy within the bound");
  return story;
}

std::vector<std::string> failure_story(const TraceFile& trace, const RunResult& result) {
  return tell_story(trace, result).links;
}

}  // namespace yz::sim
