/* The sandbox's first process, in C: the same job as supervisor.py (read its docstring)
 * without starting an interpreter for every run, which cost ~30 ms of each run here.
 *
 * Usage: supervisor CONTROL_FD STATUS_FD. It waits for the run's spec on CONTROL_FD (read
 * to EOF; encoded by runner/supervisor_spec.py), so a sandbox can be started before its
 * run is known. The spec is NUL-terminated fields:
 *   UID GID N_OWN OWN... N_RLIMITS (NAME SOFT HARD)... N_STEPS (STAGE ARGC ARGV...)...
 *   N_FILES (NAME SIZE, then SIZE raw bytes)...
 * UID and GID are "-" when the sandbox already runs as the sandbox user. SOFT/HARD of -1
 * mean unlimited. Files are written into the working directory as the sandbox user.
 * Writes "R" to STATUS_FD once waiting for the spec, and at the end
 * {"stage", "maxrss_kib", "exit_code", "signal"}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXEC_FAILED 127 /* like shells, when the program cannot even start */

static const struct {
    const char *name;
    int resource;
} RLIMITS[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
};

static void die(const char *what) {
    fprintf(stderr, "duet supervisor: %s: %s\n", what, strerror(errno));
    _exit(EXEC_FAILED);
}

static void usage(void) {
    fputs("duet supervisor: bad arguments\n", stderr);
    _exit(2);
}

/* The spec, read whole, and how far it has been parsed. */
static char *spec;
static size_t spec_len, spec_at;

static void read_spec(int fd) {
    size_t capacity = 65536;
    spec = malloc(capacity);
    if (!spec) die("malloc");
    for (;;) {
        if (spec_len == capacity) {
            capacity *= 2;
            spec = realloc(spec, capacity);
            if (!spec) die("realloc");
        }
        ssize_t got = read(fd, spec + spec_len, capacity - spec_len);
        if (got < 0) {
            if (errno == EINTR) continue;
            die("read spec");
        }
        if (got == 0) break;
        spec_len += (size_t)got;
    }
    close(fd);
    /* An empty spec: the server closed the sandbox without running anything in it. */
    if (spec_len == 0) _exit(0);
}

static char *next_field(void) {
    if (spec_at >= spec_len) usage();
    char *field = spec + spec_at;
    char *end = memchr(field, 0, spec_len - spec_at);
    if (!end) usage();
    spec_at = (size_t)(end - spec) + 1;
    return field;
}

static char *next_bytes(size_t size) {
    if (size > spec_len - spec_at) usage();
    char *data = spec + spec_at;
    spec_at += size;
    return data;
}

static long number(const char *text) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || end == text) usage();
    return value;
}

struct limit {
    int resource;
    struct rlimit value;
};

static void set_limits(const struct limit *limits, int count) {
    for (int i = 0; i < count; i++)
        if (setrlimit(limits[i].resource, &limits[i].value) != 0) die("setrlimit");
}

static rlim_t rlim(long value) { return value < 0 ? RLIM_INFINITY : (rlim_t)value; }

/* The program's files, written by the sandbox user into the (empty) working directory. */
static void write_file(const char *name, const char *data, size_t size) {
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) die(name);
    while (size > 0) {
        ssize_t put = write(fd, data, size);
        if (put < 0) {
            if (errno == EINTR) continue;
            die(name);
        }
        data += put;
        size -= (size_t)put;
    }
    if (fchmod(fd, 0644) != 0 || close(fd) != 0) die(name);
}

/* Fork/exec argv; wait for it (reaping the orphans PID 1 inherits meanwhile). */
static int run_step(char **argv, int compiling, long *maxrss_kib) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        /* Programs expect the default actions (die on a closed pipe or past the file size
         * limit); the server's ignored SIGPIPE would otherwise be inherited. */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGXFSZ, SIG_DFL);
        if (compiling) {
            /* Only the program reads stdin; a compiler must not swallow it. */
            int null = open("/dev/null", O_RDONLY);
            if (null >= 0) {
                dup2(null, 0);
                close(null);
            }
            /* A compiler's diagnostics are errors wherever it prints them (tsc uses
             * stdout): the room shows compile output as stderr. */
            dup2(2, 1);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
        _exit(EXEC_FAILED);
    }
    for (;;) {
        int status;
        struct rusage usage;
        pid_t got = wait4(-1, &status, 0, &usage);
        if (got < 0) {
            if (errno == EINTR) continue;
            die("wait4");
        }
        if (got == pid) {
            *maxrss_kib = usage.ru_maxrss;
            return status;
        }
    }
}

static void signal_name(int signum, char *out, size_t size) {
    const char *abbrev = sigabbrev_np(signum);
    if (abbrev && signum < SIGRTMIN)
        snprintf(out, size, "\"SIG%s\"", abbrev);
    else
        snprintf(out, size, "\"SIG%d\"", signum);
}

/* A count from the spec, within [0, max]. */
static int count(long max) {
    long value = number(next_field());
    if (value < 0 || value > max) usage();
    return (int)value;
}

#define MAX_OWN 64
#define MAX_LIMITS 32
#define MAX_STEPS 8
#define MAX_ARGS 4096
#define MAX_FILES 64

