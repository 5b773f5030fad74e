/* Puts a sandbox's bwrap where it must start, then becomes it: one small exec in place of
 * the shell (to join the run's cgroups) and the `unshare` helper (to make a user namespace)
 * the server would otherwise start for every sandbox, ~4 ms of each.
 *
 * Usage: launcher [--cgroup PROCS_FILE]... [--userns UID GID] -- PROGRAM ARG...
 *
 * --cgroup: join that cgroup (write our pid to its cgroup.procs) before exec, so every
 *   process of the run is born inside it; moving bwrap after it starts would race its forks.
 * --userns: make a user namespace mapping 0 -> 0 and UID/GID -> themselves, and replace
 *   the argument "@USERNS_FD@" with an fd on it (for bwrap --userns). Only root needs
 *   this: letting bwrap make its own namespace would map the sandbox's uid onto real uid
 *   0, so the program would own every root-owned file it can see; dropping to an
 *   unprivileged uid first would hide toolchains in root-only directories. bwrap, still
 *   root, sets up the mounts in it, and the supervisor switches to UID before any program
 *   runs. A fresh namespace per sandbox keeps per-user kernel accounting (RLIMIT_NPROC,
 *   pending signals, message queues, keyrings) apart between runs.
 *
 * Exits 125 with a message on stderr when it cannot do either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAILED 125

static void die(const char *what) {
    fprintf(stderr, "duet launcher: %s: %s\n", what, strerror(errno));
    _exit(FAILED);
}

static void usage(void) {
    fputs("duet launcher: bad arguments\n", stderr);
    _exit(2);
}

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die(path);
    /* One write(): the kernel takes an id map only once, whole. */
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die(path);
    close(fd);
}

static int user_namespace(long uid, long gid) {
    int ready[2], hold[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(hold, O_CLOEXEC) != 0) die("pipe");
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        /* The namespace's first member: create it, say so, and hold it until told. */
        char byte = 0;
        close(ready[0]);
        close(hold[1]);
        if (unshare(CLONE_NEWUSER) != 0) die("unshare(CLONE_NEWUSER)");
        if (write(ready[1], &byte, 1) != 1) _exit(FAILED);
        while (read(hold[0], &byte, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    char byte;
    ssize_t got;
    while ((got = read(ready[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    if (got != 1) {
        errno = ECHILD;
        die("user namespace");
    }
    char path[64], map[96];
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)child);
    snprintf(map, sizeof map, uid == 0 ? "0 0 1\n" : "0 0 1\n%ld %ld 1\n", uid, uid);
    write_file(path, map);
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)child);
    snprintf(map, sizeof map, gid == 0 ? "0 0 1\n" : "0 0 1\n%ld %ld 1\n", gid, gid);
    write_file(path, map);
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
    int fd = open(path, O_RDONLY); /* inherited by bwrap: no O_CLOEXEC */
    if (fd < 0) die(path);
    close(hold[1]);
    close(ready[0]);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
    }
    return fd;
}

static long number(const char *text) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || end == text || value < 0) usage();
    return value;
}

int main(int argc, char **argv) {
    int at = 1;
    int userns_fd = -1;
    while (at < argc && strcmp(argv[at], "--") != 0) {
        if (strcmp(argv[at], "--cgroup") == 0 && at + 1 < argc) {
            char pid[24];
            snprintf(pid, sizeof pid, "%d\n", (int)getpid());
            write_file(argv[at + 1], pid);
            at += 2;
        } else if (strcmp(argv[at], "--userns") == 0 && at + 2 < argc) {
            userns_fd = user_namespace(number(argv[at + 1]), number(argv[at + 2]));
            at += 3;
        } else {
            usage();
        }
    }
    if (at + 1 >= argc) usage();
    char **program = argv + at + 1;
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", userns_fd);
    for (char **arg = program; *arg; arg++)
        if (strcmp(*arg, "@USERNS_FD@") == 0) {
            if (userns_fd < 0) usage();
            *arg = fd_text;
        }
    execvp(program[0], program);
    die(program[0]);
}
