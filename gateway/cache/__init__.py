"""The response cache: encoded answers kept in process, in front of execution, never served
stale or to anyone they were not made for. See ``middleware.py`` for the request path."""
