/*
 * layerlab-init: PID 1 of the lab's v86 guest.
 *
 * The host (src/runtime/x86) talks to it over the first serial port with one text frame per line, so
 * kernel messages that slip onto the console never corrupt the stream:
 *
 *   host -> guest                                   guest -> host
 *   @M <name> <aname>     mount 9p aname at /c/<name>   @READY <version>        waiting for work
 *   @U <name>             unmount /c/<name>             @OK <name> | @ERR <name> <errno> <text>
 *   @R <id> <tty> <rows> <cols> <b64 spec>            @S <id> <pid>           process started
 *   @I <id> <b64 bytes>   stdin                         @O <id> <fd> <b64>      stdout/stderr (fd 1/2)
 *   @C <id>               close stdin                   @E <id> <stage> <errno> could not start
 *   @K <id> <signal>      signal the process group      @X <id> <code>          exit code (128+sig)
 *   @W <id> <rows> <cols> terminal size
 *   @N <name> <b64 net>   the container's network        @OK <name> | @ERR <name> <errno> <text>
 *
 * A spec is NUL-separated: root, cwd, uid, gid, groups (comma list), hostname, env count, env...,
 * argv... . A net spec is NUL-separated too: mode ("none" or "bridge"), address, prefix length, gateway,
 * MAC, MTU, then the contents of /etc/hosts, /etc/hostname and /etc/resolv.conf — kept in the guest's
 * tmpfs and bind-mounted over the (empty) files of the container's init layer, as Docker bind-mounts
 * them, so they never reach the container layer. "none" moves /init (and so every process it starts)
 * into a network namespace of its own with only `lo`. The container's root is a 9p mount of the lab's union filesystem; this program never
 * caches anything itself, so when a process exits every write is already on the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define VERSION "2"
#define MAX_PROCS 32
#define LINE_MAX_BYTES (1 << 20)

struct proc {
  int used, id, pid, tty;
  int in_fd, out_fd, err_fd; /* with a tty, out_fd is the pty master and in_fd == out_fd */
  int exited, status;
};

static struct proc procs[MAX_PROCS];
static int serial = -1;
static volatile sig_atomic_t child_flag = 0;
static int sigpipe_fds[2];

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return;
    }
    buf += n;
    len -= (size_t)n;
  }
}

static void frame(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void frame(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  write_all(serial, buf, (size_t)n);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t len, char *out) {
  size_t o = 0, i = 0;
  for (; i + 2 < len; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = B64[v >> 18 & 63]; out[o++] = B64[v >> 12 & 63];
    out[o++] = B64[v >> 6 & 63]; out[o++] = B64[v & 63];
  }
  if (i < len) {
    unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
    out[o++] = B64[v >> 18 & 63]; out[o++] = B64[v >> 12 & 63];
    out[o++] = i + 1 < len ? B64[v >> 6 & 63] : '=';
    out[o++] = '=';
  }
  return o;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

static size_t b64_decode(const char *in, unsigned char *out) {
  size_t o = 0;
  unsigned v = 0;
  int bits = 0;
  for (; *in; in++) {
    int d = b64_value(*in);
    if (d < 0) continue;
    v = v << 6 | (unsigned)d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(v >> bits & 0xff);
    }
  }
  return o;
}

static struct proc *find_proc(int id) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].id == id) return &procs[i];
  return NULL;
}

static void on_sigchld(int sig) {
  (void)sig;
  child_flag = 1;
  char c = 0;
  ssize_t r = write(sigpipe_fds[1], &c, 1);
  (void)r;
}

