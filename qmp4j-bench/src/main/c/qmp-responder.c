/*
 * qmp-responder: the smallest QMP server that still looks like one, as the floor for round-trip
 * latency benchmarks.
 *
 * On every connection it sends a QMP greeting. For every complete JSON object it then receives
 * (braces and brackets counted outside strings) it replies with one fixed line,
 *   {"return": {}, "id": ID}\r\n   when the object has a top-level "id" member (its value copied),
 *   {"return": {}}\r\n             otherwise.
 * It does not parse JSON beyond that, does not negotiate and never sends events.
 *
 * Usage: qmp-responder [--unix PATH] [--tcp PORT]   (at least one; TCP listens on 127.0.0.1 only)
 * One thread, poll(2), non-blocking sockets; runs until killed (SIGINT/SIGTERM remove the socket).
 *
 * Part of qmp4j (Apache-2.0). Build: qmp4j-bench/build-responder.sh
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define READ_CHUNK 65536
#define MAX_ID 256
#define OUT_HIGH_WATER (1 << 20) /* stop reading from a peer that does not read its replies */

static const char GREETING[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
    "\"package\": \"qmp-responder\"}, \"capabilities\": [\"oob\"]}}\r\n";

struct conn {
  int fd;
  /* Scanner state. */
  int depth;          /* braces plus brackets open, outside strings */
  int in_string;      /* inside a "..." string */
  int escape;         /* previous byte was a backslash inside a string */
  int key_position;   /* at depth 1 of an object, where the next string is a member key */
  int key_len;        /* bytes of the current depth-1 key seen so far (-1: not "id") */
  int key_is_id;      /* the key just closed was "id" and awaits its colon */
  int capturing;      /* copying the value of the top-level "id" member */
  char id[MAX_ID];
  int id_len;         /* -1: value too long, reply without an id */
  /* Pending output. */
  char *out;
  size_t out_len, out_cap;
};

static struct pollfd fds[MAX_CONNS + 2];
static struct conn *conns[MAX_CONNS + 2];
static int nfds;
static const char *unix_path;
static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
}

static void out_append(struct conn *c, const char *data, size_t len) {
  if (c->out_len + len > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + len) cap *= 2;
    c->out = realloc(c->out, cap);
    if (!c->out) die("realloc");
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
}

/* Writes what the peer will take now; returns -1 if the connection is dead. */
static int out_flush(struct conn *c) {
  size_t done = 0;
  while (done < c->out_len) {
    ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return -1;
    }
    done += (size_t)n;
  }
  memmove(c->out, c->out + done, c->out_len - done);
  c->out_len -= done;
  return 0;
}

static void reply(struct conn *c) {
  static const char plain[] = "{\"return\": {}}\r\n";
  static const char head[] = "{\"return\": {}, \"id\": ";
  if (c->id_len > 0) {
    while (c->id_len > 0 && (c->id[c->id_len - 1] == ' ' || c->id[c->id_len - 1] == '\t' ||
                             c->id[c->id_len - 1] == '\r' || c->id[c->id_len - 1] == '\n')) {
      c->id_len--;
    }
  }
  if (c->id_len > 0) {
    out_append(c, head, sizeof head - 1);
    out_append(c, c->id, (size_t)c->id_len);
    out_append(c, "}\r\n", 3);
  } else {
    out_append(c, plain, sizeof plain - 1);
  }
  c->id_len = 0;
  c->capturing = 0;
  c->key_is_id = 0;
}

