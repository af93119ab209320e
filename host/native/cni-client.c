// /opt/cni/bin/podnet: the CNI plugin binary a runtime execs once per pod. Transport only: it
// hands the CNI_* environment and the config on stdin to the podnet agent's unix socket (the
// protocol is in host/cni/socket-server.ts), prints the agent's reply and exits with its code.
// Starting Node per pod would cost 100+ ms; this costs about a millisecond. When no agent
// answers, it execs `podnet-standalone cni` from its own directory (the full single executable),
// which runs the same plugin in-process, so every command, DEL above all, works with the agent down.

#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/podnet/cni.sock"
#define SOCKET_KEY "\"agentSocket\""
#define TIMEOUT_KEY "\"agentTimeoutSeconds\""
// How long a connected agent may take to answer before the plugin runs in-process instead: a
// stopped or hung agent must not hold up a DEL forever. The config's agentTimeoutSeconds overrides it.
#define DEFAULT_TIMEOUT_SECONDS 10
#define STANDALONE "podnet-standalone"
#define PROTOCOL_LINE "PODNET-CNI/1\n"
// Tells podnet-standalone that the agent had the request (host/cni/in-process.ts TAKEOVER_VARIABLE).
#define TAKEOVER_VARIABLE "PODNET_CNI_TAKEOVER"

extern char **environ;

typedef struct {
  char *bytes;
  size_t length;
  size_t capacity;
} buffer;

static int append(buffer *into, const void *bytes, size_t length) {
  if (into->length + length > into->capacity) {
    size_t capacity = into->capacity ? into->capacity : 4096;
    while (capacity < into->length + length) capacity *= 2;
    char *grown = realloc(into->bytes, capacity);
    if (grown == NULL) return -1;
    into->bytes = grown;
    into->capacity = capacity;
  }
  memcpy(into->bytes + into->length, bytes, length);
  into->length += length;
  return 0;
}

