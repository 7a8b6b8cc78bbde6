-- Argo CD resource actions for pingone-operator.dev/PingOneApplication (restricted Lua 5.1).
-- resync: re-read the application from PingOne now. Offered once the application exists; greyed
-- out while Paused (the operator makes no PingOne call then) and while the resource is deleted.
local actions = {}
local spec = obj.spec or {}
local status = obj.status or {}
local metadata = obj.metadata or {}
local usable = status.applicationId ~= nil and spec.managementPolicy ~= "Paused" and
  metadata.deletionTimestamp == nil
actions["resync"] = {
  ["displayName"] = "Resync from PingOne",
  ["iconClass"] = "fa fa-fw fa-sync",
  ["disabled"] = not usable,
}
return actions
