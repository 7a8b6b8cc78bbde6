-- Argo CD health check for pingone-operator.dev/PingOneConnection.
-- Runs in Argo CD's restricted Lua 5.1 sandbox: base and table functions only, no string library.
local hs = {}

-- Ready=False reasons a person has to fix (the credentials Secret, the worker's secret or its
-- roles): Degraded. Others (PingOneUnavailable, RateLimited, ...) clear by themselves: Progressing.
local needsAction = {
  ConnectionInvalid = true,
  AuthenticationFailed = true,
  PermissionDenied = true,
  SecretForbidden = true,
}

local ready = nil
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      ready = c
    end
  end
end

local function describe(c)
  local text = c.reason or "Unknown"
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local metadata = obj.metadata or {}
if metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting"
  return hs
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to sign in with the connection's credentials"
  return hs
end

if metadata.generation ~= nil and ready.observedGeneration ~= nil and
    ready.observedGeneration < metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to check generation " .. metadata.generation
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end

if ready.status == "False" and needsAction[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end

hs.status = "Progressing"
if ready.status == "False" then
  hs.message = describe(ready) .. " (the operator retries)"
else
  hs.message = describe(ready)
end
return hs
