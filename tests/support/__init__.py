"""What the tests share, one noun per module. Test modules and bench/ import from here,
never from a test module; fixtures stay in conftest.py files, as thin wrappers over these.

- ``repo``: where things are in the checkout; the stakeholders' operations.
- ``store``: the stores tests run against, one entry point per kind (full, fixture, tastes,
  copy), with the rows of the small ones in ``fixture_rows`` and ``tastes``.
- ``app``: httpx clients over the gateway's (or a backend's) ASGI app, in process.
- ``graphql``: request bodies, persisted-query hashes, a POST, running one operation.
- ``tokens``: bearer headers for a listener, JWT claims, JWKs.
- ``calls``: backend calls counted through the gateway's own metrics.
- ``engines``: which execution engine (compiled plans or graphql-core) ran the operations.
- ``loopback``: a free port, and waiting until a server answers.
- ``process``: the gateway and the reference backends as real processes.
- ``redis_server``: a throwaway real redis-server.
- ``thread_server``: a small ASGI app served by uvicorn in a thread.
- ``jwks``: an identity provider's key set endpoint.
- ``editor`` and ``edit_stack``: playlist edits as real clients make them, through real
  processes.
"""
