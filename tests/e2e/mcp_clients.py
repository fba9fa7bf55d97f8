"""Real MCP clients against McDewey: the official Python SDK over streamable HTTP and
over stdio. Initialises, lists tools, calls every tool, checks contents, citations and
an error case, and that the session survives errors.

With a third argument set, also the admin tools of a server started with --allow-write
(tokens in $E2E_TOKEN, admin, and $E2E_READ_TOKEN, read): add a document from a URL,
follow its job, find it, remove it; a read token may not.

usage: python mcp_clients.py http://127.0.0.1:PORT/mcp MCDEWEY_BIN LIBRARY DATA [ADMIN_MCP_URL FETCH_URL]
"""
import os
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

try:  # mcp 2.x
    from mcp.client.streamable_http import streamable_http_client as http_client
except ImportError:  # mcp 1.x
    from mcp.client.streamable_http import streamablehttp_client as http_client

PASSED = 0
FAILED = 0
TOOLS = {"search_docs", "get_chunk", "get_context", "list_library", "compare_versions"}
ADMIN_TOOLS = {"add_source", "refresh_source", "remove_document", "list_jobs"}


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"ok   {name}")
    else:
        FAILED += 1
        print(f"FAIL {name}: {detail}")


def attr(obj, snake, camel):
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel, None)


def text_of(res):
    return "\n".join(getattr(c, "text", "") for c in res.content)


