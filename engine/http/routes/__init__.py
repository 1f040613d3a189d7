"""One module per resource of the native API; each adds its endpoints to an `Api`."""