static void mkdirs(const char *path) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    mkdir(buf, 0755);
    *p = '/';
  }
  mkdir(buf, 0755);
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Mounts the container's root and, where the image has the directories, /proc, /sys and /dev. */
static void do_mount(const char *name, const char *aname) {
  char target[512], opts[512], sub[600];
  snprintf(target, sizeof target, "/c/%s", name);
  mkdirs(target);
  snprintf(opts, sizeof opts, "trans=virtio,version=9p2000.L,msize=512000,cache=none,aname=%s", aname);
  if (mount("host9p", target, "9p", MS_NOATIME, opts) != 0) {
    frame("@ERR %s %d mount 9p", name, errno);
    return;
  }
  snprintf(sub, sizeof sub, "%s/proc", target);
  if (is_dir(sub)) mount("proc", sub, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  snprintf(sub, sizeof sub, "%s/sys", target);
  if (is_dir(sub)) mount("sysfs", sub, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
  snprintf(sub, sizeof sub, "%s/dev", target);
  if (is_dir(sub)) mount("/dev", sub, NULL, MS_BIND | MS_REC, NULL);
  frame("@OK %s", name);
}

static void do_unmount(const char *name) {
  char target[512];
  snprintf(target, sizeof target, "/c/%s", name);
  if (umount2(target, MNT_DETACH) != 0) frame("@ERR %s %d umount", name, errno);
  else frame("@OK %s", name);
  rmdir(target);
}

/* ioctl on an interface through an AF_INET socket; returns errno or 0. */
static int if_ioctl(int sock, unsigned long req, struct ifreq *ifr) {
  return ioctl(sock, req, ifr) == 0 ? 0 : errno;
}

static void set_sockaddr(struct sockaddr *sa, in_addr_t addr) {
  struct sockaddr_in *in = (struct sockaddr_in *)sa;
  memset(in, 0, sizeof *in);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = addr;
}

/* Brings `name` up (with the given address, prefix, MTU and MAC when `addr` is non-zero). */
static int if_up(int sock, const char *name, in_addr_t addr, int prefix, int mtu, const char *mac, const char **what) {
  struct ifreq ifr;
  int err;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (mac && *mac) {
    unsigned m[6];
    if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
      ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
      for (int i = 0; i < 6; i++) ifr.ifr_hwaddr.sa_data[i] = (char)m[i];
      if ((err = if_ioctl(sock, SIOCSIFHWADDR, &ifr))) { *what = "set mac"; return err; }
    }
  }
  if (mtu > 0) {
    ifr.ifr_mtu = mtu;
    if ((err = if_ioctl(sock, SIOCSIFMTU, &ifr))) { *what = "set mtu"; return err; }
  }
  if (addr) {
    set_sockaddr(&ifr.ifr_addr, addr);
    if ((err = if_ioctl(sock, SIOCSIFADDR, &ifr))) { *what = "set address"; return err; }
    set_sockaddr(&ifr.ifr_netmask, prefix ? htonl(~0u << (32 - prefix)) : 0);
    if ((err = if_ioctl(sock, SIOCSIFNETMASK, &ifr))) { *what = "set netmask"; return err; }
  }
  if ((err = if_ioctl(sock, SIOCGIFFLAGS, &ifr))) { *what = "get flags"; return err; }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if ((err = if_ioctl(sock, SIOCSIFFLAGS, &ifr))) { *what = "up"; return err; }
  return 0;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  write_all(fd, text, strlen(text));
  close(fd);
  return 0;
}

/* Sets up the machine's network for the container mounted as `name` (see the top of this file). */
static void do_net(const char *name, const char *b64) {
  size_t cap = strlen(b64);
  unsigned char *spec = malloc(cap + 1);
  size_t len = b64_decode(b64, spec);
  spec[len] = 0;
  char *f[9];
  int nf = 0;
  for (size_t i = 0; i < len && nf < 9;) {
    f[nf++] = (char *)spec + i;
    i += strlen((char *)spec + i) + 1;
  }
  if (nf < 9) { frame("@ERR %s %d net spec", name, EINVAL); free(spec); return; }
  const char *mode = f[0], *mac = f[4];
  const char *files[3][2] = {{"hosts", f[6]}, {"hostname", f[7]}, {"resolv.conf", f[8]}};
  const char *what = "";
  int err = 0;
  char dir[512], src[600], dst[600];
  snprintf(dir, sizeof dir, "/tmp/net-%s", name);
  mkdirs(dir);
  for (int i = 0; i < 3 && !err; i++) {
    snprintf(src, sizeof src, "%s/%s", dir, files[i][0]);
    snprintf(dst, sizeof dst, "/c/%s/etc/%s", name, files[i][0]);
    if ((err = write_file(src, files[i][1]))) { what = "write"; break; }
    struct stat st;
    /* Only over a file the union has (its init layer): never create one in the container layer. */
    if (lstat(dst, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (mount(src, dst, NULL, MS_BIND, NULL) != 0) { err = errno; what = "bind"; }
  }
  if (!err && strcmp(mode, "none") == 0 && unshare(CLONE_NEWNET) != 0) { err = errno; what = "unshare"; }
  int sock = err ? -1 : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (!err && sock < 0) { err = errno; what = "socket"; }
  if (!err) err = if_up(sock, "lo", 0, 0, 0, NULL, &what);
  if (!err && strcmp(mode, "bridge") == 0) {
    in_addr_t addr = inet_addr(f[1]), gw = inet_addr(f[3]);
    err = if_up(sock, "eth0", addr, atoi(f[2]), atoi(f[5]), mac, &what);
    if (!err && gw != 0) { /* no gateway: the lab has no relay, so no route beyond the bridge */
      struct rtentry rt;
      memset(&rt, 0, sizeof rt);
      set_sockaddr(&rt.rt_dst, 0);
      set_sockaddr(&rt.rt_genmask, 0);
      set_sockaddr(&rt.rt_gateway, gw);
      rt.rt_flags = RTF_UP | RTF_GATEWAY;
      rt.rt_dev = "eth0";
      if (ioctl(sock, SIOCADDRT, &rt) != 0 && errno != EEXIST) { err = errno; what = "route"; }
    }
  }
  if (sock >= 0) close(sock);
  if (err) frame("@ERR %s %d net %s", name, err, what);
  else frame("@OK %s", name);
  free(spec);
}

/* Reports why the child could not start through a close-on-exec pipe: stage, errno, the path tried. */
struct start_failure {
  int stage, err;
  char path[256];
};
static char failed_path[256];
static void child_fail(int fd, int stage) {
  struct start_failure msg = {stage, errno, {0}};
  memcpy(msg.path, failed_path, sizeof msg.path);
  ssize_t r = write(fd, &msg, sizeof msg);
  (void)r;
  _exit(127);
}

enum { STAGE_CHROOT = 1, STAGE_CHDIR, STAGE_USER, STAGE_LOOKUP, STAGE_EXEC };

/* PATH search done inside the container's root, the way runc's LookPath reports it. */
static int resolve(const char *file, const char *path, char *out, size_t outlen) {
  if (strchr(file, '/')) {
    snprintf(out, outlen, "%s", file);
    struct stat st;
    return stat(out, &st) == 0 ? 0 : -1;
  }
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const char *p = path;
  while (1) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    snprintf(out, outlen, "%.*s/%s", (int)n, n ? p : ".", file);
    struct stat st;
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return 0;
    if (!end) break;
    p = end + 1;
  }
  errno = ENOENT;
  return -1;
}

static void do_run(int id, int tty, int rows, int cols, const char *b64) {
  size_t cap = strlen(b64);
  unsigned char *spec = malloc(cap + 1);
  size_t len = b64_decode(b64, spec);
  spec[len] = 0;
  char *fields[4096];
  int nf = 0;
  for (size_t i = 0; i < len && nf < 4095;) {
    fields[nf++] = (char *)spec + i;
    i += strlen((char *)spec + i) + 1;
  }
  if (nf < 8) { frame("@E %d 0 %d", id, EINVAL); free(spec); return; }
  const char *root = fields[0], *cwd = fields[1], *groups = fields[4], *hostname = fields[5];
  uid_t uid = (uid_t)strtoul(fields[2], NULL, 10);
  gid_t gid = (gid_t)strtoul(fields[3], NULL, 10);
  int nenv = atoi(fields[6]);
  if (7 + nenv >= nf) { frame("@E %d 0 %d", id, EINVAL); free(spec); return; }
  char **envp = calloc((size_t)nenv + 1, sizeof(char *));
  const char *path_env = NULL;
  for (int i = 0; i < nenv; i++) {
    envp[i] = fields[7 + i];
    if (strncmp(envp[i], "PATH=", 5) == 0) path_env = envp[i] + 5;
  }
  char **argv = &fields[7 + nenv];
  fields[nf] = NULL;

  struct proc *slot = NULL;
  for (int i = 0; i < MAX_PROCS; i++)
    if (!procs[i].used) { slot = &procs[i]; break; }
  if (!slot) { frame("@E %d 0 %d", id, EAGAIN); free(envp); free(spec); return; }

  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, master = -1;
  char *slave_name = NULL;
  if (tty) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) || unlockpt(master) || !(slave_name = ptsname(master))) {
      frame("@E %d 0 %d", id, errno); free(envp); free(spec); return;
    }
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(master, TIOCSWINSZ, &ws);
  } else if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    frame("@E %d 0 %d", id, errno); free(envp); free(spec); return;
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC)) { frame("@E %d 0 %d", id, errno); free(envp); free(spec); return; }

  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    if (tty) {
      int slave = open(slave_name, O_RDWR);
      if (slave < 0) child_fail(report[1], 0);
      ioctl(slave, TIOCSCTTY, 0);
      dup2(slave, 0); dup2(slave, 1); dup2(slave, 2);
      if (slave > 2) close(slave);
    } else {
      dup2(in_pipe[0], 0); dup2(out_pipe[1], 1); dup2(err_pipe[1], 2);
    }
    if (hostname[0]) sethostname(hostname, strlen(hostname));
    if (chroot(root) != 0) child_fail(report[1], STAGE_CHROOT);
    if (chdir(cwd) != 0) child_fail(report[1], STAGE_CHDIR);
    gid_t gl[64];
    int ng = 0;
    for (const char *g = groups; *g && ng < 64;) {
      gl[ng++] = (gid_t)strtoul(g, NULL, 10);
      const char *c = strchr(g, ',');
      if (!c) break;
      g = c + 1;
    }
    if (setgroups((size_t)ng, gl) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
      child_fail(report[1], STAGE_USER);
    char resolved[4096];
    strncpy(failed_path, argv[0], sizeof failed_path - 1);
    if (resolve(argv[0], path_env, resolved, sizeof resolved) != 0) child_fail(report[1], STAGE_LOOKUP);
    strncpy(failed_path, resolved, sizeof failed_path - 1);
    execve(resolved, argv, envp);
    child_fail(report[1], STAGE_EXEC);
  }
  close(report[1]);
  if (pid < 0) {
    frame("@E %d 0 %d", id, errno);
  } else {
    struct start_failure msg;
    ssize_t n = read(report[0], &msg, sizeof msg);
    if (n == (ssize_t)sizeof msg) {
      waitpid(pid, NULL, 0);
      char enc[400];
      msg.path[sizeof msg.path - 1] = 0;
      enc[b64_encode((unsigned char *)msg.path, strlen(msg.path), enc)] = 0;
      frame("@E %d %d %d %s", id, msg.stage, msg.err, enc);
      pid = -1;
    }
  }
  close(report[0]);
  if (pid < 0) {
    if (master >= 0) close(master);
    if (!tty) { close(in_pipe[0]); close(in_pipe[1]); close(out_pipe[0]); close(out_pipe[1]); close(err_pipe[0]); close(err_pipe[1]); }
    free(envp); free(spec);
    return;
  }
  memset(slot, 0, sizeof *slot);
  slot->used = 1; slot->id = id; slot->pid = pid; slot->tty = tty;
  if (tty) {
    slot->in_fd = slot->out_fd = master;
    slot->err_fd = -1;
  } else {
    close(in_pipe[0]); close(out_pipe[1]); close(err_pipe[1]);
    slot->in_fd = in_pipe[1]; slot->out_fd = out_pipe[0]; slot->err_fd = err_pipe[0];
  }
  frame("@S %d %d", id, pid);
  free(envp); free(spec);
}

