"""Dialspool: a contact-center dialing engine for Asterisk (ARI)."""

__version__ = "0.1.0"
