"""Schemathesis hooks for test_rest_openapi.py (loaded through SCHEMATHESIS_HOOKS).

get_events long-polls up to `wait_secs` (0-300) when nothing matches; a generated 300 would hold one request
for five minutes and stall the bounded run. The hook caps it at 1 s: the route is still exercised with every
other value it can take, and its waiting is tested in test_events.py and test_rest.py.
"""

import schemathesis


@schemathesis.hook
def map_query(ctx, query):
    if ctx.operation is not None and ctx.operation.path.endswith("/events") and isinstance(query, dict):
        wait = query.get("wait_secs")
        if isinstance(wait, int) and wait > 1:
            query["wait_secs"] = 1
    return query
