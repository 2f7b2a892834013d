"""openmined-psi on N x N items (10% in common), the same shape as pacto's psi-bench.

Prints one JSON line per size: wall seconds (setup + request + response + intersection) and
bytes exchanged (setup, request and response messages as serialized). Raw data structure, so
that the holder's set is sent as hashes, like pacto's tags (the Bloom filter / GCS variants
trade bytes for false positives).
"""
import json
import sys
import time

import private_set_intersection.python as psi

for n in [int(a) for a in sys.argv[1:]] or [10000, 100000]:
    common = n // 10
    q = [f"SN{i:010}" for i in range(n)]
    h = [f"SN{i + n - common:010}" for i in range(n)]
    t0 = time.perf_counter()
    server = psi.server.CreateWithNewKey(True)
    client = psi.client.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(1e-9, n, h, psi.DataStructure.RAW)
    t1 = time.perf_counter()
    request = client.CreateRequest(q)
    t2 = time.perf_counter()
    response = server.ProcessRequest(request)
    t3 = time.perf_counter()
    found = client.GetIntersection(setup, response)
    t4 = time.perf_counter()
    assert len(found) == common, (len(found), common)
    size = len(setup.SerializeToString()) + len(request.SerializeToString()) + len(response.SerializeToString())
    print(json.dumps({"n": n, "seconds": round(t4 - t0, 3), "setup_s": round(t1 - t0, 3), "request_s": round(t2 - t1, 3),
                      "response_s": round(t3 - t2, 3), "intersect_s": round(t4 - t3, 3), "bytes": size,
                      "bytes_per_item": round(size / (2 * n), 2)}))
