#!/usr/bin/env python3
"""capture.py PROMETHEUS_URL OUT.json SECONDS: query_range (1 s steps) of the
series make_tests.py needs, over the last SECONDS, from a yzctl cluster's
Prometheus (`yzctl up --prometheus` prints its URL)."""
import json,sys,urllib.request,urllib.parse,time
P,out,secs=sys.argv[1],sys.argv[2],int(sys.argv[3])
end=time.time(); start=end-secs
exprs={
 "missing":'yz_peers_missing_handler',
 "dropped":'yz_dht_messages_dropped_total{reason="no_handler"}',
 "timeouts":'yz_find_node_timeouts_total',
 "onboarding":'yz_onboarding_total',
 "hcf":'yz_health_check_failures_total',
 "healthy":'yz_healthy','conn':'yz_connected_peers','rt':'yz_routing_table_size',
 "up":'up',"fnresp":'yz_dht_messages_received_total',
}
res={}
for k,e in exprs.items():
    r=json.load(urllib.request.urlopen(P+"/api/v1/query_range?"+urllib.parse.urlencode({"query":e,"start":start,"end":end,"step":"1"})))
    res[k]=r["data"]["result"]
json.dump({"start":start,"result":res},open(out,"w"))
print({k:len(v) for k,v in res.items()})
