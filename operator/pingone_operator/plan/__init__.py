"""Pure decisions: no I/O, no kopf, no httpx, no kubernetes client.

Given the resource, what PingOne has and the policy, these modules say what to do (create, adopt,
the PUT body, nothing, delete, rotate), who may do it (access), and the status to write; and they
turn failures into condition reasons. The reconciler runs them against its ports.
"""