int main(int argc, char **argv) {
    if (argc != 3) usage();
    long control_fd = number(argv[1]), status_fd = number(argv[2]);
    if (control_fd < 0 || control_fd > 1023 || status_fd < 3 || status_fd > 1023) usage();
    fcntl((int)status_fd, F_SETFD, FD_CLOEXEC);
    /* Tell the server the sandbox is built and waiting: from here a run costs only its
     * spec. */
    if (write((int)status_fd, "R", 1) != 1) die("status");
    read_spec((int)control_fd);
    /* Whatever else bwrap left open (the user namespace's fd) is not the program's. */
    syscall(SYS_close_range, 3, (unsigned)status_fd - 1, 0);
    syscall(SYS_close_range, (unsigned)status_fd + 1, ~0U, 0);

    /* The whole spec is read and checked before anything is done with it. */
    const char *uid_text = next_field(), *gid_text = next_field();
    int n_own = count(MAX_OWN);
    const char *own[MAX_OWN];
    for (int i = 0; i < n_own; i++) own[i] = next_field();

    int n_limits = count(MAX_LIMITS);
    struct limit limits[MAX_LIMITS];
    for (int i = 0; i < n_limits; i++) {
        const char *name = next_field();
        limits[i].resource = -1;
        for (size_t k = 0; k < sizeof RLIMITS / sizeof RLIMITS[0]; k++)
            if (strcmp(RLIMITS[k].name, name) == 0) limits[i].resource = RLIMITS[k].resource;
        if (limits[i].resource < 0) usage();
        limits[i].value.rlim_cur = rlim(number(next_field()));
        limits[i].value.rlim_max = rlim(number(next_field()));
    }

    int n_steps = count(MAX_STEPS);
    char **steps[MAX_STEPS];
    const char *stages[MAX_STEPS];
    for (int step = 0; step < n_steps; step++) {
        stages[step] = next_field();
        int step_argc = count(MAX_ARGS);
        if (step_argc < 1) usage();
        steps[step] = calloc((size_t)step_argc + 1, sizeof(char *));
        if (!steps[step]) die("calloc");
        for (int i = 0; i < step_argc; i++) steps[step][i] = next_field();
    }

    int n_files = count(MAX_FILES);
    struct {
        const char *name, *data;
        size_t size;
    } files[MAX_FILES];
    for (int i = 0; i < n_files; i++) {
        files[i].name = next_field();
        const char *name = files[i].name;
        if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) usage();
        long size = number(next_field());
        if (size < 0) usage();
        files[i].size = (size_t)size;
        files[i].data = next_bytes(files[i].size);
    }
    if (spec_at != spec_len) usage();

    if (strcmp(uid_text, "-") != 0) {
        long uid = number(uid_text), gid = number(gid_text);
        if (uid < 0 || gid < 0) usage();
        /* bwrap created the workspace as (namespace) root; give it to the sandbox user so
         * the program can write there like in a normal home directory. */
        for (int i = 0; i < n_own; i++)
            if (chown(own[i], (uid_t)uid, (gid_t)gid) != 0 && errno != ENOENT) die("chown");
        if (setgroups(0, NULL) != 0) die("setgroups");
        if (setgid((gid_t)gid) != 0) die("setgid");
        if (setuid((uid_t)uid) != 0) die("setuid");
        /* Changing uid clears the parent-death signal bwrap's --die-with-parent set;
         * re-arm it so the sandbox still dies if bwrap (and so the server) goes away. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    }
    for (int i = 0; i < n_files; i++) write_file(files[i].name, files[i].data, files[i].size);
    set_limits(limits, n_limits);

    char report[256] = "{}";
    for (int step = 0; step < n_steps; step++) {
        const char *stage = stages[step];
        char **step_argv = steps[step];
        int compiling = strcmp(stage, "run") != 0;
        if (strcmp(stage, "compile") == 0) {
            /* Compilers and linkers write intermediates bigger than a program's file
             * limit; raising a soft limit up to the hard one needs no privilege. */
            struct rlimit fsize;
            getrlimit(RLIMIT_FSIZE, &fsize);
            fsize.rlim_cur = fsize.rlim_max;
            setrlimit(RLIMIT_FSIZE, &fsize);
        } else {
            set_limits(limits, n_limits);
        }
        long maxrss_kib = 0;
        int status = run_step(step_argv, compiling, &maxrss_kib);
        char exit_code[16] = "null", signal_text[32] = "null";
        int failed;
        if (WIFSIGNALED(status)) {
            signal_name(WTERMSIG(status), signal_text, sizeof signal_text);
            failed = 1;
        } else {
            snprintf(exit_code, sizeof exit_code, "%d", WEXITSTATUS(status));
            failed = WEXITSTATUS(status) != 0;
        }
        /* stage comes from the server's own table: plain identifiers, nothing to escape. */
        snprintf(report, sizeof report,
                 "{\"stage\": \"%s\", \"maxrss_kib\": %ld, \"exit_code\": %s, \"signal\": %s}",
                 stage, maxrss_kib, exit_code, signal_text);
        if (failed) break;
    }
    ssize_t ignored = write(status_fd, report, strlen(report));
    (void)ignored;
    _exit(0);
}
