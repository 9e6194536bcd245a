/* ls: lists directories of the container's filesystem, sorted. `ls [-l] [-a] [DIR...]` */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list(const char *dir, int longfmt, int all) {
  DIR *d = opendir(dir);
  if (!d) {
    perror(dir);
    return 1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!all && e->d_name[0] == '.') continue;
    if (n == cap) names = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n; i++) {
    if (longfmt) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      struct stat st;
      if (lstat(path, &st) != 0) { perror(path); continue; }
      char t = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : '-';
      printf("%c %10lld %s\n", t, (long long)st.st_size, names[i]);
    } else {
      printf("%s\n", names[i]);
    }
    free(names[i]);
  }
  free(names);
  return 0;
}

int main(int argc, char **argv) {
  int longfmt = 0, all = 0, status = 0, dirs = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-l") == 0) longfmt = 1;
    else if (strcmp(argv[i], "-a") == 0) all = 1;
    else if (strcmp(argv[i], "-la") == 0 || strcmp(argv[i], "-al") == 0) longfmt = all = 1;
  }
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') continue;
    dirs++;
    status |= list(argv[i], longfmt, all);
  }
  if (!dirs) status = list("/", longfmt, all);
  return status;
}
