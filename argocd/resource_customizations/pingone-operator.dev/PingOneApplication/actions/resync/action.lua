-- resync: what `kubectl annotate p1app NAME ops.pingone-operator.dev/resync=<now> --overwrite`
-- does. Any change of the annotation makes the operator re-read the application from PingOne at
-- once (and correct drift); it runs at most once per RESYNC_MIN_INTERVAL_SECONDS per resource.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["ops.pingone-operator.dev/resync"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
