#pragma once

#include <string>

#include "sim/timeline.h"

namespace yz::sim {

// One self-contained HTML page for a recorded run: inline CSS, inline SVG
// and a little inline script, nothing fetched. Three sections, with stable
// ids and classes for tests and for anyone styling it:
//   #swimlanes   one g.lane per process over virtual time, rect.seg.healthy /
//                .unhealthy / .not-started, the connection count as a line.
//   #link-graph  processes on a circle (g.node), peer links at a chosen
//                moment (g.edge; g.edge.no-listener when an end has no DHT
//                listener, drawn red and dashed). A slider (#moment) and a
//                list (#moments) pick the moment; the first violation is the
//                default. The script rebuilds the edges from the embedded
//                link events.
//   #sequence    a sequence diagram of the frames to and from the process of
//                the first violation, 40 before it and 20 after, dropped
//                ones (g.msg.dropped) marked, the violation as a line.
std::string report_html(const RunRecord& record);

// For HTML text and attribute values.
std::string html_escape(const std::string& s);
// A JSON string literal that is also safe inside <script>: no "<", ">", "&",
// U+2028 or U+2029 left as they are.
std::string script_string(const std::string& s);

}  // namespace yz::sim
