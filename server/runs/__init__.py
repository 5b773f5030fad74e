"""Running a session's code: the manager (`manager`), the run history (`history`), the
output as the room receives it (`output`) and as a late reader fetches it (`live_output`),
and the session's runtime (`runtime`)."""
