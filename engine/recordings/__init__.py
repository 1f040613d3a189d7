"""Call recordings: recording live calls, storage layout, MP3 conversion, retention, access.

One role per module: `layout` (paths from our ids), `recorder` (ARI live
recordings), `ingest` (from Asterisk to the store), `media` (ffmpeg/ffprobe),
`converter` (bounded MP3 pool), `retention`, `signing` (signed URLs), `search`
(the API's query), `service` (the whole, and its place in the app).
"""
