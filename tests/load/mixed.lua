-- Mixed McDewey traffic for wrk: searches (hybrid), chunk JSON, chunk pages and MCP
-- tool calls (stateless streamable HTTP, protocol 2026-07-28), in turn.
local queries = {
  "how%20do%20I%20enable%20mixed%20mode%20with%20the%20CLI", "utils%20ctl%20update%20CTLFile",
  "CAPF%20certificates%20for%20phones", "tokenless%20CTL", "SIP%20trunk%20security%20profile",
  "encrypted%20phone%20configuration%20files", "ITLRecovery%20certificate", "secure%20SRST",
}
local chunks = {
  "cucm::v12.5.1su1::security-guide::security-guide::302", "cucm::v15::security-guide::security-modes::3",
  "cucm::v12.5.1::security-guide::cisco-ctl-client-setup::10", "cucm::v15::security-guide::an-overview::1",
}
local mcp_body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},"name":"search_docs","arguments":{"query":"how to enable mixed mode","limit":3}}}'
local n = 0

request = function()
  n = n + 1
  local k = n % 10
  if k < 5 then
    return wrk.format("GET", "/api/search?q=" .. queries[(n % #queries) + 1] .. "&limit=10")
  elseif k < 7 then
    return wrk.format("GET", "/api/chunks/" .. chunks[(n % #chunks) + 1])
  elseif k < 8 then
    return wrk.format("GET", "/chunks/" .. chunks[(n % #chunks) + 1])
  else
    return wrk.format("POST", "/mcp", {
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json, text/event-stream",
      ["MCP-Protocol-Version"] = "2026-07-28",
      ["Mcp-Method"] = "tools/call",
      ["Mcp-Name"] = "search_docs",
    }, mcp_body)
  end
end

local bad = 0
response = function(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad <= 5 then io.stderr:write("status " .. status .. ": " .. string.sub(body, 1, 200) .. "\n") end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests %d errors connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("latency_ms p50=%.1f p90=%.1f p99=%.1f max=%.1f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("throughput_rps %.1f\n", summary.requests / (summary.duration / 1e6)))
end
