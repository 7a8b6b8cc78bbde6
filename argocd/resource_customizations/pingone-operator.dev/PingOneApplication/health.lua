-- Argo CD health check for pingone-operator.dev/PingOneApplication.
-- Runs in Argo CD's restricted Lua 5.1 sandbox: base and table functions only, no string library.
local hs = {}

-- Ready=False reasons that need a person (a spec, a name, a Secret or the operator's
-- credentials must change): Degraded. Every other reason is retried by the operator on its own
-- (PingOneUnavailable, RateLimited, ...): Progressing.
local needsAction = {
  InvalidSpec = true,
  NameConflict = true,
  SecretConflict = true,
  SecretForbidden = true,
  AdoptionFailed = true,
  AdoptionConflict = true,
  ConnectionDenied = true,
  ConnectionNotFound = true,
  ConnectionInvalid = true,
  PermissionDenied = true,
  AuthenticationFailed = true,
  NotFound = true,
}

local function findCondition(status, conditionType)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function describe(c)
  local text = c.reason or "Unknown"
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local metadata = obj.metadata or {}
local status = obj.status
local ready = findCondition(status, "Ready")

if metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting: waiting for the operator to finish clean-up and remove its finalizer"
  if ready ~= nil and ready.status == "False" then
    hs.message = hs.message .. " (" .. describe(ready) .. ")"
  end
  return hs
end

-- managementPolicy: Paused, and the operator has seen it (its Synced condition says so for this
-- generation): Suspended, whatever Ready said before, because nothing will change until unpaused.
local synced = findCondition(status, "Synced")
if synced ~= nil and synced.reason == "Paused" and
    (synced.observedGeneration == nil or metadata.generation == nil or
     synced.observedGeneration >= metadata.generation) then
  hs.status = "Suspended"
  hs.message = describe(synced)
  return hs
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile the application"
  return hs
end

-- Which spec generation the Ready condition is about: its own observedGeneration (operators
-- before kstatus's conventions left status.observedGeneration behind when a sync failed).
local observed = ready.observedGeneration
if observed == nil then
  observed = status.observedGeneration
end
if metadata.generation ~= nil and (observed == nil or observed < metadata.generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to apply generation " .. metadata.generation
  return hs
end

if ready.status == "True" then
  if synced ~= nil and synced.status == "False" then
    -- ObserveOnly: the application exists, but PingOne differs from the spec and the operator
    -- will not change it. Someone has to reconcile the spec (or switch to Manage).
    hs.status = "Degraded"
    hs.message = describe(synced)
    return hs
  end
  hs.status = "Healthy"
  hs.message = "PingOne application ready, client ID " .. (status.clientId or "unknown")
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
