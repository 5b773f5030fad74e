-- Why each run ended (runner/limits.py `finish_reason`) and the value of the limit it
-- reached, so clients read words instead of decoding signals. Older rows get the reason
-- their flags imply; their limit values were not kept.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS reason VARCHAR(16)
    CHECK (reason IN ('exit', 'compile_error', 'time_limit', 'cpu_limit', 'memory_limit',
                      'output_limit', 'cancelled'));
ALTER TABLE runs ADD COLUMN IF NOT EXISTS limit_value DOUBLE PRECISION;

UPDATE runs SET reason = CASE
    WHEN cancelled THEN 'cancelled'
    WHEN timed_out THEN 'time_limit'
    WHEN memory_exceeded THEN 'memory_limit'
    WHEN output_truncated THEN 'output_limit'
    WHEN signal = 'SIGXCPU' THEN 'cpu_limit'
    WHEN stage = 'compile' AND (exit_code IS DISTINCT FROM 0 OR signal IS NOT NULL)
        THEN 'compile_error'
    ELSE 'exit'
END
WHERE status = 'finished' AND reason IS NULL;