static void forward_output(struct proc *p, int fd, int which) {
  unsigned char buf[3072];
  char enc[4200];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    /* EOF (pipe) or EIO (pty whose slave side closed) */
    if (which == 2) { close(p->err_fd); p->err_fd = -1; }
    else {
      if (p->tty) { close(p->out_fd); p->in_fd = -1; } else close(p->out_fd);
      p->out_fd = -1;
    }
    return;
  }
  int hl = snprintf(enc, 64, "@O %d %d ", p->id, which);
  size_t el = b64_encode(buf, (size_t)n, enc + hl);
  enc[hl + el] = '\n';
  write_all(serial, enc, (size_t)hl + el + 1);
}

static void finish_if_done(struct proc *p) {
  if (!p->used || !p->exited || p->out_fd >= 0 || p->err_fd >= 0) return;
  int code = WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status);
  if (p->in_fd >= 0 && !p->tty) close(p->in_fd);
  frame("@X %d %d", p->id, code);
  p->used = 0;
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *p = &procs[i];
      if (!p->used || p->pid != pid) continue;
      p->exited = 1;
      p->status = status;
      /* drain what the pipes or the pty still hold, then close them: a background process that keeps
         them open must not keep the container "running" (Docker ends the container with its PID 1) */
      int fds[2] = {p->out_fd, p->err_fd};
      for (int k = 0; k < 2; k++) {
        if (fds[k] < 0) continue;
        fcntl(fds[k], F_SETFL, fcntl(fds[k], F_GETFL) | O_NONBLOCK);
        for (int guard = 0; guard < 4096; guard++) {
          int cur = k == 0 ? p->out_fd : p->err_fd;
          if (cur < 0) break;
          struct pollfd pf = {.fd = cur, .events = POLLIN};
          if (poll(&pf, 1, 0) <= 0 || !(pf.revents & POLLIN)) break;
          forward_output(p, cur, k + 1);
        }
        int cur = k == 0 ? p->out_fd : p->err_fd;
        if (cur >= 0) close(cur);
        if (k == 0) { p->out_fd = -1; if (p->tty) p->in_fd = -1; } else p->err_fd = -1;
      }
      kill(-p->pid, SIGKILL);
    }
  }
}