static void capture(struct conn *c, char ch) {
  if (c->id_len < 0) return;
  if (c->id_len == 0 && (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')) return;
  if (c->id_len == MAX_ID) {
    c->id_len = -1;
    return;
  }
  c->id[c->id_len++] = ch;
}

/* Scans received bytes, queueing one reply per complete top-level object. */
static void scan(struct conn *c, const char *buf, size_t len) {
  for (size_t i = 0; i < len; i++) {
    char ch = buf[i];
    if (c->in_string) {
      if (c->capturing) capture(c, ch);
      if (c->escape) {
        c->escape = 0;
        if (c->key_len >= 0) c->key_len = -1; /* an escaped key is never taken for "id" */
      } else if (ch == '\\') {
        c->escape = 1;
      } else if (ch == '"') {
        c->in_string = 0;
        if (c->key_len >= 0) c->key_is_id = c->key_len == 2;
        c->key_len = -1;
      } else if (c->key_len >= 0) {
        if (c->key_len < 2 && ch == "id"[c->key_len]) {
          c->key_len++;
        } else {
          c->key_len = -1;
        }
      }
      continue;
    }
    /* A top-level "id" value ends at the depth-1 separator or the closing brace. */
    if (c->capturing && c->depth == 1 && (ch == ',' || ch == '}')) c->capturing = 0;
    if (c->capturing) capture(c, ch);
    switch (ch) {
      case '"':
        c->in_string = 1;
        c->key_len = (c->depth == 1 && c->key_position) ? 0 : -1;
        c->key_position = 0;
        break;
      case '{':
      case '[':
        if (++c->depth == 1) {
          c->key_position = ch == '{';
          c->id_len = 0;
          c->key_is_id = 0;
        }
        break;
      case '}':
      case ']':
        if (c->depth > 0 && --c->depth == 0) {
          reply(c);
        }
        break;
      case ':':
        if (c->depth == 1 && c->key_is_id) {
          c->capturing = 1;
          c->id_len = 0;
        }
        c->key_is_id = 0;
        break;
      case ',':
        if (c->depth == 1) c->key_position = 1;
        c->key_is_id = 0;
        break;
      default:
        break;
    }
  }
}

static void add_fd(int fd, struct conn *c) {
  if (nfds == MAX_CONNS + 2) {
    close(fd);
    free(c);
    return;
  }
  fds[nfds].fd = fd;
  fds[nfds].events = POLLIN;
  fds[nfds].revents = 0;
  conns[nfds] = c;
  nfds++;
}

static void close_conn(int k) {
  struct conn *c = conns[k];
  close(c->fd);
  free(c->out);
  free(c);
  nfds--;
  fds[k] = fds[nfds];
  conns[k] = conns[nfds];
}

static void accept_on(int listener) {
  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return; /* EAGAIN, or a transient error: try again on the next poll */
    }
    set_nonblocking(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on unix */
    struct conn *c = calloc(1, sizeof *c);
    if (!c) die("calloc");
    c->fd = fd;
    c->key_len = -1;
    out_append(c, GREETING, sizeof GREETING - 1);
    if (out_flush(c) < 0) {
      close(fd);
      free(c->out);
      free(c);
      continue;
    }
    add_fd(fd, c);
  }
}

static int listen_unix(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "socket path too long: %s\n", path);
    exit(2);
  }
  strcpy(addr.sun_path, path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind unix");
  if (listen(fd, 128) < 0) die("listen");
  set_nonblocking(fd);
  return fd;
}

static int listen_tcp(int port) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind tcp");
  if (listen(fd, 128) < 0) die("listen");
  set_nonblocking(fd);
  return fd;
}

static void usage(void) {
  fprintf(stderr, "usage: qmp-responder [--unix PATH] [--tcp PORT]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int tcp_port = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--unix") && i + 1 < argc) {
      unix_path = argv[++i];
    } else if (!strcmp(argv[i], "--tcp") && i + 1 < argc) {
      tcp_port = atoi(argv[++i]);
      if (tcp_port <= 0 || tcp_port > 65535) usage();
    } else {
      usage();
    }
  }
  if (!unix_path && tcp_port < 0) usage();

  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* Listeners occupy the first slots and carry no connection. */
  int listeners = 0;
  if (unix_path) {
    fds[nfds].fd = listen_unix(unix_path);
    fds[nfds++].events = POLLIN;
    listeners++;
  }
  if (tcp_port > 0) {
    fds[nfds].fd = listen_tcp(tcp_port);
    fds[nfds++].events = POLLIN;
    listeners++;
  }
  fprintf(stderr, "qmp-responder: listening%s%s", unix_path ? " on unix:" : "",
          unix_path ? unix_path : "");
  if (tcp_port > 0) fprintf(stderr, " on tcp:127.0.0.1:%d", tcp_port);
  fprintf(stderr, "\n");

  static char buf[READ_CHUNK];
  while (!stop) {
    int ready = poll(fds, (nfds_t)nfds, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (int k = nfds - 1; k >= 0; k--) {
      short ev = fds[k].revents;
      if (!ev) continue;
      if (k < listeners) {
        accept_on(fds[k].fd);
        continue;
      }
      struct conn *c = conns[k];
      int dead = 0;
      if (ev & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n > 0) {
          scan(c, buf, (size_t)n);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)) {
          dead = 1;
        }
      }
      if (!dead && c->out_len > 0 && out_flush(c) < 0) dead = 1;
      if (dead) {
        close_conn(k);
        continue;
      }
      fds[k].events = (short)((c->out_len < OUT_HIGH_WATER ? POLLIN : 0) |
                              (c->out_len > 0 ? POLLOUT : 0));
    }
  }
  if (unix_path) unlink(unix_path);
  return 0;
}
