"""The OpenAPI document and a self-contained page to read it (no CDN)."""

from __future__ import annotations

from aiohttp import web

from engine.http.api import Api
from engine.http.openapi import build_document

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dialspool API</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
h2{border-bottom:1px solid #ccc;padding-bottom:.2rem}
.op{margin:.4rem 0;padding:.4rem .6rem;background:#f6f8fa;border-radius:4px}
.m{display:inline-block;width:4.5rem;font-weight:bold}
.roles{color:#666;font-size:.9em;margin-left:1rem}
</style></head>
<body><h1>Dialspool API</h1>
<p>Machine-readable document: <a href="/v1/openapi.json">/v1/openapi.json</a></p>
<div id="ops">Loading…</div>
<script>
fetch('/v1/openapi.json').then(r => r.json()).then(doc => {
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      (byTag[op.tags[0]] = byTag[op.tags[0]] || []).push({path, method, op});
    }
  }
  const root = document.getElementById('ops');
  root.textContent = '';
  for (const [tag, ops] of Object.entries(byTag)) {
    const h = document.createElement('h2'); h.textContent = tag; root.appendChild(h);
    for (const {path, method, op} of ops) {
      const d = document.createElement('div'); d.className = 'op';
      const m = document.createElement('span'); m.className = 'm';
      m.textContent = method.toUpperCase();
      const p = document.createElement('code'); p.textContent = path;
      const s = document.createElement('span'); s.textContent = ' ' + op.summary;
      const r = document.createElement('span'); r.className = 'roles';
      r.textContent = op.description || 'public';
      d.append(m, p, s, r); root.appendChild(d);
    }
  }
});
</script></body></html>
"""


def register(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/openapi.json",
        summary="This API's OpenAPI 3.1 document",
        tag="system",
        roles=None,
    )
    async def get_openapi(request: web.Request) -> web.Response:
        return web.json_response(build_document(api))

    @api.route("GET", "/docs", summary="A page listing the API", tag="system", roles=None)
    async def get_docs(request: web.Request) -> web.Response:
        return web.Response(text=_PAGE, content_type="text/html")