static void handle_line(char *line) {
  if (line[0] != '@') return;
  char cmd = line[1];
  char *rest = line[2] == ' ' ? line + 3 : line + 2;
  switch (cmd) {
    case 'M': {
      char name[256], aname[256];
      if (sscanf(rest, "%255s %255s", name, aname) == 2) do_mount(name, aname);
      break;
    }
    case 'N': {
      char name[256];
      int off = 0;
      if (sscanf(rest, "%255s %n", name, &off) == 1 && off > 0) do_net(name, rest + off);
      break;
    }
    case 'U': {
      char name[256];
      if (sscanf(rest, "%255s", name) == 1) do_unmount(name);
      break;
    }
    case 'R': {
      int id, tty, rows, cols, off = 0;
      if (sscanf(rest, "%d %d %d %d %n", &id, &tty, &rows, &cols, &off) >= 4) do_run(id, tty, rows, cols, rest + off);
      break;
    }
    case 'I': {
      int id, off = 0;
      if (sscanf(rest, "%d %n", &id, &off) < 1) break;
      struct proc *p = find_proc(id);
      if (!p || p->in_fd < 0) break;
      unsigned char *buf = malloc(strlen(rest) + 1);
      size_t n = b64_decode(rest + off, buf);
      write_all(p->in_fd, (char *)buf, n);
      free(buf);
      break;
    }
    case 'C': {
      int id;
      struct proc *p = sscanf(rest, "%d", &id) == 1 ? find_proc(id) : NULL;
      if (p && !p->tty && p->in_fd >= 0) { close(p->in_fd); p->in_fd = -1; }
      break;
    }
    case 'K': {
      int id, sig;
      struct proc *p = sscanf(rest, "%d %d", &id, &sig) == 2 ? find_proc(id) : NULL;
      if (p && !p->exited) {
        if (kill(-p->pid, sig) != 0) kill(p->pid, sig);
      }
      break;
    }
    case 'W': {
      int id, rows, cols;
      struct proc *p = sscanf(rest, "%d %d %d", &id, &rows, &cols) == 3 ? find_proc(id) : NULL;
      if (p && p->tty && p->out_fd >= 0) {
        struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
        ioctl(p->out_fd, TIOCSWINSZ, &ws);
      }
      break;
    }
    case 'P':
      frame("@PONG");
      break;
  }
}

