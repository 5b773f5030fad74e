"""A wire-level stand-in of the Kubernetes API (pods, watch, exec, pod metrics) on aiohttp.

kubernetes-asyncio talks to it over real HTTP and WebSocket; the "pods" are directories
and the exec'd commands are local processes, so the runner's Kubernetes backend is
exercised end to end without a cluster. It is the only fake in the test suite.
"""