async def exercise(session, label):
    init = await session.initialize()
    info = attr(init, "server_info", "serverInfo")
    check(f"{label}: initialize names the server", info.name == "mcdewey", info.name)
    instructions = attr(init, "instructions", "instructions") or ""
    check(f"{label}: instructions list the library", "v12.5.1su1" in instructions, instructions[:200])

    tools = (await session.list_tools()).tools
    names = {t.name for t in tools}
    check(f"{label}: lists the five tools", TOOLS <= names, sorted(names))
    check(f"{label}: no admin tools without --allow-write", not (ADMIN_TOOLS & names), sorted(names))
    search_tool = next(t for t in tools if t.name == "search_docs")
    schema = attr(search_tool, "input_schema", "inputSchema")
    check(f"{label}: search_docs has a JSON Schema", "query" in schema.get("properties", {}), schema)
    check(f"{label}: search_docs declares an output schema", attr(search_tool, "output_schema", "outputSchema") is not None)

    res = await session.call_tool(
        "search_docs", {"query": "how to enable mixed mode with the CLI", "version": "12.5(1)SU1", "limit": 5}
    )
    check(f"{label}: search_docs succeeds", not attr(res, "is_error", "isError"), text_of(res)[:300])
    data = attr(res, "structured_content", "structuredContent") or {}
    hits = data.get("results", [])
    check(f"{label}: search_docs returns cited hits", len(hits) > 0, data)
    check(
        f"{label}: every hit is from the release asked for",
        hits and all(h["citation"]["version"] == "v12.5.1su1" for h in hits),
        [h["citation"]["version"] for h in hits],
    )
    check(
        f"{label}: hits carry source, page and heading",
        hits and all(h["citation"]["source"] and "page" in h["citation"] and h["citation"]["heading"] for h in hits),
        hits[:1],
    )
    joined = " ".join(h["text"] for h in hits).lower()
    check(f"{label}: the CLI command is among the hits", "set-cluster mixed-mode" in joined, joined[:300])
    text = text_of(res)
    check(f"{label}: readable text cites chunk ids and pages", "chunk_id: cucm::v12.5.1su1::" in text and "p. " in text, text[:300])

    check(f"{label}: hits carry a match level", hits and all(h["match"] in ("strong", "partial", "weak") for h in hits), hits[:1])

    # A release named in the question is understood, said, and steers the ranking.
    res = await session.call_tool("search_docs", {"query": "on CUCM 15, which mode protects desk phones and Webex room devices?", "limit": 5})
    data = attr(res, "structured_content", "structuredContent") or {}
    text = text_of(res)
    check(f"{label}: the release named is understood", (data.get("understood") or {}).get("versions") == ["v15"], data.get("understood"))
    check(f"{label}: the tool text says what was understood", "Understood: release v15" in text, text[:300])
    check(f"{label}: the first hit is from release 15", data.get("results") and data["results"][0]["citation"]["version"] == "v15", [h["citation"]["version"] for h in data.get("results", [])])
    # A release the library does not hold is said, with the ones it holds.
    res = await session.call_tool("search_docs", {"query": "CUCM 14 mixed mode", "limit": 3})
    data = attr(res, "structured_content", "structuredContent") or {}
    text = text_of(res)
    check(f"{label}: a release not in the library is named", (data.get("understood") or {}).get("not_in_library") == ["CUCM 14"], data.get("understood"))
    check(f"{label}: the tool text says it is not in the library", "“CUCM 14” is not in the library, which holds cucm v12.5.1, v12.5.1su1, v15." in text, text[:300])
    # Words in double quotes: the hits holding them come first; a phrase no passage holds is said.
    res = await session.call_tool("search_docs", {"query": "\"Cisco CTL Provider\" service", "limit": 5})
    data = attr(res, "structured_content", "structuredContent") or {}
    quoted = data.get("quoted") or {}
    check(f"{label}: quoted words are read as a phrase", quoted.get("phrases") == ["Cisco CTL Provider"] and quoted.get("holding", 0) >= 1, quoted)
    res = await session.call_tool("search_docs", {"query": "\"provider of the CTL\" service", "limit": 3})
    text = text_of(res)
    check(f"{label}: the tool text says no passage holds the phrase", "No passage holds “provider of the CTL” as written" in text, text[:300])
    # The same passage in two releases comes once, naming the other.
    res = await session.call_tool("search_docs", {"query": "CTL client mixed mode USB eTokens Cisco CTL Provider service", "limit": 5})
    data = attr(res, "structured_content", "structuredContent") or {}
    grouped = [h for h in data.get("results", []) if h.get("also_in")]
    check(f"{label}: a passage of several releases is one hit with also_in", grouped and all(a["chunk_id"] and a["version"] for h in grouped for a in h["also_in"]), data.get("results", [])[:2])
    check(f"{label}: the tool text names the other releases", "also in: " in text_of(res), text_of(res)[:400])
    ids = [h["chunk_id"] for h in data.get("results", [])] + [a["chunk_id"] for h in data.get("results", []) for a in h.get("also_in", [])]
    check(f"{label}: no chunk is listed twice", len(ids) == len(set(ids)), ids)
    # Nonsense says so.
    res = await session.call_tool("search_docs", {"query": "zzqxjv flurbonator kwyjibo"})
    data = attr(res, "structured_content", "structuredContent") or {}
    check(f"{label}: nonsense is flagged no_close_match", data.get("no_close_match") is True, data.get("no_close_match"))
    check(f"{label}: the tool text says there is no close match", "No close match" in text_of(res), text_of(res)[:300])

    first = hits[0]["chunk_id"]
    res = await session.call_tool("get_chunk", {"chunk_id": first})
    chunk = attr(res, "structured_content", "structuredContent") or {}
    check(f"{label}: get_chunk returns the chunk", chunk.get("chunk_id") == first and chunk.get("text"), chunk)
    neighbour = chunk.get("next") or chunk.get("previous")
    check(f"{label}: get_chunk text names the neighbouring ids", neighbour and neighbour in text_of(res), text_of(res)[:300])

    res = await session.call_tool("get_context", {"chunk_id": first, "before": 1, "after": 1})
    ctx = attr(res, "structured_content", "structuredContent") or {}
    ids = [c["chunk_id"] for c in ctx.get("chunks", [])]
    check(f"{label}: get_context returns neighbours in order", first in ids and 2 <= len(ids) <= 3, ids)

    res = await session.call_tool("list_library", {})
    lib = attr(res, "structured_content", "structuredContent") or {}
    versions = [v["version"] for p in lib.get("products", []) for v in p["versions"]]
    check(f"{label}: list_library lists versions", "v15" in versions and "v12.5.1su1" in versions, versions)

    res = await session.call_tool("get_chunk", {"chunk_id": "cucm::v99::nope::nothing::0"})
    check(f"{label}: unknown chunk id is a tool error", attr(res, "is_error", "isError") is True, text_of(res))
    check(f"{label}: the error says what is wrong", "not found" in text_of(res), text_of(res))
    res = await session.call_tool("search_docs", {"query": "mixed mode", "version": "v99"})
    check(
        f"{label}: unknown version lists the known ones",
        attr(res, "is_error", "isError") is True and "v12.5.1su1" in text_of(res),
        text_of(res),
    )
    res = await session.call_tool("search_docs", {"query": "mixed mode", "limit": 500})
    check(f"{label}: out-of-range limit is a tool error", attr(res, "is_error", "isError") is True, text_of(res))
    # Wrong types come back as the documented "invalid_argument: <field>: ...", not serde's text.
    for field, args in [
        ("limit", {"limit": -1}), ("limit", {"limit": "5"}), ("limit", {"limit": 5.5}),
        ("mode", {"mode": "fuzzy"}), ("mode", {"mode": 3}),
    ]:
        res = await session.call_tool("search_docs", {"query": "mixed mode", **args})
        check(
            f"{label}: search_docs {args} is invalid_argument: {field}",
            attr(res, "is_error", "isError") is True and text_of(res).startswith(f"invalid_argument: {field}"),
            text_of(res),
        )
    res = await session.call_tool("get_context", {"chunk_id": "cucm::v15::security-guide::security-modes::0", "before": 99})
    check(f"{label}: get_context before=99 is invalid_argument: before",
          text_of(res).startswith("invalid_argument: before"), text_of(res))
    res = await session.call_tool("get_chunk", {"chunk_id": "x" * 10000})
    check(f"{label}: a 10,000-character bad id is not echoed whole", len(text_of(res)) < 400, len(text_of(res)))
    res = await session.call_tool("search_docs", {"query": "mixed mode", "product": "CUCM", "limit": 2})
    check(f"{label}: product filters ignore case, as versions do", not attr(res, "is_error", "isError"), text_of(res)[:200])
    # Release comparison: the CTL chapter of 12.5(1) against its successor in 12.5(1)SU1.
    res = await session.call_tool("compare_versions", {"product": "cucm", "from": "12.5(1)", "to": "12.5(1)SU1"})
    out = attr(res, "structured_content", "structuredContent") or {}
    check(f"{label}: compare_versions summarises the changes", not attr(res, "is_error", "isError")
          and out.get("counts", {}).get("changed", 0) > 0 and len(out.get("sections", [])) <= 40, text_of(res)[:300])
    check(f"{label}: compare_versions cites both sides",
          any(s.get("from") and s.get("to") and s["from"]["chunk_id"].startswith("cucm::v12.5.1::")
              and s["to"]["chunk_id"].startswith("cucm::v12.5.1su1::") for s in out.get("sections", [])), text_of(res)[:300])
    res = await session.call_tool("compare_versions", {"product": "cucm", "from": "v12.5.1", "to": "v12.5.1su1",
                                                       "query": "CTL file details cluster security mode"})
    out = attr(res, "structured_content", "structuredContent") or {}
    diffs = [s for s in out.get("sections", []) if s.get("status") == "changed" and s.get("diff")]
    check(f"{label}: compare_versions with a query diffs the passages", bool(diffs), text_of(res)[:400])
    check(f"{label}: compare_versions text names both releases", "v12.5.1 -> v12.5.1su1" in text_of(res), text_of(res)[:200])
    res = await session.call_tool("compare_versions", {"product": "cucm", "from": "v15", "to": "v15"})
    check(f"{label}: comparing a release with itself is invalid_argument",
          text_of(res).startswith("invalid_argument: to"), text_of(res))

    tools = {t.name: t for t in (await session.list_tools()).tools}
    props = attr(tools["search_docs"], "input_schema", "inputSchema")["properties"]
    limit_schema = json.dumps(props["limit"])
    check(f"{label}: the limit schema declares 1-20", '"minimum": 1' in limit_schema and '"maximum": 20' in limit_schema, limit_schema)
    check(f"{label}: the mode schema is an enum", "bm25" in json.dumps(props["mode"]), json.dumps(props["mode"]))
    check(f"{label}: the query schema declares 2,000 characters", '"maxLength": 2000' in json.dumps(props["query"]), json.dumps(props["query"]))
    res = await session.call_tool("list_library", {"product": "cucm"})
    check(f"{label}: the session is alive after errors", not attr(res, "is_error", "isError"), text_of(res))

    resources = (await session.list_resources()).resources
    uris = [str(r.uri) for r in resources]
    wanted = "mcdewey://doc/cucm/v15/security-guide/security-modes.md"
    check(f"{label}: documents are listed as resources", wanted in uris, uris)
    read = await session.read_resource(wanted)
    body = " ".join(getattr(c, "text", "") for c in read.contents)
    check(f"{label}: a document resource reads as Markdown", "Mixed Mode" in body and len(body) > 1000, body[:200])
    try:
        await session.read_resource("mcdewey://doc/cucm/v99/none.md")
        check(f"{label}: an unknown resource is an error", False, "no error")
    except Exception as e:
        check(f"{label}: an unknown resource is an error", "not found" in str(e), repr(e))


