-- Copyright (C) 2026 The ngx_ims_module authors
-- 2-clause BSD license: see LICENSE.

-- tools/load.lua: the mixed load of tools/soak.sh and tools/reload-test.sh
--
--   wrk -s tools/load.lua URL [-- keepalive|close [CLIENT]]
--
-- Each connection sends the kinds below in turn (both routes, valid and
-- invalid, Content-Length and chunked, in memory and spilled to a temporary
-- file).  Every request carries "X-Kind: N" so that the access logs of the
-- gateway and of the backend say which kind each line is, and
-- "X-Client: CLIENT" (default wrk) which client sent it.  "close" adds
-- "Connection: close" to every request.
--
-- done() prints, for the calling script:
--   load-kind N NAME EXPECTED      the table below
--   load-status STATUS COUNT       responses seen by wrk, by status
--   load-total REQUESTS CONNECT READ WRITE TIMEOUT STATUS_ERRORS

local UUID = "33ad552d-1149-471c-8190-ff6776174a00"
local IMAGE = "/v2/images/" .. UUID
local V21 = "application/openstack-images-v2.1-json-patch"
local V20 = "application/openstack-images-v2.0-json-patch"

local function ops(n, value)
   local t = {}
   for i = 1, n do
      t[i] = string.format('{"op":"add","path":"/k%d","value":"%s"}', i, value)
   end
   return "[" .. table.concat(t, ",") .. "]"
end

local function nest(n)
   return '[{"op":"remove","path":"/x","value":' .. string.rep("[", n - 2)
          .. string.rep("]", n - 2) .. "}]"
end

-- name, expected status, method, path, Content-Type, body, options
local kinds = {
   {"patch-rename", 200, "PATCH", IMAGE, V21,
    '[{"op":"replace","path":"/name","value":"renamed"}]'},
   {"patch-v2.0-variant", 200, "PATCH", IMAGE,
    "Application/OpenStack-Images-v2.0-JSON-Patch; charset=UTF-8",
    '[{"replace":"/name","value":"renamed"},{"remove":"/custom"}]'},
   {"patch-20k-temp-file", 200, "PATCH", IMAGE, V21,
    ops(50, string.rep("v", 400))},
   {"patch-1000-ops", 200, "PATCH", IMAGE, V21, ops(1000, "v")},
   {"patch-chunked", 200, "PATCH", IMAGE, V21,
    '[{"op":"add","path":"/__description","value":"chunked body"}]',
    {chunked = 7}},
   {"query-valid", 200, "GET", "/v2/cloudimages?limit=5&__imagetype=gold"
    .. "&sort=name:asc,created_at:desc&created_at=gte:2024-02-29T00:00:00Z"
    .. "&visibility=shared&member_status=accepted"},
   {"query-valid-close", 200, "GET",
    "/v2/cloudimages?__os_type=Linux&name=eq:Ubuntu:22.04", nil, nil,
    {close = true}},
   {"passthrough", 200, "GET", "/v2/images?limit=2"},
   {"patch-forbidden", 400, "PATCH", IMAGE, V21,
    '[{"op":"replace","path":"/__imagetype","value":"gold"}]'},
   {"patch-invalid-json", 400, "PATCH", IMAGE, V21, '[{"op":"add",'},
   {"patch-duplicate", 400, "PATCH", IMAGE, V21,
    '[{"op":"replace","path":"/name","path":"/__os_bit","value":"64"}]'},
   {"patch-bad-utf8-chunked", 400, "PATCH", IMAGE, V21,
    '[{"op":"add","path":"/k","value":"\xc0\xaf"}]', {chunked = 5}},
   {"patch-depth-40", 400, "PATCH", IMAGE, V21, nest(40)},
   {"patch-1001-ops", 400, "PATCH", IMAGE, V21, ops(1001, "v")},
   {"patch-415", 415, "PATCH", IMAGE, "application/json",
    '[{"op":"replace","path":"/name","value":"renamed"}]'},
   {"patch-bad-uuid", 400, "PATCH", "/v2/images/not-a-uuid", V21,
    '[{"op":"replace","path":"/name","value":"renamed"}]'},
   {"query-invalid", 400, "GET", "/v2/cloudimages?limit=x"},
   {"query-bad-date", 400, "GET",
    "/v2/cloudimages?created_at=gt:2023-02-29T00:00:00Z"},
}

local function chunk(body, size)
   local out = {}
   for i = 1, #body, size do
      local part = body:sub(i, i + size - 1)
      out[#out + 1] = string.format("%x\r\n%s\r\n", #part, part)
   end
   return table.concat(out) .. "0\r\n\r\n"
end

local function build(id, k, close, client)
   local name, _, method, path, ctype, body, opt = unpack(k)
   opt = opt or {}
   local h = {method .. " " .. path .. " HTTP/1.1", "Host: localhost",
              "X-Kind: " .. id, "X-Client: " .. client}
   if ctype then h[#h + 1] = "Content-Type: " .. ctype end
   if opt.chunked then
      h[#h + 1] = "Transfer-Encoding: chunked"
      body = chunk(body, opt.chunked)
   elseif body then
      h[#h + 1] = "Content-Length: " .. #body
   end
   if close or opt.close then h[#h + 1] = "Connection: close" end
   return table.concat(h, "\r\n") .. "\r\n\r\n" .. (body or "")
end

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
end

function init(args)
   local close = args[1] == "close"
   local client = args[2] or "wrk"
   reqs = {}
   for i, k in ipairs(kinds) do
      reqs[i] = build(i, k, close, client)
   end
   n = 0
   counts = {}
end

function request()
   n = n % #reqs + 1
   return reqs[n]
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
   for i, k in ipairs(kinds) do
      io.write(string.format("load-kind %d %s %d\n", i, k[1], k[2]))
   end
   local total = {}
   for _, t in ipairs(threads) do
      for status, c in pairs(t:get("counts") or {}) do
         total[status] = (total[status] or 0) + c
      end
   end
   for status, c in pairs(total) do
      io.write(string.format("load-status %d %d\n", status, c))
   end
   local e = summary.errors
   io.write(string.format("load-total %d %d %d %d %d %d\n", summary.requests,
                          e.connect, e.read, e.write, e.timeout, e.status))
end
