-- MCP tools/call echo for wrk: one JSON-RPC id per request, every answer checked.
--
--   wrk -t2 -c8 -d10s --latency -s bench/wrk/mcp-echo.lua http://127.0.0.1:PORT/mcp -- SESSION VERSION [AUTH]
--
-- SESSION is the Mcp-Session-Id of a session initialised beforehand ("-" for none; McpLoadBench
-- does the initialize and passes it), VERSION the negotiated MCP-Protocol-Version, AUTH an optional
-- Authorization header value ("Bearer <data_dir>/mcp_token" for a gateway that wants it). An answer counts
-- as ok when it is HTTP 200 with a JSON-RPC result, isError not true and the echoed text in it
-- (application/json or text/event-stream alike); everything else is counted as not ok. Counts are
-- kept per wrk thread and summed in done() through thread:get.

local threads = {}
local started = 0

function setup(thread)
  started = started + 1
  thread:set("tid", started)
  table.insert(threads, thread)
end

function init(args)
  seq = 0
  ok = 0
  bad = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  local session = args[1]
  if session ~= nil and session ~= "" and session ~= "-" then
    wrk.headers["Mcp-Session-Id"] = session
  end
  wrk.headers["MCP-Protocol-Version"] = args[2] or "2025-11-25"
  if args[3] ~= nil and args[3] ~= "" then
    wrk.headers["Authorization"] = args[3]
  end
end

function request()
  seq = seq + 1
  local id = tid * 1000000000 + seq
  local body = '{"jsonrpc":"2.0","id":' .. id
    .. ',"method":"tools/call","params":{"name":"echo","arguments":{"text":"wrk-' .. id .. '"}}}'
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 200
      and body:find('"result"', 1, true)
      and body:find('wrk-', 1, true)
      and not body:find('"isError":true', 1, true)
      and not body:find('"isError" : true', 1, true)
      and not body:find('"isError": true', 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local good, wrong = 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    wrong = wrong + t:get("bad")
  end
  io.write(string.format("checked: %d ok, %d not ok\n", good, wrong))
end
