/* monitor_events.c — the monitor's event lines and its --exec command. See
 * monitor_events.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "monitor_events.h"

extern char **environ;

#define MAX_RUNNING 16
#define GRACE_MS 2000 /* between SIGTERM and SIGKILL */

typedef struct {
    pid_t pid;
    int64_t deadline_ms;
    bool terminated; /* SIGTERM sent at the deadline */
    char what[160];  /* for the failure message */
} running;

static struct {
    bool json;
    const char *exec_cmd;
    int timeout_s;
    running run[MAX_RUNNING];
    size_t n_run;
} out = {.timeout_s = CLI_MONITOR_EXEC_TIMEOUT_S};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cli_monitor_events_setup(bool json, const char *exec_cmd, int timeout_s)
{
    out.json = json;
    out.exec_cmd = exec_cmd;
    out.timeout_s = timeout_s > 0 ? timeout_s : CLI_MONITOR_EXEC_TIMEOUT_S;
}

/* A JSON string of text that may not be UTF-8 (an endpoint, a message
 * quoting what a source sent): bytes outside ASCII become '?' when the text
 * is not valid UTF-8, so the line stays valid JSON. */
static json_t *jstr(const char *s)
{
    json_t *v = json_string(s);
    if (v != NULL)
        return v;
    char *copy = strdup(s);
    if (copy == NULL)
        return NULL;
    for (char *p = copy; *p != '\0'; p++)
        if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

static void put_str(json_t *o, const char *key, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, key, jstr(v));
}

static json_t *event_json(const cli_monitor_event *e, const char *message, int64_t now,
                          const char *when)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    put_str(o, "time", when);
    json_object_set_new(o, "time_unix", json_integer(now));
    put_str(o, "level", e->level);
    put_str(o, "event", e->event);
    put_str(o, "origin", e->origin);
    if (e->has_size)
        json_object_set_new(o, "size", json_integer((json_int_t)e->size));
    if (e->has_old_size)
        json_object_set_new(o, "old_size", json_integer((json_int_t)e->old_size));
    put_str(o, "root_b64", e->root_b64);
    put_str(o, "source", e->source);
    put_str(o, "kind", e->kind);
    put_str(o, "evidence_file", e->evidence_file);
    put_str(o, "reporter", e->reporter);
    if (e->verified != CLI_MON_UNSAID)
        json_object_set_new(o, "verified", json_boolean(e->verified == CLI_MON_YES));
    if (e->quorum_met != CLI_MON_UNSAID)
        json_object_set_new(o, "quorum_met", json_boolean(e->quorum_met == CLI_MON_YES));
    put_str(o, "message", message);
    return o;
}

static bool is_alert(const cli_monitor_event *e)
{
    return e->event != NULL &&
           (strcmp(e->event, "evidence") == 0 || strcmp(e->event, "alert") == 0);
}

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A warning event about the command itself (never an alert: no loop). */
static void warn(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_monitor_event_emit(&(cli_monitor_event){.level = "warn", .event = "warning"}, msg);
}

/* What a finished command's status says, as a warning when it failed. */
static void report_status(const running *r, int status)
{
    if (r->terminated)
        warn("--exec for %s did not finish within %d s and was killed", r->what, out.timeout_s);
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        warn("--exec for %s exited with status %d", r->what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        warn("--exec for %s was ended by signal %d", r->what, WTERMSIG(status));
}

void cli_monitor_events_poll(void)
{
    int64_t now = mono_ms();
    for (size_t i = 0; i < out.n_run;) {
        running *r = &out.run[i];
        int status = 0;
        pid_t got = waitpid(r->pid, &status, WNOHANG);
        if (got == r->pid || (got < 0 && errno == ECHILD)) {
            running done = *r;
            out.run[i] = out.run[--out.n_run];
            if (got == done.pid)
                report_status(&done, status);
            continue;
        }
        /* Past the limit: the whole process group (the shell and what it
         * started), politely first. */
        if (!r->terminated && now >= r->deadline_ms) {
            kill(-r->pid, SIGTERM);
            r->terminated = true;
            r->deadline_ms = now + GRACE_MS;
        } else if (r->terminated && now >= r->deadline_ms) {
            kill(-r->pid, SIGKILL);
        }
        i++;
    }
}

/* Blocks until a slot is free: the oldest command is given until its time
 * limit (then killed), so an alert is never dropped and never waits
 * forever. */
static void wait_for_slot(void)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000000};
    while (out.n_run == MAX_RUNNING) {
        cli_monitor_events_poll();
        if (out.n_run == MAX_RUNNING)
            nanosleep(&pause, NULL);
    }
}

void cli_monitor_events_finish(void)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000000};
    while (out.n_run > 0) {
        cli_monitor_events_poll();
        if (out.n_run > 0)
            nanosleep(&pause, NULL);
    }
}