static int read_all(int fd, buffer *into) {
  char chunk[65536];
  for (;;) {
    ssize_t count = read(fd, chunk, sizeof chunk);
    if (count == 0) return 0;
    if (count < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (append(into, chunk, (size_t)count) < 0) return -1;
  }
}

static int write_all(int fd, const char *bytes, size_t length) {
  while (length > 0) {
    ssize_t count = write(fd, bytes, length);
    if (count < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    bytes += count;
    length -= (size_t)count;
  }
  return 0;
}

// The error object of the CNI spec on stdout, exit 1. `message` holds no quotes or backslashes.
static int fail(int code, const char *message, const char *detail) {
  printf("{\"cniVersion\":\"1.1.0\",\"code\":%d,\"msg\":\"%s\",\"details\":\"", code, message);
  for (const char *c = detail; *c; c++) putchar(*c == '"' || *c == '\\' ? '\'' : *c);
  printf("\"}\n");
  return 1;
}

// Where the value of `key` starts in the config (after the colon and white space), or NULL.
// The agent checks the whole config; this only needs two plain values.
static const char *value_of(const buffer *config, const char *key) {
  const char *found = memmem(config->bytes, config->length, key, strlen(key));
  if (found == NULL) return NULL;
  const char *end = config->bytes + config->length;
  const char *c = found + strlen(key);
  while (c < end && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')) c++;
  if (c >= end || *c++ != ':') return NULL;
  while (c < end && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')) c++;
  return c < end ? c : NULL;
}

// agentTimeoutSeconds when it is a whole number from 1 to 3600; else the default.
static int timeout_seconds(const buffer *config) {
  const char *c = value_of(config, TIMEOUT_KEY);
  if (c == NULL) return DEFAULT_TIMEOUT_SECONDS;
  char *after;
  long seconds = strtol(c, &after, 10);
  return after != c && seconds >= 1 && seconds <= 3600 ? (int)seconds : DEFAULT_TIMEOUT_SECONDS;
}

// The agentSocket string of the config, if it has a plain one (no escapes); else the default.
static void socket_path(const buffer *config, char *path, size_t size) {
  snprintf(path, size, "%s", DEFAULT_SOCKET);
  const char *c = value_of(config, SOCKET_KEY);
  const char *end = config->bytes + config->length;
  if (c == NULL || *c++ != '"') return;
  const char *start = c;
  while (c < end && *c != '"' && *c != '\\') c++;
  if (c >= end || *c != '"' || (size_t)(c - start) >= size) return;
  memcpy(path, start, (size_t)(c - start));
  path[c - start] = '\0';
}

// No agent: run the plugin in-process in the full executable, with the config it was given as stdin.
static int run_standalone(const buffer *config, const char *why) {
  char self[PATH_MAX], standalone[PATH_MAX + 32];
  ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length < 0) return fail(11, "podnet agent not reachable and /proc/self/exe unreadable", strerror(errno));
  self[length] = '\0';
  snprintf(standalone, sizeof standalone, "%s/%s", dirname(self), STANDALONE);
  int input = memfd_create("podnet-cni-stdin", MFD_CLOEXEC);
  if (input < 0 || write_all(input, config->bytes, config->length) < 0 || lseek(input, 0, SEEK_SET) < 0 || dup2(input, 0) < 0) {
    return fail(11, "podnet agent not reachable and stdin could not be passed on", strerror(errno));
  }
  char *argv[] = {STANDALONE, "cni", NULL};
  execv(standalone, argv);
  char detail[PATH_MAX + 256];
  snprintf(detail, sizeof detail, "agent: %s; %s: %s", why, standalone, strerror(errno));
  return fail(11, "podnet agent not reachable and podnet-standalone cannot run", detail);
}

int main(void) {
  buffer config = {0};
  if (read_all(0, &config) < 0) return fail(5, "cannot read the network config from stdin", strerror(errno));
  if (append(&config, "", 1) < 0) return fail(5, "out of memory", "");
  config.length--;  // keep a terminating NUL past the end for the scan above

  char path[sizeof ((struct sockaddr_un *)0)->sun_path];
  socket_path(&config, path, sizeof path);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  memcpy(address.sun_path, path, strlen(path) + 1);
  int agent = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (agent < 0 || connect(agent, (struct sockaddr *)&address, sizeof address) < 0) {
    char why[sizeof path + 64];
    snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
    return run_standalone(&config, why);
  }

  struct timeval timeout = {.tv_sec = timeout_seconds(&config)};
  setsockopt(agent, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(agent, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  buffer request = {0};
  int failed = append(&request, PROTOCOL_LINE, strlen(PROTOCOL_LINE));
  for (char **variable = environ; *variable && !failed; variable++) {
    if (strncmp(*variable, "CNI_", 4) == 0) failed = append(&request, *variable, strlen(*variable) + 1);
  }
  failed = failed || append(&request, "", 1) || append(&request, config.bytes, config.length);
  if (failed) return fail(5, "out of memory", "");
  // An agent that hangs (stopped, deadlocked) or dies with the request (killed, restarted): do the
  // work here instead. DEL is safe to repeat; an ADD taken over first undoes what the agent may
  // have half done (podnet-standalone does so when TAKEOVER_VARIABLE is set).
  char why[sizeof path + 96];
  bool lost = false;
  if (write_all(agent, request.bytes, request.length) < 0 || shutdown(agent, SHUT_WR) < 0) {
    lost = true;
    if (errno == EAGAIN || errno == EWOULDBLOCK) snprintf(why, sizeof why, "%s: no answer within %d s", path, (int)timeout.tv_sec);
    else snprintf(why, sizeof why, "%s: the agent closed its socket before taking the request (%s)", path, strerror(errno));
  }
  buffer reply = {0};
  if (!lost && read_all(agent, &reply) < 0) {
    lost = true;
    if (errno == EAGAIN || errno == EWOULDBLOCK) snprintf(why, sizeof why, "%s: no answer within %d s", path, (int)timeout.tv_sec);
    else snprintf(why, sizeof why, "%s: the agent's reply broke off (%s)", path, strerror(errno));
  }
  if (!lost && (reply.length == 0 || memchr(reply.bytes, '\n', reply.length) == NULL)) {
    lost = true;
    snprintf(why, sizeof why, "%s: the agent closed the connection without replying", path);
  }
  if (lost) {
    close(agent);
    setenv(TAKEOVER_VARIABLE, why, 1);
    return run_standalone(&config, why);
  }
  char *newline = memchr(reply.bytes, '\n', reply.length);
  int code = atoi(reply.bytes);
  size_t header = (size_t)(newline - reply.bytes) + 1;
  if (write_all(1, reply.bytes + header, reply.length - header) < 0) return 5;
  return code;
}
