"""The HTTP server: the native API under /v1/ and, later, the seed products' APIs."""