int main(void) {
  mkdirs("/proc"); mkdirs("/sys"); mkdirs("/dev"); mkdirs("/tmp"); mkdirs("/c");
  mount("proc", "/proc", "proc", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mkdirs("/dev/pts");
  mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666,mode=0620,gid=5");
  mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
  symlink("/proc/self/fd", "/dev/fd");

  serial = open("/dev/ttyS0", O_RDWR | O_NOCTTY);
  if (serial < 0) serial = open("/dev/console", O_RDWR | O_NOCTTY);
  struct termios t;
  if (tcgetattr(serial, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(serial, TCSANOW, &t);
  }
  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  struct sigaction sa = {0};
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  char *line = malloc(LINE_MAX_BYTES);
  size_t used = 0;
  frame("@READY " VERSION);
  for (;;) {
    struct pollfd pfds[2 + 2 * MAX_PROCS];
    struct proc *owner[2 + 2 * MAX_PROCS];
    int which[2 + 2 * MAX_PROCS];
    int n = 0;
    pfds[n].fd = serial; pfds[n].events = POLLIN; owner[n] = NULL; which[n++] = 0;
    pfds[n].fd = sigpipe_fds[0]; pfds[n].events = POLLIN; owner[n] = NULL; which[n++] = -1;
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *p = &procs[i];
      if (!p->used) continue;
      if (p->out_fd >= 0) { pfds[n].fd = p->out_fd; pfds[n].events = POLLIN; owner[n] = p; which[n++] = 1; }
      if (p->err_fd >= 0) { pfds[n].fd = p->err_fd; pfds[n].events = POLLIN; owner[n] = p; which[n++] = 2; }
    }
    if (poll(pfds, (nfds_t)n, -1) < 0 && errno != EINTR) continue;
    for (int i = 0; i < n; i++) {
      if (!pfds[i].revents) continue;
      if (which[i] == 0) {
        ssize_t r = read(serial, line + used, LINE_MAX_BYTES - 1 - used);
        if (r <= 0) continue;
        used += (size_t)r;
        size_t start = 0;
        for (size_t k = 0; k < used; k++) {
          if (line[k] != '\n') continue;
          line[k] = 0;
          if (k > start && line[k - 1] == '\r') line[k - 1] = 0;
          handle_line(line + start);
          start = k + 1;
        }
        memmove(line, line + start, used - start);
        used -= start;
        if (used >= LINE_MAX_BYTES - 1) used = 0; /* an overlong line is dropped, not half-read */
      } else if (which[i] == -1) {
        char buf[64];
        while (read(sigpipe_fds[0], buf, sizeof buf) > 0) {}
      } else if (owner[i]->used && ((which[i] == 1 && owner[i]->out_fd == pfds[i].fd) || (which[i] == 2 && owner[i]->err_fd == pfds[i].fd))) {
        forward_output(owner[i], pfds[i].fd, which[i]);
      }
    }
    if (child_flag) { child_flag = 0; reap(); }
    for (int i = 0; i < MAX_PROCS; i++) finish_if_done(&procs[i]);
  }
}
