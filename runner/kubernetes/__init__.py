"""The Kubernetes backend: one pod per session, runs exec'd into it.

    sandbox = await KubernetesSandbox.open(KubeSettings(...), cache)
    result = await sandbox.run(RunJob.of(language, code, on_output=show), session)

Modules, one job each: `settings` (what is configurable), `api` (reaching the API server),
`api_errors` (its failures as RunnerError, and retries), `podspec` (the pod we create),
`podstatus` (reading a pod's state and failure), `pods` (finding, creating, claiming and
deleting a session's pod), `warm_pool` (ready pods per language), `channels` (the exec
WebSocket protocol), `commands` (what runs inside the pod), `sweeps` (idle, orphaned and
stray warm pods), `describe` (the runtime endpoint's view), `backend` (the Sandbox).
"""