async def over_http(url):
    async with http_client(url) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await exercise(session, "http")


def job_number(text):
    """The job number in a tool's "job N (kind) ..." answer."""
    words = text.split()
    return int(words[1]) if len(words) > 1 and words[0] == "job" and words[1].isdigit() else None


async def admin(url, fetch_url):
    """Admin tools with the admin token: add a document from a URL, follow its job to the
    end, find the document, remove it; with a read token, refused."""
    from mcp.client.streamable_http import create_mcp_http_client

    source = "cucm/v15/fetched/fetched-guide.md"
    headers = {"Authorization": f"Bearer {os.environ['E2E_TOKEN']}"}
    async with create_mcp_http_client(headers=headers) as client:
        async with http_client(url, http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                names = {t.name for t in (await session.list_tools()).tools}
                check("admin: the admin tools are listed with --allow-write", ADMIN_TOOLS <= names, sorted(names))
                res = await session.call_tool("add_source", {
                    "url": fetch_url, "product": "cucm", "version": "v15", "doc_set": "fetched",
                    "name": "fetched-guide.md"})
                text = text_of(res)
                job = job_number(text)
                check("admin: add_source queues a job", not attr(res, "is_error", "isError") and job, text)
                res = await session.call_tool("list_jobs", {"id": job, "wait_seconds": 90})
                text = text_of(res)
                check("admin: list_jobs waits for the job to finish", "done" in text.splitlines()[0] and f"added {source}" in text, text)
                res = await session.call_tool("search_docs", {"query": "mixed mode", "product": "cucm", "doc_set": "fetched", "mode": "bm25"})
                check("admin: the fetched document is searchable", source in text_of(res), text_of(res)[:300])
                res = await session.call_tool("refresh_source", {"scope": "cucm/v15/fetched"})
                job = job_number(text_of(res))
                res = await session.call_tool("list_jobs", {"id": job, "wait_seconds": 90})
                check("admin: refresh_source finds the document unchanged", f"unchanged {source}" in text_of(res), text_of(res))
                res = await session.call_tool("remove_document", {"source": source})
                job = job_number(text_of(res))
                res = await session.call_tool("list_jobs", {"id": job, "wait_seconds": 90})
                check("admin: remove_document removes it", f"removed {source}" in text_of(res) and "1 removed" in text_of(res), text_of(res))
                res = await session.call_tool("search_docs", {"query": "mixed mode", "product": "cucm", "mode": "bm25"})
                check("admin: the removed document is no longer found", source not in text_of(res), text_of(res)[:300])
                res = await session.call_tool("list_jobs", {})
                check("admin: list_jobs lists the jobs, newest first", text_of(res).startswith(f"job {job} (remove) done"), text_of(res))
    headers = {"Authorization": f"Bearer {os.environ['E2E_READ_TOKEN']}"}
    async with create_mcp_http_client(headers=headers) as client:
        async with http_client(url, http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                res = await session.call_tool("remove_document", {"source": "notes/v1/guide/notes.md"})
                check("admin: a read token may not use the admin tools",
                      attr(res, "is_error", "isError") and "read role" in text_of(res), text_of(res))


async def over_stdio(binary, library, data):
    params = StdioServerParameters(
        command=binary, args=["mcp", "--library", library, "--data", data, "--no-index"]
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await exercise(session, "stdio")


async def main():
    url, binary, library, data = sys.argv[1:5]
    runs = [("http", over_http(url)), ("stdio", over_stdio(binary, library, data))]
    if len(sys.argv) > 6:
        runs.append(("admin", admin(sys.argv[5], sys.argv[6])))
    for name, run in runs:
        try:
            await asyncio.wait_for(run, timeout=180)
        except Exception as e:  # a transport failure is a failed check, not a crash
            check(f"{name}: client run", False, repr(e))
    print(f"mcp: {PASSED} passed, {FAILED} failed")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    asyncio.run(main())