/* "NAME=value" (malloc'd), with value "" for NULL. */
static char *env_pair(const char *name, const char *value)
{
    if (value == NULL)
        value = "";
    size_t n = strlen(name) + 1 + strlen(value) + 1;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s=%s", name, value);
    return p;
}

static bool ours(const char *entry)
{
    return strncmp(entry, "GIAMSAT_EVENT", 13) == 0 ||
           strncmp(entry, "GIAMSAT_ALERT_KIND=", 19) == 0 ||
           strncmp(entry, "GIAMSAT_ORIGIN=", 15) == 0 ||
           strncmp(entry, "GIAMSAT_EVIDENCE_FILE=", 22) == 0 ||
           strncmp(entry, "GIAMSAT_SUMMARY=", 16) == 0 ||
           strncmp(entry, "GIAMSAT_SOURCE=", 15) == 0 ||
           strncmp(entry, "GIAMSAT_REPORTER=", 17) == 0;
}

/* Starts the command for one alert. The environment is built before fork:
 * between fork and exec only async-signal-safe calls are allowed (the
 * monitor runs ZeroMQ's threads). */
static void start_exec(const cli_monitor_event *e, const char *message, const char *json_line)
{
    enum { OWN = 8 };
    size_t n_env = 0;
    while (environ[n_env] != NULL)
        n_env++;
    char **envp = calloc(n_env + OWN + 1, sizeof *envp);
    char *own[OWN] = {0};
    if (envp == NULL) {
        warn("--exec: out of memory");
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        if (!ours(environ[i]))
            envp[k++] = environ[i];
    own[0] = env_pair("GIAMSAT_EVENT", e->event);
    own[1] = env_pair("GIAMSAT_ALERT_KIND", e->kind);
    own[2] = env_pair("GIAMSAT_ORIGIN", e->origin);
    own[3] = env_pair("GIAMSAT_EVIDENCE_FILE", e->evidence_file);
    /* The text line's level word is part of its sentence ("EVIDENCE
     * against ..."): the summary reads as that line does. */
    char *summary = NULL;
    if (strcmp(e->level, "EVIDENCE") == 0 && (summary = env_pair("EVIDENCE", message)) != NULL)
        summary[strlen("EVIDENCE")] = ' ';
    own[4] = env_pair("GIAMSAT_SUMMARY", summary != NULL ? summary : message);
    free(summary);
    own[5] = env_pair("GIAMSAT_SOURCE", e->source);
    own[6] = env_pair("GIAMSAT_REPORTER", e->reporter);
    own[7] = env_pair("GIAMSAT_EVENT_JSON", json_line);
    for (size_t i = 0; i < OWN; i++) {
        if (own[i] == NULL) {
            warn("--exec: out of memory");
            goto out;
        }
        envp[k++] = own[i];
    }
    envp[k] = NULL;
    wait_for_slot();
    fflush(stdout);
    fflush(stderr);
    char sh[] = "sh", dash_c[] = "-c";
    char *cmd = strdup(out.exec_cmd); /* execve's argv is not const */
    if (cmd == NULL) {
        warn("--exec: out of memory");
        goto out;
    }
    char *const argv[] = {sh, dash_c, cmd, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        warn("--exec: cannot start the command: %s", strerror(errno));
        free(cmd);
        goto out;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0 && null != STDIN_FILENO) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execve("/bin/sh", argv, envp);
        _exit(127);
    }
    free(cmd);
    setpgid(pid, pid); /* also here, so a kill at once reaches the group */
    running *r = &out.run[out.n_run++];
    memset(r, 0, sizeof *r);
    r->pid = pid;
    r->deadline_ms = mono_ms() + (int64_t)out.timeout_s * 1000;
    snprintf(r->what, sizeof r->what, "%s %s%s%s", e->event, e->kind != NULL ? e->kind : "",
             e->origin != NULL ? " about " : "", e->origin != NULL ? e->origin : "");
out:
    for (size_t i = 0; i < OWN; i++)
        free(own[i]);
    free(envp);
}

void cli_monitor_event_emit(const cli_monitor_event *e, const char *message)
{
    int64_t now = (int64_t)time(NULL);
    char when[40];
    char *line = NULL;
    cli_format_time(now, when, sizeof when);
    bool alert = is_alert(e) && out.exec_cmd != NULL;
    if (out.json || alert) {
        json_t *o = event_json(e, message, now, when);
        if (o != NULL)
            line = json_dumps(o, JSON_COMPACT);
        json_decref(o);
    }
    if (out.json && line != NULL)
        printf("%s\n", line);
    else
        printf("%s %s %s\n", when, e->level, message);
    fflush(stdout);
    if (alert)
        start_exec(e, message, line != NULL ? line : "");
    free(line);
}
