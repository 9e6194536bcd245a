/*
 * fileops: changes files so the container layer has something to show. Operations run in order:
 *   write PATH TEXT | append PATH TEXT | cat PATH | mv FROM TO | rm PATH | mkdir PATH | rmdir PATH | ln TARGET PATH
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, const char *path) {
  fprintf(stderr, "fileops: %s %s: %s\n", what, path, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *op = argv[i];
    if ((!strcmp(op, "write") || !strcmp(op, "append")) && i + 2 < argc) {
      FILE *f = fopen(argv[i + 1], op[0] == 'w' ? "w" : "a");
      if (!f) return fail(op, argv[i + 1]);
      fprintf(f, "%s\n", argv[i + 2]);
      fclose(f);
      i += 2;
    } else if (!strcmp(op, "cat") && i + 1 < argc) {
      FILE *f = fopen(argv[++i], "r");
      if (!f) return fail(op, argv[i]);
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
      fclose(f);
    } else if (!strcmp(op, "mv") && i + 2 < argc) {
      if (rename(argv[i + 1], argv[i + 2]) != 0) return fail(op, argv[i + 1]);
      i += 2;
    } else if (!strcmp(op, "rm") && i + 1 < argc) {
      if (unlink(argv[++i]) != 0) return fail(op, argv[i]);
    } else if (!strcmp(op, "mkdir") && i + 1 < argc) {
      if (mkdir(argv[++i], 0755) != 0) return fail(op, argv[i]);
    } else if (!strcmp(op, "rmdir") && i + 1 < argc) {
      if (rmdir(argv[++i]) != 0) return fail(op, argv[i]);
    } else if (!strcmp(op, "ln") && i + 2 < argc) {
      if (symlink(argv[i + 1], argv[i + 2]) != 0) return fail(op, argv[i + 2]);
      i += 2;
    } else {
      fprintf(stderr, "fileops: unknown operation %s\n", op);
      return 2;
    }
  }
  return 0;
}
